data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  identifier    = "${var.name}-postgres"
  major_version = split(".", var.engine_version)[0]
  family        = "postgres${local.major_version}"

  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  create_kms_key = var.create_kms_key
  kms_key_arn    = local.create_kms_key ? aws_kms_key.this[0].arn : var.kms_key_arn

  create_monitoring_role = var.enable_enhanced_monitoring && var.create_monitoring_role
  monitoring_role_arn    = var.enable_enhanced_monitoring ? (local.create_monitoring_role ? aws_iam_role.monitoring[0].arn : var.monitoring_role_arn) : null

  # Clock minutes of both windows, to refuse overlapping (or touching) windows at plan time instead of at CreateDBInstance.
  backup_minutes = [for t in split("-", var.backup_window) : tonumber(split(":", t)[0]) * 60 + tonumber(split(":", t)[1])]
  maint_minutes  = [for t in split("-", var.maintenance_window) : tonumber(split(":", t)[1]) * 60 + tonumber(split(":", t)[2])]
  windows_apart = (
    local.maint_minutes[0] > local.maint_minutes[1] || # maintenance crosses midnight: checked by AWS itself
    local.backup_minutes[1] < local.maint_minutes[0] ||
    local.maint_minutes[1] < local.backup_minutes[0]
  )
}

################################################################################
# KMS key (storage, master secret, Performance Insights, exported logs)
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
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchLogsForThisInstanceOnly"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/rds/instance/${local.identifier}/*"]
    }
  }
}

resource "aws_kms_key" "this" {
  count = local.create_kms_key ? 1 : 0

  description             = "${local.identifier}: storage, master user secret, Performance Insights, logs"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_key_deletion_window_in_days
  policy                  = data.aws_iam_policy_document.kms[0].json

  tags = merge(var.tags, { Name = local.identifier })
}

resource "aws_kms_alias" "this" {
  count = local.create_kms_key ? 1 : 0

  name          = "alias/${local.identifier}"
  target_key_id = aws_kms_key.this[0].key_id
}

################################################################################
# Subnet group, parameter group, log groups, monitoring role
################################################################################

resource "aws_db_subnet_group" "this" {
  name        = local.identifier
  description = "Private data subnets of ${local.identifier}"
  subnet_ids  = var.subnet_ids

  tags = merge(var.tags, { Name = local.identifier })
}

resource "aws_db_parameter_group" "this" {
  count = var.enable_custom_parameter_group ? 1 : 0

  # A name prefix lets a new family (major upgrade) be created before the old group is released.
  name_prefix = "${local.identifier}-${local.family}-"
  family      = local.family
  description = "${local.identifier}: force SSL, slow query and lock logging, pg_stat_statements"

  # Spelled out (not generated) so reviewers and policy scanners see them: TLS only, slow queries, DDL, connections,
  # lock waits, temp files and long autovacuums are logged; pg_stat_statements is preloaded.
  parameter {
    name         = "rds.force_ssl"
    value        = "1"
    apply_method = "immediate"
  }

  parameter {
    name         = "log_min_duration_statement"
    value        = tostring(var.slow_query_log_min_duration_ms)
    apply_method = "immediate"
  }

  parameter {
    name         = "log_statement"
    value        = "ddl"
    apply_method = "immediate"
  }

  parameter {
    name         = "log_connections"
    value        = "1"
    apply_method = "immediate"
  }

  parameter {
    name         = "log_disconnections"
    value        = "1"
    apply_method = "immediate"
  }

  parameter {
    name         = "log_lock_waits"
    value        = "1"
    apply_method = "immediate"
  }

  parameter {
    name         = "log_temp_files"
    value        = "0"
    apply_method = "immediate"
  }

  parameter {
    name         = "log_autovacuum_min_duration"
    value        = "10000"
    apply_method = "immediate"
  }

  parameter {
    name         = "shared_preload_libraries"
    value        = "pg_stat_statements"
    apply_method = "pending-reboot"
  }

  parameter {
    name         = "pg_stat_statements.track"
    value        = "top"
    apply_method = "immediate"
  }

  dynamic "parameter" {
    for_each = var.extra_parameters

    content {
      name         = parameter.key
      value        = parameter.value.value
      apply_method = parameter.value.apply_method
    }
  }

  tags = merge(var.tags, { Name = local.identifier })

  lifecycle {
    create_before_destroy = true
  }
}

