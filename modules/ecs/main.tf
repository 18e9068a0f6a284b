data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  cluster_name     = "${var.name}-cluster"
  log_group_prefix = coalesce(var.log_group_prefix, "/aws/ecs/${var.name}")
  exec_log_group   = "${local.log_group_prefix}/exec"
  # Built from the name (known at plan time, like the group's own ARN once created).
  exec_log_group_arn = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.exec_log_group}"

  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  create_kms_key = var.create_kms_key
  kms_key_arn    = local.create_kms_key ? aws_kms_key.this[0].arn : var.log_kms_key_arn
  encrypt_logs   = local.create_kms_key || var.log_kms_key_arn != null

  service_names = { for k, s in var.services : k => "${var.name}-${k}" }

  # The X-Ray daemon gets a small, soft slice of the task; the application container keeps the rest.
  xray_cpu                = 32
  xray_memory_reservation = 64

  container_definitions_raw = {
    for k, s in var.services : k => concat(
      [
        {
          name                   = k
          image                  = s.image
          essential              = true
          privileged             = false
          readonlyRootFilesystem = s.readonly_root_filesystem
          user                   = s.user
          command                = s.command
          entryPoint             = s.entry_point
          stopTimeout            = s.stop_timeout
          portMappings = [{
            containerPort = s.container_port
            hostPort      = s.container_port
            protocol      = "tcp"
          }]
          environment = [
            for ek, ev in merge(
              s.environment,
              local.xray_enabled[k] ? {
                AWS_XRAY_DAEMON_ADDRESS = "127.0.0.1:2000"
                AWS_XRAY_TRACING_NAME   = lookup(var.xray_tracing_names, k, local.service_names[k])
              } : {}
            ) : { name = ek, value = ev }
          ]
          secrets     = [for sk, sv in s.secrets : { name = sk, valueFrom = sv }]
          mountPoints = [for i, p in s.writable_paths : { sourceVolume = "writable-${i}", containerPath = p, readOnly = false }]
          # initProcessEnabled reaps the SSM agent's child processes that ECS Exec starts.
          linuxParameters = { initProcessEnabled = true }
          healthCheck = s.container_health_check == null ? null : {
            command     = s.container_health_check.command
            interval    = s.container_health_check.interval
            timeout     = s.container_health_check.timeout
            retries     = s.container_health_check.retries
            startPeriod = s.container_health_check.start_period
          }
          logConfiguration = {
            logDriver = "awslogs"
            options = {
              awslogs-group         = aws_cloudwatch_log_group.service[k].name
              awslogs-region        = local.region
              awslogs-stream-prefix = k
              mode                  = "non-blocking"
              max-buffer-size       = "25m"
            }
          }
        }
      ],
      local.xray_enabled[k] ? [
        {
          name                   = "xray-daemon"
          image                  = var.xray_daemon_image
          essential              = false
          privileged             = false
          readonlyRootFilesystem = true
          user                   = "1337"
          cpu                    = local.xray_cpu
          memoryReservation      = local.xray_memory_reservation
          portMappings           = [{ containerPort = 2000, hostPort = 2000, protocol = "udp" }]
          environment            = [{ name = "AWS_REGION", value = local.region }]
          logConfiguration = {
            logDriver = "awslogs"
            options = {
              awslogs-group         = aws_cloudwatch_log_group.service[k].name
              awslogs-region        = local.region
              awslogs-stream-prefix = "xray"
            }
          }
        }
      ] : []
    )
  }

  # Drop null attributes so the registered JSON matches what ECS returns (no perpetual diffs).
  container_definitions = {
    for k, defs in local.container_definitions_raw : k => [
      for d in defs : { for dk, dv in d : dk => dv if dv != null }
    ]
  }

  xray_enabled = { for k, s in var.services : k => var.enable_xray_sidecar && s.enable_xray_sidecar }

  # Everything the two service variants share (see aws_ecs_service.this / aws_ecs_service.ignore_deploy).
  service_config = {
    for k, s in var.services : k => {
      capacity_provider_strategy = coalesce(s.capacity_provider_strategy, var.capacity_provider_strategy)
      load_balancer              = s.load_balanced ? [{ target_group_arn = lookup(var.target_group_arns, k, null), container_port = s.container_port }] : []
      service_registry           = contains(keys(var.service_registry_arns), k) ? [var.service_registry_arns[k]] : []
      grace_period               = s.load_balanced ? s.health_check_grace_period_seconds : null
    }
  }

  autoscaled_services = { for k, s in var.services : k => s if var.enable_autoscaling && s.max_count > s.min_count }

  services = merge(aws_ecs_service.this, aws_ecs_service.ignore_deploy)
}

