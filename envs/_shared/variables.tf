################################################################################
# Identity and tags
#
# One file for both environments (envs/dev and envs/prod link to it, like every file in envs/_shared/). The
# environments differ only in terraform.tfvars (the profile) and backend.tf (the state key). Defaults are the
# safe, production-grade choice: an environment that forgets a setting gets protection, not a cost trade-off.
################################################################################

variable "region" {
  description = "AWS region of the environment."
  type        = string
  default     = "ap-northeast-2"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as ap-northeast-2."
  }
}

variable "project" {
  description = "Project name: the Project tag and the first part of every resource name."
  type        = string
  default     = "goorm-popcorn"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,12}[a-z0-9]$", var.project))
    error_message = "project must be 2-14 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name (the Environment tag and the last part of the name prefix): dev or prod."
  type        = string

  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be dev or prod (popcorn.toml [environments])."
  }
}

variable "name" {
  description = "Name prefix of every resource, \"<project>-<environment>\" (e.g. goorm-popcorn-dev). Kept as a variable because the seed's module \"monitoring\" snippet passes var.name; validated so the seed's AWS CLI recipes (cluster goorm-popcorn-<env>-cluster, ...) keep working."
  type        = string

  validation {
    condition     = var.name == "${var.project}-${var.environment}"
    error_message = "name must be \"<project>-<environment>\", e.g. goorm-popcorn-dev."
  }

  validation {
    # The longest derived name is the ALB target group "<name>-payment-front" (32-character limit).
    condition     = length(var.name) <= 18
    error_message = "name must be at most 18 characters: \"<name>-payment-front\" is an ALB target group name (32 characters at most)."
  }
}

variable "owner" {
  description = "Value of the Owner tag: the team answerable for these resources."
  type        = string
  default     = "devops"

  validation {
    condition     = length(var.owner) >= 1 && length(var.owner) <= 256
    error_message = "owner must be 1-256 characters (a tag value)."
  }
}

variable "tags" {
  description = "Extra tags for every resource (merged under the standard Project/Environment/ManagedBy/Owner default tags)."
  type        = map(string)
  default     = {}
}

variable "disposable" {
  description = "Throw-away environment (the local sandbox): destroys skip final snapshots and delete automated backups, empty log buckets and discovery services, and KMS keys use the 7-day deletion window. Never true for an environment whose data matters."
  type        = bool
  default     = false
}

################################################################################
# Network
################################################################################

variable "vpc_cidr" {
  description = "IPv4 CIDR of the environment's VPC (/16-/24). Give every environment its own range so they can be peered later."
  type        = string

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && try(tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 24, false)
    error_message = "vpc_cidr must be an IPv4 CIDR between /16 and /24, e.g. 10.10.0.0/16."
  }
}

