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

variable "services" {
  description = "Microservices that get a repository \"<repository_prefix>/<service>\"."
  type        = list(string)
  default     = ["api-gateway", "user", "store", "order", "payment", "payment-front", "checkin", "order-query"]

  validation {
    condition     = length(var.services) > 0 && alltrue([for s in var.services : can(regex("^[a-z0-9]+([._-][a-z0-9]+)*$", s))])
    error_message = "services must be non-empty ECR name components: lowercase letters and digits, separated by single . _ or -."
  }

  validation {
    condition     = length(distinct(var.services)) == length(var.services)
    error_message = "services must not contain duplicates."
  }
}

variable "repository_prefix" {
  description = "Namespace of the repositories (\"<prefix>/<service>\"). null = the project name."
  type        = string
  default     = null

  validation {
    condition     = var.repository_prefix == null ? true : can(regex("^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$", coalesce(var.repository_prefix, "x")))
    error_message = "repository_prefix must be lowercase ECR path components separated by /."
  }
}

variable "untagged_image_expiry_days" {
  description = "Untagged images (superseded builds, failed pushes) expire this many days after push."
  type        = number
  default     = 7

  validation {
    condition     = floor(var.untagged_image_expiry_days) == var.untagged_image_expiry_days && var.untagged_image_expiry_days >= 1
    error_message = "untagged_image_expiry_days must be a whole number, 1 or more."
  }
}

variable "release_tag_patterns" {
  description = "Tag patterns of release images (ECR wildcards, at most 4 \"*\" each): the tags prod deploys (envs/* require them in prod). Matched before any other rule, so only release_images_to_keep newer releases can ever expire one. Default: semantic versions (x.y.z, v-prefixed or not)."
  type        = list(string)
  default     = ["*.*.*"]

  validation {
    condition     = length(var.release_tag_patterns) >= 1 && length(var.release_tag_patterns) <= 40 && alltrue([for p in var.release_tag_patterns : can(regex("^[A-Za-z0-9_.*-]{1,128}$", p)) && length(regexall("\\*", p)) <= 4 && p != "*"])
    error_message = "release_tag_patterns must be 1-40 tag patterns with at most four * each, and not \"*\" alone (that would protect every tag)."
  }
}

variable "release_images_to_keep" {
  description = "Release images kept per repository and pattern; only more than this many newer releases expire one. Keep it far above the releases between a deploy and its last possible rollback."
  type        = number
  default     = 1000

  validation {
    condition     = floor(var.release_images_to_keep) == var.release_images_to_keep && var.release_images_to_keep >= 100
    error_message = "release_images_to_keep must be a whole number of at least 100 (prod runs and rolls back to release images)."
  }
}

variable "tagged_images_to_keep" {
  description = "How many images with other tags (builds, branches: dev's churn) each repository keeps; older ones expire. This rule can never expire a release image (a higher-priority rule matches those)."
  type        = number
  default     = 30

  validation {
    condition     = floor(var.tagged_images_to_keep) == var.tagged_images_to_keep && var.tagged_images_to_keep >= 1 && var.tagged_images_to_keep <= 10000
    error_message = "tagged_images_to_keep must be a whole number between 1 and 10000."
  }
}

variable "kms_key_deletion_window_days" {
  description = "Waiting period before the ECR KMS key is deleted after a destroy (7-30 days)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_key_deletion_window_days >= 7 && var.kms_key_deletion_window_days <= 30
    error_message = "kms_key_deletion_window_days must be between 7 and 30."
  }
}

variable "force_delete" {
  description = "Let Terraform delete repositories that still contain images (throw-away sandboxes only)."
  type        = bool
  default     = false
}
