################################################################################
# The environment: network, platform, workloads, data and monitoring, composed from modules/.
#
# One file for both environments: envs/dev/main.tf and envs/prod/main.tf are symlinks to it (envs/_shared/README.md).
# The profile (sizes, AZs, protections, retention) is each environment's terraform.tfvars, the local sandbox profile
# sandbox.tfvars (enable_* toggles only; docs/SANDBOX_PROFILE.md).
################################################################################

data "aws_region" "current" {}

################################################################################
# Global stacks (global/route53-acm, global/ecr, global/account) through their state. popcornctl infers the stack
# order from the keys below, so they stay literal "<stack path>/terraform.tfstate".
################################################################################

data "terraform_remote_state" "route53_acm" {
  backend = "s3"

  config = {
    bucket = "goorm-popcorn-tfstate"
    key    = "global/route53-acm/terraform.tfstate"
    region = "ap-northeast-2"
  }
}

data "terraform_remote_state" "ecr" {
  backend = "s3"

  config = {
    bucket = "goorm-popcorn-tfstate"
    key    = "global/ecr/terraform.tfstate"
    region = "ap-northeast-2"
  }
}

# Account- and region-wide settings (X-Ray trace key, CloudTrail, log delivery policy): owned by global/account.
data "terraform_remote_state" "account" {
  backend = "s3"

  config = {
    bucket = "goorm-popcorn-tfstate"
    key    = "global/account/terraform.tfstate"
    region = "ap-northeast-2"
  }
}

