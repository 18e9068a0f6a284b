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

variable "domain_name" {
  description = "Apex domain of the public hosted zone and of the certificate."
  type        = string
  default     = "goormpopcorn.shop"

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name)) && length(var.domain_name) <= 253
    error_message = "domain_name must be a lowercase DNS name such as goormpopcorn.shop (no trailing dot)."
  }
}

variable "subject_alternative_names" {
  description = "Extra names on the certificate. null = [\"*.<domain_name>\"] (every first-level subdomain: api., pay., ...)."
  type        = list(string)
  default     = null

  validation {
    condition     = var.subject_alternative_names == null ? true : try(length(var.subject_alternative_names) <= 99, false)
    error_message = "An ACM certificate holds at most 100 names (the domain plus 99 alternatives)."
  }

  validation {
    condition     = var.subject_alternative_names == null ? true : alltrue([for n in coalesce(var.subject_alternative_names, []) : can(regex("^(\\*\\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", n))])
    error_message = "subject_alternative_names must be lowercase DNS names, optionally starting with *."
  }
}

variable "create_caa_records" {
  description = "Publish CAA records allowing only Amazon's CAs to issue certificates for the domain."
  type        = bool
  default     = true
}

variable "zone_force_destroy" {
  description = "Let Terraform delete the hosted zone together with records it does not manage (throw-away sandboxes only)."
  type        = bool
  default     = false
}

variable "validation_timeout" {
  description = "How long to wait for ACM to validate the certificate (DNS validation usually takes minutes once the registrar delegates to the zone's name servers)."
  type        = string
  default     = "45m"

  validation {
    condition     = can(regex("^[0-9]+(s|m|h)$", var.validation_timeout))
    error_message = "validation_timeout must be a duration such as 45m or 1h."
  }
}
