output "task_execution_role_arn" {
  description = "ARN of the ECS task execution role (image pulls, logs, secret injection). Known once its policy exists, so a task definition never starts tasks with a role that cannot pull or read secrets yet."
  value       = aws_iam_role.task_execution.arn

  depends_on = [aws_iam_role_policy.task_execution]
}

output "task_execution_role_name" {
  description = "Name of the ECS task execution role."
  value       = aws_iam_role.task_execution.name
}

output "task_role_arns" {
  description = "Map of service key to the ARN of its ECS task role, known once the roles' policies exist."
  value       = { for k, r in aws_iam_role.task : k => r.arn }

  depends_on = [aws_iam_role_policy.task]
}

output "task_role_names" {
  description = "Map of service key to the name of its ECS task role."
  value       = { for k, r in aws_iam_role.task : k => r.name }
}

output "kafka_role_arn" {
  description = "ARN of the Kafka brokers' EC2 role (null when create_kafka_role is false)."
  value       = try(aws_iam_role.kafka[0].arn, null)
}

output "kafka_role_name" {
  description = "Name of the Kafka brokers' EC2 role (null when create_kafka_role is false)."
  value       = try(aws_iam_role.kafka[0].name, null)
}

output "kafka_instance_profile_name" {
  description = "Name of the Kafka brokers' instance profile (null when create_kafka_role is false), known once the role's policies are attached: the boot script needs SSM and the CloudWatch agent rights on first boot."
  value       = try(aws_iam_instance_profile.kafka[0].name, null)

  depends_on = [aws_iam_role_policy_attachment.kafka]
}

output "kafka_instance_profile_arn" {
  description = "ARN of the Kafka brokers' instance profile (null when create_kafka_role is false), known once the role's policies are attached."
  value       = try(aws_iam_instance_profile.kafka[0].arn, null)

  depends_on = [aws_iam_role_policy_attachment.kafka]
}

output "rds_monitoring_role_arn" {
  description = "ARN of the RDS enhanced-monitoring role (null when create_rds_monitoring_role is false), known once AmazonRDSEnhancedMonitoringRole is attached (CreateDBInstance checks that RDS can assume and use it)."
  value       = try(aws_iam_role.rds_monitoring[0].arn, null)

  depends_on = [aws_iam_role_policy_attachment.rds_monitoring]
}
