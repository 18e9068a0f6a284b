variable "name" {
  description = "Name prefix for every resource of the module (e.g. \"goorm-popcorn-dev\"): 1-28 lowercase letters, digits and hyphens (the ALB is named \"<name>-alb\", at most 32 characters)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,26}[a-z0-9])?$", var.name))
    error_message = "name must be 1-28 characters of lowercase letters, digits and hyphens, starting and ending with a letter or digit (\"<name>-alb\" must fit the 32-character ALB name limit)."
  }
}

variable "tags" {
  description = "Extra tags for every resource, merged over the provider's default_tags."
  type        = map(string)
  default     = {}
}

variable "vpc_id" {
  description = "ID of the VPC of the target groups."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must look like vpc-0123456789abcdef0."
  }
}

variable "public_subnet_ids" {
  description = "Public subnets for the internet-facing ALB, in at least two AZs."
  type        = list(string)

  validation {
    condition     = length(var.public_subnet_ids) >= 2
    error_message = "An application load balancer needs subnets in at least two availability zones."
  }
}

variable "security_group_ids" {
  description = "Security groups of the ALB (e.g. the security-groups module's alb_security_group_id)."
  type        = list(string)

  validation {
    condition     = length(var.security_group_ids) >= 1 && length(var.security_group_ids) <= 5
    error_message = "security_group_ids must hold between 1 and 5 security groups."
  }
}

variable "certificate_arn" {
  description = "ARN of the validated ACM certificate for the HTTPS listener (global/route53-acm's certificate_arn)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN in the ALB's region."
  }
}

variable "additional_certificate_arns" {
  description = "Further ACM certificates served on the HTTPS listener via SNI."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.additional_certificate_arns : can(regex("^arn:aws[a-z-]*:acm:", a))])
    error_message = "additional_certificate_arns must be ACM certificate ARNs."
  }
}

variable "ssl_policy" {
  description = "TLS negotiation policy of the HTTPS listener. The default offers TLS 1.3 and 1.2 only."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"

  validation {
    condition     = can(regex("^ELBSecurityPolicy-(TLS13-1-[23]-|FS-1-2-|TLS-1-2-)", var.ssl_policy))
    error_message = "ssl_policy must be an ELB security policy that refuses TLS 1.0/1.1 (ELBSecurityPolicy-TLS13-1-2-*, -TLS13-1-3-*, -FS-1-2-* or -TLS-1-2-*)."
  }
}

variable "hsts_header_value" {
  description = "Strict-Transport-Security header the HTTPS listener adds to every response (null = none)."
  type        = string
  default     = "max-age=31536000"

  validation {
    condition     = var.hsts_header_value == null ? true : can(regex("^max-age=[0-9]+", var.hsts_header_value))
    error_message = "hsts_header_value must start with max-age=<seconds>."
  }
}

variable "idle_timeout" {
  description = "Seconds a connection may stay idle before the ALB closes it."
  type        = number
  default     = 60

  validation {
    condition     = var.idle_timeout >= 1 && var.idle_timeout <= 4000
    error_message = "idle_timeout must be between 1 and 4000 seconds."
  }
}

variable "enable_deletion_protection" {
  description = "Protect the ALB from deletion (Terraform must turn it off before a destroy)."
  type        = bool
  default     = true
}

