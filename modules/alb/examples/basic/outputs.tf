output "alb_dns_name" {
  description = "DNS name of the example ALB."
  value       = module.alb.alb_dns_name
}

output "target_group_arns" {
  description = "Map of routed service to target group ARN."
  value       = module.alb.target_group_arns
}

output "access_logs_bucket_name" {
  description = "Access-log bucket of the example ALB."
  value       = module.alb.access_logs_bucket_name
}
