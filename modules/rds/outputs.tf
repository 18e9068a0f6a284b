output "instance_id" {
  description = "DB instance identifier (\"<name>-postgres\"); the DBInstanceIdentifier dimension of its CloudWatch metrics."
  value       = aws_db_instance.this.identifier
}

output "instance_arn" {
  description = "ARN of the DB instance."
  value       = aws_db_instance.this.arn
}

output "instance_resource_id" {
  description = "Resource ID (db-XXXX) of the instance, used in rds-db:connect IAM policies for IAM database authentication."
  value       = aws_db_instance.this.resource_id
}

output "iam_auth_user_arn_prefix" {
  description = "\"arn:<partition>:rds-db:<region>:<account>:dbuser:<resource id>\": append \"/<db user>\" for the rds-db:connect permission of IAM database authentication (the user needs GRANT rds_iam in PostgreSQL)."
  value       = "arn:${local.partition}:rds-db:${local.region}:${local.account_id}:dbuser:${aws_db_instance.this.resource_id}"
}

output "endpoint" {
  description = "Connection endpoint \"address:port\"."
  value       = aws_db_instance.this.endpoint
}

output "address" {
  description = "Hostname of the instance."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "Port of the instance."
  value       = aws_db_instance.this.port
}

output "db_name" {
  description = "Name of the initial database."
  value       = aws_db_instance.this.db_name
}

output "master_username" {
  description = "Master user name (the password lives only in the master user secret)."
  value       = aws_db_instance.this.username
}

output "master_user_secret_arn" {
  description = "ARN of the Secrets Manager secret RDS manages for the master user (JSON with username and password); grant the ECS execution role secretsmanager:GetSecretValue on it."
  value       = try(aws_db_instance.this.master_user_secret[0].secret_arn, null)
}

output "db_subnet_group_name" {
  description = "Name of the DB subnet group."
  value       = aws_db_subnet_group.this.name
}

output "kms_key_arn" {
  description = "KMS key encrypting storage, the master secret, Performance Insights and the log groups (null when AWS managed keys are used). Readers of the master secret need kms:Decrypt on it."
  value       = local.kms_key_arn
}

output "parameter_group_name" {
  description = "Parameter group in use: the custom group, or the engine default \"default.postgres<major>\"."
  value       = var.enable_custom_parameter_group ? aws_db_parameter_group.this[0].name : "default.${local.family}"
}

output "monitoring_role_arn" {
  description = "Enhanced Monitoring role ARN in use (null when Enhanced Monitoring is off)."
  value       = local.monitoring_role_arn
}

output "log_group_names" {
  description = "Exported PostgreSQL log group name per log type."
  value       = { for k, g in aws_cloudwatch_log_group.this : k => g.name }
}
