output "namespace_id" {
  description = "ID of the private DNS namespace."
  value       = aws_service_discovery_private_dns_namespace.this.id
}

output "namespace_name" {
  description = "Name of the private DNS namespace."
  value       = aws_service_discovery_private_dns_namespace.this.name
}

output "namespace_arn" {
  description = "ARN of the private DNS namespace."
  value       = aws_service_discovery_private_dns_namespace.this.arn
}

output "namespace_hosted_zone_id" {
  description = "ID of the Route 53 private hosted zone behind the namespace."
  value       = aws_service_discovery_private_dns_namespace.this.hosted_zone
}

output "service_arns" {
  description = "Map of service key to discovery service ARN (for ECS service_registries.registry_arn)."
  value       = { for k, s in aws_service_discovery_service.this : k => s.arn }
}

output "service_ids" {
  description = "Map of service key to discovery service ID."
  value       = { for k, s in aws_service_discovery_service.this : k => s.id }
}

output "service_dns_names" {
  description = "Map of service key to the DNS name other services call it by (<service>.<namespace>)."
  value       = { for k in var.services : k => "${k}.${local.namespace_name}" }
}