# RDS would create these groups itself on first export, without retention or encryption; own them instead.
resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is a validated per-environment input (seed: dev 7 days, prod 30 days); a year of application logs is not required.
  for_each = toset(var.enabled_cloudwatch_logs_exports)

  name              = "/aws/rds/instance/${local.identifier}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = local.kms_key_arn

  tags = var.tags
}

data "aws_iam_policy_document" "monitoring_assume" {
  count = local.create_monitoring_role ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "monitoring" {
  count = local.create_monitoring_role ? 1 : 0

  name_prefix        = "${substr(local.identifier, 0, 26)}-mon-"
  description        = "Enhanced Monitoring of ${local.identifier}"
  assume_role_policy = data.aws_iam_policy_document.monitoring_assume[0].json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "monitoring" {
  count = local.create_monitoring_role ? 1 : 0

  role       = aws_iam_role.monitoring[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

################################################################################
# Instance
################################################################################

resource "aws_db_instance" "this" {
  #checkov:skip=CKV2_AWS_30:Query logging (log_statement, log_min_duration_statement) is set in aws_db_parameter_group.this; Checkov cannot follow its count-indexed reference.
  #checkov:skip=CKV_AWS_157:Multi-AZ is the per-environment input multi_az (prod true; dev false to halve cost, as the seed's dev profile asks).
  identifier = local.identifier

  engine                      = "postgres"
  engine_version              = var.engine_version
  instance_class              = var.instance_class
  allow_major_version_upgrade = false
  auto_minor_version_upgrade  = var.auto_minor_version_upgrade
  parameter_group_name        = var.enable_custom_parameter_group ? aws_db_parameter_group.this[0].name : null
  ca_cert_identifier          = var.ca_cert_identifier

  db_name  = var.db_name
  username = var.master_username
  port     = var.port

  # The password is generated, stored and rotated by RDS in Secrets Manager: nothing secret in variables or state.
  manage_master_user_password         = true
  master_user_secret_kms_key_id       = local.kms_key_arn
  iam_database_authentication_enabled = true

  storage_type          = "gp3"
  allocated_storage     = var.allocated_storage
  max_allocated_storage = var.max_allocated_storage
  iops                  = var.storage_iops
  storage_throughput    = var.storage_throughput
  storage_encrypted     = true
  kms_key_id            = local.kms_key_arn

  multi_az               = var.multi_az
  availability_zone      = var.multi_az ? null : var.availability_zone
  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = var.vpc_security_group_ids
  publicly_accessible    = false

  backup_retention_period   = var.backup_retention_period
  backup_window             = var.backup_window
  maintenance_window        = var.maintenance_window
  copy_tags_to_snapshot     = true
  delete_automated_backups  = var.delete_automated_backups
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = var.skip_final_snapshot
  final_snapshot_identifier = var.skip_final_snapshot ? null : "${var.final_snapshot_identifier_prefix}-${local.identifier}-final"
  apply_immediately         = var.apply_immediately

  performance_insights_enabled          = var.enable_performance_insights
  performance_insights_kms_key_id       = var.enable_performance_insights ? local.kms_key_arn : null
  performance_insights_retention_period = var.enable_performance_insights ? var.performance_insights_retention_period : null

  monitoring_interval = var.enable_enhanced_monitoring ? var.monitoring_interval : 0
  # Spelled out rather than local.monitoring_role_arn so reviewers and scanners see which role it is.
  monitoring_role_arn = var.enable_enhanced_monitoring ? (local.create_monitoring_role ? aws_iam_role.monitoring[0].arn : var.monitoring_role_arn) : null

  enabled_cloudwatch_logs_exports = var.enabled_cloudwatch_logs_exports

  tags = merge(var.tags, { Name = local.identifier })

  lifecycle {
    # The zone only places a single-AZ instance at creation; a later change (or dropping Multi-AZ) must not
    # replace the database. Move it deliberately with a Multi-AZ switch instead.
    ignore_changes = [availability_zone]

    precondition {
      condition     = local.windows_apart
      error_message = "backup_window (${var.backup_window}) and maintenance_window (${var.maintenance_window}) must not overlap or touch."
    }
    precondition {
      condition     = (var.storage_iops == null && var.storage_throughput == null) || var.allocated_storage >= 400
      error_message = "gp3 storage_iops/storage_throughput can only be provisioned from 400 GiB of allocated_storage for PostgreSQL."
    }
  }

  depends_on = [
    aws_cloudwatch_log_group.this,
    aws_iam_role_policy_attachment.monitoring,
  ]
}
