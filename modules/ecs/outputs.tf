output "cluster_name" {
  description = "Name of the ECS cluster (\"<name>-cluster\")."
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "cluster_id" {
  description = "ID of the ECS cluster (equal to its ARN)."
  value       = aws_ecs_cluster.this.id
}

output "service_names" {
  description = "ECS service name per service key (\"<name>-<key>\"); known at plan time."
  value       = local.service_names
}

output "service_arns" {
  description = "ECS service ARN per service key."
  value       = { for k, s in local.services : k => s.id }
}

output "log_group_names" {
  description = "CloudWatch log group name per service key (\"<log_group_prefix>/<key>\")."
  value       = { for k, g in aws_cloudwatch_log_group.service : k => g.name }
}

output "log_group_arns" {
  description = "CloudWatch log group ARN per service key."
  value       = { for k, g in aws_cloudwatch_log_group.service : k => g.arn }
}

output "exec_log_group_name" {
  description = "Log group that records ECS Exec sessions (null when enable_execute_command is false)."
  value       = one(aws_cloudwatch_log_group.exec[*].name)
}

output "task_definition_arns" {
  description = "Task definition ARN (with revision) per service key, as registered by Terraform."
  value       = { for k, t in aws_ecs_task_definition.this : k => t.arn }
}

output "task_definition_families" {
  description = "Task definition family per service key; deploy pipelines register new revisions into these families."
  value       = { for k, t in aws_ecs_task_definition.this : k => t.family }
}

output "exec_task_role_policy_json" {
  description = "IAM policy every task role needs for ECS Exec with this cluster (SSM channels, writing the exec log group, decrypting the session key); null when enable_execute_command is false."
  value       = one(data.aws_iam_policy_document.exec_task_role[*].json)
}

output "container_definitions" {
  description = "The registered container definitions per service key, as objects (jsonencode one to register a revision from a deploy pipeline with the same health check, logging, secrets and sidecar)."
  value       = local.container_definitions
}

output "kms_key_arn" {
  description = "KMS key that encrypts the log groups and ECS Exec sessions (created or passed in; null when none). Give task roles kms:Decrypt on it for ECS Exec."
  value       = local.kms_key_arn
}

output "autoscaling_resource_ids" {
  description = "Application Auto Scaling resource ID per autoscaled service key (empty when enable_autoscaling is false)."
  value       = { for k, t in aws_appautoscaling_target.this : k => t.resource_id }
}

output "routed_services" {
  description = "The load-balanced services in the shape of the alb module's routed_services input (port, health_check_path, path_patterns, host_headers, priority)."
  value = {
    for k, s in var.services : k => {
      port              = s.container_port
      health_check_path = s.health_check_path
      path_patterns     = s.path_patterns
      host_headers      = s.host_headers
      priority          = s.priority
    } if s.load_balanced
  }
}
