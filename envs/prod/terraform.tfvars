# prod — the production environment's profile (실제 서비스 운영: Multi-AZ, 고가용성). No secrets here: credentials
# live in Secrets Manager (RDS-managed master secret, Valkey AUTH token).

environment = "prod"
name        = "goorm-popcorn-prod"
owner       = "devops"

# Network: three AZs, a NAT gateway per AZ, private AWS API traffic through VPC endpoints.
vpc_cidr             = "10.20.0.0/16"
azs                  = ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"]
single_nat_gateway   = false
enable_vpc_endpoints = true
enable_vpc_flow_logs = true
log_retention_days   = 30

# Edge: the zone apex, api. and pay. (dns_record_labels defaults), WAF, access logs, deletion protection.
enable_alb_access_logs         = true
alb_access_logs_retention_days = 90
enable_waf                     = true
enable_deletion_protection     = true

# Services: two tasks each on on-demand Fargate (the base), scale-out mostly on Spot. A deploy pipeline owns task
# definition revisions and autoscaling owns desired counts (image_tag is what the services are created with).
image_tag = "0.1.0"
service_sizing = {
  api-gateway   = { cpu = 1024, memory = 2048, desired_count = 2, min_count = 2, max_count = 8 }
  user          = { cpu = 512, memory = 1024, desired_count = 2, min_count = 2, max_count = 6 }
  store         = { cpu = 512, memory = 1024, desired_count = 2, min_count = 2, max_count = 6 }
  order         = { cpu = 1024, memory = 2048, desired_count = 2, min_count = 2, max_count = 8 }
  payment       = { cpu = 1024, memory = 2048, desired_count = 2, min_count = 2, max_count = 8 }
  checkin       = { cpu = 512, memory = 1024, desired_count = 2, min_count = 2, max_count = 6 }
  order-query   = { cpu = 512, memory = 1024, desired_count = 2, min_count = 2, max_count = 6 }
  payment-front = { cpu = 256, memory = 512, desired_count = 2, min_count = 2, max_count = 4 }
}
ecs_capacity_provider_strategy = [
  { capacity_provider = "FARGATE", base = 2, weight = 1 },
  { capacity_provider = "FARGATE_SPOT", weight = 3 },
]
ecs_ignore_deploy_changes = true

# Data: Multi-AZ PostgreSQL with deletion protection and two weeks of backups, Valkey primary + replica with
# automatic failover, three Kafka brokers (one per AZ).
rds = {
  instance_class          = "db.m7g.large"
  allocated_storage       = 50
  max_allocated_storage   = 200
  multi_az                = true
  backup_retention_period = 14
}
cache = {
  node_type                = "cache.m7g.large"
  num_cache_clusters       = 2
  snapshot_retention_limit = 7
}
kafka = {
  broker_count         = 3
  instance_type        = "m7g.large"
  data_volume_size_gib = 100
}

# Monitoring (전체 모니터링, 30일 보존). Audit (the account trail) is global/account's.
alert_email_addresses = ["popcorn-prod-alerts@goormpopcorn.shop"]
