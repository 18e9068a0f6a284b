data "aws_caller_identity" "current" {
  count = var.create ? 1 : 0
}

data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  id        = "${var.name}-valkey"
  major     = split(".", var.engine_version)[0]
  family    = "valkey${local.major}"
  partition = data.aws_partition.current.partition
  region    = data.aws_region.current.name

  automatic_failover = coalesce(var.automatic_failover_enabled, var.num_cache_clusters >= 2)
  multi_az           = coalesce(var.multi_az_enabled, var.num_cache_clusters >= 2) && local.automatic_failover

  create_kms_key = var.create && var.create_kms_key
  kms_key_arn    = local.create_kms_key ? aws_kms_key.this[0].arn : var.kms_key_arn

  token_mode            = var.create && var.auth_mode == "token"
  iam_mode              = var.create && var.auth_mode == "iam"
  create_token_secret   = local.token_mode && var.create_auth_token_secret
  auth_token_secret_arn = local.create_token_secret ? aws_secretsmanager_secret.auth[0].arn : (local.token_mode ? var.auth_token_secret_arn : null)

  log_types = compact([var.enable_slow_log ? "slow-log" : "", var.enable_engine_log ? "engine-log" : ""])

  # ElastiCache names the nodes of a cluster-mode-disabled group "<group id>-001", "-002", ...; computing them here
  # keeps them known at plan time for per-node alarms.
  member_cluster_ids = var.create ? [for i in range(var.num_cache_clusters) : format("%s-%03d", local.id, i + 1)] : []

  snapshot_minutes = [for t in split("-", var.snapshot_window) : tonumber(split(":", t)[0]) * 60 + tonumber(split(":", t)[1])]
  maint_minutes    = [for t in split("-", var.maintenance_window) : tonumber(split(":", t)[1]) * 60 + tonumber(split(":", t)[2])]
  windows_apart = (
    local.maint_minutes[0] > local.maint_minutes[1] ||
    local.snapshot_minutes[1] < local.maint_minutes[0] ||
    local.maint_minutes[1] < local.snapshot_minutes[0]
  )
}

