output "alb_security_group_id" {
  description = "ID of the ALB security group (80/443 from alb_ingress_cidr_blocks, app ports to ECS)."
  value       = aws_security_group.this["alb"].id
}

output "ecs_security_group_id" {
  description = "ID of the ECS services' security group."
  value       = aws_security_group.this["ecs"].id
}

output "rds_security_group_id" {
  description = "ID of the RDS security group (PostgreSQL from ECS only)."
  value       = aws_security_group.this["rds"].id
}

output "elasticache_security_group_id" {
  description = "ID of the ElastiCache security group (Valkey from ECS only)."
  value       = aws_security_group.this["elasticache"].id
}

output "kafka_security_group_id" {
  description = "ID of the Kafka brokers' security group."
  value       = aws_security_group.this["kafka"].id
}

output "vpc_endpoints_security_group_id" {
  description = "ID of the interface VPC endpoints' security group (null when create_vpc_endpoints_security_group is false)."
  value       = try(aws_security_group.this["vpce"].id, null)
}

output "security_group_ids" {
  description = "Map of group key (alb, ecs, rds, elasticache, kafka, vpce) to security group ID."
  value       = { for k, sg in aws_security_group.this : k => sg.id }
}

output "app_ports" {
  description = "The app ports opened from the ALB and between ECS services (app_port plus additional_app_ports)."
  value       = local.app_ports
}
