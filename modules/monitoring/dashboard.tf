################################################################################
# Integrated dashboard "<name>-overview": one section per enabled service family, then one row per ECS service.
################################################################################

locals {
  dashboard_name = "${var.name}-overview"

  alarm_arns = [for n in sort(concat(keys(local.metric_alarms), keys(local.running_task_alarms))) :
  "arn:${local.partition}:cloudwatch:${var.region}:${local.account_id}:alarm:${var.name}-${n}"]

  header_row = [{
    height = 2
    widgets = [{
      type = "text"
      properties = {
        markdown = join("\n", [
          "# ${var.name} — integrated overview",
          "Alarms notify SNS topic `${var.name}-alerts`. Sections: ${join(", ", compact([
            var.enable_ecs_alarms ? "ECS" : "", var.enable_alb_alarms ? "ALB" : "", var.enable_rds_alarms ? "RDS" : "",
            var.enable_elasticache_alarms ? "ElastiCache (${coalesce(var.elasticache_cluster_id, "-")})" : "",
            var.enable_kafka_alarms ? "Kafka" : "", var.enable_vpc_alarms ? "VPC" : "",
          ]))}.",
        ])
      }
    }]
  }]

  alarm_row = length(local.alarm_arns) == 0 ? [] : [{
    height = 4
    widgets = [{
      type = "alarm"
      properties = {
        title  = "Alarm status"
        alarms = slice(local.alarm_arns, 0, min(100, length(local.alarm_arns)))
        sortBy = "stateUpdatedTimestamp"
      }
    }]
  }]

  ecs_rows = var.enable_ecs_alarms && length(var.ecs_service_names) > 0 ? [{
    height = 6
    widgets = [
      {
        type = "metric"
        properties = {
          title   = "ECS CPU utilisation (%)", region = var.region, view = "timeSeries", stacked = false, period = 300, stat = "Average"
          metrics = [for k, svc in var.ecs_service_names : ["AWS/ECS", "CPUUtilization", "ClusterName", coalesce(var.ecs_cluster_name, "-"), "ServiceName", svc, { label = k }]]
        }
      },
      {
        type = "metric"
        properties = {
          title   = "ECS memory utilisation (%)", region = var.region, view = "timeSeries", stacked = false, period = 300, stat = "Average"
          metrics = [for k, svc in var.ecs_service_names : ["AWS/ECS", "MemoryUtilization", "ClusterName", coalesce(var.ecs_cluster_name, "-"), "ServiceName", svc, { label = k }]]
        }
      },
      {
        type = "metric"
        properties = {
          title   = "ECS running tasks", region = var.region, view = "timeSeries", stacked = false, period = 300, stat = "Average"
          metrics = [for k, svc in var.ecs_service_names : ["ECS/ContainerInsights", "RunningTaskCount", "ClusterName", coalesce(var.ecs_cluster_name, "-"), "ServiceName", svc, { label = k }]]
        }
      },
    ]
  }] : []

  alb_rows = var.enable_alb_alarms ? [{
    height = 6
    widgets = concat([
      {
        type = "metric"
        properties = {
          title = "ALB requests and 5xx", region = var.region, view = "timeSeries", stacked = false, period = 300, stat = "Sum"
          metrics = [
            ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", coalesce(var.alb_arn_suffix, "-"), { label = "requests" }],
            ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", coalesce(var.alb_arn_suffix, "-"), { label = "ELB 5xx" }],
            ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", coalesce(var.alb_arn_suffix, "-"), { label = "target 5xx" }],
          ]
        }
      },
      {
        type = "metric"
        properties = {
          title = "ALB target response time (s)", region = var.region, view = "timeSeries", stacked = false, period = 300
          metrics = [
            ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", coalesce(var.alb_arn_suffix, "-"), { stat = "p50", label = "p50" }],
            ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", coalesce(var.alb_arn_suffix, "-"), { stat = "p99", label = "p99" }],
          ]
          annotations = { horizontal = [{ label = "p99 alarm", value = local.th.alb_p99_latency_seconds }] }
        }
      },
      ], length(var.target_group_arn_suffixes) == 0 ? [] : [
      {
        type = "metric"
        properties = {
          title   = "Unhealthy targets", region = var.region, view = "timeSeries", stacked = false, period = 60, stat = "Maximum"
          metrics = [for k, tg in var.target_group_arn_suffixes : ["AWS/ApplicationELB", "UnHealthyHostCount", "LoadBalancer", coalesce(var.alb_arn_suffix, "-"), "TargetGroup", tg, { label = k }]]
        }
      }
    ])
  }] : []

  rds_rows = concat(
    var.enable_rds_alarms ? [{
      height = 6
      widgets = [
        for w in [
          { title = "RDS CPU (%)", metric = "CPUUtilization", stat = "Average" },
          { title = "RDS connections", metric = "DatabaseConnections", stat = "Maximum" },
          { title = "RDS free storage (bytes)", metric = "FreeStorageSpace", stat = "Minimum" },
          { title = "RDS freeable memory (bytes)", metric = "FreeableMemory", stat = "Minimum" },
          ] : {
          type = "metric"
          properties = {
            title   = w.title, region = var.region, view = "timeSeries", stacked = false, period = 300, stat = w.stat
            metrics = [["AWS/RDS", w.metric, "DBInstanceIdentifier", coalesce(var.rds_instance_id, "-")]]
          }
        }
      ]
    }] : [],
    var.enable_rds_alarms ? [{
      height = 6
      widgets = [
        for w in [
          { title = "RDS read/write latency (s)", metrics = ["ReadLatency", "WriteLatency"] },
          { title = "RDS IOPS", metrics = ["ReadIOPS", "WriteIOPS"] },
          ] : {
          type = "metric"
          properties = {
            title   = w.title, region = var.region, view = "timeSeries", stacked = false, period = 300, stat = "Average"
            metrics = [for m in w.metrics : ["AWS/RDS", m, "DBInstanceIdentifier", coalesce(var.rds_instance_id, "-"), { label = m }]]
          }
        }
      ]
    }] : [],
  )

  elasticache_rows = var.enable_elasticache_alarms ? [{
    height = 6
    widgets = [
      for w in [
        { title = "ElastiCache engine CPU (%)", metric = "EngineCPUUtilization", stat = "Average" },
        { title = "ElastiCache memory usage (%)", metric = "DatabaseMemoryUsagePercentage", stat = "Average" },
        { title = "ElastiCache evictions", metric = "Evictions", stat = "Sum" },
        { title = "ElastiCache connections", metric = "CurrConnections", stat = "Maximum" },
        ] : {
        type = "metric"
        properties = {
          title   = w.title, region = var.region, view = "timeSeries", stacked = false, period = 300, stat = w.stat
          metrics = [for n, node in local.elasticache_node : ["AWS/ElastiCache", w.metric, "CacheClusterId", node, { label = node }]]
        }
      }
    ]
  }] : []

  kafka_rows = var.enable_kafka_alarms ? [{
    height = 6
    widgets = [
      for w in [
        { title = "Kafka CPU (%)", ns = "AWS/EC2", metric = "CPUUtilization", extra = [] },
        { title = "Kafka memory used (%)", ns = var.kafka_cloudwatch_agent_namespace, metric = "mem_used_percent", extra = [] },
        { title = "Kafka data disk used (%)", ns = var.kafka_cloudwatch_agent_namespace, metric = "disk_used_percent", extra = ["path", var.kafka_data_mount_path] },
        ] : {
        type = "metric"
        properties = {
          title   = w.title, region = var.region, view = "timeSeries", stacked = false, period = 300, stat = "Maximum"
          metrics = [for n, id in local.kafka_instances : concat([w.ns, w.metric, "InstanceId", id], w.extra, [{ label = "broker ${n}" }])]
        }
      }
    ]
  }] : []

  vpc_rows = var.enable_vpc_alarms ? [{
    height = 6
    widgets = concat(
      length(local.nat_gateways) == 0 ? [] : [{
        type = "metric"
        properties = {
          title = "NAT gateway errors and drops", region = var.region, view = "timeSeries", stacked = false, period = 300, stat = "Sum"
          # One row (a list) per metric: CloudWatch rejects a flat list. concat keeps the rows intact.
          metrics = concat(
            [for n, id in local.nat_gateways : ["AWS/NATGateway", "ErrorPortAllocation", "NatGatewayId", id, { label = "port allocation errors ${n}" }]],
            [for n, id in local.nat_gateways : ["AWS/NATGateway", "PacketsDropCount", "NatGatewayId", id, { label = "dropped packets ${n}" }]],
          )
        }
      }],
      var.vpc_flow_log_group_name == null ? [] : [{
        type = "metric"
        properties = {
          title   = "VPC flow log REJECTs", region = var.region, view = "timeSeries", stacked = false, period = 300, stat = "Sum"
          metrics = [[local.namespace, "vpc-flow-log-rejects", { label = "rejected flows" }]]
        }
      }],
    )
  }] : []

  # Per-service widgets: utilisation, error-log count and the latest error lines of each ECS service.
  service_rows = [
    for k, svc in var.ecs_service_names : {
      height = 6
      widgets = concat(
        [{
          type = "metric"
          properties = {
            title = "${k}: CPU / memory (%)", region = var.region, view = "timeSeries", stacked = false, period = 300, stat = "Average"
            metrics = [
              ["AWS/ECS", "CPUUtilization", "ClusterName", coalesce(var.ecs_cluster_name, "-"), "ServiceName", svc, { label = "CPU" }],
              ["AWS/ECS", "MemoryUtilization", "ClusterName", coalesce(var.ecs_cluster_name, "-"), "ServiceName", svc, { label = "memory" }],
            ]
          }
        }],
        contains(keys(var.ecs_log_group_names), k) && var.enable_log_metric_filters ? [{
          type = "metric"
          properties = {
            title   = "${k}: ERROR log lines", region = var.region, view = "timeSeries", stacked = false, period = 300, stat = "Sum"
            metrics = [[local.namespace, "${k}-error-logs", { label = "errors" }]]
          }
        }] : [],
        contains(keys(var.ecs_log_group_names), k) ? [{
          type = "log"
          properties = {
            title  = "${k}: latest errors"
            region = var.region
            view   = "table"
            query  = "SOURCE '${lookup(var.ecs_log_group_names, k, "")}' | fields @timestamp, @logStream, @message | filter @message like /ERROR|FATAL/ | sort @timestamp desc | limit 50"
          }
        }] : [],
      )
    } if var.enable_ecs_alarms
  ]

  dashboard_rows = concat(
    local.header_row, local.alarm_row, local.ecs_rows, local.alb_rows, local.rds_rows, local.elasticache_rows,
    local.kafka_rows, local.vpc_rows, local.service_rows,
  )

  # Lay rows out top to bottom; widgets of a row share the 24 grid columns equally.
  dashboard_widgets = flatten([
    for r, row in local.dashboard_rows : [
      for c, w in row.widgets : merge(w, {
        x      = c * floor(24 / length(row.widgets))
        y      = sum(concat([0], [for prev in slice(local.dashboard_rows, 0, r) : prev.height]))
        width  = floor(24 / length(row.widgets))
        height = row.height
      })
    ]
  ])
}

resource "aws_cloudwatch_dashboard" "this" {
  count = var.enable_dashboard ? 1 : 0

  dashboard_name = local.dashboard_name
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })
}
