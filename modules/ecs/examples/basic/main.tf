# Minimal, self-contained scaffolding (network, roles, load balancer, Cloud Map) so this example plans and applies on
# its own. Real stacks take all of it from the vpc, security-groups, iam, alb and cloudmap modules.

locals {
  name = var.name

  services = {
    api-gateway = {
      image             = "public.ecr.aws/nginx/nginx:1.27-alpine"
      cpu               = 256
      memory            = 512
      container_port    = 8080
      desired_count     = 1
      min_count         = 1
      max_count         = 3
      health_check_path = "/actuator/health"
      load_balanced     = true
      path_patterns     = ["/*"]
      priority          = 100
      environment       = { SPRING_PROFILES_ACTIVE = "example" }
      secrets           = { DB_PASSWORD = "arn:aws:ssm:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:parameter${aws_ssm_parameter.db_password.name}" }
    }
    user-service = {
      image            = "public.ecr.aws/nginx/nginx:1.27-alpine"
      cpu              = 512
      memory           = 1024
      container_port   = 8080
      desired_count    = 1
      min_count        = 1
      max_count        = 2
      cpu_architecture = "ARM64"
      writable_paths   = ["/tmp", "/var/cache/nginx"]
      capacity_provider_strategy = [
        { capacity_provider = "FARGATE_SPOT", weight = 1 },
      ]
    }
  }
}

data "aws_availability_zones" "available" {
  state = "available"
}

data "aws_region" "current" {}

#------------------------------------------------------------------------------
# Network (two private subnets, no internet path: an internal-only example)
#------------------------------------------------------------------------------

resource "aws_vpc" "this" {
  #checkov:skip=CKV2_AWS_11:Throwaway example VPC; flow logs are enabled by modules/vpc in real stacks.
  cidr_block           = "10.42.0.0/16"
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = { Name = "${local.name}-vpc" }
}

resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id
}

resource "aws_subnet" "private" {
  count = 2

  vpc_id            = aws_vpc.this.id
  cidr_block        = cidrsubnet(aws_vpc.this.cidr_block, 8, count.index)
  availability_zone = data.aws_availability_zones.available.names[count.index]

  tags = { Name = "${local.name}-private-${count.index}" }
}

resource "aws_security_group" "alb" {
  name        = "${local.name}-alb"
  description = "Internal example ALB"
  vpc_id      = aws_vpc.this.id

  tags = { Name = "${local.name}-alb" }
}

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTP from inside the VPC"
  cidr_ipv4         = aws_vpc.this.cidr_block
  from_port         = 80
  to_port           = 80
  ip_protocol       = "tcp"
}

resource "aws_vpc_security_group_egress_rule" "alb_to_tasks" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To the tasks"
  referenced_security_group_id = aws_security_group.tasks.id
  from_port                    = 8080
  to_port                      = 8080
  ip_protocol                  = "tcp"
}

resource "aws_security_group" "tasks" {
  #checkov:skip=CKV2_AWS_5:Attached to the ECS services inside module.ecs (security_group_ids); Checkov does not always follow the reference into the module.
  name        = "${local.name}-tasks"
  description = "Example ECS tasks"
  vpc_id      = aws_vpc.this.id

  tags = { Name = "${local.name}-tasks" }
}

resource "aws_vpc_security_group_ingress_rule" "tasks_from_alb" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "App port from the ALB"
  referenced_security_group_id = aws_security_group.alb.id
  from_port                    = 8080
  to_port                      = 8080
  ip_protocol                  = "tcp"
}

resource "aws_vpc_security_group_egress_rule" "tasks_https" {
  security_group_id = aws_security_group.tasks.id
  description       = "HTTPS to AWS APIs (ECR, Logs, Secrets Manager, SSM) inside the VPC"
  cidr_ipv4         = aws_vpc.this.cidr_block
  from_port         = 443
  to_port           = 443
  ip_protocol       = "tcp"
}

#------------------------------------------------------------------------------
# Internal ALB with one target group for the routed service
#------------------------------------------------------------------------------

