output "repository_urls" {
  description = "Map of service to repository URL (<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<service>), for ECS image references and docker push."
  value       = { for k, r in aws_ecr_repository.this : k => r.repository_url }
}

output "repository_arns" {
  description = "Map of service to repository ARN (for the ECS execution role's pull permission)."
  value       = { for k, r in aws_ecr_repository.this : k => r.arn }
}

output "repository_names" {
  description = "Map of service to repository name."
  value       = { for k, r in aws_ecr_repository.this : k => r.name }
}

output "registry_id" {
  description = "ID (account) of the registry holding the repositories."
  value       = data.aws_caller_identity.current.account_id
}

output "kms_key_arn" {
  description = "ARN of the KMS key encrypting the repositories."
  value       = aws_kms_key.ecr.arn
}
