output "xray_kms_key_arn" {
  description = "KMS key the account's X-Ray traces are encrypted with (null when enable_xray_encryption_config is false: an AWS key). Task roles that send traces need kms:GenerateDataKey and kms:Decrypt on it through X-Ray."
  value       = module.xray.kms_key_arn
}

output "cloudtrail_arn" {
  description = "ARN of the account's multi-region trail (null when enable_cloudtrail is false)."
  value       = try(aws_cloudtrail.this["trail"].arn, null)
}

output "cloudtrail_bucket_name" {
  description = "S3 bucket holding the trail's log files (null when enable_cloudtrail is false)."
  value       = try(aws_s3_bucket.cloudtrail["trail"].id, null)
}

output "cloudtrail_log_group_name" {
  description = "CloudWatch Logs copy of the trail (null when enable_cloudtrail is false)."
  value       = try(aws_cloudwatch_log_group.cloudtrail["trail"].name, null)
}

output "ebs_encryption_by_default" {
  description = "Whether new EBS volumes of the account and region are encrypted by default."
  value       = try(aws_ebs_encryption_by_default.this[0].enabled, false)
}

output "log_delivery_policy_name" {
  description = "Account-level CloudWatch Logs resource policy for AWS log delivery (null when enable_log_delivery_policy is false)."
  value       = try(aws_cloudwatch_log_resource_policy.log_delivery[0].policy_name, null)
}