variable "routed_services" {
  description = <<-EOT
    Services behind the ALB, keyed by service (the target group is "<name>-<key>", at most 32 characters). Each gets an ip-type
    target group and one HTTPS listener rule forwarding requests that match its path_patterns and/or host_headers:
    port (container port), priority (unique rule priority, lower wins), health_check_path, health_check_matcher,
    health_check_interval, healthy_threshold, unhealthy_threshold, deregistration_delay (seconds), slow_start (seconds).
  EOT
  type = map(object({
    port                  = number
    priority              = number
    path_patterns         = optional(list(string), [])
    host_headers          = optional(list(string), [])
    health_check_path     = optional(string, "/")
    health_check_matcher  = optional(string, "200-399")
    health_check_interval = optional(number, 15)
    healthy_threshold     = optional(number, 2)
    unhealthy_threshold   = optional(number, 3)
    deregistration_delay  = optional(number, 30)
    slow_start            = optional(number, 0)
  }))
  default = {}

  validation {
    condition     = alltrue([for k, _ in var.routed_services : can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", k)) && length("${var.name}-${k}") <= 32])
    error_message = "routed_services keys must be lowercase letters, digits and hyphens, and \"<name>-<key>\" (the target group name) must be at most 32 characters."
  }

  validation {
    condition     = length(distinct([for s in values(var.routed_services) : s.priority])) == length(var.routed_services)
    error_message = "Every routed service needs a distinct listener rule priority."
  }

  validation {
    condition     = alltrue([for s in values(var.routed_services) : floor(s.priority) == s.priority && s.priority >= 1 && s.priority <= 50000])
    error_message = "Listener rule priorities must be whole numbers between 1 and 50000."
  }

  validation {
    condition     = alltrue([for s in values(var.routed_services) : length(s.path_patterns) + length(s.host_headers) >= 1 && length(s.path_patterns) + length(s.host_headers) <= 5])
    error_message = "Each routed service needs between 1 and 5 condition values in total across path_patterns and host_headers (the ALB rule limit)."
  }

  validation {
    condition     = alltrue([for s in values(var.routed_services) : floor(s.port) == s.port && s.port >= 1 && s.port <= 65535])
    error_message = "Each routed service's port must be a whole number between 1 and 65535."
  }

  validation {
    condition     = alltrue([for s in values(var.routed_services) : startswith(s.health_check_path, "/") && length(s.health_check_path) <= 1024])
    error_message = "health_check_path must start with / and be at most 1024 characters."
  }

  validation {
    condition = alltrue([for s in values(var.routed_services) :
      s.health_check_interval >= 5 && s.health_check_interval <= 300 &&
      s.healthy_threshold >= 2 && s.healthy_threshold <= 10 &&
      s.unhealthy_threshold >= 2 && s.unhealthy_threshold <= 10 &&
      s.deregistration_delay >= 0 && s.deregistration_delay <= 3600 &&
      (s.slow_start == 0 || (s.slow_start >= 30 && s.slow_start <= 900))
    ])
    error_message = "Health check interval 5-300 s, thresholds 2-10, deregistration_delay 0-3600 s, slow_start 0 or 30-900 s."
  }
}

variable "default_response" {
  description = "Fixed response of the HTTPS listener when no rule matches."
  type = object({
    status_code  = optional(string, "404")
    content_type = optional(string, "application/json")
    message_body = optional(string, "{\"message\":\"not found\"}")
  })
  default = {}

  validation {
    condition     = can(regex("^[2-5][0-9][0-9]$", var.default_response.status_code))
    error_message = "default_response.status_code must be an HTTP status code 2XX-5XX."
  }

  validation {
    condition     = contains(["text/plain", "text/css", "text/html", "application/javascript", "application/json"], var.default_response.content_type)
    error_message = "default_response.content_type must be text/plain, text/css, text/html, application/javascript or application/json."
  }
}

variable "enable_access_logs" {
  description = "Create an S3 bucket (SSE-S3, versioned, lifecycle-expired) and send the ALB's access logs to it."
  type        = bool
  default     = true
}

variable "access_logs_bucket_name" {
  description = "Name of the access-log bucket. null = \"<name>-alb-logs-<account id>\"."
  type        = string
  default     = null

  validation {
    condition     = var.access_logs_bucket_name == null ? true : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.access_logs_bucket_name))
    error_message = "access_logs_bucket_name must be a valid S3 bucket name (3-63 lowercase letters, digits, dots and hyphens)."
  }
}

