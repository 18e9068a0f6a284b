################################################################################
# Naming and switch
################################################################################

variable "name" {
  description = "Name prefix, e.g. \"goorm-popcorn-dev\". The replication group is \"<name>-valkey\"; ElastiCache IDs must start with a letter."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,31}$", var.name)) && !endswith(var.name, "-") && !strcontains(var.name, "--")
    error_message = "name must be 1-32 characters of lowercase letters, digits and hyphens, start with a letter, and contain no trailing or double hyphen (ElastiCache identifier rules)."
  }
}

variable "tags" {
  description = "Tags added to every taggable resource (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}

variable "create" {
  description = "Create the cache at all (all outputs are null or empty when false)."
  type        = bool
  default     = true
}

################################################################################
# Placement and size
################################################################################

variable "subnet_ids" {
  description = "Private data subnet IDs for the cache subnet group (the vpc module's private_data_subnet_ids)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "subnet_ids must contain at least one subnet."
  }
}

variable "security_group_ids" {
  description = "Security groups of the nodes (the security-groups module's elasticache_security_group_id)."
  type        = list(string)

  validation {
    condition     = length(var.security_group_ids) > 0
    error_message = "security_group_ids must contain at least one security group."
  }
}

variable "engine_version" {
  description = "Valkey version (major.minor): 7.2 or 8.x. The parameter group family follows the major version."
  type        = string
  default     = "8.0"

  validation {
    condition     = can(regex("^(7\\.2|8\\.[0-9])$", var.engine_version))
    error_message = "engine_version must be 7.2 or 8.<minor> (Valkey versions offered by ElastiCache)."
  }
}

variable "node_type" {
  description = "Node instance type, e.g. cache.t4g.micro (dev) or cache.r7g.large (prod)."
  type        = string
  default     = "cache.t4g.micro"

  validation {
    condition     = can(regex("^cache\\.[a-z0-9]+\\.[a-z0-9]+$", var.node_type))
    error_message = "node_type must look like cache.<family>.<size>."
  }
}

variable "num_cache_clusters" {
  description = "Nodes in the replication group: one primary plus replicas (1-6). Automatic failover and Multi-AZ need at least 2."
  type        = number
  default     = 1

  validation {
    condition     = var.num_cache_clusters >= 1 && var.num_cache_clusters <= 6 && floor(var.num_cache_clusters) == var.num_cache_clusters
    error_message = "num_cache_clusters must be a whole number from 1 to 6."
  }
}

variable "automatic_failover_enabled" {
  description = "Promote a replica automatically when the primary fails. Null means \"on exactly when there are at least 2 nodes\"; true with a single node is refused."
  type        = bool
  default     = null

  validation {
    condition     = var.automatic_failover_enabled != true || var.num_cache_clusters >= 2
    error_message = "automatic_failover_enabled needs num_cache_clusters >= 2 (there is no replica to promote)."
  }
}

variable "multi_az_enabled" {
  description = "Place the replicas in other AZs than the primary for failover. Null means \"on exactly when there are at least 2 nodes\"; requires automatic failover."
  type        = bool
  default     = null

  validation {
    condition     = var.multi_az_enabled != true || (var.num_cache_clusters >= 2 && var.automatic_failover_enabled != false)
    error_message = "multi_az_enabled needs num_cache_clusters >= 2 and automatic failover."
  }
}

variable "preferred_cache_cluster_azs" {
  description = "Optional AZ per node (first is the primary); length must equal num_cache_clusters."
  type        = list(string)
  default     = null

  validation {
    condition     = var.preferred_cache_cluster_azs == null ? true : (length(coalesce(var.preferred_cache_cluster_azs, [])) == var.num_cache_clusters)
    error_message = "preferred_cache_cluster_azs must list exactly num_cache_clusters AZs."
  }
}

variable "port" {
  description = "Port the nodes listen on."
  type        = number
  default     = 6379

  validation {
    condition     = var.port >= 1024 && var.port <= 65535
    error_message = "port must be 1024-65535."
  }
}

################################################################################
# Parameters
################################################################################

variable "maxmemory_policy" {
  description = "Eviction policy when memory is full (a cache: allkeys-lru; a store that must not lose keys: noeviction)."
  type        = string
  default     = "allkeys-lru"

  validation {
    condition     = contains(["volatile-lru", "allkeys-lru", "volatile-lfu", "allkeys-lfu", "volatile-random", "allkeys-random", "volatile-ttl", "noeviction"], var.maxmemory_policy)
    error_message = "maxmemory_policy must be a valid Valkey eviction policy."
  }
}

variable "extra_parameters" {
  description = "Additional parameters of the custom parameter group (name -> value), e.g. { \"slowlog-log-slower-than\" = \"5000\" }."
  type        = map(string)
  default     = {}
}

