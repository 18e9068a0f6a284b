data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  partition = data.aws_partition.current.partition

  # X-Ray service names; the ecs module uses the same "<name>-<key>" default for AWS_XRAY_TRACING_NAME.
  tracing_names = { for k in keys(var.services) : k => "${var.name}-${k}" }

  # Rule and group names are limited to 32 characters: keep short names, shorten long ones with a stable hash.
  short = { for n in concat(
    ["${var.name}-default", var.name],
    [for i in range(length(var.excluded_url_paths)) : "${var.name}-nohc-${i}"],
    values(local.tracing_names),
  ) : n => length(n) <= 32 ? n : "${substr(n, 0, 25)}-${substr(md5(n), 0, 6)}" }

  service_rules = {
    for k, s in var.services : k => s if s.fixed_rate != null || s.reservoir_size != null
  }

  create_kms_key = var.enable_encryption_config && var.create_kms_key
  # The trace key: created here, or the key another stack's encryption config uses (passed in so the task role
  # policy below grants it).
  kms_key_arn = local.create_kms_key ? aws_kms_key.this[0].arn : var.kms_key_arn
  # Known at plan time even when the key itself is created in the same apply.
  encrypt_with_kms = local.create_kms_key || var.kms_key_arn != null
}

################################################################################
# Sampling rules
################################################################################

# Health checks: never sampled (highest priority).
resource "aws_xray_sampling_rule" "excluded" {
  for_each = var.enable_sampling_rules ? { for i, p in var.excluded_url_paths : tostring(i) => p } : {}

  rule_name      = local.short["${var.name}-nohc-${each.key}"]
  priority       = 10 + tonumber(each.key)
  version        = 1
  reservoir_size = 0
  fixed_rate     = 0
  url_path       = each.value
  host           = "*"
  http_method    = "*"
  service_type   = "*"
  service_name   = "${var.name}-*"
  resource_arn   = "*"

  tags = var.tags
}

resource "aws_xray_sampling_rule" "service" {
  for_each = var.enable_sampling_rules ? local.service_rules : {}

  rule_name      = local.short[local.tracing_names[each.key]]
  priority       = coalesce(each.value.priority, 1000 + index(sort(keys(local.service_rules)), each.key))
  version        = 1
  reservoir_size = coalesce(each.value.reservoir_size, var.default_reservoir_size)
  fixed_rate     = coalesce(each.value.fixed_rate, var.default_fixed_rate)
  url_path       = each.value.url_path
  host           = "*"
  http_method    = each.value.http_method
  service_type   = "*"
  service_name   = local.tracing_names[each.key]
  resource_arn   = "*"

  tags = merge(var.tags, { Service = each.key })
}

# Environment-wide default for every "<name>-*" service (AWS's own "Default" rule stays the account catch-all).
resource "aws_xray_sampling_rule" "default" {
  count = var.enable_sampling_rules ? 1 : 0

  rule_name      = local.short["${var.name}-default"]
  priority       = 9000
  version        = 1
  reservoir_size = var.default_reservoir_size
  fixed_rate     = var.default_fixed_rate
  url_path       = "*"
  host           = "*"
  http_method    = "*"
  service_type   = "*"
  service_name   = "${var.name}-*"
  resource_arn   = "*"

  tags = var.tags
}

################################################################################
# Groups
################################################################################

resource "aws_xray_group" "environment" {
  count = var.enable_groups && length(var.services) > 0 ? 1 : 0

  group_name        = local.short[var.name]
  filter_expression = join(" OR ", [for n in values(local.tracing_names) : "service(\"${n}\")"])

  insights_configuration {
    insights_enabled      = var.enable_insights
    notifications_enabled = var.enable_insights && var.enable_insights_notifications
  }

  tags = var.tags
}

resource "aws_xray_group" "service" {
  for_each = var.enable_groups ? local.tracing_names : {}

  group_name        = local.short[each.value]
  filter_expression = "service(\"${each.value}\")"

  insights_configuration {
    insights_enabled      = var.enable_insights
    notifications_enabled = var.enable_insights && var.enable_insights_notifications
  }

  tags = merge(var.tags, { Service = each.key })
}

################################################################################
# Encryption (account/region-wide setting)
################################################################################

data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_109:Key policy: "*" is the key itself; AWS's default delegation of the key to the account's IAM policies.
  #checkov:skip=CKV_AWS_111:Key policy: "*" is the key itself; write access is constrained by the IAM policies it delegates to.
  #checkov:skip=CKV_AWS_356:In a key policy "*" can only mean the key itself.
  count = local.create_kms_key ? 1 : 0

  statement {
    sid       = "AccountAdministration"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_kms_key" "this" {
  count = local.create_kms_key ? 1 : 0

  description             = "${var.name} X-Ray trace encryption"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms[0].json

  tags = merge(var.tags, { Name = "${var.name}-xray" })
}

resource "aws_kms_alias" "this" {
  count = local.create_kms_key ? 1 : 0

  name          = "alias/${var.name}-xray"
  target_key_id = aws_kms_key.this[0].key_id
}

resource "aws_xray_encryption_config" "this" {
  count = var.enable_encryption_config ? 1 : 0

  type   = local.encrypt_with_kms ? "KMS" : "NONE"
  key_id = local.kms_key_arn
}

################################################################################
# Task role policy for the X-Ray daemon sidecar / SDKs
################################################################################

data "aws_iam_policy_document" "task" {
  statement {
    sid = "WriteTracesAndReadSampling"
    actions = [
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
      "xray:GetSamplingRules",
      "xray:GetSamplingTargets",
      "xray:GetSamplingStatisticSummaries",
    ]
    # These X-Ray actions support no resource-level permissions.
    resources = ["*"]
  }

  dynamic "statement" {
    for_each = local.encrypt_with_kms ? [local.kms_key_arn] : []

    content {
      sid       = "UseTraceEncryptionKeyViaXRay"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["xray.${data.aws_region.current.name}.${data.aws_partition.current.dns_suffix}"]
      }
    }
  }
}
