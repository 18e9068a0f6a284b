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

variable "state_bucket_name" {
  description = "Name of the S3 bucket holding every stack's Terraform state. Must match the bucket in each backend.tf (and popcorn.toml)."
  type        = string
  default     = "goorm-popcorn-tfstate"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name)) && !can(regex("\\.\\.|^\\d+\\.\\d+\\.\\d+\\.\\d+$", var.state_bucket_name))
    error_message = "state_bucket_name must be a valid S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, not an IP address."
  }
}

variable "lock_table_name" {
  description = "Name of the DynamoDB table holding Terraform state locks. Must match dynamodb_table in each backend.tf (and popcorn.toml)."
  type        = string
  default     = "goorm-popcorn-tf-locks"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.lock_table_name))
    error_message = "lock_table_name must be 3-255 letters, digits, underscores, dots or hyphens."
  }
}

variable "kms_key_alias" {
  description = "Alias of the customer-managed KMS key encrypting the state bucket and the lock table. null = \"alias/<project>-tfstate\"."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_alias == null ? true : (can(regex("^alias/[a-zA-Z0-9/_-]+$", var.kms_key_alias)) && !startswith(coalesce(var.kms_key_alias, "x"), "alias/aws/"))
    error_message = "kms_key_alias must look like alias/<name> and must not use the reserved alias/aws/ prefix."
  }
}

variable "kms_key_deletion_window_days" {
  description = "Waiting period before the KMS key is deleted after a destroy (7-30 days)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_key_deletion_window_days >= 7 && var.kms_key_deletion_window_days <= 30
    error_message = "kms_key_deletion_window_days must be between 7 and 30."
  }
}

variable "noncurrent_version_retention_days" {
  description = "Days a superseded state version is kept before it expires (the window for rolling back a state file)."
  type        = number
  default     = 90

  validation {
    condition     = floor(var.noncurrent_version_retention_days) == var.noncurrent_version_retention_days && var.noncurrent_version_retention_days >= 1
    error_message = "noncurrent_version_retention_days must be a whole number, 1 or more."
  }
}

variable "enable_deletion_protection" {
  description = "Turn on DynamoDB deletion protection for the lock table. Turn off (and apply) before destroying a throw-away bootstrap."
  type        = bool
  default     = true
}

variable "deny_insecure_transport" {
  description = "Attach the bucket policy that refuses plain-HTTP requests and TLS older than 1.2. Only the local sandbox turns it off: its emulator (moto 5.2) treats any policy statement whose condition does not match as an explicit deny, which locks every client out of the objects."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Allow destroying the state bucket with its objects. Only for throw-away sandboxes: it deletes every stack's state."
  type        = bool
  default     = false
}
