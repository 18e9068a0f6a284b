output "sampling_rule_arns" {
  description = "Sampling rules."
  value       = module.xray.sampling_rule_arns
}

output "tracing_names" {
  description = "X-Ray service names per service key."
  value       = module.xray.tracing_names
}

output "task_role_policy_json" {
  description = "Policy for task roles."
  value       = module.xray.task_role_policy_json
}
