# dev (목적: 개발/테스트; 비용 최적화) — the development environment's profile. No secrets here: credentials live in
# Secrets Manager (RDS-managed master secret, Valkey AUTH token). The cost trade-offs below are listed with their
# reasons in docs/SECURITY.md ("Environments").

environment = "dev"
name        = "goorm-popcorn-dev"
owner       = "devops"

# Network: subnets in two AZs (the ALB and the RDS subnet group need two), NAT, compute and data in the first only.
vpc_cidr             = "10.10.0.0/16"
azs                  = ["ap-northeast-2a", "ap-northeast-2c"]
workload_az_count    = 1
single_nat_gateway   = true
enable_vpc_endpoints = false
enable_vpc_flow_logs = true
log_retention_days   = 7

# Edge: dev's own names in the shared zone (dev.goormpopcorn.shop, api-dev..., pay-dev...), no WAF, no access logs.
dns_record_labels          = { apex = "dev", api = "api-dev", payment_front = "pay-dev" }
enable_alb_access_logs     = false
enable_waf                 = false
enable_deletion_protection = false

# Services: one task each, mostly on Fargate Spot; Terraform deploys image_tag itself.
image_tag = "0.1.0"
service_sizing = {
  api-gateway   = { cpu = 512, memory = 1024, desired_count = 1, min_count = 1, max_count = 2 }
  user          = { cpu = 512, memory = 1024, desired_count = 1, min_count = 1, max_count = 2 }
  store         = { cpu = 512, memory = 1024, desired_count = 1, min_count = 1, max_count = 2 }
  order         = { cpu = 512, memory = 1024, desired_count = 1, min_count = 1, max_count = 2 }
  payment       = { cpu = 512, memory = 1024, desired_count = 1, min_count = 1, max_count = 2 }
  checkin       = { cpu = 512, memory = 1024, desired_count = 1, min_count = 1, max_count = 2 }
  order-query   = { cpu = 512, memory = 1024, desired_count = 1, min_count = 1, max_count = 2 }
  payment-front = { cpu = 256, memory = 512, desired_count = 1, min_count = 1, max_count = 2 }
}
ecs_capacity_provider_strategy = [
  { capacity_provider = "FARGATE_SPOT", weight = 3 },
  { capacity_provider = "FARGATE", weight = 1 },
]
ecs_ignore_deploy_changes = false

# Data: smallest classes, single-AZ database, one cache node, one Kafka broker.
rds = {
  instance_class          = "db.t4g.micro"
  allocated_storage       = 20
  max_allocated_storage   = 50
  multi_az                = false
  backup_retention_period = 3
}
cache = {
  node_type                = "cache.t4g.micro"
  num_cache_clusters       = 1
  snapshot_retention_limit = 1
}
kafka = {
  broker_count         = 1
  instance_type        = "t3.small"
  data_volume_size_gib = 20
}

# Monitoring (모니터링: 기본 로그 수집, 7일 보존). Audit (the account trail) is global/account's.
alert_email_addresses = ["popcorn-dev-alerts@goormpopcorn.shop"]
