################################################################################
# The seed's interface (README "통합 모니터링 모듈 활성화")
################################################################################

variable "name" {
  description = "Name prefix of the environment, e.g. \"goorm-popcorn-dev\". Every alarm name starts with it; the topic is \"<name>-alerts\", the dashboard \"<name>-overview\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,31}$", var.name)) && !endswith(var.name, "-")
    error_message = "name must be 1-32 characters of lowercase letters, digits and hyphens, and must not start or end with a hyphen."
  }
}

variable "region" {
  description = "AWS region the dashboard widgets query (the stack's region, e.g. ap-northeast-2)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as ap-northeast-2."
  }
}

variable "alert_email_addresses" {
  description = "E-mail addresses subscribed to the alert topic (each must confirm the subscription once)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.alert_email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "alert_email_addresses must contain only e-mail addresses."
  }
}

variable "alb_arn_suffix" {
  description = "ALB ARN suffix \"app/<name>/<id>\" (the alb module's alb_arn_suffix); required when enable_alb_alarms is true."
  type        = string
  default     = null
}

variable "rds_instance_id" {
  description = "DB instance identifier (the rds module's instance_id); required when enable_rds_alarms is true."
  type        = string
  default     = null
}

variable "elasticache_cluster_id" {
  description = "Replication group ID (the elasticache module's cluster_id); shown on the dashboard and used in alarm descriptions."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every taggable resource (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}

################################################################################
# Extensions: ECS, ALB target groups, ElastiCache nodes, Kafka, VPC
################################################################################

variable "ecs_cluster_name" {
  description = "ECS cluster name (the ecs module's cluster_name); required when enable_ecs_alarms is true."
  type        = string
  default     = null
}

variable "ecs_service_names" {
  description = "ECS service name per service key (the ecs module's service_names). Keys must be known at plan time."
  type        = map(string)
  default     = {}
}

variable "ecs_log_group_names" {
  description = "Log group per service key (the ecs module's log_group_names); each gets an ERROR metric filter and alarm when enable_log_metric_filters is true."
  type        = map(string)
  default     = {}
}

variable "target_group_arn_suffixes" {
  description = "Target group ARN suffix per service key (the alb module's target_group_arn_suffixes), for unhealthy-host alarms."
  type        = map(string)
  default     = {}
}

variable "elasticache_member_cluster_ids" {
  description = "Node (cache cluster) IDs of the replication group (the elasticache module's member_cluster_ids); ElastiCache metrics are per node."
  type        = list(string)
  default     = []
}

variable "kafka_instance_ids" {
  description = "Kafka broker instance IDs (the ec2-kafka module's instance_ids). The list length must be known at plan time (it is: one per broker)."
  type        = list(string)
  default     = []
}

variable "kafka_log_group_name" {
  description = "Kafka broker log group (the ec2-kafka module's log_group_name); gets an ERROR metric filter when set and enable_log_metric_filters is true."
  type        = string
  default     = null
}

variable "kafka_cloudwatch_agent_namespace" {
  description = "Namespace of the brokers' CloudWatch agent metrics (the ec2-kafka module's cloudwatch_agent_namespace)."
  type        = string
  default     = "CWAgent"
}

variable "kafka_data_mount_path" {
  description = "Mount point of the brokers' data volume (the ec2-kafka module's data_mount_path): the path dimension of disk_used_percent."
  type        = string
  default     = "/var/lib/kafka"
}

variable "enable_kafka_auto_recovery" {
  description = "Add the EC2 recover action to the brokers' system status check alarms (keeps instance ID, IP and volumes)."
  type        = bool
  default     = true
}

variable "nat_gateway_ids" {
  description = "NAT gateway IDs (the vpc module's nat_gateway_ids) for port-allocation and packet-drop alarms."
  type        = list(string)
  default     = []
}

variable "vpc_flow_log_group_name" {
  description = "VPC flow log group (the vpc module's flow_log_group_name); gets a REJECT metric filter and alarm when set and enable_vpc_alarms is true."
  type        = string
  default     = null
}

variable "vpc_flow_log_reject_pattern" {
  description = "Metric filter pattern counting rejected flows. The default term match works for the default and most custom flow log formats."
  type        = string
  default     = "REJECT"
}

################################################################################
# Toggles per service family (explicit, because counts cannot depend on values only known after apply)
################################################################################

variable "enable_ecs_alarms" {
  description = "Alarms per ECS service: CPU, memory, running < desired tasks (needs Container Insights)."
  type        = bool
  default     = false

  validation {
    condition     = !var.enable_ecs_alarms || var.ecs_cluster_name != null
    error_message = "enable_ecs_alarms needs ecs_cluster_name."
  }
}

variable "enable_alb_alarms" {
  description = "ALB alarms: ELB 5xx, target 5xx, p99 latency, unhealthy hosts per target group."
  type        = bool
  default     = false

  validation {
    condition     = !var.enable_alb_alarms || var.alb_arn_suffix != null
    error_message = "enable_alb_alarms needs alb_arn_suffix."
  }
}

variable "enable_rds_alarms" {
  description = "RDS alarms: CPU, free storage, freeable memory, connections, read and write latency."
  type        = bool
  default     = false

  validation {
    condition     = !var.enable_rds_alarms || var.rds_instance_id != null
    error_message = "enable_rds_alarms needs rds_instance_id."
  }
}

variable "enable_elasticache_alarms" {
  description = "ElastiCache alarms per node: engine CPU, memory usage, evictions, connections."
  type        = bool
  default     = false

  validation {
    condition     = !var.enable_elasticache_alarms || length(var.elasticache_member_cluster_ids) > 0
    error_message = "enable_elasticache_alarms needs elasticache_member_cluster_ids."
  }
}

variable "enable_kafka_alarms" {
  description = "Kafka broker alarms: status checks (with optional auto recovery), CPU, memory and data-disk use from the CloudWatch agent."
  type        = bool
  default     = false

  validation {
    condition     = !var.enable_kafka_alarms || length(var.kafka_instance_ids) > 0
    error_message = "enable_kafka_alarms needs kafka_instance_ids."
  }
}

variable "enable_vpc_alarms" {
  description = "VPC alarms: NAT gateway port-allocation errors and packet drops, flow-log REJECT count."
  type        = bool
  default     = false

  validation {
    condition     = !var.enable_vpc_alarms || length(var.nat_gateway_ids) > 0 || var.vpc_flow_log_group_name != null
    error_message = "enable_vpc_alarms needs nat_gateway_ids or vpc_flow_log_group_name."
  }
}

variable "enable_log_metric_filters" {
  description = "ERROR-line metric filters (and alarms) on every ECS service log group and the Kafka log group."
  type        = bool
  default     = true
}

variable "enable_dashboard" {
  description = "Create the integrated dashboard \"<name>-overview\"."
  type        = bool
  default     = true
}

variable "error_log_pattern" {
  description = "CloudWatch Logs filter pattern of an application error line (plain-text and JSON logs: ERROR or FATAL as a term)."
  type        = string
  default     = "?ERROR ?FATAL"
}

variable "custom_metric_namespace" {
  description = "Namespace of the metrics the log metric filters publish. Defaults to \"Popcorn/<name>\"."
  type        = string
  default     = null
}

################################################################################
# Alerting
################################################################################

variable "sns_kms_key_arn" {
  description = "KMS key ARN of the alert topic. When null and create_kms_key is true, the module creates one whose policy lets CloudWatch publish."
  type        = string
  default     = null

  validation {
    condition     = var.sns_kms_key_arn == null ? true : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.sns_kms_key_arn))
    error_message = "sns_kms_key_arn must be a KMS key ARN."
  }
  validation {
    condition     = var.sns_kms_key_arn == null ? true : !var.create_kms_key
    error_message = "Set create_kms_key = false when passing sns_kms_key_arn (counts cannot depend on an ARN that may be unknown at plan time)."
  }
}

