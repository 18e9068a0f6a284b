output "cluster_name" {
  description = "ECS cluster name."
  value       = module.ecs.cluster_name
}

output "service_names" {
  description = "ECS service names per service key."
  value       = module.ecs.service_names
}

output "log_group_names" {
  description = "Log group per service key."
  value       = module.ecs.log_group_names
}

output "routed_services" {
  description = "Routed services in the alb module's routed_services shape."
  value       = module.ecs.routed_services
}