################################################################################
# KMS key (at rest, auth token secret, log groups)
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
      identifiers = ["arn:${local.partition}:iam::${data.aws_caller_identity.current[0].account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchLogsForThisCacheOnly"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${data.aws_caller_identity.current[0].account_id}:log-group:/aws/elasticache/${local.id}/*"]
    }
  }
}

resource "aws_kms_key" "this" {
  count = local.create_kms_key ? 1 : 0

  description             = "${local.id}: at-rest encryption, auth token, logs"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms[0].json

  tags = merge(var.tags, { Name = local.id })
}

resource "aws_kms_alias" "this" {
  count = local.create_kms_key ? 1 : 0

  name          = "alias/${local.id}"
  target_key_id = aws_kms_key.this[0].key_id
}

################################################################################
# Subnet group, parameter group, log groups
################################################################################

resource "aws_elasticache_subnet_group" "this" {
  count = var.create ? 1 : 0

  name        = local.id
  description = "Private data subnets of ${local.id}"
  subnet_ids  = var.subnet_ids

  tags = var.tags
}

resource "aws_elasticache_parameter_group" "this" {
  count = var.create ? 1 : 0

  # The family is part of the name so a major upgrade creates the new group before the old one is released.
  name        = "${local.id}-${local.family}"
  family      = local.family
  description = "${local.id} (${local.family})"

  dynamic "parameter" {
    for_each = merge({ "maxmemory-policy" = var.maxmemory_policy }, var.extra_parameters)

    content {
      name  = parameter.key
      value = parameter.value
    }
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is a validated per-environment input (seed: dev 7 days, prod 30 days); a year of application logs is not required.
  for_each = var.create ? toset(local.log_types) : toset([])

  name              = "/aws/elasticache/${local.id}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = local.kms_key_arn

  tags = var.tags
}

################################################################################
# Authentication: AUTH token from Secrets Manager ...
################################################################################

resource "aws_secretsmanager_secret" "auth" {
  #checkov:skip=CKV2_AWS_57:Rotating an ElastiCache AUTH token needs a coordinated replication-group update; rotation is version-driven (auth_token_version).
  count = local.create_token_secret ? 1 : 0

  name_prefix = "${local.id}/auth-token-"
  description = "AUTH token of the ${local.id} replication group"
  kms_key_id  = local.kms_key_arn

  tags = var.tags
}

ephemeral "aws_secretsmanager_random_password" "auth" {
  count = local.create_token_secret ? 1 : 0

  password_length     = 64
  exclude_punctuation = true
  include_space       = false
}

# Write-only: the generated value never enters this resource's state; bumping auth_token_version writes a new one.
resource "aws_secretsmanager_secret_version" "auth" {
  count = local.create_token_secret ? 1 : 0

  secret_id                = aws_secretsmanager_secret.auth[0].id
  secret_string_wo         = ephemeral.aws_secretsmanager_random_password.auth[0].random_password
  secret_string_wo_version = var.auth_token_version
}

data "aws_secretsmanager_secret_version" "auth" {
  count = local.token_mode ? 1 : 0

  secret_id = local.auth_token_secret_arn

  depends_on = [aws_secretsmanager_secret_version.auth]
}

################################################################################
# ... or IAM authentication through an RBAC user group
################################################################################

resource "aws_elasticache_user" "default" {
  count = local.iam_mode ? 1 : 0

  # Every user group needs a "default" user; this one is switched off.
  user_id       = "${local.id}-default"
  user_name     = "default"
  engine        = "valkey"
  access_string = "off ~* -@all"

  authentication_mode {
    type = "no-password-required"
  }

  tags = var.tags
}

resource "aws_elasticache_user" "app" {
  count = local.iam_mode ? 1 : 0

  # IAM authentication requires user_name == user_id.
  user_id       = "${local.id}-app"
  user_name     = "${local.id}-app"
  engine        = "valkey"
  access_string = var.iam_user_access_string

  authentication_mode {
    type = "iam"
  }

  tags = var.tags
}

resource "aws_elasticache_user_group" "this" {
  count = local.iam_mode ? 1 : 0

  user_group_id = "${local.id}-users"
  engine        = "valkey"
  user_ids      = [aws_elasticache_user.default[0].user_id, aws_elasticache_user.app[0].user_id]

  tags = var.tags
}

################################################################################
# Replication group
################################################################################

resource "aws_elasticache_replication_group" "this" {
  #checkov:skip=CKV2_AWS_50:Automatic failover is derived (on whenever num_cache_clusters >= 2, refused by validation with one node); a single-node dev cache has no replica to fail over to.
  count = var.create ? 1 : 0

  replication_group_id = local.id
  description          = "Valkey cache of ${var.name}"

  engine               = "valkey"
  engine_version       = var.engine_version
  node_type            = var.node_type
  port                 = var.port
  parameter_group_name = aws_elasticache_parameter_group.this[0].name

  num_cache_clusters          = var.num_cache_clusters
  automatic_failover_enabled  = local.automatic_failover
  multi_az_enabled            = local.multi_az
  preferred_cache_cluster_azs = var.preferred_cache_cluster_azs

  subnet_group_name  = aws_elasticache_subnet_group.this[0].name
  security_group_ids = var.security_group_ids

  at_rest_encryption_enabled = true
  kms_key_id                 = local.kms_key_arn
  transit_encryption_enabled = true
  transit_encryption_mode    = "required"

  auth_token                 = local.token_mode ? data.aws_secretsmanager_secret_version.auth[0].secret_string : null
  auth_token_update_strategy = local.token_mode ? "ROTATE" : null
  user_group_ids             = local.iam_mode ? [aws_elasticache_user_group.this[0].user_group_id] : null

  snapshot_retention_limit   = var.snapshot_retention_limit
  snapshot_window            = var.snapshot_window
  maintenance_window         = var.maintenance_window
  final_snapshot_identifier  = var.final_snapshot ? "${local.id}-final" : null
  apply_immediately          = var.apply_immediately
  auto_minor_version_upgrade = var.auto_minor_version_upgrade
  notification_topic_arn     = var.notification_topic_arn

  dynamic "log_delivery_configuration" {
    for_each = aws_cloudwatch_log_group.this

    content {
      destination      = log_delivery_configuration.value.name
      destination_type = "cloudwatch-logs"
      log_format       = "json"
      log_type         = log_delivery_configuration.key
    }
  }

  tags = merge(var.tags, { Name = local.id })

  lifecycle {
    precondition {
      condition     = local.windows_apart
      error_message = "snapshot_window (${var.snapshot_window}) and maintenance_window (${var.maintenance_window}) must not overlap."
    }
  }
}