variable "create_kms_key" {
  description = "Create a customer managed KMS key for the alert topic (its policy lets CloudWatch publish). Set false when passing sns_kms_key_arn; never leave the topic on the AWS managed SNS key, which CloudWatch alarms cannot use."
  type        = bool
  default     = true
}

variable "create_events_topic" {
  description = "Create the unencrypted \"<name>-service-events\" topic (same e-mail subscribers) for AWS services that cannot publish to a KMS-encrypted topic, such as ElastiCache event notifications (events_topic_arn)."
  type        = bool
  default     = false
}

variable "additional_alarm_actions" {
  description = "Further ARNs (e.g. a chat-ops topic) notified on ALARM and OK, besides the module's topic."
  type        = list(string)
  default     = []
}

variable "actions_enabled" {
  description = "Whether alarms execute their actions (false silences notifications, e.g. during a migration)."
  type        = bool
  default     = true
}

################################################################################
# Thresholds
################################################################################

variable "evaluation" {
  description = "Default evaluation of the metric alarms: period in seconds, evaluation periods, and datapoints that must breach (M of N)."
  type = object({
    period              = optional(number, 60)
    evaluation_periods  = optional(number, 5)
    datapoints_to_alarm = optional(number, 3)
  })
  default = {}

  validation {
    condition     = contains([10, 30, 60, 120, 180, 240, 300, 600, 900, 1800, 3600], var.evaluation.period) && var.evaluation.datapoints_to_alarm >= 1 && var.evaluation.datapoints_to_alarm <= var.evaluation.evaluation_periods
    error_message = "evaluation.period must be 10, 30 or a multiple of 60 up to 3600, and 1 <= datapoints_to_alarm <= evaluation_periods."
  }
}

