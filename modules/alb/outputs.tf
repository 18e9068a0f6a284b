output "alb_arn" {
  description = "ARN of the application load balancer."
  value       = aws_lb.this.arn
}

output "alb_arn_suffix" {
  description = "ARN suffix of the ALB (app/<name>/<id>), the LoadBalancer dimension of CloudWatch metrics."
  value       = aws_lb.this.arn_suffix
}

output "alb_name" {
  description = "Name of the ALB."
  value       = aws_lb.this.name
}

output "alb_dns_name" {
  description = "DNS name of the ALB (target of Route 53 alias records)."
  value       = aws_lb.this.dns_name
}

output "alb_zone_id" {
  description = "Canonical hosted zone ID of the ALB (for Route 53 alias records)."
  value       = aws_lb.this.zone_id
}

output "http_listener_arn" {
  description = "ARN of the HTTP listener (redirects to HTTPS)."
  value       = aws_lb_listener.http.arn
}

output "https_listener_arn" {
  description = "ARN of the HTTPS listener."
  value       = aws_lb_listener.https.arn
}

output "target_group_arns" {
  description = "Map of routed service key to target group ARN (for ECS load_balancer blocks). Known only once the group's listener rule exists: ECS CreateService rejects a target group that no listener forwards to."
  # Read through the listener rule, not the target group, so consumers wait for the attachment.
  value = { for k, rule in aws_lb_listener_rule.this : k => one(rule.action).target_group_arn }
}

output "target_group_arn_suffixes" {
  description = "Map of routed service key to target group ARN suffix (the TargetGroup dimension of CloudWatch metrics)."
  value       = { for k, tg in aws_lb_target_group.this : k => tg.arn_suffix }
}

output "target_group_names" {
  description = "Map of routed service key to target group name."
  value       = { for k, tg in aws_lb_target_group.this : k => tg.name }
}

output "listener_rule_arns" {
  description = "Map of routed service key to its HTTPS listener rule ARN."
  value       = { for k, r in aws_lb_listener_rule.this : k => r.arn }
}

output "access_logs_bucket_name" {
  description = "Name of the access-log bucket (null when enable_access_logs is false)."
  value       = try(aws_s3_bucket.access_logs[0].id, null)
}

output "access_logs_bucket_arn" {
  description = "ARN of the access-log bucket (null when enable_access_logs is false)."
  value       = try(aws_s3_bucket.access_logs[0].arn, null)
}

output "waf_web_acl_arn" {
  description = "ARN of the WAFv2 web ACL (null when enable_waf is false)."
  value       = try(aws_wafv2_web_acl.this[0].arn, null)
}

output "waf_log_group_name" {
  description = "Name of the WAF log group (null when WAF logging is off)."
  value       = try(aws_cloudwatch_log_group.waf[0].name, null)
}