variable "azs" {
  description = "Availability zones the subnets span, in order (2-4). The ALB and the RDS subnet group need two; prod uses three."
  type        = list(string)

  validation {
    condition     = length(var.azs) >= 2 && length(var.azs) <= 4 && length(distinct(var.azs)) == length(var.azs)
    error_message = "azs must list 2-4 distinct availability zones."
  }

  validation {
    condition     = alltrue([for az in var.azs : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9][a-z]$", az))])
    error_message = "azs entries must be availability zone names such as ap-northeast-2a."
  }
}

variable "workload_az_count" {
  description = "How many of the first AZs host NAT, compute (ECS, Kafka) and data (single-AZ RDS, cache). null = all. Dev uses 1: subnets in two AZs, workloads in one."
  type        = number
  default     = null

  validation {
    condition     = var.workload_az_count == null ? true : try(var.workload_az_count >= 1 && var.workload_az_count <= length(var.azs) && floor(var.workload_az_count) == var.workload_az_count, false)
    error_message = "workload_az_count must be null or a whole number between 1 and length(azs)."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for the whole VPC (dev: cheaper, one AZ of failure) instead of one per workload AZ (prod)."
  type        = bool
  default     = false
}

variable "enable_vpc_endpoints" {
  description = "Create the S3 gateway endpoint and the interface endpoints (ECR, Logs, Secrets Manager, SSM): private AWS API traffic without the NAT gateway. Prod on; dev off (about 7 USD per endpoint and AZ a month)."
  type        = bool
  default     = true
}

variable "enable_vpc_flow_logs" {
  description = "VPC flow logs to CloudWatch Logs (\"/aws/vpc/<name>/flow-logs\") and the REJECT metric filter/alarm (the seed's switch)."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of every log group of the environment (ECS, RDS exports, Kafka, ElastiCache, flow logs, WAF): the seed's dev 7 days, prod 30 days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ...)."
  }
}

################################################################################
# Edge: DNS, ALB, WAF
################################################################################

variable "dns_record_labels" {
  description = "Labels of the ALB alias records in the global zone (global/route53-acm), relative to the zone; \"\" is the zone apex. apex and api route to api-gateway, payment_front to payment-front. Dev uses its own one-level labels (dev, api-dev, pay-dev) so both environments share the zone and the wildcard certificate covers every name."
  type = object({
    apex          = optional(string, "")
    api           = optional(string, "api")
    payment_front = optional(string, "pay")
  })
  default = {}

  validation {
    condition     = alltrue([for l in values(var.dns_record_labels) : l == "" || can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", l))])
    error_message = "dns_record_labels values must be \"\" (the apex) or a single DNS label: the wildcard certificate covers one level only."
  }

  validation {
    condition     = length(distinct(values(var.dns_record_labels))) == 3
    error_message = "dns_record_labels must be three different names."
  }
}

variable "enable_alb_access_logs" {
  description = "ALB access logs to an S3 bucket with lifecycle expiry (the seed's switch). Prod on; dev off to save S3 cost."
  type        = bool
  default     = true
}

variable "alb_access_logs_retention_days" {
  description = "Days after which ALB access-log objects expire."
  type        = number
  default     = 90

  validation {
    condition     = floor(var.alb_access_logs_retention_days) == var.alb_access_logs_retention_days && var.alb_access_logs_retention_days >= 1
    error_message = "alb_access_logs_retention_days must be a whole number of days, 1 or more."
  }
}

variable "enable_waf" {
  description = "Regional WAFv2 web ACL (AWS managed rule groups, per-IP rate limit, logging) on the ALB. Prod on; dev off (about 10 USD a month plus requests)."
  type        = bool
  default     = true
}

variable "enable_deletion_protection" {
  description = "Deletion protection on the ALB and the RDS instance (turn off and apply before a deliberate destroy). Prod on; dev off."
  type        = bool
  default     = true
}

################################################################################
# ECS services
################################################################################

variable "image_tag" {
  description = "Image tag every service runs (ECR repositories are immutable: a release tag or a commit SHA, never latest)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag)) && lower(var.image_tag) != "latest"
    error_message = "image_tag must be a valid Docker tag other than \"latest\" (repositories are immutable; deploy release tags or commit SHAs)."
  }

  validation {
    # Release tags are the ones global/ecr's lifecycle policy never lets dev's build tags push out
    # (release_tag_patterns "*.*.*"); a build tag in prod could expire while prod still runs it.
    condition     = var.environment == "prod" ? can(regex("^v?[0-9]+\\.[0-9]+\\.[0-9]+([-+][0-9A-Za-z.-]+)?$", var.image_tag)) : true
    error_message = "prod deploys release tags only (x.y.z, e.g. 1.4.2): global/ecr expires other tags as dev pushes new builds."
  }
}

variable "image_tag_overrides" {
  description = "Per-service image tag replacing image_tag (e.g. roll one service forward), keyed by service."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, t in var.image_tag_overrides : contains(["api-gateway", "user", "store", "order", "payment", "payment-front", "checkin", "order-query"], k) && can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", t)) && lower(t) != "latest"])
    error_message = "image_tag_overrides keys must be services (api-gateway, user, store, order, payment, payment-front, checkin, order-query) and values valid tags other than latest."
  }

  validation {
    condition     = var.environment == "prod" ? alltrue([for t in values(var.image_tag_overrides) : can(regex("^v?[0-9]+\\.[0-9]+\\.[0-9]+([-+][0-9A-Za-z.-]+)?$", t))]) : true
    error_message = "prod deploys release tags only (x.y.z, e.g. 1.4.2): global/ecr expires other tags as dev pushes new builds."
  }
}

variable "service_sizing" {
  description = "Fargate task size and counts per service (keys: api-gateway, user, store, order, payment, payment-front, checkin, order-query). Missing services and fields get 512 CPU units / 1024 MiB, one task, autoscaling 1-2. min_count <= desired_count <= max_count."
  type = map(object({
    cpu           = optional(number, 512)
    memory        = optional(number, 1024)
    desired_count = optional(number, 1)
    min_count     = optional(number, 1)
    max_count     = optional(number, 2)
  }))
  default = {}

  validation {
    condition     = alltrue([for k in keys(var.service_sizing) : contains(["api-gateway", "user", "store", "order", "payment", "payment-front", "checkin", "order-query"], k)])
    error_message = "service_sizing keys must be services: api-gateway, user, store, order, payment, payment-front, checkin, order-query."
  }

  validation {
    condition     = alltrue([for s in values(var.service_sizing) : s.min_count >= 0 && s.min_count <= s.desired_count && s.desired_count <= s.max_count])
    error_message = "Every service needs min_count <= desired_count <= max_count (and min_count >= 0)."
  }
}

variable "ecs_capacity_provider_strategy" {
  description = "Default Fargate capacity provider strategy of the cluster and every service. Dev: Spot-heavy weights; prod: a FARGATE (on-demand) base per service with Spot taking most of the overflow."
  type = list(object({
    capacity_provider = string
    weight            = optional(number, 1)
    base              = optional(number, 0)
  }))
  default = [
    { capacity_provider = "FARGATE", base = 2, weight = 1 },
    { capacity_provider = "FARGATE_SPOT", weight = 3 },
  ]

  validation {
    condition     = length(var.ecs_capacity_provider_strategy) > 0 && alltrue([for s in var.ecs_capacity_provider_strategy : contains(["FARGATE", "FARGATE_SPOT"], s.capacity_provider)])
    error_message = "ecs_capacity_provider_strategy needs at least one entry, each FARGATE or FARGATE_SPOT."
  }
}

variable "enable_ecs_autoscaling" {
  description = "Target-tracking autoscaling (CPU and memory) for every service whose max_count > min_count."
  type        = bool
  default     = true
}

variable "ecs_ignore_deploy_changes" {
  description = "Terraform ignores the services' task definition and desired count after creation, because a deploy pipeline and autoscaling own them (prod). false: Terraform deploys image_tag itself and resets desired counts on apply (dev). Switching moves the services between two resource addresses; see the ecs module README."
  type        = bool
  default     = true
}

variable "enable_xray_tracing" {
  description = "Run the X-Ray daemon sidecar next to every service and let the task roles send traces."
  type        = bool
  default     = true
}

variable "enable_xray_sampling_rules" {
  description = "Create the X-Ray sampling rules (environment default, health-check exclusions)."
  type        = bool
  default     = true
}

variable "enable_xray_groups" {
  description = "Create the X-Ray groups (environment and per service)."
  type        = bool
  default     = true
}


################################################################################
# Data: RDS PostgreSQL, ElastiCache Valkey
################################################################################

variable "rds" {
  description = "PostgreSQL sizing and availability: engine_version (major or major.minor), instance_class, allocated_storage / max_allocated_storage (GiB, gp3 autoscaling), multi_az (synchronous standby), backup_retention_period (days)."
  type = object({
    engine_version          = optional(string, "16")
    instance_class          = optional(string, "db.m7g.large")
    allocated_storage       = optional(number, 50)
    max_allocated_storage   = optional(number, 200)
    multi_az                = optional(bool, true)
    backup_retention_period = optional(number, 14)
  })
  default = {}

  validation {
    condition     = var.rds.backup_retention_period >= 1 && var.rds.backup_retention_period <= 35
    error_message = "rds.backup_retention_period must be 1-35 days."
  }

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.rds.instance_class)) && can(regex("^1[3-7](\\.[0-9]+)?$", var.rds.engine_version))
    error_message = "rds.instance_class must look like db.t4g.micro and rds.engine_version be a PostgreSQL major 13-17 (optionally with a minor)."
  }
}