variable "access_logs_prefix" {
  description = "Key prefix of the access logs inside the bucket."
  type        = string
  default     = "alb"

  validation {
    condition     = !startswith(var.access_logs_prefix, "/") && !endswith(var.access_logs_prefix, "/") && !strcontains(lower(var.access_logs_prefix), "awslogs")
    error_message = "access_logs_prefix must not start or end with / and must not contain AWSLogs (ELB adds that part itself)."
  }
}

variable "access_logs_retention_days" {
  description = "Days after which access-log objects expire."
  type        = number
  default     = 90

  validation {
    condition     = floor(var.access_logs_retention_days) == var.access_logs_retention_days && var.access_logs_retention_days >= 1
    error_message = "access_logs_retention_days must be a whole number of days, 1 or more."
  }
}

variable "access_logs_force_destroy" {
  description = "Let Terraform delete the access-log bucket together with its logs (for throw-away environments)."
  type        = bool
  default     = false
}

variable "enable_waf" {
  description = "Create a regional WAFv2 web ACL (AWS managed rule groups and a per-IP rate limit) and associate it with the ALB."
  type        = bool
  default     = true
}

variable "waf_managed_rule_groups" {
  description = <<-EOT
    AWS managed rule groups evaluated in order (priority = position). count_only = true records matches of the whole
    group without blocking (for tuning); count_rules lists single rules of the group that only count. By default the
    anonymous-IP group blocks VPNs, Tor and proxies but only counts hosting-provider addresses, so server-to-server
    callbacks (e.g. payment webhooks from cloud hosts) still get through.
  EOT
  type = list(object({
    name        = string
    count_only  = optional(bool, false)
    count_rules = optional(list(string), [])
  }))
  default = [
    { name = "AWSManagedRulesAmazonIpReputationList" },
    { name = "AWSManagedRulesAnonymousIpList", count_rules = ["HostingProviderIPList"] },
    { name = "AWSManagedRulesKnownBadInputsRuleSet" },
    { name = "AWSManagedRulesCommonRuleSet" },
    { name = "AWSManagedRulesSQLiRuleSet" },
  ]

  validation {
    condition     = alltrue([for g in var.waf_managed_rule_groups : can(regex("^AWSManagedRules[A-Za-z0-9]+$", g.name))])
    error_message = "waf_managed_rule_groups names must be AWS managed rule group names (AWSManagedRules...)."
  }

  validation {
    condition     = length(distinct([for g in var.waf_managed_rule_groups : g.name])) == length(var.waf_managed_rule_groups)
    error_message = "waf_managed_rule_groups must not list a group twice."
  }
}

variable "waf_rate_limit" {
  description = "Requests per client IP per 5 minutes above which the WAF blocks (null = no rate-based rule)."
  type        = number
  default     = 2000

  validation {
    condition     = var.waf_rate_limit == null ? true : try(var.waf_rate_limit >= 10 && var.waf_rate_limit <= 2000000000, false)
    error_message = "waf_rate_limit must be between 10 and 2,000,000,000 (or null)."
  }
}

variable "enable_waf_logging" {
  description = "Send WAF logs to a CloudWatch Logs group named aws-waf-logs-<name> (when enable_waf)."
  type        = bool
  default     = true
}

variable "waf_log_retention_days" {
  description = "Retention of the WAF log group in days (one of the values CloudWatch Logs accepts)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.waf_log_retention_days)
    error_message = "waf_log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "waf_log_kms_key_arn" {
  description = "KMS key ARN for the WAF log group (its policy must allow CloudWatch Logs). null = service-owned encryption."
  type        = string
  default     = null

  validation {
    condition     = var.waf_log_kms_key_arn == null ? true : can(regex("^arn:aws[a-z-]*:kms:", var.waf_log_kms_key_arn))
    error_message = "waf_log_kms_key_arn must be a KMS key ARN."
  }
}
