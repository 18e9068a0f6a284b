data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name

  log_group_prefix = coalesce(var.log_group_prefix, "/aws/ecs/${var.name}")
  ecr_repository_arns = length(var.ecr_repository_arns) > 0 ? var.ecr_repository_arns : [
    "arn:${local.partition}:ecr:${local.region}:${local.account_id}:repository/*"
  ]

  services = toset(var.services)

  # A task role gets an inline policy only when it would have at least one statement.
  task_policy_services = toset([
    for s in var.services : s
    if var.enable_ecs_exec || var.enable_xray || var.additional_task_role_policy_json != null || contains(keys(var.task_role_policy_jsons), s)
  ])
}

################################################################################
# ECS: trust policy shared by the execution role and the task roles
################################################################################

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    sid     = "EcsTasksAssume"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    # Confused-deputy protection: only ECS tasks of this account and region.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:ecs:${local.region}:${local.account_id}:*"]
    }
  }
}

################################################################################
# ECS task execution role: pull images, write logs, read only the named secrets
################################################################################

data "aws_iam_policy_document" "task_execution" {
  statement {
    sid       = "EcrAuthToken"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # GetAuthorizationToken has no resource-level permissions.
  }

  statement {
    sid = "EcrPull"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
    ]
    resources = local.ecr_repository_arns
  }

  statement {
    sid     = "WriteServiceLogs"
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_prefix}*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_prefix}*:log-stream:*",
    ]
  }

  dynamic "statement" {
    for_each = length(var.secret_arns) > 0 ? [1] : []

    content {
      sid       = "ReadNamedSecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = var.secret_arns
    }
  }

  dynamic "statement" {
    for_each = length(var.ssm_parameter_arns) > 0 ? [1] : []

    content {
      sid       = "ReadNamedParameters"
      actions   = ["ssm:GetParameters"]
      resources = var.ssm_parameter_arns
    }
  }

  dynamic "statement" {
    for_each = length(var.kms_key_arns) > 0 ? [1] : []

    content {
      sid       = "DecryptSecretsViaService"
      actions   = ["kms:Decrypt"]
      resources = var.kms_key_arns

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values = [
          "secretsmanager.${local.region}.amazonaws.com",
          "ssm.${local.region}.amazonaws.com",
        ]
      }
    }
  }
}

resource "aws_iam_role" "task_execution" {
  name                  = "${var.name}-ecs-task-execution"
  description           = "ECS task execution role of ${var.name}: image pulls, log delivery, secret injection."
  assume_role_policy    = data.aws_iam_policy_document.ecs_tasks_assume.json
  permissions_boundary  = var.permissions_boundary_arn
  force_detach_policies = true

  tags = var.tags
}

resource "aws_iam_role_policy" "task_execution" {
  name   = "ecs-task-execution"
  role   = aws_iam_role.task_execution.id
  policy = data.aws_iam_policy_document.task_execution.json
}

################################################################################
# ECS task roles: one per service
################################################################################

data "aws_iam_policy_document" "task" {
  for_each = local.task_policy_services

  source_policy_documents = concat(
    var.additional_task_role_policy_json == null ? [] : [var.additional_task_role_policy_json],
    contains(keys(var.task_role_policy_jsons), each.key) ? [var.task_role_policy_jsons[each.key]] : [],
  )

  dynamic "statement" {
    for_each = var.enable_ecs_exec ? [1] : []

    content {
      sid = "EcsExecChannels"
      actions = [
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
      ]
      resources = ["*"] # Session Manager message channels have no resource-level permissions.
    }
  }

  dynamic "statement" {
    for_each = var.enable_xray ? [1] : []

    content {
      sid = "XRayWrite"
      actions = [
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:GetSamplingStatisticSummaries",
      ]
      resources = ["*"] # These X-Ray actions have no resource-level permissions.
    }
  }
}

resource "aws_iam_role" "task" {
  for_each = local.services

  name                  = "${var.name}-${each.key}-task"
  description           = "ECS task role of the ${each.key} service (${var.name})."
  assume_role_policy    = data.aws_iam_policy_document.ecs_tasks_assume.json
  permissions_boundary  = var.permissions_boundary_arn
  force_detach_policies = true

  tags = merge(var.tags, { Service = each.key })
}

resource "aws_iam_role_policy" "task" {
  for_each = local.task_policy_services

  name   = "${each.key}-task"
  role   = aws_iam_role.task[each.key].id
  policy = data.aws_iam_policy_document.task[each.key].json
}

################################################################################
# Kafka brokers (EC2): SSM Session Manager and CloudWatch agent
################################################################################

data "aws_iam_policy_document" "ec2_assume" {
  count = var.create_kafka_role ? 1 : 0

  statement {
    sid     = "Ec2Assume"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "kafka" {
  count = var.create_kafka_role ? 1 : 0

  name                  = "${var.name}-kafka"
  description           = "EC2 role of the Kafka brokers of ${var.name}: SSM Session Manager and CloudWatch agent."
  assume_role_policy    = data.aws_iam_policy_document.ec2_assume[0].json
  permissions_boundary  = var.permissions_boundary_arn
  force_detach_policies = true

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "kafka" {
  for_each = var.create_kafka_role ? {
    ssm-managed-instance-core = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
    cloudwatch-agent-server   = "arn:${local.partition}:iam::aws:policy/CloudWatchAgentServerPolicy"
  } : {}

  role       = aws_iam_role.kafka[0].name
  policy_arn = each.value
}

resource "aws_iam_instance_profile" "kafka" {
  count = var.create_kafka_role ? 1 : 0

  name = "${var.name}-kafka"
  role = aws_iam_role.kafka[0].name

  tags = var.tags
}

################################################################################
# RDS enhanced monitoring
################################################################################

data "aws_iam_policy_document" "rds_monitoring_assume" {
  count = var.create_rds_monitoring_role ? 1 : 0

  statement {
    sid     = "RdsMonitoringAssume"
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

resource "aws_iam_role" "rds_monitoring" {
  count = var.create_rds_monitoring_role ? 1 : 0

  name                  = "${var.name}-rds-monitoring"
  description           = "Lets RDS enhanced monitoring of ${var.name} publish OS metrics to CloudWatch Logs."
  assume_role_policy    = data.aws_iam_policy_document.rds_monitoring_assume[0].json
  permissions_boundary  = var.permissions_boundary_arn
  force_detach_policies = true

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "rds_monitoring" {
  count = var.create_rds_monitoring_role ? 1 : 0

  role       = aws_iam_role.rds_monitoring[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}