variable "enable_rds_performance_insights" {
  description = "RDS Performance Insights (KMS-encrypted, 7 days free)."
  type        = bool
  default     = true
}

variable "enable_rds_custom_parameter_group" {
  description = "Custom RDS parameter group (rds.force_ssl, slow-query and lock logging, pg_stat_statements). Off: the engine default group (which also forces SSL from PostgreSQL 15)."
  type        = bool
  default     = true
}

variable "enable_rds_enhanced_monitoring" {
  description = "RDS Enhanced Monitoring (OS metrics every 60 s to CloudWatch Logs)."
  type        = bool
  default     = true
}

variable "enable_elasticache" {
  description = "Create the Valkey cache at all (when false, services get no SPRING_DATA_REDIS_* settings)."
  type        = bool
  default     = true
}

variable "cache" {
  description = "Valkey sizing: engine_version, node_type, num_cache_clusters (1 = primary only; 2 or more adds replicas with automatic failover and Multi-AZ), snapshot_retention_limit (days)."
  type = object({
    engine_version           = optional(string, "8.0")
    node_type                = optional(string, "cache.m7g.large")
    num_cache_clusters       = optional(number, 2)
    snapshot_retention_limit = optional(number, 7)
  })
  default = {}

  validation {
    condition     = var.cache.num_cache_clusters >= 1 && var.cache.num_cache_clusters <= 6 && floor(var.cache.num_cache_clusters) == var.cache.num_cache_clusters
    error_message = "cache.num_cache_clusters must be a whole number from 1 to 6."
  }

  validation {
    condition     = can(regex("^cache\\.[a-z0-9]+\\.[a-z0-9]+$", var.cache.node_type)) && var.cache.snapshot_retention_limit >= 0 && var.cache.snapshot_retention_limit <= 35
    error_message = "cache.node_type must look like cache.t4g.micro and cache.snapshot_retention_limit be 0-35."
  }
}

