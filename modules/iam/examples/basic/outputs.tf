output "task_execution_role_arn" {
  description = "ARN of the example task execution role."
  value       = module.iam.task_execution_role_arn
}

output "task_role_arns" {
  description = "Map of service to task role ARN."
  value       = module.iam.task_role_arns
}

output "kafka_instance_profile_name" {
  description = "Instance profile of the example Kafka brokers."
  value       = module.iam.kafka_instance_profile_name
}
