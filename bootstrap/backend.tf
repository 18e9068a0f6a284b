# This stack creates the bucket and lock table its own state lives in, so its first run cannot use them.
# `popcornctl up` handles that: it applies bootstrap once with a generated, git-ignored local-backend override,
# then runs `terraform init -migrate-state -force-copy` to move the state into the bucket (README: "First run").
# After that this file is used like every other stack's. The bucket and table names must equal the defaults of
# var.state_bucket_name / var.lock_table_name and popcorn.toml's [backend]; tests/hcl/test_conventions.py
# and tests/foundation/test_graph.py check it.
terraform {
  backend "s3" {
    bucket         = "goorm-popcorn-tfstate"
    key            = "bootstrap/terraform.tfstate"
    region         = "ap-northeast-2"
    encrypt        = true
    kms_key_id     = "alias/goorm-popcorn-tfstate"
    dynamodb_table = "goorm-popcorn-tf-locks"
    use_lockfile   = true
  }
}