################################################################################
# KMS key for logs and ECS Exec sessions
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
    sid       = "CloudWatchLogsForThisClusterOnly"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_prefix}/*"]
    }
  }
}

resource "aws_kms_key" "this" {
  count = local.create_kms_key ? 1 : 0

  description             = "${var.name} ECS: CloudWatch log groups and ECS Exec sessions"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_key_deletion_window_in_days
  policy                  = data.aws_iam_policy_document.kms[0].json

  tags = merge(var.tags, { Name = "${var.name}-ecs" })
}

resource "aws_kms_alias" "this" {
  count = local.create_kms_key ? 1 : 0

  name          = "alias/${var.name}-ecs"
  target_key_id = aws_kms_key.this[0].key_id
}

################################################################################
# What every task role needs for ECS Exec with this cluster's logging and session key
################################################################################

data "aws_iam_policy_document" "exec_task_role" {
  count = var.enable_execute_command ? 1 : 0

  statement {
    sid = "EcsExecChannels"
    actions = [
      "ssmmessages:CreateControlChannel",
      "ssmmessages:CreateDataChannel",
      "ssmmessages:OpenControlChannel",
      "ssmmessages:OpenDataChannel",
    ]
    resources = ["*"] # Session Manager message channels have no resource-level permissions.
  }

  # The SSM agent in the task checks the group (and, with cloud_watch_encryption_enabled, that it is encrypted).
  statement {
    sid       = "EcsExecFindsItsLogGroup"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["*"] # DescribeLogGroups has no resource-level permissions.
  }

  statement {
    sid     = "EcsExecWritesSessionLogs"
    actions = ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
    resources = [
      local.exec_log_group_arn,
      "${local.exec_log_group_arn}:*",
    ]
  }

  dynamic "statement" {
    for_each = local.encrypt_logs ? [1] : []

    content {
      sid       = "EcsExecSessionKey"
      actions   = ["kms:Decrypt"]
      resources = [local.kms_key_arn]
    }
  }
}

################################################################################
# Cluster
################################################################################

resource "aws_cloudwatch_log_group" "exec" {
  #checkov:skip=CKV_AWS_338:Retention is a validated per-environment input (seed: dev 7 days, prod 30 days); a year of application logs is not required.
  count = var.enable_execute_command ? 1 : 0

  name              = local.exec_log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = local.kms_key_arn

  tags = var.tags
}

resource "aws_ecs_cluster" "this" {
  name = local.cluster_name

  setting {
    name  = "containerInsights"
    value = var.container_insights
  }

  dynamic "configuration" {
    for_each = var.enable_execute_command ? [1] : []

    content {
      execute_command_configuration {
        kms_key_id = local.kms_key_arn
        logging    = "OVERRIDE"

        log_configuration {
          cloud_watch_encryption_enabled = local.encrypt_logs
          cloud_watch_log_group_name     = aws_cloudwatch_log_group.exec[0].name
        }
      }
    }
  }

  tags = merge(var.tags, { Name = local.cluster_name })
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  dynamic "default_capacity_provider_strategy" {
    for_each = var.capacity_provider_strategy

    content {
      capacity_provider = default_capacity_provider_strategy.value.capacity_provider
      weight            = default_capacity_provider_strategy.value.weight
      base              = default_capacity_provider_strategy.value.base
    }
  }
}

################################################################################
# Task definitions
################################################################################

resource "aws_cloudwatch_log_group" "service" {
  #checkov:skip=CKV_AWS_338:Retention is a validated per-environment input (seed: dev 7 days, prod 30 days); a year of application logs is not required.
  for_each = var.services

  name              = "${local.log_group_prefix}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = local.kms_key_arn

  tags = merge(var.tags, { Service = each.key })
}

resource "aws_ecs_task_definition" "this" {
  for_each = var.services

  family                   = local.service_names[each.key]
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(each.value.cpu)
  memory                   = tostring(each.value.memory)
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = lookup(var.task_role_arns, each.key, null)
  container_definitions    = jsonencode(local.container_definitions[each.key])

  # With a deploy pipeline registering revisions, follow the newest ACTIVE revision instead of fighting it.
  track_latest = var.ignore_deploy_changes

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = each.value.cpu_architecture
  }

  # Fargate task storage (ephemeral, encrypted by AWS) for the paths a read-only root filesystem still needs.
  dynamic "volume" {
    for_each = { for i, p in each.value.writable_paths : "writable-${i}" => p }

    content {
      name = volume.key
    }
  }

  tags = merge(var.tags, { Service = each.key })

  lifecycle {
    precondition {
      condition     = !var.enable_execute_command || contains(keys(var.task_role_arns), each.key)
      error_message = "Service ${each.key} has no entry in task_role_arns, but ECS Exec (enable_execute_command) needs a task role with ssmmessages permissions."
    }
  }
}

################################################################################
# Services
#
# Terraform cannot make `lifecycle` dynamic, so the service exists in two variants with identical arguments:
# `this` (Terraform owns task_definition and desired_count) and `ignore_deploy` (a deploy pipeline and autoscaling
# own them). Exactly one of them has instances, selected by var.ignore_deploy_changes. Keep both blocks in sync.
################################################################################

resource "aws_ecs_service" "this" {
  for_each = var.ignore_deploy_changes ? {} : var.services

  name                               = local.service_names[each.key]
  cluster                            = aws_ecs_cluster.this.arn
  task_definition                    = aws_ecs_task_definition.this[each.key].arn
  desired_count                      = each.value.desired_count
  platform_version                   = var.platform_version
  scheduling_strategy                = "REPLICA"
  enable_execute_command             = var.enable_execute_command
  enable_ecs_managed_tags            = true
  propagate_tags                     = "SERVICE"
  health_check_grace_period_seconds  = local.service_config[each.key].grace_period
  deployment_minimum_healthy_percent = var.deployment_minimum_healthy_percent
  deployment_maximum_percent         = var.deployment_maximum_percent
  wait_for_steady_state              = var.wait_for_steady_state
  # Lets a capacity provider strategy change roll the tasks in place; without it the provider replaces the
  # service (delete, then create: every task of it gone at once).
  force_new_deployment = true

  dynamic "capacity_provider_strategy" {
    for_each = local.service_config[each.key].capacity_provider_strategy

    content {
      capacity_provider = capacity_provider_strategy.value.capacity_provider
      weight            = capacity_provider_strategy.value.weight
      base              = capacity_provider_strategy.value.base
    }
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  deployment_controller {
    type = "ECS"
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = var.security_group_ids
    assign_public_ip = false
  }

  dynamic "load_balancer" {
    for_each = local.service_config[each.key].load_balancer

    content {
      target_group_arn = load_balancer.value.target_group_arn
      container_name   = each.key
      container_port   = load_balancer.value.container_port
    }
  }

  dynamic "service_registries" {
    for_each = local.service_config[each.key].service_registry

    content {
      registry_arn = service_registries.value
    }
  }

  tags = merge(var.tags, { Service = each.key })

  lifecycle {
    precondition {
      condition     = !each.value.load_balanced || contains(keys(var.target_group_arns), each.key)
      error_message = "Service ${each.key} is load_balanced but target_group_arns has no entry for it."
    }
  }

  depends_on = [aws_ecs_cluster_capacity_providers.this]
}

resource "aws_ecs_service" "ignore_deploy" {
  for_each = var.ignore_deploy_changes ? var.services : {}

  name                               = local.service_names[each.key]
  cluster                            = aws_ecs_cluster.this.arn
  task_definition                    = aws_ecs_task_definition.this[each.key].arn
  desired_count                      = each.value.desired_count
  platform_version                   = var.platform_version
  scheduling_strategy                = "REPLICA"
  enable_execute_command             = var.enable_execute_command
  enable_ecs_managed_tags            = true
  propagate_tags                     = "SERVICE"
  health_check_grace_period_seconds  = local.service_config[each.key].grace_period
  deployment_minimum_healthy_percent = var.deployment_minimum_healthy_percent
  deployment_maximum_percent         = var.deployment_maximum_percent
  wait_for_steady_state              = var.wait_for_steady_state
  # Lets a capacity provider strategy change roll the tasks in place; without it the provider replaces the
  # service (delete, then create: every task of it gone at once).
  force_new_deployment = true

  dynamic "capacity_provider_strategy" {
    for_each = local.service_config[each.key].capacity_provider_strategy

    content {
      capacity_provider = capacity_provider_strategy.value.capacity_provider
      weight            = capacity_provider_strategy.value.weight
      base              = capacity_provider_strategy.value.base
    }
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  deployment_controller {
    type = "ECS"
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = var.security_group_ids
    assign_public_ip = false
  }

  dynamic "load_balancer" {
    for_each = local.service_config[each.key].load_balancer

    content {
      target_group_arn = load_balancer.value.target_group_arn
      container_name   = each.key
      container_port   = load_balancer.value.container_port
    }
  }

  dynamic "service_registries" {
    for_each = local.service_config[each.key].service_registry

    content {
      registry_arn = service_registries.value
    }
  }

  tags = merge(var.tags, { Service = each.key })

  lifecycle {
    ignore_changes = [task_definition, desired_count]

    precondition {
      condition     = !each.value.load_balanced || contains(keys(var.target_group_arns), each.key)
      error_message = "Service ${each.key} is load_balanced but target_group_arns has no entry for it."
    }
  }

  depends_on = [aws_ecs_cluster_capacity_providers.this]
}

################################################################################
# Autoscaling (target tracking on CPU and memory)
################################################################################

resource "aws_appautoscaling_target" "this" {
  for_each = local.autoscaled_services

  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${local.services[each.key].name}"
  min_capacity       = each.value.min_count
  max_capacity       = each.value.max_count

  tags = merge(var.tags, { Service = each.key })
}

resource "aws_appautoscaling_policy" "cpu" {
  for_each = local.autoscaled_services

  name               = "${local.service_names[each.key]}-cpu-target"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[each.key].service_namespace
  scalable_dimension = aws_appautoscaling_target.this[each.key].scalable_dimension
  resource_id        = aws_appautoscaling_target.this[each.key].resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = each.value.autoscaling.cpu_target_percent
    scale_in_cooldown  = each.value.autoscaling.scale_in_cooldown
    scale_out_cooldown = each.value.autoscaling.scale_out_cooldown

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "memory" {
  for_each = local.autoscaled_services

  name               = "${local.service_names[each.key]}-memory-target"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[each.key].service_namespace
  scalable_dimension = aws_appautoscaling_target.this[each.key].scalable_dimension
  resource_id        = aws_appautoscaling_target.this[each.key].resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = each.value.autoscaling.memory_target_percent
    scale_in_cooldown  = each.value.autoscaling.scale_in_cooldown
    scale_out_cooldown = each.value.autoscaling.scale_out_cooldown

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageMemoryUtilization"
    }
  }
}
