output "sns_topic_arn" {
  description = "Alert topic."
  value       = module.monitoring.sns_topic_arn
}

output "dashboard_name" {
  description = "Integrated dashboard."
  value       = module.monitoring.dashboard_name
}

output "alarm_names_by_service" {
  description = "Alarm names per service family."
  value       = module.monitoring.alarm_names_by_service
}