locals {
  zone_id         = data.terraform_remote_state.route53_acm.outputs.zone_id
  zone_name       = data.terraform_remote_state.route53_acm.outputs.zone_name
  certificate_arn = data.terraform_remote_state.route53_acm.outputs.certificate_arn
  repository_urls = data.terraform_remote_state.ecr.outputs.repository_urls
  repository_arns = data.terraform_remote_state.ecr.outputs.repository_arns
  # Terraform leaves null outputs out of a state: without trace encryption the output is absent, not null.
  xray_kms_key_arn = try(data.terraform_remote_state.account.outputs.xray_kms_key_arn, null)

  # Public names: "<label>.<zone>", or the zone itself for "".
  hostnames = { for k, label in var.dns_record_labels : k => label == "" ? local.zone_name : "${label}.${local.zone_name}" }

  workload_azs   = slice(var.azs, 0, coalesce(var.workload_az_count, length(var.azs)))
  kms_window     = var.disposable ? 7 : 30
  app_port       = 8080
  namespace_name = "${var.environment}.popcorn.internal"

  ##############################################################################
  # The eight services. api-gateway and payment-front are routed by the ALB (host rules); every service registers in
  # Cloud Map as <service>.<namespace>, which is how api-gateway reaches the six internal services.
  # payment-front is the payment web front end (a static build served by nginx-unprivileged on 8080) on its own host
  # name (pay.<zone>): a host rule keeps its asset paths at "/" and its cookies apart from the API's.
  ##############################################################################
  internal_services = ["user", "store", "order", "payment", "checkin", "order-query"]

  routing = {
    api-gateway   = { host_headers = distinct([local.hostnames.apex, local.hostnames.api]), priority = 20, health_check_path = "/actuator/health" }
    payment-front = { host_headers = [local.hostnames.payment_front], priority = 10, health_check_path = "/" }
  }

  service_keys = concat(["api-gateway"], local.internal_services, ["payment-front"])

  sizing = { for k in local.service_keys : k => lookup(var.service_sizing, k, {
    cpu = 512, memory = 1024, desired_count = 1, min_count = 1, max_count = 2
  }) }

  image = { for k in local.service_keys : k => "${local.repository_urls[k]}:${lookup(var.image_tag_overrides, k, var.image_tag)}" }

  # Plain settings. Spring Boot binds SPRING_* variables to its properties (relaxed binding).
  common_environment = {
    SPRING_PROFILES_ACTIVE = var.environment
    SERVER_PORT            = tostring(local.app_port)
    TZ                     = "Asia/Seoul"
    POPCORN_ENVIRONMENT    = var.environment
    AWS_REGION             = var.region
  }

  # Every service that uses the database connects as its own PostgreSQL user with IAM database authentication:
  # the AWS JDBC wrapper's iam plugin signs a 15-minute token with the task role for each new connection, so there
  # is no password to inject at task start and nothing a secret rotation can invalidate under a running task. The
  # RDS-managed master secret (rotated by RDS) stays with administrators. The users are created once in PostgreSQL
  # (CREATE USER ... ; GRANT rds_iam TO ...): docs/AWS_NOTES.md, "Database credentials".
  db_users = { for k in local.internal_services : k => "svc_${replace(k, "-", "_")}" }

  datasource_environment = {
    for k, user in local.db_users : k => {
      SPRING_DATASOURCE_URL               = "jdbc:aws-wrapper:postgresql://${module.rds.address}:${module.rds.port}/${module.rds.db_name}?wrapperPlugins=iam&sslmode=require"
      SPRING_DATASOURCE_DRIVER_CLASS_NAME = "software.amazon.jdbc.Driver"
      SPRING_DATASOURCE_USERNAME          = user
    }
  }

  cache_environment = var.enable_elasticache ? {
    SPRING_DATA_REDIS_HOST        = module.elasticache.primary_endpoint_address
    SPRING_DATA_REDIS_PORT        = tostring(module.elasticache.port)
    SPRING_DATA_REDIS_SSL_ENABLED = "true"
  } : {}

  kafka_environment = {
    SPRING_KAFKA_BOOTSTRAP_SERVERS = module.kafka.bootstrap_servers
  }

  # Where api-gateway finds the internal services (Cloud Map DNS).
  route_environment = {
    for k in local.internal_services : "POPCORN_ROUTES_${upper(replace(k, "-", "_"))}_URI" => "http://${k}.${local.namespace_name}:${local.app_port}"
  }

  # Secrets are injected by ECS from Secrets Manager (never plain values): the Valkey AUTH token (rotated with
  # auth_token_update_strategy ROTATE, so the token running tasks hold stays valid). Only the task execution role may
  # read it (iam module, secret_arns).
  cache_secrets = var.enable_elasticache ? { SPRING_DATA_REDIS_PASSWORD = module.elasticache.auth_secret_arn } : {}

  service_environment = merge(
    { for k in local.internal_services : k => merge(local.common_environment, local.datasource_environment[k], local.cache_environment, local.kafka_environment) },
    {
      api-gateway   = merge(local.common_environment, local.cache_environment, local.route_environment)
      payment-front = { TZ = "Asia/Seoul", POPCORN_ENVIRONMENT = var.environment, API_BASE_URL = "https://${local.hostnames.api}" }
    },
  )

  service_secrets = merge(
    { for k in local.internal_services : k => local.cache_secrets },
    { api-gateway = local.cache_secrets, payment-front = {} },
  )

  # A container health check for every service (the Spring Boot actuator, or the front end's page): ECS replaces a
  # task that stops answering, and reports it unhealthy to Cloud Map, which stops answering with its address. The
  # images need a shell and curl or wget.
  container_health_checks = {
    for k in local.service_keys : k => {
      command = [
        "CMD-SHELL",
        "curl -fsS -o /dev/null http://localhost:${local.app_port}${try(local.routing[k].health_check_path, "/actuator/health")} || wget -q -O /dev/null http://localhost:${local.app_port}${try(local.routing[k].health_check_path, "/actuator/health")} || exit 1",
      ]
      interval     = 30
      timeout      = 5
      retries      = 3
      start_period = k == "payment-front" ? 15 : 120 # JVM warm-up
    }
  }

  ecs_services = {
    for k in local.service_keys : k => {
      image                  = local.image[k]
      cpu                    = local.sizing[k].cpu
      memory                 = local.sizing[k].memory
      container_port         = local.app_port
      desired_count          = local.sizing[k].desired_count
      min_count              = local.sizing[k].min_count
      max_count              = local.sizing[k].max_count
      environment            = local.service_environment[k]
      secrets                = local.service_secrets[k]
      health_check_path      = try(local.routing[k].health_check_path, "/actuator/health")
      container_health_check = local.container_health_checks[k]
      load_balanced          = contains(keys(local.routing), k)
      host_headers           = try(local.routing[k].host_headers, [])
      priority               = try(local.routing[k].priority, null)
      # Spring services start slowly (JVM warm-up); the front end serves static files.
      health_check_grace_period_seconds = k == "payment-front" ? 30 : 120
    }
  }

  secret_arns         = var.enable_elasticache ? [module.elasticache.auth_secret_arn] : []
  secret_kms_key_arns = var.enable_elasticache ? [module.elasticache.kms_key_arn] : []
}

