################################################################################
# What `popcornctl diagnose`, the seed's scripts and people need (popcornctl diagnose reads the names of the ECS,
# RDS, ALB, ElastiCache, Kafka and VPC resources from here: docs/DIAGNOSE.md lists which).
################################################################################

output "environment" {
  description = "Environment name (dev or prod)."
  value       = var.environment
}

output "name" {
  description = "Name prefix of every resource (goorm-popcorn-<env>)."
  value       = var.name
}

# -- ECS -----------------------------------------------------------------------

output "ecs_cluster_name" {
  description = "ECS cluster name (goorm-popcorn-<env>-cluster)."
  value       = module.ecs.cluster_name
}

output "ecs_service_names" {
  description = "ECS service name per service key (goorm-popcorn-<env>-<service>)."
  value       = module.ecs.service_names
}

output "ecs_log_group_names" {
  description = "CloudWatch log group per service key (/aws/ecs/goorm-popcorn-<env>/<service>)."
  value       = module.ecs.log_group_names
}

output "ecs_task_definition_families" {
  description = "Task definition family per service key: deploy pipelines register new revisions into these."
  value       = module.ecs.task_definition_families
}

output "ecs_container_definitions" {
  description = "Container definitions per service as registered (objects: image, health check, environment, secrets, logging, X-Ray sidecar): what a deploy pipeline keeps when it registers a new revision."
  value       = module.ecs.container_definitions
}

output "ecs_images" {
  description = "Image per service key: the global/ecr repository URL and the tag (image_tag or its override)."
  value       = local.image
}

output "ecs_security_group_id" {
  description = "Security group of every ECS task."
  value       = module.security_groups.ecs_security_group_id
}

output "ecs_subnet_ids" {
  description = "Private subnets the ECS tasks run in."
  value       = module.vpc.workload_private_app_subnet_ids
}

output "service_discovery_namespace" {
  description = "Cloud Map private DNS namespace; internal services answer at <service>.<namespace>:8080."
  value       = module.cloudmap.namespace_name
}

output "service_discovery_names" {
  description = "Cloud Map DNS name per service key."
  value       = module.cloudmap.service_dns_names
}

# -- Edge ----------------------------------------------------------------------

output "alb_dns_name" {
  description = "DNS name of the ALB (the Route 53 alias target)."
  value       = module.alb.alb_dns_name
}

output "alb_arn_suffix" {
  description = "ALB ARN suffix (app/<name>/<id>), the LoadBalancer dimension of its CloudWatch metrics."
  value       = module.alb.alb_arn_suffix
}

output "alb_target_group_arn_suffixes" {
  description = "Target group ARN suffix per routed service (the TargetGroup metric dimension)."
  value       = module.alb.target_group_arn_suffixes
}

output "hostnames" {
  description = "Public host names of the environment: apex and api route to api-gateway, payment_front to payment-front."
  value       = local.hostnames
}

output "urls" {
  description = "HTTPS URLs of the routed services."
  value = {
    api           = "https://${local.hostnames.api}"
    apex          = "https://${local.hostnames.apex}"
    payment_front = "https://${local.hostnames.payment_front}"
  }
}

output "waf_web_acl_arn" {
  description = "ARN of the WAF web ACL on the ALB (null when enable_waf is false)."
  value       = module.alb.waf_web_acl_arn
}

output "alb_access_logs_bucket" {
  description = "S3 bucket receiving the ALB access logs (null when enable_alb_access_logs is false)."
  value       = module.alb.access_logs_bucket_name
}

# -- Data ----------------------------------------------------------------------

output "rds_instance_id" {
  description = "RDS instance identifier (goorm-popcorn-<env>-postgres)."
  value       = module.rds.instance_id
}

output "rds_endpoint" {
  description = "PostgreSQL endpoint host:port (TLS required)."
  value       = module.rds.endpoint
}

output "rds_master_user_secret_arn" {
  description = "Secrets Manager secret (managed and rotated by RDS) with the master user name and password: for administrators only, no service uses it."
  value       = module.rds.master_user_secret_arn
}

output "database_users" {
  description = "PostgreSQL user per service (IAM database authentication, GRANT rds_iam): create each once with the master user (docs/AWS_NOTES.md)."
  value       = local.db_users
}

output "elasticache_cluster_id" {
  description = "Valkey replication group ID (goorm-popcorn-<env>-valkey; null when enable_elasticache is false)."
  value       = module.elasticache.cluster_id
}

output "elasticache_member_cluster_ids" {
  description = "Valkey node IDs (the CacheClusterId metric dimension)."
  value       = module.elasticache.member_cluster_ids
}

output "elasticache_primary_endpoint" {
  description = "Valkey primary endpoint (TLS and AUTH required; null when enable_elasticache is false)."
  value       = module.elasticache.primary_endpoint_address
}

output "kafka_bootstrap_servers" {
  description = "Kafka bootstrap servers (stable private DNS names, host:port,...)."
  value       = module.kafka.bootstrap_servers
}

output "kafka_brokers_pending_roll" {
  description = "Kafka node ids still on an older version, configuration or instance type: raise their kafka.broker_generations entry, one per apply."
  value       = module.kafka.brokers_pending_roll
}

output "kafka_instance_ids" {
  description = "Kafka broker instance IDs by node id (SSM Session Manager targets)."
  value       = module.kafka.instance_ids
}

output "kafka_controller_quorum_voters" {
  description = "controller.quorum.voters of every broker (<node id>@<host>:<port>,...): the KRaft quorum popcornctl diagnose kafka checks."
  value       = module.kafka.controller_quorum_voters
}

# -- Network -------------------------------------------------------------------

output "vpc_id" {
  description = "ID of the environment's VPC."
  value       = module.vpc.vpc_id
}

output "nat_gateway_ids" {
  description = "NAT gateway IDs (one in dev, one per AZ in prod)."
  value       = module.vpc.nat_gateway_ids
}

output "vpc_flow_log_group_name" {
  description = "Flow-log group (null when enable_vpc_flow_logs is false)."
  value       = module.vpc.flow_log_group_name
}

# -- Monitoring and audit --------------------------------------------------------

output "alarm_topic_arn" {
  description = "SNS topic every alarm notifies (goorm-popcorn-<env>-alerts); subscribe further endpoints to it."
  value       = module.monitoring.sns_topic_arn
}

output "dashboard_name" {
  description = "Integrated CloudWatch dashboard (goorm-popcorn-<env>-overview)."
  value       = module.monitoring.dashboard_name
}

output "alarm_names_by_service" {
  description = "Alarm names per family (ecs, alb, rds, elasticache, kafka, vpc); all start with goorm-popcorn-<env>."
  value       = module.monitoring.alarm_names_by_service
}

