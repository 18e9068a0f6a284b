output "namespace_id" {
  description = "ID of the example namespace."
  value       = module.cloudmap.namespace_id
}

output "service_arns" {
  description = "Map of service to discovery service ARN."
  value       = module.cloudmap.service_arns
}

output "service_dns_names" {
  description = "Map of service to its DNS name."
  value       = module.cloudmap.service_dns_names
}
