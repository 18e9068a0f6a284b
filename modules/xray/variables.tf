variable "name" {
  description = "Name prefix, e.g. \"goorm-popcorn-dev\". Rule and group names derive from it (shortened with a hash suffix when longer than X-Ray's 32 characters)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,31}$", var.name)) && !endswith(var.name, "-")
    error_message = "name must be 1-32 characters of lowercase letters, digits and hyphens, and must not start or end with a hyphen."
  }
}

variable "tags" {
  description = "Tags added to every taggable resource (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}

variable "services" {
  description = <<-EOT
    Traced services keyed like the ecs module's services. Each gets the X-Ray service name "<name>-<key>" (the ecs
    module passes it as AWS_XRAY_TRACING_NAME), a group, and optionally its own sampling rule when fixed_rate or
    reservoir_size is set. url_path/http_method narrow the service rule; priority orders it (lower wins, 1-9999).
  EOT
  type = map(object({
    fixed_rate     = optional(number)
    reservoir_size = optional(number)
    url_path       = optional(string, "*")
    http_method    = optional(string, "*")
    priority       = optional(number)
  }))
  default = {}

  validation {
    condition     = alltrue([for k in keys(var.services) : can(regex("^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$", k))])
    error_message = "Service keys must be 1-32 lowercase letters, digits and hyphens, starting with a letter (same rule as the ecs module)."
  }
  validation {
    condition = alltrue([for s in values(var.services) : (
      (s.fixed_rate == null ? true : (s.fixed_rate >= 0 && s.fixed_rate <= 1)) &&
      (s.reservoir_size == null ? true : s.reservoir_size >= 0) &&
      (s.priority == null ? true : (s.priority >= 1 && s.priority <= 9999))
    )])
    error_message = "fixed_rate must be 0-1, reservoir_size >= 0 and priority 1-9999."
  }
}

variable "enable_sampling_rules" {
  description = "Create the sampling rules (environment default, per-service overrides, health-check exclusions)."
  type        = bool
  default     = true
}

variable "default_fixed_rate" {
  description = "Share of requests sampled by the environment-wide rule after its reservoir (0-1)."
  type        = number
  default     = 0.05

  validation {
    condition     = var.default_fixed_rate >= 0 && var.default_fixed_rate <= 1
    error_message = "default_fixed_rate must be 0-1."
  }
}

variable "default_reservoir_size" {
  description = "Requests per second always sampled by the environment-wide rule before fixed_rate applies."
  type        = number
  default     = 1

  validation {
    condition     = var.default_reservoir_size >= 0
    error_message = "default_reservoir_size must be >= 0."
  }
}

variable "excluded_url_paths" {
  description = "URL paths (X-Ray wildcards * and ?) never sampled, such as load balancer health checks."
  type        = list(string)
  default     = ["/health", "/actuator/health*"]
}

variable "enable_groups" {
  description = "Create an environment group and one group per service (filter expressions on the service names)."
  type        = bool
  default     = true
}

variable "enable_insights" {
  description = "Turn on X-Ray Insights (anomaly detection) for the groups."
  type        = bool
  default     = false
}

variable "enable_insights_notifications" {
  description = "Send Insights notifications to EventBridge (only with enable_insights)."
  type        = bool
  default     = false
}

variable "enable_encryption_config" {
  description = "Encrypt trace data with a customer managed KMS key. The setting is account- and region-wide: enable it in exactly one stack per account and region."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "KMS key the account's traces are encrypted with, when this module does not create it: with enable_encryption_config it becomes the account setting; without, it is the key another stack set (e.g. global/account) and only task_role_policy_json grants it."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null ? true : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
  validation {
    condition     = var.kms_key_arn == null ? true : !var.create_kms_key
    error_message = "Set create_kms_key = false when passing kms_key_arn (counts cannot depend on an ARN that may be unknown at plan time)."
  }
}

variable "create_kms_key" {
  description = "Create the trace encryption key when enable_encryption_config is true. Set false when passing kms_key_arn."
  type        = bool
  default     = true
}