################################################################################
# Network
################################################################################

module "vpc" {
  source = "../../modules/vpc"

  name              = var.name
  cidr_block        = var.vpc_cidr
  azs               = var.azs
  workload_az_count = var.workload_az_count

  enable_nat_gateway = true
  single_nat_gateway = var.single_nat_gateway

  enable_flow_logs         = var.enable_vpc_flow_logs
  flow_logs_retention_days = var.log_retention_days
  flow_logs_kms_key_arn    = aws_kms_key.logs.arn

  enable_vpc_endpoints            = var.enable_vpc_endpoints
  vpc_endpoint_security_group_ids = var.enable_vpc_endpoints ? [module.security_groups.vpc_endpoints_security_group_id] : []

  tags = var.tags
}

module "security_groups" {
  source = "../../modules/security-groups"

  name           = var.name
  vpc_id         = module.vpc.vpc_id
  vpc_cidr_block = module.vpc.vpc_cidr_block
  app_port       = local.app_port

  create_vpc_endpoints_security_group = var.enable_vpc_endpoints

  tags = var.tags
}

################################################################################
# Identity
################################################################################

# What every task role gets: ECS Exec with this cluster's session key and audit log group (the ecs module's
# policy) and X-Ray (daemon sidecar; the account's trace key when global/account encrypts traces).
data "aws_iam_policy_document" "task_common" {
  source_policy_documents = concat(
    [module.ecs.exec_task_role_policy_json],
    var.enable_xray_tracing ? [module.xray.task_role_policy_json] : [],
  )
}

# The database services' own PostgreSQL users, one each (IAM database authentication).
data "aws_iam_policy_document" "db_connect" {
  for_each = local.db_users

  statement {
    sid       = "ConnectAsOwnDatabaseUser"
    actions   = ["rds-db:connect"]
    resources = ["${module.rds.iam_auth_user_arn_prefix}/${each.value}"]
  }
}

# Each task role's policy (keyed by service, so the iam module knows at plan time which roles get one).
data "aws_iam_policy_document" "task_role" {
  for_each = toset(local.service_keys)

  source_policy_documents = concat(
    [data.aws_iam_policy_document.task_common.json],
    contains(keys(local.db_users), each.key) ? [data.aws_iam_policy_document.db_connect[each.key].json] : [],
  )
}

module "iam" {
  source = "../../modules/iam"

  name     = var.name
  services = local.service_keys

  ecr_repository_arns = [for k in local.service_keys : local.repository_arns[k]]
  secret_arns         = local.secret_arns
  kms_key_arns        = local.secret_kms_key_arns

  enable_ecs_exec        = false # ECS Exec and X-Ray statements come from the ecs and xray modules (task_common)
  enable_xray            = false
  task_role_policy_jsons = { for k, d in data.aws_iam_policy_document.task_role : k => d.json }

  create_kafka_role          = true
  create_rds_monitoring_role = var.enable_rds_enhanced_monitoring

  tags = var.tags
}

################################################################################
# Edge: ALB (+ WAF, access logs), DNS records in the global zone
################################################################################

module "alb" {
  source = "../../modules/alb"

  name               = var.name
  vpc_id             = module.vpc.vpc_id
  public_subnet_ids  = module.vpc.public_subnet_ids
  security_group_ids = [module.security_groups.alb_security_group_id]
  certificate_arn    = local.certificate_arn

  routed_services = {
    for k, r in local.routing : k => {
      port              = local.app_port
      priority          = r.priority
      host_headers      = r.host_headers
      health_check_path = r.health_check_path
    }
  }

  enable_deletion_protection = var.enable_deletion_protection

  enable_access_logs         = var.enable_alb_access_logs
  access_logs_retention_days = var.alb_access_logs_retention_days
  access_logs_force_destroy  = var.disposable

  enable_waf             = var.enable_waf
  waf_log_retention_days = var.log_retention_days
  waf_log_kms_key_arn    = aws_kms_key.logs.arn

