output "replication_group_id" {
  description = "Replication group ID (\"<name>-valkey\"; null when create is false)."
  value       = one(aws_elasticache_replication_group.this[*].id)
}

output "cluster_id" {
  description = "Alias of replication_group_id, the name the seed's monitoring snippet uses (elasticache_cluster_id)."
  value       = one(aws_elasticache_replication_group.this[*].id)
}

output "replication_group_arn" {
  description = "ARN of the replication group."
  value       = one(aws_elasticache_replication_group.this[*].arn)
}

output "member_cluster_ids" {
  description = "Node IDs (\"<id>-001\" ...), known at plan time; ElastiCache publishes node metrics under these CacheClusterId values."
  value       = local.member_cluster_ids
}

output "primary_endpoint_address" {
  description = "Primary (read/write) endpoint; clients must use TLS."
  value       = one(aws_elasticache_replication_group.this[*].primary_endpoint_address)
}

output "reader_endpoint_address" {
  description = "Reader endpoint spreading reads over the replicas."
  value       = one(aws_elasticache_replication_group.this[*].reader_endpoint_address)
}

output "port" {
  description = "Port of the nodes."
  value       = var.create ? var.port : null
}

output "auth_secret_arn" {
  description = "Secrets Manager secret holding the AUTH token (auth_mode = \"token\"); grant readers secretsmanager:GetSecretValue and kms:Decrypt on kms_key_arn. Known once the secret has its value, so ECS never starts a task whose secret is still empty."
  value       = local.auth_token_secret_arn

  depends_on = [aws_secretsmanager_secret_version.auth]
}

output "user_group_id" {
  description = "RBAC user group ID (auth_mode = \"iam\")."
  value       = one(aws_elasticache_user_group.this[*].user_group_id)
}

output "iam_user_id" {
  description = "IAM-authenticated application user (auth_mode = \"iam\"); task roles need elasticache:Connect on it and on the replication group."
  value       = one(aws_elasticache_user.app[*].user_id)
}

output "kms_key_arn" {
  description = "KMS key encrypting data at rest, the token secret and the log groups."
  value       = local.kms_key_arn
}

output "parameter_group_name" {
  description = "Name of the custom parameter group."
  value       = one(aws_elasticache_parameter_group.this[*].name)
}

output "log_group_names" {
  description = "Log group per delivered log type (slow-log, engine-log)."
  value       = { for k, g in aws_cloudwatch_log_group.this : k => g.name }
}
