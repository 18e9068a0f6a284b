output "security_group_ids" {
  description = "Map of group key to security group ID."
  value       = module.security_groups.security_group_ids
}
