################################################################################
# Settings AWS keeps once per account and region. Every environment shares the account, so they live here and
# nowhere else: an environment that declared one would fight the other environment for it on every apply.
################################################################################

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
}

################################################################################
# X-Ray: trace encryption with a customer managed key (the environments' task roles get kms:GenerateDataKey and
# kms:Decrypt on it through X-Ray; they read the key from this stack's xray_kms_key_arn output).
################################################################################

module "xray" {
  source = "../../modules/xray"

  name     = var.project
  services = {}

  enable_sampling_rules    = false # per environment (envs/*)
  enable_groups            = false # per environment (envs/*)
  enable_encryption_config = var.enable_xray_encryption_config
}

################################################################################
# EBS: encryption by default for every new volume of the account and region
################################################################################

resource "aws_ebs_encryption_by_default" "this" {
  count = var.enable_ebs_encryption_by_default ? 1 : 0

  enabled = true
}

################################################################################
# CloudWatch Logs: one account-level resource policy for AWS log delivery (WAF, ElastiCache)
################################################################################

data "aws_iam_policy_document" "log_delivery" {
  count = var.enable_log_delivery_policy ? 1 : 0

  statement {
    sid     = "AwsLogDeliveryWritesEnvironmentLogGroups"
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [
      for p in var.log_delivery_log_group_patterns : "arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:${p}:log-stream:*"
    ]

    principals {
      type        = "Service"
      identifiers = ["delivery.logs.amazonaws.com"]
    }

    # Confused-deputy protection: only deliveries of this account.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:logs:${var.region}:${local.account_id}:*"]
    }
  }
}

resource "aws_cloudwatch_log_resource_policy" "log_delivery" {
  count = var.enable_log_delivery_policy ? 1 : 0

  policy_name     = "${var.project}-log-delivery"
  policy_document = data.aws_iam_policy_document.log_delivery[0].json
}
