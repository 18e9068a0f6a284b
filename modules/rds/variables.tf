################################################################################
# Naming
################################################################################

variable "name" {
  description = "Name prefix, e.g. \"goorm-popcorn-dev\". The instance is \"<name>-postgres\". RDS identifiers must start with a letter, so the prefix must too."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,31}$", var.name)) && !endswith(var.name, "-") && !strcontains(var.name, "--")
    error_message = "name must be 1-32 characters of lowercase letters, digits and hyphens, start with a letter, and contain no trailing or double hyphen (RDS identifier rules)."
  }
}

variable "tags" {
  description = "Tags added to every taggable resource (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}

################################################################################
# Placement
################################################################################

variable "subnet_ids" {
  description = "Private data subnet IDs for the DB subnet group (the vpc module's private_data_subnet_ids); they must span at least two Availability Zones."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "An RDS DB subnet group needs at least two subnets in different Availability Zones."
  }
}

variable "vpc_security_group_ids" {
  description = "Security groups of the instance (the security-groups module's rds_security_group_id)."
  type        = list(string)

  validation {
    condition     = length(var.vpc_security_group_ids) > 0
    error_message = "vpc_security_group_ids must contain at least one security group."
  }
}

variable "availability_zone" {
  description = "AZ of a single-AZ instance (e.g. the environment's workload AZ, so ECS tasks do not cross AZs); ignored when multi_az is true. Null lets RDS choose."
  type        = string
  default     = null
}

variable "multi_az" {
  description = "Run a synchronous standby in a second Availability Zone (prod: true; dev: false to halve the cost)."
  type        = bool
  default     = false
}

################################################################################
# Engine and size
################################################################################

variable "engine_version" {
  description = "PostgreSQL version: a major (\"16\") lets RDS pick the default minor, \"16.4\" pins one. Supported majors: 13-17. The parameter group family follows the major."
  type        = string
  default     = "16"

  validation {
    condition     = can(regex("^1[3-7](\\.[0-9]+)?$", var.engine_version))
    error_message = "engine_version must be a PostgreSQL major 13-17, optionally with a minor (e.g. \"16\" or \"16.4\")."
  }
}

variable "instance_class" {
  description = "DB instance class, e.g. db.t4g.micro (dev) or db.m7g.large (prod)."
  type        = string
  default     = "db.t4g.micro"

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.instance_class))
    error_message = "instance_class must look like db.<family>.<size>, e.g. db.t4g.micro."
  }
}

variable "allocated_storage" {
  description = "Initial gp3 storage in GiB (20-65536). Below 400 GiB gp3 has a fixed 3000 IOPS / 125 MiB/s baseline."
  type        = number
  default     = 20

  validation {
    condition     = var.allocated_storage >= 20 && var.allocated_storage <= 65536
    error_message = "allocated_storage must be 20-65536 GiB for gp3."
  }
}

variable "max_allocated_storage" {
  description = "Upper bound of storage autoscaling in GiB; 0 disables autoscaling. Must be greater than allocated_storage when set."
  type        = number
  default     = 100

  validation {
    condition     = var.max_allocated_storage == 0 || (var.max_allocated_storage > var.allocated_storage && var.max_allocated_storage <= 65536)
    error_message = "max_allocated_storage must be 0 (off) or greater than allocated_storage and at most 65536."
  }
}

variable "storage_iops" {
  description = "Provisioned gp3 IOPS (only allowed from 400 GiB of storage); null keeps the baseline."
  type        = number
  default     = null
}

variable "storage_throughput" {
  description = "Provisioned gp3 throughput in MiB/s (only allowed from 400 GiB of storage, together with storage_iops); null keeps the baseline."
  type        = number
  default     = null
}

variable "db_name" {
  description = "Name of the initial database."
  type        = string
  default     = "popcorn"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,62}$", var.db_name))
    error_message = "db_name must start with a letter and contain 1-63 letters, digits or underscores."
  }
}

variable "master_username" {
  description = "Master user name. The password is generated and rotated by RDS in Secrets Manager (manage_master_user_password); it never appears in variables or state."
  type        = string
  default     = "popcorn_admin"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,62}$", var.master_username)) && !contains(["postgres", "admin", "rdsadmin", "rdsrepladmin"], lower(var.master_username))
    error_message = "master_username must start with a letter, contain 1-63 letters, digits or underscores, and not be a reserved name (postgres, admin, rdsadmin, rdsrepladmin)."
  }
}

