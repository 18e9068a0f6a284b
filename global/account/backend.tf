# State of this stack lives in the bucket and lock table that bootstrap/ creates.
# The key is always the stack's path in this repository.
terraform {
  backend "s3" {
    bucket         = "goorm-popcorn-tfstate"
    key            = "global/account/terraform.tfstate"
    region         = "ap-northeast-2"
    encrypt        = true
    kms_key_id     = "alias/goorm-popcorn-tfstate"
    dynamodb_table = "goorm-popcorn-tf-locks"
    use_lockfile   = true
  }
}