  tags = var.tags
}

resource "aws_route53_record" "alb" {
  for_each = local.hostnames

  zone_id = local.zone_id
  name    = each.value
  type    = "A"

  alias {
    name                   = module.alb.alb_dns_name
    zone_id                = module.alb.alb_zone_id
    evaluate_target_health = true
  }
}

################################################################################
# Services: Cloud Map, X-Ray, ECS
################################################################################

module "cloudmap" {
  source = "../../modules/cloudmap"

  name                   = var.name
  vpc_id                 = module.vpc.vpc_id
  namespace_name         = local.namespace_name
  services               = local.service_keys
  force_destroy_services = var.disposable

  tags = var.tags
}

module "xray" {
  source = "../../modules/xray"

  name     = var.name
  services = { for k in local.service_keys : k => {} }

  enable_sampling_rules = var.enable_xray_sampling_rules
  enable_groups         = var.enable_xray_groups

  # Trace encryption is an account setting owned by global/account; the task role policy grants its key.
  enable_encryption_config = false
  create_kms_key           = false
  kms_key_arn              = local.xray_kms_key_arn

  tags = var.tags
}

module "ecs" {
  source = "../../modules/ecs"

  name     = var.name
  services = local.ecs_services

  subnet_ids         = module.vpc.workload_private_app_subnet_ids
  security_group_ids = [module.security_groups.ecs_security_group_id]

  execution_role_arn    = module.iam.task_execution_role_arn
  task_role_arns        = module.iam.task_role_arns
  target_group_arns     = module.alb.target_group_arns
  service_registry_arns = module.cloudmap.service_arns

  capacity_provider_strategy = var.ecs_capacity_provider_strategy
  enable_autoscaling         = var.enable_ecs_autoscaling
  ignore_deploy_changes      = var.ecs_ignore_deploy_changes

  enable_xray_sidecar = var.enable_xray_tracing
  xray_tracing_names  = module.xray.tracing_names

  log_retention_days              = var.log_retention_days
  kms_key_deletion_window_in_days = local.kms_window

  tags = var.tags
}

################################################################################
# Data: PostgreSQL, Valkey, Kafka
################################################################################

module "rds" {
  source = "../../modules/rds"

  name                   = var.name
  subnet_ids             = module.vpc.private_data_subnet_ids
  vpc_security_group_ids = [module.security_groups.rds_security_group_id]

  engine_version          = var.rds.engine_version
  instance_class          = var.rds.instance_class
  allocated_storage       = var.rds.allocated_storage
  max_allocated_storage   = var.rds.max_allocated_storage
  multi_az                = var.rds.multi_az
  availability_zone       = local.workload_azs[0] # single-AZ only (ignored with multi_az): next to the ECS tasks
  backup_retention_period = var.rds.backup_retention_period

  deletion_protection      = var.enable_deletion_protection
  skip_final_snapshot      = var.disposable
  delete_automated_backups = var.disposable
  apply_immediately        = var.disposable

  enable_custom_parameter_group = var.enable_rds_custom_parameter_group
  enable_performance_insights   = var.enable_rds_performance_insights
  enable_enhanced_monitoring    = var.enable_rds_enhanced_monitoring
  create_monitoring_role        = false # the iam module's role
  monitoring_role_arn           = module.iam.rds_monitoring_role_arn

  log_retention_days              = var.log_retention_days
  kms_key_deletion_window_in_days = local.kms_window

  tags = var.tags
}

module "elasticache" {
  source = "../../modules/elasticache"

  name   = var.name
  create = var.enable_elasticache

  subnet_ids         = module.vpc.private_data_subnet_ids
  security_group_ids = [module.security_groups.elasticache_security_group_id]

  engine_version     = var.cache.engine_version
  node_type          = var.cache.node_type
  num_cache_clusters = var.cache.num_cache_clusters
  # Primary in the first (workload) AZ, replicas in the next ones.
  preferred_cache_cluster_azs = [for i in range(var.cache.num_cache_clusters) : var.azs[i % length(var.azs)]]

  snapshot_retention_limit = var.cache.snapshot_retention_limit
  final_snapshot           = !var.disposable
  apply_immediately        = var.disposable
  notification_topic_arn   = module.monitoring.events_topic_arn # ElastiCache cannot publish to the encrypted alerts topic