resource "aws_lb" "this" {
  #checkov:skip=CKV_AWS_91:Example ALB; access logs are configured by modules/alb.
  #checkov:skip=CKV2_AWS_28:Internal example ALB; WAF is attached by modules/alb to the public ALB.
  #checkov:skip=CKV2_AWS_20:Internal example ALB without a certificate; modules/alb redirects HTTP to HTTPS.
  name                       = "${local.name}-alb"
  internal                   = true
  load_balancer_type         = "application"
  security_groups            = [aws_security_group.alb.id]
  subnets                    = aws_subnet.private[*].id
  drop_invalid_header_fields = true
  enable_deletion_protection = false #checkov:skip=CKV_AWS_150:Example must be destroyable; modules/alb enables deletion protection.
}

resource "aws_lb_target_group" "api_gateway" {
  #checkov:skip=CKV_AWS_378:TLS ends at the load balancer; tasks in private subnets are reached over HTTP inside the VPC (as in modules/alb).
  name        = "${local.name}-api"
  port        = 8080
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = aws_vpc.this.id

  health_check {
    path    = local.services["api-gateway"].health_check_path
    matcher = "200"
  }
}

resource "aws_lb_listener" "http" {
  #checkov:skip=CKV_AWS_2:Internal example listener without a certificate; modules/alb terminates TLS with ACM.
  #checkov:skip=CKV_AWS_103:Same listener; TLS policy is set by modules/alb.
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.api_gateway.arn
  }
}

#------------------------------------------------------------------------------
# Cloud Map namespace and one discoverable service
#------------------------------------------------------------------------------

resource "aws_service_discovery_private_dns_namespace" "this" {
  name = "${local.name}.local"
  vpc  = aws_vpc.this.id
}

resource "aws_service_discovery_service" "user_service" {
  name = "user-service"

  dns_config {
    namespace_id   = aws_service_discovery_private_dns_namespace.this.id
    routing_policy = "MULTIVALUE"

    dns_records {
      type = "A"
      ttl  = 10
    }
  }

  health_check_custom_config {
    failure_threshold = 1
  }
}

#------------------------------------------------------------------------------
# Roles and a secret parameter
#------------------------------------------------------------------------------

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${local.name}-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

# What AmazonECSTaskExecutionRolePolicy lacks for this example: reading the SecureString parameter.
data "aws_iam_policy_document" "execution_secrets" {
  statement {
    actions   = ["ssm:GetParameters"]
    resources = [aws_ssm_parameter.db_password.arn]
  }

  statement {
    actions   = ["kms:Decrypt"]
    resources = [module.ecs.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "execution_secrets" {
  name   = "read-service-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution_secrets.json
}

resource "aws_iam_role" "task" {
  for_each = local.services

  name               = "${local.name}-${each.key}-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

# A SecureString parameter with a generated value (write-only: never in state). The task definition references it by
# an ARN built from known parts, so the rendered container definitions stay reviewable in the plan.
ephemeral "aws_secretsmanager_random_password" "db" {
  password_length     = 32
  exclude_punctuation = true
}

resource "aws_ssm_parameter" "db_password" {
  name             = "/${local.name}/db-password"
  description      = "Example database password, injected as DB_PASSWORD"
  type             = "SecureString"
  key_id           = module.ecs.kms_key_arn
  value_wo         = ephemeral.aws_secretsmanager_random_password.db.random_password
  value_wo_version = 1
}

data "aws_caller_identity" "current" {}

#------------------------------------------------------------------------------
# The module
#------------------------------------------------------------------------------

module "ecs" {
  source = "../.."

  name     = local.name
  services = local.services

  subnet_ids         = aws_subnet.private[*].id
  security_group_ids = [aws_security_group.tasks.id]

  execution_role_arn = aws_iam_role.execution.arn
  task_role_arns     = { for k, r in aws_iam_role.task : k => r.arn }
  # Read through the listener so services are created only once the target group is attached to the ALB.
  target_group_arns     = { api-gateway = one(aws_lb_listener.http.default_action).target_group_arn }
  service_registry_arns = { user-service = aws_service_discovery_service.user_service.arn }

  log_retention_days = 7
  capacity_provider_strategy = [
    { capacity_provider = "FARGATE", weight = 1, base = 1 },
    { capacity_provider = "FARGATE_SPOT", weight = 3 },
  ]

  enable_xray_sidecar   = var.enable_xray_sidecar
  enable_autoscaling    = var.enable_autoscaling
  ignore_deploy_changes = var.ignore_deploy_changes

  tags = { Example = "ecs-basic" }
}