variable "port" {
  description = "Port PostgreSQL listens on."
  type        = number
  default     = 5432

  validation {
    condition     = var.port >= 1150 && var.port <= 65535
    error_message = "port must be 1150-65535 (RDS rule)."
  }
}

################################################################################
# Parameter group
################################################################################

variable "enable_custom_parameter_group" {
  description = "Create a custom parameter group (rds.force_ssl = 1, slow-query/lock/connection logging, pg_stat_statements). When false the engine's default group is used (PostgreSQL 15+ already forces SSL there)."
  type        = bool
  default     = true
}

variable "slow_query_log_min_duration_ms" {
  description = "log_min_duration_statement: statements running at least this long (ms) are logged; -1 disables."
  type        = number
  default     = 1000

  validation {
    condition     = var.slow_query_log_min_duration_ms >= -1
    error_message = "slow_query_log_min_duration_ms must be -1 (off) or >= 0."
  }
}

variable "extra_parameters" {
  description = "Additional parameters for the custom parameter group (name -> value and apply method); the module-owned parameters cannot be overridden."
  type = map(object({
    value        = string
    apply_method = optional(string, "immediate")
  }))
  default = {}

  validation {
    condition     = alltrue([for p in values(var.extra_parameters) : contains(["immediate", "pending-reboot"], p.apply_method)])
    error_message = "apply_method must be immediate or pending-reboot."
  }
  validation {
    condition = length(setintersection(keys(var.extra_parameters), [
      "rds.force_ssl", "log_min_duration_statement", "log_statement", "log_connections", "log_disconnections",
      "log_lock_waits", "log_temp_files", "log_autovacuum_min_duration", "shared_preload_libraries", "pg_stat_statements.track",
    ])) == 0
    error_message = "extra_parameters must not repeat a parameter the module sets (rds.force_ssl, the log_* settings, shared_preload_libraries, pg_stat_statements.track)."
  }
}

################################################################################
# Encryption
################################################################################

variable "kms_key_arn" {
  description = "KMS key ARN for storage, the master user secret, Performance Insights and the exported log groups. When null and create_kms_key is true, the module creates one (output kms_key_arn)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null ? true : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
  validation {
    condition     = var.kms_key_arn == null ? true : !var.create_kms_key
    error_message = "Set create_kms_key = false when passing kms_key_arn (counts cannot depend on an ARN that may be unknown at plan time)."
  }
}

variable "create_kms_key" {
  description = "Create a customer managed KMS key (rotation on). Set false when passing kms_key_arn; false without a key uses AWS managed keys (storage stays encrypted)."
  type        = bool
  default     = true
}

variable "kms_key_deletion_window_in_days" {
  description = "Waiting period before a KMS key created by this module is deleted."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_key_deletion_window_in_days >= 7 && var.kms_key_deletion_window_in_days <= 30
    error_message = "kms_key_deletion_window_in_days must be 7-30."
  }
}

################################################################################
# Observability
################################################################################

variable "enable_performance_insights" {
  description = "Turn on Performance Insights (KMS-encrypted)."
  type        = bool
  default     = true
}

variable "performance_insights_retention_period" {
  description = "Performance Insights retention in days: 7 (free tier), 731, or a multiple of 31."
  type        = number
  default     = 7

  validation {
    condition     = var.performance_insights_retention_period == 7 || var.performance_insights_retention_period == 731 || (var.performance_insights_retention_period % 31 == 0 && var.performance_insights_retention_period > 0 && var.performance_insights_retention_period <= 713)
    error_message = "performance_insights_retention_period must be 7, 731, or a multiple of 31 up to 713."
  }
}

variable "enable_enhanced_monitoring" {
  description = "Turn on Enhanced Monitoring (OS metrics to CloudWatch Logs) at monitoring_interval."
  type        = bool
  default     = true
}

variable "monitoring_interval" {
  description = "Enhanced Monitoring interval in seconds when enabled."
  type        = number
  default     = 60

  validation {
    condition     = contains([1, 5, 10, 15, 30, 60], var.monitoring_interval)
    error_message = "monitoring_interval must be one of 1, 5, 10, 15, 30, 60."
  }
}

