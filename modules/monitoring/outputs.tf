output "sns_topic_arn" {
  description = "ARN of the alert topic \"<name>-alerts\" (subscribe further endpoints to it)."
  value       = aws_sns_topic.this.arn
}

output "events_topic_arn" {
  description = "Unencrypted topic for ElastiCache event notifications (notification_topic_arn); null when create_events_topic is false. The alerts topic (sns_topic_arn) is encrypted, and ElastiCache cannot publish to it."
  value       = try(aws_sns_topic.events[0].arn, null)

  # Publishing works only once the policy with AWS:SourceOwner is on the topic.
  depends_on = [aws_sns_topic_policy.events]
}

output "sns_kms_key_arn" {
  description = "KMS key encrypting the alert topic (null when the AWS managed key is used)."
  value       = local.sns_kms_key
}

output "dashboard_name" {
  description = "Name of the integrated dashboard (null when enable_dashboard is false)."
  value       = one(aws_cloudwatch_dashboard.this[*].dashboard_name)
}

output "dashboard_arn" {
  description = "ARN of the integrated dashboard (null when enable_dashboard is false)."
  value       = one(aws_cloudwatch_dashboard.this[*].dashboard_arn)
}

output "alarm_names" {
  description = "Names of every alarm the module created, sorted."
  value       = sort([for k in local.all_alarm_keys : "${var.name}-${k}"])
}

output "alarm_names_by_service" {
  description = "Alarm names per service family: ecs, alb, rds, elasticache, kafka, vpc."
  value       = local.alarm_names_by_family
}

output "alarm_arns" {
  description = "Alarm ARN per alarm name."
  value = merge(
    { for k, a in aws_cloudwatch_metric_alarm.this : a.alarm_name => a.arn },
    { for k, a in aws_cloudwatch_metric_alarm.running_tasks : a.alarm_name => a.arn },
  )
}

output "log_metric_filter_names" {
  description = "Names of the log metric filters (ERROR lines per service and Kafka, VPC REJECTs)."
  value = concat(
    [for f in aws_cloudwatch_log_metric_filter.ecs_errors : f.name],
    aws_cloudwatch_log_metric_filter.kafka_errors[*].name,
    aws_cloudwatch_log_metric_filter.flow_log_rejects[*].name,
  )
}

output "custom_metric_namespace" {
  description = "Namespace of the metrics published by the log metric filters."
  value       = local.namespace
}
