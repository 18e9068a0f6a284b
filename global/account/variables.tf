variable "region" {
  description = "AWS region of the stack."
  type        = string
  default     = "ap-northeast-2"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as ap-northeast-2."
  }
}

variable "project" {
  description = "Project name: the Project tag and the prefix of shared resource names."
  type        = string
  default     = "goorm-popcorn"

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$", var.project))
    error_message = "project must be 1-32 lowercase letters, digits and hyphens."
  }
}

variable "environment" {
  description = "Value of the Environment tag. Shared stacks (bootstrap, global) serve every environment."
  type        = string
  default     = "global"

  validation {
    condition     = can(regex("^[a-z0-9-]{1,32}$", var.environment))
    error_message = "environment must be 1-32 lowercase letters, digits and hyphens."
  }
}

variable "owner" {
  description = "Value of the Owner tag: the team answerable for these resources."
  type        = string
  default     = "devops"

  validation {
    condition     = length(var.owner) >= 1 && length(var.owner) <= 256
    error_message = "owner must be 1-256 characters (a tag value)."
  }
}

variable "tags" {
  description = "Extra tags for every resource of the stack (merged under the standard Project/Environment/ManagedBy/Owner tags)."
  type        = map(string)
  default     = {}
}


################################################################################
# Account- and region-wide settings: each exists once per account and region, so this stack (shared by every
# environment) is their only owner; envs/* never declare them (tests/envs/test_envs_account_settings.py).
################################################################################

variable "enable_xray_encryption_config" {
  description = "Encrypt the account's X-Ray traces (every environment's) with a customer managed key. Traces are encrypted with an AWS key otherwise."
  type        = bool
  default     = true
}

variable "enable_ebs_encryption_by_default" {
  description = "Encrypt every new EBS volume and snapshot copy of the account and region (the AWS managed key aws/ebs unless a volume names its own). Our volumes name their keys; this catches volumes made by hand, restores and tools."
  type        = bool
  default     = true
}

variable "enable_log_delivery_policy" {
  description = "One account-level CloudWatch Logs resource policy that lets AWS log delivery (WAF, ElastiCache) write to the environments' log groups. Without it every service that delivers logs adds its own statement per log group to a policy AWS manages, and the region's 10 resource policies (5,120 characters each) run out."
  type        = bool
  default     = true
}

variable "log_delivery_log_group_patterns" {
  description = "Log group name patterns (CloudWatch Logs ARN wildcards) AWS log delivery may write to: the WAF groups (\"aws-waf-logs-*\", a name WAF requires) and the ElastiCache slow/engine log groups of every environment."
  type        = list(string)
  default     = ["aws-waf-logs-*", "/aws/elasticache/*"]

  validation {
    condition     = length(var.log_delivery_log_group_patterns) > 0 && alltrue([for p in var.log_delivery_log_group_patterns : can(regex("^[A-Za-z0-9_./#*-]+$", p))])
    error_message = "log_delivery_log_group_patterns must be non-empty log group name patterns (letters, digits, _ . / # - and *)."
  }
}

################################################################################
# Audit: the account's multi-region CloudTrail trail
################################################################################

variable "enable_cloudtrail" {
  description = "The account's multi-region CloudTrail trail (management events of every region and environment) to a KMS-encrypted, versioned S3 bucket with log-file validation, plus a searchable CloudWatch Logs copy. One trail per account: a second trail bills the same management events twice."
  type        = bool
  default     = true
}

variable "cloudtrail_retention_days" {
  description = "Days CloudTrail log files are kept in S3 before they expire."
  type        = number
  default     = 365

  validation {
    condition     = floor(var.cloudtrail_retention_days) == var.cloudtrail_retention_days && var.cloudtrail_retention_days >= 90
    error_message = "cloudtrail_retention_days must be a whole number of at least 90 days."
  }
}

variable "cloudtrail_log_retention_days" {
  description = "Retention of the trail's CloudWatch Logs copy \"/aws/cloudtrail/<project>\" (the S3 files follow cloudtrail_retention_days)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.cloudtrail_log_retention_days)
    error_message = "cloudtrail_log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "deny_insecure_transport" {
  description = "Deny non-TLS requests to the trail bucket in its bucket policy. The local emulator evaluates any conditional bucket-policy statement as an explicit deny: false in the sandbox profile."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Let a destroy delete the trail bucket with its log files in it (throw-away sandboxes only)."
  type        = bool
  default     = false
}

variable "kms_key_deletion_window_days" {
  description = "Waiting period before the audit KMS key is deleted after a destroy (7-30 days)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_key_deletion_window_days >= 7 && var.kms_key_deletion_window_days <= 30
    error_message = "kms_key_deletion_window_days must be between 7 and 30."
  }
}
