variable "name" {
  description = "Name prefix for every resource of the module (e.g. \"goorm-popcorn-dev\"): 1-32 lowercase letters, digits and hyphens."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$", var.name))
    error_message = "name must be 1-32 characters of lowercase letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "tags" {
  description = "Extra tags for every resource, merged over the provider's default_tags."
  type        = map(string)
  default     = {}
}

variable "vpc_id" {
  description = "ID of the VPC the private DNS namespace is attached to (needs DNS support and DNS hostnames)."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must look like vpc-0123456789abcdef0."
  }
}

variable "namespace_name" {
  description = "Private DNS namespace (e.g. \"dev.popcorn.internal\"); services resolve as <service>.<namespace_name>. null = \"<name>.local\"."
  type        = string
  default     = null

  validation {
    condition = var.namespace_name == null ? true : (
      can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.namespace_name)) &&
      length(var.namespace_name) <= 253
    )
    error_message = "namespace_name must be a lowercase DNS name with at least two labels (e.g. dev.popcorn.internal), at most 253 characters."
  }
}

variable "services" {
  description = "Microservice keys to register (e.g. [\"user\", \"order\"]); each becomes <service>.<namespace>."
  type        = list(string)

  validation {
    condition     = alltrue([for s in var.services : can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", s))])
    error_message = "Each service must be a DNS label: 1-63 lowercase letters, digits and hyphens."
  }

  validation {
    condition     = length(distinct(var.services)) == length(var.services)
    error_message = "services must not contain duplicates."
  }
}

variable "dns_ttl" {
  description = "TTL in seconds of the A records Cloud Map creates for each task. Short, so clients notice replaced tasks quickly."
  type        = number
  default     = 10

  validation {
    condition     = floor(var.dns_ttl) == var.dns_ttl && var.dns_ttl >= 0 && var.dns_ttl <= 2147483647
    error_message = "dns_ttl must be a whole number of seconds, 0 or more."
  }
}

variable "routing_policy" {
  description = "Route 53 routing policy for the service records: MULTIVALUE (up to 8 healthy tasks per answer) or WEIGHTED."
  type        = string
  default     = "MULTIVALUE"

  validation {
    condition     = contains(["MULTIVALUE", "WEIGHTED"], var.routing_policy)
    error_message = "routing_policy must be MULTIVALUE or WEIGHTED."
  }
}

variable "force_destroy_services" {
  description = "Deregister remaining instances when a discovery service is destroyed (otherwise destroy fails while ECS tasks are registered)."
  type        = bool
  default     = false
}
