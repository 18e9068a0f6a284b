data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  namespace = coalesce(var.custom_metric_namespace, "Popcorn/${var.name}")
  th        = var.thresholds
  ev        = var.evaluation

  create_kms_key = var.create_kms_key
  sns_kms_key    = local.create_kms_key ? aws_kms_key.this[0].arn : var.sns_kms_key_arn

  alarm_actions = concat([aws_sns_topic.this.arn], var.additional_alarm_actions)

  # Indexed maps: for_each keys stay known even when the IDs themselves are only known after apply.
  kafka_instances  = { for i, id in var.kafka_instance_ids : tostring(i + 1) => id }
  nat_gateways     = { for i, id in var.nat_gateway_ids : tostring(i + 1) => id }
  elasticache_node = { for i, id in var.elasticache_member_cluster_ids : tostring(i + 1) => id }

  # Every simple metric alarm, keyed by the alarm name without the "<name>-" prefix. Each entry has the same shape;
  # statistic and extended_statistic are mutually exclusive.
  alarm_defaults = {
    statistic          = "Average"
    extended_statistic = null
    period             = local.ev.period
    evaluation_periods = local.ev.evaluation_periods
    datapoints         = local.ev.datapoints_to_alarm
    comparison         = "GreaterThanThreshold"
    treat_missing      = "missing"
    extra_actions      = []
  }

  ecs_alarms = merge(
    { for k, svc in var.ecs_service_names : "ecs-${k}-cpu" => merge(local.alarm_defaults, {
      family      = "ecs"
      description = "ECS service ${svc}: average CPU above ${local.th.ecs_cpu_percent}%."
      namespace   = "AWS/ECS"
      metric_name = "CPUUtilization"
      dimensions  = { ClusterName = coalesce(var.ecs_cluster_name, "-"), ServiceName = svc }
      threshold   = local.th.ecs_cpu_percent
    }) if var.enable_ecs_alarms },
    { for k, svc in var.ecs_service_names : "ecs-${k}-memory" => merge(local.alarm_defaults, {
      family      = "ecs"
      description = "ECS service ${svc}: average memory above ${local.th.ecs_memory_percent}%."
      namespace   = "AWS/ECS"
      metric_name = "MemoryUtilization"
      dimensions  = { ClusterName = coalesce(var.ecs_cluster_name, "-"), ServiceName = svc }
      threshold   = local.th.ecs_memory_percent
    }) if var.enable_ecs_alarms },
    { for k, lg in var.ecs_log_group_names : "ecs-${k}-error-logs" => merge(local.alarm_defaults, {
      family             = "ecs"
      description        = "ECS service ${k}: more than ${local.th.ecs_error_logs_per_period} ERROR/FATAL log lines in 5 minutes (${lg})."
      namespace          = local.namespace
      metric_name        = "${k}-error-logs"
      dimensions         = {}
      statistic          = "Sum"
      period             = 300
      threshold          = local.th.ecs_error_logs_per_period
      treat_missing      = "notBreaching"
      evaluation_periods = 1
      datapoints         = 1
    }) if var.enable_ecs_alarms && var.enable_log_metric_filters },
  )

  alb_alarms = merge(
    { for k, v in {
      "alb-elb-5xx" = merge(local.alarm_defaults, {
        family        = "alb"
        description   = "ALB: more than ${local.th.alb_elb_5xx_count} load-balancer-generated 5xx responses per period."
        namespace     = "AWS/ApplicationELB"
        metric_name   = "HTTPCode_ELB_5XX_Count"
        dimensions    = { LoadBalancer = coalesce(var.alb_arn_suffix, "-") }
        statistic     = "Sum"
        threshold     = local.th.alb_elb_5xx_count
        treat_missing = "notBreaching"
      })
      "alb-target-5xx" = merge(local.alarm_defaults, {
        family        = "alb"
        description   = "ALB: more than ${local.th.alb_target_5xx_count} 5xx responses from targets per period."
        namespace     = "AWS/ApplicationELB"
        metric_name   = "HTTPCode_Target_5XX_Count"
        dimensions    = { LoadBalancer = coalesce(var.alb_arn_suffix, "-") }
        statistic     = "Sum"
        threshold     = local.th.alb_target_5xx_count
        treat_missing = "notBreaching"
      })
      "alb-p99-latency" = merge(local.alarm_defaults, {
        family             = "alb"
        description        = "ALB: p99 target response time above ${local.th.alb_p99_latency_seconds}s."
        namespace          = "AWS/ApplicationELB"
        metric_name        = "TargetResponseTime"
        dimensions         = { LoadBalancer = coalesce(var.alb_arn_suffix, "-") }
        statistic          = null
        extended_statistic = "p99"
        threshold          = local.th.alb_p99_latency_seconds
        treat_missing      = "notBreaching"
      })
    } : k => v if var.enable_alb_alarms },
    { for k, tg in var.target_group_arn_suffixes : "alb-${k}-unhealthy-hosts" => merge(local.alarm_defaults, {
      family      = "alb"
      description = "ALB target group of ${k}: more than ${local.th.alb_unhealthy_hosts} unhealthy targets."
      namespace   = "AWS/ApplicationELB"
      metric_name = "UnHealthyHostCount"
      dimensions  = { LoadBalancer = coalesce(var.alb_arn_suffix, "-"), TargetGroup = tg }
      statistic   = "Maximum"
      threshold   = local.th.alb_unhealthy_hosts
    }) if var.enable_alb_alarms },
  )

  rds_alarm_specs = {
    cpu             = { metric = "CPUUtilization", threshold = local.th.rds_cpu_percent, comparison = "GreaterThanThreshold", text = "CPU above ${local.th.rds_cpu_percent}%" }
    free-storage    = { metric = "FreeStorageSpace", threshold = local.th.rds_free_storage_gib * 1073741824, comparison = "LessThanThreshold", text = "free storage below ${local.th.rds_free_storage_gib} GiB" }
    freeable-memory = { metric = "FreeableMemory", threshold = local.th.rds_freeable_memory_mib * 1048576, comparison = "LessThanThreshold", text = "freeable memory below ${local.th.rds_freeable_memory_mib} MiB" }
    connections     = { metric = "DatabaseConnections", threshold = local.th.rds_connections, comparison = "GreaterThanThreshold", text = "more than ${local.th.rds_connections} connections" }
    read-latency    = { metric = "ReadLatency", threshold = local.th.rds_read_latency_ms / 1000, comparison = "GreaterThanThreshold", text = "read latency above ${local.th.rds_read_latency_ms} ms" }
    write-latency   = { metric = "WriteLatency", threshold = local.th.rds_write_latency_ms / 1000, comparison = "GreaterThanThreshold", text = "write latency above ${local.th.rds_write_latency_ms} ms" }
  }

  rds_alarms = { for k, s in local.rds_alarm_specs : "rds-${k}" => merge(local.alarm_defaults, {
    family      = "rds"
    description = "RDS ${coalesce(var.rds_instance_id, "-")}: ${s.text}."
    namespace   = "AWS/RDS"
    metric_name = s.metric
    dimensions  = { DBInstanceIdentifier = coalesce(var.rds_instance_id, "-") }
    comparison  = s.comparison
    threshold   = s.threshold
  }) if var.enable_rds_alarms }

  elasticache_alarm_specs = {
    engine-cpu  = { metric = "EngineCPUUtilization", statistic = "Average", threshold = local.th.elasticache_engine_cpu_percent, text = "engine CPU above ${local.th.elasticache_engine_cpu_percent}%" }
    memory      = { metric = "DatabaseMemoryUsagePercentage", statistic = "Average", threshold = local.th.elasticache_memory_percent, text = "memory usage above ${local.th.elasticache_memory_percent}%" }
    evictions   = { metric = "Evictions", statistic = "Sum", threshold = local.th.elasticache_evictions_per_period, text = "more than ${local.th.elasticache_evictions_per_period} evictions per period" }
    connections = { metric = "CurrConnections", statistic = "Maximum", threshold = local.th.elasticache_connections, text = "more than ${local.th.elasticache_connections} connections" }
  }

  elasticache_alarms = merge([
    for n, node in local.elasticache_node : {
      for k, s in local.elasticache_alarm_specs : "elasticache-${n}-${k}" => merge(local.alarm_defaults, {
        family      = "elasticache"
        description = "ElastiCache ${coalesce(var.elasticache_cluster_id, "-")} node ${node}: ${s.text}."
        namespace   = "AWS/ElastiCache"
        metric_name = s.metric
        dimensions  = { CacheClusterId = node }
        statistic   = s.statistic
        threshold   = s.threshold
      })
    } if var.enable_elasticache_alarms
  ]...)

  kafka_alarms = merge(merge([
    for n, id in local.kafka_instances : {
      "kafka-${n}-status-check" = merge(local.alarm_defaults, {
        family             = "kafka"
        description        = "Kafka broker ${n}: an EC2 instance or system status check is failing."
        namespace          = "AWS/EC2"
        metric_name        = "StatusCheckFailed"
        dimensions         = { InstanceId = id }
        statistic          = "Maximum"
        comparison         = "GreaterThanOrEqualToThreshold"
        threshold          = 1
        evaluation_periods = 2
        datapoints         = 2
        treat_missing      = "breaching"
      })
      "kafka-${n}-system-status" = merge(local.alarm_defaults, {
        family             = "kafka"
        description        = "Kafka broker ${n}: the system status check is failing (underlying host)${var.enable_kafka_auto_recovery ? "; EC2 recovers the instance" : ""}."
        namespace          = "AWS/EC2"
        metric_name        = "StatusCheckFailed_System"
        dimensions         = { InstanceId = id }
        statistic          = "Maximum"
        comparison         = "GreaterThanOrEqualToThreshold"
        threshold          = 1
        evaluation_periods = 2
        datapoints         = 2
        extra_actions      = var.enable_kafka_auto_recovery ? ["arn:${local.partition}:automate:${var.region}:ec2:recover"] : []
      })
      "kafka-${n}-cpu" = merge(local.alarm_defaults, {
        family      = "kafka"
        description = "Kafka broker ${n}: CPU above ${local.th.kafka_cpu_percent}%."
        namespace   = "AWS/EC2"
        metric_name = "CPUUtilization"
        dimensions  = { InstanceId = id }
        threshold   = local.th.kafka_cpu_percent
      })
      "kafka-${n}-memory" = merge(local.alarm_defaults, {
        family      = "kafka"
        description = "Kafka broker ${n}: memory use above ${local.th.kafka_memory_percent}% (CloudWatch agent)."
        namespace   = var.kafka_cloudwatch_agent_namespace
        metric_name = "mem_used_percent"
        dimensions  = { InstanceId = id }
        threshold   = local.th.kafka_memory_percent
      })
      "kafka-${n}-data-disk" = merge(local.alarm_defaults, {
        family      = "kafka"
        description = "Kafka broker ${n}: data volume ${var.kafka_data_mount_path} more than ${local.th.kafka_disk_used_percent}% full (CloudWatch agent)."
        namespace   = var.kafka_cloudwatch_agent_namespace
        metric_name = "disk_used_percent"
        dimensions  = { InstanceId = id, path = var.kafka_data_mount_path }
        statistic   = "Maximum"
        threshold   = local.th.kafka_disk_used_percent
      })
    } if var.enable_kafka_alarms
    ]...),
    { for k, v in {
      "kafka-error-logs" = merge(local.alarm_defaults, {
        family             = "kafka"
        description        = "Kafka brokers: more than ${local.th.kafka_error_logs_per_period} ERROR/FATAL log lines in 5 minutes."
        namespace          = local.namespace
        metric_name        = "kafka-error-logs"
        dimensions         = {}
        statistic          = "Sum"
        period             = 300
        evaluation_periods = 1
        datapoints         = 1
        threshold          = local.th.kafka_error_logs_per_period
        treat_missing      = "notBreaching"
      })
  } : k => v if var.enable_kafka_alarms && var.enable_log_metric_filters && var.kafka_log_group_name != null })

  vpc_alarms = merge(merge([
    for n, id in local.nat_gateways : {
      "vpc-nat-${n}-port-allocation-errors" = merge(local.alarm_defaults, {
        family             = "vpc"
        description        = "NAT gateway ${id}: port allocation errors (source port exhaustion)."
        namespace          = "AWS/NATGateway"
        metric_name        = "ErrorPortAllocation"
        dimensions         = { NatGatewayId = id }
        statistic          = "Sum"
        threshold          = 0
        period             = 300
        evaluation_periods = 1
        datapoints         = 1
        treat_missing      = "notBreaching"
      })
      "vpc-nat-${n}-packet-drops" = merge(local.alarm_defaults, {
        family             = "vpc"
        description        = "NAT gateway ${id}: more than ${local.th.nat_packet_drops_per_period} dropped packets in 5 minutes."
        namespace          = "AWS/NATGateway"
        metric_name        = "PacketsDropCount"
        dimensions         = { NatGatewayId = id }
        statistic          = "Sum"
        threshold          = local.th.nat_packet_drops_per_period
        period             = 300
        evaluation_periods = 1
        datapoints         = 1
        treat_missing      = "notBreaching"
      })
    } if var.enable_vpc_alarms
    ]...),
    { for k, v in {
      "vpc-flow-log-rejects" = merge(local.alarm_defaults, {
        family             = "vpc"
        description        = "VPC flow logs: more than ${local.th.flow_log_rejects_per_period} rejected flows in 5 minutes (scan or misconfigured security group?)."
        namespace          = local.namespace
        metric_name        = "vpc-flow-log-rejects"
        dimensions         = {}
        statistic          = "Sum"
        threshold          = local.th.flow_log_rejects_per_period
        period             = 300
        evaluation_periods = 1
        datapoints         = 1
        treat_missing      = "notBreaching"
      })
  } : k => v if var.enable_vpc_alarms && var.vpc_flow_log_group_name != null })

  metric_alarms = merge(local.ecs_alarms, local.alb_alarms, local.rds_alarms, local.elasticache_alarms, local.kafka_alarms, local.vpc_alarms)

  running_task_alarms = { for k, svc in var.ecs_service_names : "ecs-${k}-running-tasks" => svc if var.enable_ecs_alarms }

  all_alarm_keys = concat(keys(local.metric_alarms), keys(local.running_task_alarms))
  alarm_names_by_family = {
    for f in ["ecs", "alb", "rds", "elasticache", "kafka", "vpc"] : f => sort(concat(
      [for k, a in local.metric_alarms : "${var.name}-${k}" if a.family == f],
      f == "ecs" ? [for k in keys(local.running_task_alarms) : "${var.name}-${k}"] : [],
    ))
  }
}

