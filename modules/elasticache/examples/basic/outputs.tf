output "replication_group_id" {
  description = "Replication group ID."
  value       = module.elasticache.replication_group_id
}

output "member_cluster_ids" {
  description = "Node IDs."
  value       = module.elasticache.member_cluster_ids
}

output "auth_secret_arn" {
  description = "AUTH token secret."
  value       = module.elasticache.auth_secret_arn
}