################################################################################
# Kafka on EC2
################################################################################

variable "kafka" {
  description = "Kafka (KRaft) sizing: broker_count (odd; 1 in dev, 3 across AZs in prod), instance_type, data_volume_size_gib (encrypted gp3 per broker), kafka_version (pinned), broker_generations (node id -> generation: raising one replaces that broker alone with the current version, settings and instance type; changes to those never touch running brokers by themselves, see the ec2-kafka module README)."
  type = object({
    broker_count         = optional(number, 3)
    instance_type        = optional(string, "m7g.large")
    data_volume_size_gib = optional(number, 100)
    kafka_version        = optional(string, "3.9.1")
    broker_generations   = optional(map(number), {})
  })
  default = {}

  validation {
    condition     = var.kafka.broker_count >= 1 && var.kafka.broker_count <= 9 && var.kafka.broker_count % 2 == 1
    error_message = "kafka.broker_count must be odd, 1-9 (the KRaft controller quorum needs a majority)."
  }

  validation {
    condition     = var.kafka.data_volume_size_gib >= 1 && var.kafka.data_volume_size_gib <= 16384
    error_message = "kafka.data_volume_size_gib must be 1-16384."
  }

  validation {
    condition     = alltrue([for k, g in var.kafka.broker_generations : (can(regex("^[1-9]$", k)) ? tonumber(k) <= var.kafka.broker_count : false) && g >= 0 && floor(g) == g])
    error_message = "kafka.broker_generations keys must be node ids of the cluster (\"1\" to broker_count) and values whole numbers >= 0."
  }
}

variable "enable_kafka_detailed_monitoring" {
  description = "1-minute EC2 detailed monitoring of the brokers."
  type        = bool
  default     = true
}

################################################################################
# Monitoring
################################################################################

variable "alert_email_addresses" {
  description = "E-mail addresses subscribed to the alarm topic \"<name>-alerts\" (the seed's switch). Each address confirms its subscription once (docs/CLOUDWATCH_SETUP.md)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.alert_email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "alert_email_addresses must contain only e-mail addresses."
  }
}

variable "alarm_thresholds" {
  description = "Overrides of the monitoring module's alarm thresholds, by field name (e.g. { ecs_cpu_percent = 70 }); docs/MONITORING.md lists every field and default."
  type        = map(number)
  default     = {}

  validation {
    # The monitoring module's `thresholds` fields (a test keeps this list equal to them): a misspelt key would
    # otherwise be dropped silently and the default kept.
    condition = length(setsubtract(keys(var.alarm_thresholds), [
      "ecs_cpu_percent", "ecs_memory_percent", "ecs_error_logs_per_period",
      "alb_elb_5xx_count", "alb_target_5xx_count", "alb_p99_latency_seconds", "alb_unhealthy_hosts",
      "rds_cpu_percent", "rds_free_storage_gib", "rds_freeable_memory_mib", "rds_connections", "rds_read_latency_ms",
      "rds_write_latency_ms", "elasticache_engine_cpu_percent", "elasticache_memory_percent",
      "elasticache_evictions_per_period", "elasticache_connections", "kafka_cpu_percent", "kafka_memory_percent",
      "kafka_disk_used_percent", "kafka_error_logs_per_period", "nat_packet_drops_per_period",
      "flow_log_rejects_per_period",
    ])) == 0
    error_message = "alarm_thresholds keys must be fields of the monitoring module's thresholds (docs/MONITORING.md), e.g. ecs_cpu_percent."
  }

  validation {
    condition     = alltrue([for v in values(var.alarm_thresholds) : v >= 0])
    error_message = "alarm_thresholds values must be >= 0."
  }
}
