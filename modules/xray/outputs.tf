output "sampling_rule_arns" {
  description = "Sampling rule ARN per rule name (environment default, per-service rules, health-check exclusions)."
  value = merge(
    { for r in aws_xray_sampling_rule.default : r.rule_name => r.arn },
    { for r in aws_xray_sampling_rule.service : r.rule_name => r.arn },
    { for r in aws_xray_sampling_rule.excluded : r.rule_name => r.arn },
  )
}

output "group_arns" {
  description = "Group ARN per service key, plus the environment group under the key \"_environment\"."
  value = merge(
    { for k, g in aws_xray_group.service : k => g.arn },
    { for g in aws_xray_group.environment : "_environment" => g.arn },
  )
}

output "tracing_names" {
  description = "X-Ray service name per service key; pass to the ecs module's xray_tracing_names (it is also its default)."
  value       = local.tracing_names
}

output "task_role_policy_json" {
  description = "IAM policy document for task roles that send traces (X-Ray daemon sidecar or SDK): put segments/telemetry, read sampling rules and targets, and use the trace key through X-Ray when encryption is on."
  value       = data.aws_iam_policy_document.task.json
}

output "kms_key_arn" {
  description = "KMS key encrypting trace data: created here or passed in (null when traces use an AWS key)."
  value       = local.kms_key_arn
}