  log_retention_days = var.log_retention_days

  tags = var.tags
}

module "kafka" {
  source = "../../modules/ec2-kafka"

  name               = var.name
  broker_count       = var.kafka.broker_count
  subnet_ids         = module.vpc.workload_private_app_subnet_ids
  vpc_id             = module.vpc.vpc_id
  security_group_ids = [module.security_groups.kafka_security_group_id]

  instance_type              = var.kafka.instance_type
  kafka_version              = var.kafka.kafka_version
  broker_generations         = var.kafka.broker_generations
  create_instance_profile    = false # the iam module's profile
  iam_instance_profile_name  = module.iam.kafka_instance_profile_name
  enable_detailed_monitoring = var.enable_kafka_detailed_monitoring

  data_volume = {
    size_gib       = var.kafka.data_volume_size_gib
    final_snapshot = !var.disposable
  }

  log_retention_days              = var.log_retention_days
  kms_key_deletion_window_in_days = local.kms_window

  tags = var.tags
}

################################################################################
# Monitoring (the seed's 통합 모니터링 모듈, wired as its README snippet shows, extended to ECS, Kafka and VPC)
################################################################################

module "monitoring" {
  source = "../../modules/monitoring"

  name                  = var.name
  region                = var.region
  alert_email_addresses = var.alert_email_addresses
  create_events_topic   = var.enable_elasticache

  # 기존 리소스 연결 (the seed's inputs)
  alb_arn_suffix         = module.alb.alb_arn_suffix
  rds_instance_id        = module.rds.instance_id
  elasticache_cluster_id = module.elasticache.cluster_id

  # Extensions: ECS, ALB target groups, ElastiCache nodes, Kafka, VPC
  ecs_cluster_name                 = module.ecs.cluster_name
  ecs_service_names                = module.ecs.service_names
  ecs_log_group_names              = module.ecs.log_group_names
  target_group_arn_suffixes        = module.alb.target_group_arn_suffixes
  elasticache_member_cluster_ids   = module.elasticache.member_cluster_ids
  kafka_instance_ids               = module.kafka.instance_ids
  kafka_log_group_name             = module.kafka.log_group_name
  kafka_cloudwatch_agent_namespace = module.kafka.cloudwatch_agent_namespace
  kafka_data_mount_path            = module.kafka.data_mount_path
  nat_gateway_ids                  = module.vpc.nat_gateway_ids
  vpc_flow_log_group_name          = module.vpc.flow_log_group_name

  enable_ecs_alarms         = true
  enable_alb_alarms         = true
  enable_rds_alarms         = true
  enable_elasticache_alarms = var.enable_elasticache
  enable_kafka_alarms       = true
  enable_vpc_alarms         = true

  thresholds = var.alarm_thresholds

  tags = var.tags
}

################################################################################
# Logs key: flow logs and WAF logs (the modules' own keys cover their log groups)
################################################################################

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_iam_policy_document" "logs_key" {
  #checkov:skip=CKV_AWS_109:Key policy: "*" is the key itself; administration is limited to the account root principal (IAM governs who).
  #checkov:skip=CKV_AWS_111:Key policy: "*" is the key itself; every statement is scoped by principal and condition.
  #checkov:skip=CKV_AWS_356:Key policy: "*" is the only valid Resource in a KMS key policy.
  statement {
    sid       = "AccountAdministration"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchLogsForThisEnvironment"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values = [
        "arn:${data.aws_partition.current.partition}:logs:${var.region}:${data.aws_caller_identity.current.account_id}:log-group:/aws/vpc/${var.name}/*",
        "arn:${data.aws_partition.current.partition}:logs:${var.region}:${data.aws_caller_identity.current.account_id}:log-group:aws-waf-logs-${var.name}",
      ]
    }
  }
}

resource "aws_kms_key" "logs" {
  description             = "${var.name}: VPC flow logs and WAF logs"
  enable_key_rotation     = true
  deletion_window_in_days = local.kms_window
  policy                  = data.aws_iam_policy_document.logs_key.json

  tags = { Name = "${var.name}-logs" }
}

resource "aws_kms_alias" "logs" {
  name          = "alias/${var.name}-logs"
  target_key_id = aws_kms_key.logs.key_id
}
