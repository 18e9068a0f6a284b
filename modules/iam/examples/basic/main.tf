# Basic use of the iam module: roles for three services that may read one named secret.

data "aws_caller_identity" "current" {}

module "iam" {
  source = "../.."

  name     = "popcorn-example"
  services = ["api-gateway", "user", "order"]

  # In the environments this is e.g. the RDS module's master_user_secret_arn.
  secret_arns = ["arn:aws:secretsmanager:ap-northeast-2:${data.aws_caller_identity.current.account_id}:secret:popcorn-example/db-AbCdEf"]
  enable_xray = true
}
