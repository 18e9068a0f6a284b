output "state_bucket_name" {
  description = "Name of the Terraform state bucket (backend \"s3\" bucket)."
  value       = aws_s3_bucket.state.id
}

output "state_bucket_arn" {
  description = "ARN of the Terraform state bucket."
  value       = aws_s3_bucket.state.arn
}

output "lock_table_name" {
  description = "Name of the DynamoDB lock table (backend \"s3\" dynamodb_table)."
  value       = aws_dynamodb_table.locks.name
}

output "lock_table_arn" {
  description = "ARN of the DynamoDB lock table."
  value       = aws_dynamodb_table.locks.arn
}

output "kms_key_arn" {
  description = "ARN of the KMS key encrypting the state bucket and the lock table (usable as the backend's kms_key_id)."
  value       = aws_kms_key.state.arn
}

output "kms_key_alias" {
  description = "Alias of the state KMS key."
  value       = aws_kms_alias.state.name
}

output "region" {
  description = "Region of the bucket and the table (backend \"s3\" region)."
  value       = var.region
}

output "backend_config" {
  description = "The S3 backend settings every stack uses (key is \"<stack path>/terraform.tfstate\")."
  value = {
    bucket         = aws_s3_bucket.state.id
    region         = var.region
    dynamodb_table = aws_dynamodb_table.locks.name
    encrypt        = true
    use_lockfile   = true
  }
}
