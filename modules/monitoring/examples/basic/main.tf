# The monitoring module only needs identifiers, so this example feeds it fixed, realistic names and creates just the
# log groups its metric filters attach to. In a stack every input comes from another module's output (README).

data "aws_region" "current" {}

locals {
  services = {
    api-gateway  = "${var.name}-api-gateway"
    user-service = "${var.name}-user-service"
  }
}

resource "aws_kms_key" "logs" {
  description             = "Example log groups"
  enable_key_rotation     = true
  deletion_window_in_days = 7
  policy                  = data.aws_iam_policy_document.logs_key.json
}

data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "logs_key" {
  #checkov:skip=CKV_AWS_111:A key policy's Resource "*" means this key only; the statements are scoped by principal.
  #checkov:skip=CKV_AWS_356:Same key policy: "*" is the only valid Resource in a KMS key policy.
  #checkov:skip=CKV_AWS_109:Same key policy: administration is limited to the account root principal.
  statement {
    sid       = "AccountAdministration"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchLogs"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${data.aws_region.current.name}.amazonaws.com"]
    }
  }
}

resource "aws_cloudwatch_log_group" "service" {
  for_each = local.services

  name              = "/aws/ecs/${var.name}/${each.key}"
  retention_in_days = 365
  kms_key_id        = aws_kms_key.logs.arn
}

resource "aws_cloudwatch_log_group" "kafka" {
  name              = "/aws/ec2/${var.name}/kafka"
  retention_in_days = 365
  kms_key_id        = aws_kms_key.logs.arn
}

resource "aws_cloudwatch_log_group" "flow_logs" {
  name              = "/aws/vpc/${var.name}/flow-logs"
  retention_in_days = 365
  kms_key_id        = aws_kms_key.logs.arn
}

module "monitoring" {
  source = "../.."

  # The seed's interface.
  name                   = var.name
  region                 = data.aws_region.current.name
  alert_email_addresses  = ["devops@example.com"]
  alb_arn_suffix         = "app/${var.name}-alb/50dc6c495c0c9188"
  rds_instance_id        = "${var.name}-postgres"
  elasticache_cluster_id = "${var.name}-valkey"

  # Extensions.
  ecs_cluster_name               = "${var.name}-cluster"
  ecs_service_names              = local.services
  ecs_log_group_names            = { for k, g in aws_cloudwatch_log_group.service : k => g.name }
  target_group_arn_suffixes      = { api-gateway = "targetgroup/${var.name}-api/6d0ecf831eec9f09" }
  elasticache_member_cluster_ids = ["${var.name}-valkey-001", "${var.name}-valkey-002"]
  kafka_instance_ids             = ["i-0123456789abcdef0", "i-0123456789abcdef1", "i-0123456789abcdef2"]
  kafka_log_group_name           = aws_cloudwatch_log_group.kafka.name
  nat_gateway_ids                = ["nat-0123456789abcdef0"]
  vpc_flow_log_group_name        = aws_cloudwatch_log_group.flow_logs.name

  enable_ecs_alarms         = true
  enable_alb_alarms         = true
  enable_rds_alarms         = true
  enable_elasticache_alarms = true
  enable_kafka_alarms       = true
  enable_vpc_alarms         = true

  thresholds = {
    ecs_cpu_percent         = 75
    alb_p99_latency_seconds = 1.5
    rds_free_storage_gib    = 2
  }

  tags = { Example = "monitoring-basic" }
}