variable "thresholds" {
  description = "Alarm thresholds per family; every field has a sane default. Percentages are 0-100, latencies in the unit of their name."
  type = object({
    ecs_cpu_percent           = optional(number, 80)
    ecs_memory_percent        = optional(number, 80)
    ecs_error_logs_per_period = optional(number, 10)

    alb_elb_5xx_count       = optional(number, 10)
    alb_target_5xx_count    = optional(number, 20)
    alb_p99_latency_seconds = optional(number, 2)
    alb_unhealthy_hosts     = optional(number, 0)

    rds_cpu_percent         = optional(number, 80)
    rds_free_storage_gib    = optional(number, 5)
    rds_freeable_memory_mib = optional(number, 128)
    rds_connections         = optional(number, 80)
    rds_read_latency_ms     = optional(number, 20)
    rds_write_latency_ms    = optional(number, 50)

    elasticache_engine_cpu_percent   = optional(number, 80)
    elasticache_memory_percent       = optional(number, 80)
    elasticache_evictions_per_period = optional(number, 100)
    elasticache_connections          = optional(number, 1000)

    kafka_cpu_percent           = optional(number, 80)
    kafka_memory_percent        = optional(number, 90)
    kafka_disk_used_percent     = optional(number, 75)
    kafka_error_logs_per_period = optional(number, 10)

    nat_packet_drops_per_period = optional(number, 100)
    flow_log_rejects_per_period = optional(number, 1000)
  })
  default = {}

  validation {
    condition = alltrue([for v in [
      var.thresholds.ecs_cpu_percent, var.thresholds.ecs_memory_percent, var.thresholds.rds_cpu_percent,
      var.thresholds.elasticache_engine_cpu_percent, var.thresholds.elasticache_memory_percent,
      var.thresholds.kafka_cpu_percent, var.thresholds.kafka_memory_percent, var.thresholds.kafka_disk_used_percent,
    ] : v > 0 && v <= 100])
    error_message = "Percentage thresholds must be in (0, 100]."
  }
  validation {
    condition = alltrue([for v in [
      var.thresholds.ecs_error_logs_per_period, var.thresholds.alb_elb_5xx_count, var.thresholds.alb_target_5xx_count,
      var.thresholds.alb_p99_latency_seconds, var.thresholds.alb_unhealthy_hosts, var.thresholds.rds_free_storage_gib,
      var.thresholds.rds_freeable_memory_mib, var.thresholds.rds_connections, var.thresholds.rds_read_latency_ms,
      var.thresholds.rds_write_latency_ms, var.thresholds.elasticache_evictions_per_period,
      var.thresholds.elasticache_connections, var.thresholds.kafka_error_logs_per_period,
      var.thresholds.nat_packet_drops_per_period, var.thresholds.flow_log_rejects_per_period,
    ] : v >= 0])
    error_message = "Count, size and latency thresholds must be >= 0."
  }
}