################################################################################
# Security
################################################################################

variable "kms_key_arn" {
  description = "KMS key ARN for at-rest encryption, the auth token secret and the log groups. When null and create_kms_key is true, the module creates one."
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
  description = "Create a customer managed KMS key (rotation on). Set false when passing kms_key_arn; false without a key uses the service key for at-rest encryption."
  type        = bool
  default     = true
}

variable "auth_mode" {
  description = <<-EOT
    How clients authenticate (in-transit encryption is always required):
    - "token": AUTH token kept in Secrets Manager (auth_token_secret_arn, or a secret the module creates with a random
      64-character value written write-only). The replication group's auth_token argument has no write-only variant in
      provider 5.x, so the token is also held, marked sensitive, in the (encrypted) state.
    - "iam": RBAC user group with an IAM-authenticated application user (no password anywhere) and a disabled default user.
  EOT
  type        = string
  default     = "token"

  validation {
    condition     = contains(["token", "iam"], var.auth_mode)
    error_message = "auth_mode must be token or iam."
  }
}

variable "create_auth_token_secret" {
  description = "In token mode, create the AUTH token secret and fill it with a generated token. Set false when passing auth_token_secret_arn."
  type        = bool
  default     = true
}

variable "auth_token_secret_arn" {
  description = "Existing Secrets Manager secret whose SecretString is the AUTH token (16-128 printable characters without @, \" or /), used with create_auth_token_secret = false in token mode."
  type        = string
  default     = null

  validation {
    condition     = var.auth_token_secret_arn == null ? true : can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:", var.auth_token_secret_arn))
    error_message = "auth_token_secret_arn must be a Secrets Manager secret ARN."
  }
  validation {
    condition     = var.auth_token_secret_arn == null ? true : !var.create_auth_token_secret
    error_message = "Set create_auth_token_secret = false when passing auth_token_secret_arn."
  }
}

variable "auth_token_version" {
  description = "Version of the module-generated AUTH token; increment to generate and roll out a new token (ROTATE strategy: old and new token both work until the next change)."
  type        = number
  default     = 1

  validation {
    condition     = var.auth_token_version >= 1
    error_message = "auth_token_version must be >= 1."
  }
}

variable "iam_user_access_string" {
  description = "Access string of the IAM-authenticated application user (auth_mode = \"iam\")."
  type        = string
  default     = "on ~* +@all -@dangerous"
}

################################################################################
# Operations
################################################################################

variable "snapshot_retention_limit" {
  description = "Days of automatic snapshots kept (0 disables snapshots)."
  type        = number
  default     = 7

  validation {
    condition     = var.snapshot_retention_limit >= 0 && var.snapshot_retention_limit <= 35
    error_message = "snapshot_retention_limit must be 0-35."
  }
}

variable "snapshot_window" {
  description = "Daily snapshot window, UTC \"hh24:mi-hh24:mi\" (at least 60 minutes; default 01:00-02:00 KST)."
  type        = string
  default     = "16:00-17:00"

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", var.snapshot_window))
    error_message = "snapshot_window must be hh24:mi-hh24:mi in UTC."
  }
}

variable "maintenance_window" {
  description = "Weekly maintenance window, UTC \"ddd:hh24:mi-ddd:hh24:mi\" (at least 60 minutes; default Monday 03:00-04:00 KST); must not overlap snapshot_window."
  type        = string
  default     = "sun:18:00-sun:19:00"

  validation {
    condition     = can(regex("^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$", var.maintenance_window))
    error_message = "maintenance_window must be ddd:hh24:mi-ddd:hh24:mi in UTC."
  }
}

variable "final_snapshot" {
  description = "Take a final snapshot \"<name>-valkey-final\" when the replication group is deleted."
  type        = bool
  default     = true
}

variable "apply_immediately" {
  description = "Apply modifications immediately instead of in the next maintenance window."
  type        = bool
  default     = false
}

variable "auto_minor_version_upgrade" {
  description = "Apply minor engine upgrades automatically in the maintenance window."
  type        = bool
  default     = true
}

variable "notification_topic_arn" {
  description = "SNS topic for ElastiCache events (failovers, maintenance), e.g. the monitoring module's sns_topic_arn."
  type        = string
  default     = null
}

variable "enable_slow_log" {
  description = "Deliver the slow log to CloudWatch Logs (\"/aws/elasticache/<name>-valkey/slow-log\")."
  type        = bool
  default     = true
}

variable "enable_engine_log" {
  description = "Deliver the engine log to CloudWatch Logs (\"/aws/elasticache/<name>-valkey/engine-log\")."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of the log groups in days (a value CloudWatch Logs accepts)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}