variable "create_monitoring_role" {
  description = "Create the Enhanced Monitoring role in this module. Set false when passing monitoring_role_arn (e.g. the iam module's rds_monitoring_role_arn, which may be unknown at plan time)."
  type        = bool
  default     = true
}

variable "monitoring_role_arn" {
  description = "Enhanced Monitoring role ARN (the iam module's rds_monitoring_role_arn), used when create_monitoring_role is false."
  type        = string
  default     = null

  validation {
    condition     = var.monitoring_role_arn == null ? true : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.monitoring_role_arn))
    error_message = "monitoring_role_arn must be an IAM role ARN."
  }
  validation {
    condition     = var.monitoring_role_arn == null ? true : !var.create_monitoring_role
    error_message = "Set create_monitoring_role = false when passing monitoring_role_arn."
  }
  validation {
    condition     = var.create_monitoring_role || var.monitoring_role_arn != null || !var.enable_enhanced_monitoring
    error_message = "Enhanced Monitoring needs a role: keep create_monitoring_role = true or pass monitoring_role_arn."
  }
}

variable "enabled_cloudwatch_logs_exports" {
  description = "PostgreSQL logs exported to CloudWatch Logs (\"/aws/rds/instance/<id>/<type>\", created by this module with retention and KMS)."
  type        = list(string)
  default     = ["postgresql", "upgrade"]

  validation {
    condition     = alltrue([for l in var.enabled_cloudwatch_logs_exports : contains(["postgresql", "upgrade", "iam-db-auth-error"], l)])
    error_message = "enabled_cloudwatch_logs_exports may contain postgresql, upgrade and iam-db-auth-error."
  }
}

variable "log_retention_days" {
  description = "Retention of the exported log groups in days (a value CloudWatch Logs accepts)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

################################################################################
# Backups, maintenance, protection
################################################################################

variable "backup_retention_period" {
  description = "Days of automated backups (point-in-time recovery window), 1-35."
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_period >= 1 && var.backup_retention_period <= 35
    error_message = "backup_retention_period must be 1-35 (0 would disable backups)."
  }
}

variable "backup_window" {
  description = "Daily backup window, UTC \"hh24:mi-hh24:mi\" (default 02:00-03:00 KST); at least 30 minutes and neither overlapping nor touching maintenance_window."
  type        = string
  default     = "17:00-18:00"

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", var.backup_window))
    error_message = "backup_window must be hh24:mi-hh24:mi in UTC."
  }
}

variable "maintenance_window" {
  description = "Weekly maintenance window, UTC \"ddd:hh24:mi-ddd:hh24:mi\" (default Monday 04:00-05:00 KST)."
  type        = string
  default     = "sun:19:00-sun:20:00"

  validation {
    condition     = can(regex("^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$", var.maintenance_window))
    error_message = "maintenance_window must be ddd:hh24:mi-ddd:hh24:mi in UTC (e.g. sun:19:00-sun:20:00)."
  }
}

variable "deletion_protection" {
  description = "Refuse deletion of the instance (turn off deliberately before a destroy)."
  type        = bool
  default     = true
}

variable "skip_final_snapshot" {
  description = "Skip the final snapshot on deletion (only for disposable environments)."
  type        = bool
  default     = false
}

variable "delete_automated_backups" {
  description = "Delete the automated backups with the instance (only for disposable environments); false keeps them for their retention period after a deletion."
  type        = bool
  default     = false
}

variable "final_snapshot_identifier_prefix" {
  description = "Prefix of the final snapshot identifier (\"<prefix>-<name>-postgres-final\"). Used unless skip_final_snapshot is true."
  type        = string
  default     = "final"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,20}$", var.final_snapshot_identifier_prefix))
    error_message = "final_snapshot_identifier_prefix must start with a letter and contain up to 21 lowercase letters, digits or hyphens."
  }
}

variable "apply_immediately" {
  description = "Apply modifications immediately instead of in the next maintenance window (may restart the instance)."
  type        = bool
  default     = false
}

variable "auto_minor_version_upgrade" {
  description = "Let RDS apply minor engine upgrades in the maintenance window."
  type        = bool
  default     = true
}

variable "ca_cert_identifier" {
  description = "Certificate authority of the server certificate."
  type        = string
  default     = "rds-ca-rsa2048-g1"
}