################################################################################
# Alert topic (KMS-encrypted; CloudWatch may use the key and publish)
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
    sid       = "CloudWatchAlarmsPublishEncrypted"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_kms_key" "this" {
  count = local.create_kms_key ? 1 : 0

  description             = "${var.name} alert topic"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms[0].json

  tags = merge(var.tags, { Name = "${var.name}-alerts" })
}

resource "aws_kms_alias" "this" {
  count = local.create_kms_key ? 1 : 0

  name          = "alias/${var.name}-alerts"
  target_key_id = aws_kms_key.this[0].key_id
}

resource "aws_sns_topic" "this" {
  name              = "${var.name}-alerts"
  display_name      = "${var.name} alerts"
  kms_master_key_id = local.sns_kms_key

  tags = var.tags
}

data "aws_iam_policy_document" "topic" {
  statement {
    sid       = "AccountOwner"
    actions   = ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:ListSubscriptionsByTopic"]
    resources = [aws_sns_topic.this.arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchAlarms"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.this.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "this" {
  arn    = aws_sns_topic.this.arn
  policy = data.aws_iam_policy_document.topic.json
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alert_email_addresses)

  topic_arn = aws_sns_topic.this.arn
  protocol  = "email"
  endpoint  = each.value
}

################################################################################
# Service event topic: for AWS services that cannot publish to an encrypted topic. ElastiCache marks an encrypted
# topic "inactive" and drops its events (failovers, node replacements), and needs AWS:SourceOwner in the topic
# policy (not aws:SourceAccount). Event notices carry no data, only resource names and event types.
################################################################################

resource "aws_sns_topic" "events" {
  #checkov:skip=CKV_AWS_26:ElastiCache cannot publish to an encrypted topic (it marks it inactive); this topic carries only ElastiCache event notices (resource names, event types), the encrypted alerts topic carries the alarms.
  count = var.create_events_topic ? 1 : 0

  name         = "${var.name}-service-events"
  display_name = "${var.name} service events"

  tags = var.tags
}

data "aws_iam_policy_document" "events_topic" {
  count = var.create_events_topic ? 1 : 0

  statement {
    sid       = "AccountOwner"
    actions   = ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:ListSubscriptionsByTopic"]
    resources = [aws_sns_topic.events[0].arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # The statement ElastiCache documents for event notifications: publishing on behalf of this account only.
  statement {
    sid       = "ElastiCacheEventNotifications"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.events[0].arn]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceOwner"
      values   = [local.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "events" {
  count = var.create_events_topic ? 1 : 0

  arn    = aws_sns_topic.events[0].arn
  policy = data.aws_iam_policy_document.events_topic[0].json
}

resource "aws_sns_topic_subscription" "events_email" {
  for_each = var.create_events_topic ? toset(var.alert_email_addresses) : toset([])

  topic_arn = aws_sns_topic.events[0].arn
  protocol  = "email"
  endpoint  = each.value
}

################################################################################
# Log metric filters: ERROR lines per service, Kafka errors, VPC REJECTs
################################################################################

resource "aws_cloudwatch_log_metric_filter" "ecs_errors" {
  for_each = var.enable_log_metric_filters ? var.ecs_log_group_names : {}

  name           = "${var.name}-${each.key}-error-logs"
  log_group_name = each.value
  pattern        = var.error_log_pattern

  metric_transformation {
    name          = "${each.key}-error-logs"
    namespace     = local.namespace
    value         = "1"
    default_value = "0"
    unit          = "Count"
  }
}

resource "aws_cloudwatch_log_metric_filter" "kafka_errors" {
  count = var.enable_kafka_alarms && var.enable_log_metric_filters && var.kafka_log_group_name != null ? 1 : 0

  name           = "${var.name}-kafka-error-logs"
  log_group_name = var.kafka_log_group_name
  pattern        = var.error_log_pattern

  metric_transformation {
    name          = "kafka-error-logs"
    namespace     = local.namespace
    value         = "1"
    default_value = "0"
    unit          = "Count"
  }
}

resource "aws_cloudwatch_log_metric_filter" "flow_log_rejects" {
  count = var.enable_vpc_alarms && var.vpc_flow_log_group_name != null ? 1 : 0

  name           = "${var.name}-vpc-flow-log-rejects"
  log_group_name = var.vpc_flow_log_group_name
  pattern        = var.vpc_flow_log_reject_pattern

  metric_transformation {
    name          = "vpc-flow-log-rejects"
    namespace     = local.namespace
    value         = "1"
    default_value = "0"
    unit          = "Count"
  }
}

################################################################################
# Alarms
################################################################################

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.metric_alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric_name
  dimensions          = length(each.value.dimensions) > 0 ? each.value.dimensions : null
  statistic           = each.value.statistic
  extended_statistic  = each.value.extended_statistic
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  period              = each.value.period
  evaluation_periods  = each.value.evaluation_periods
  datapoints_to_alarm = each.value.datapoints
  treat_missing_data  = each.value.treat_missing

  actions_enabled = var.actions_enabled
  alarm_actions   = concat(local.alarm_actions, each.value.extra_actions)
  ok_actions      = local.alarm_actions

  tags = merge(var.tags, { AlarmFamily = each.value.family })

  depends_on = [
    aws_cloudwatch_log_metric_filter.ecs_errors,
    aws_cloudwatch_log_metric_filter.kafka_errors,
    aws_cloudwatch_log_metric_filter.flow_log_rejects,
  ]
}

# Running < desired needs metric math over two Container Insights metrics, so it has its own resource.
resource "aws_cloudwatch_metric_alarm" "running_tasks" {
  for_each = local.running_task_alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = "ECS service ${each.value}: fewer running tasks than desired for ${local.ev.evaluation_periods} periods (failed deployments, crash loops, capacity)."
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = local.ev.evaluation_periods
  datapoints_to_alarm = local.ev.evaluation_periods
  treat_missing_data  = "missing"

  metric_query {
    id          = "missing_tasks"
    expression  = "desired - running"
    label       = "Desired minus running tasks"
    return_data = true
  }

  metric_query {
    id = "desired"

    metric {
      namespace   = "ECS/ContainerInsights"
      metric_name = "DesiredTaskCount"
      dimensions  = { ClusterName = coalesce(var.ecs_cluster_name, "-"), ServiceName = each.value }
      period      = local.ev.period
      stat        = "Average"
    }
  }

  metric_query {
    id = "running"

    metric {
      namespace   = "ECS/ContainerInsights"
      metric_name = "RunningTaskCount"
      dimensions  = { ClusterName = coalesce(var.ecs_cluster_name, "-"), ServiceName = each.value }
      period      = local.ev.period
      stat        = "Average"
    }
  }

  actions_enabled = var.actions_enabled
  alarm_actions   = local.alarm_actions
  ok_actions      = local.alarm_actions

  tags = merge(var.tags, { AlarmFamily = "ecs" })
}
