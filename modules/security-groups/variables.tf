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
  description = "ID of the VPC the security groups belong to."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must look like vpc-0123456789abcdef0."
  }
}

variable "vpc_cidr_block" {
  description = "IPv4 CIDR of the VPC: the only source allowed to reach the interface VPC endpoints."
  type        = string

  validation {
    condition     = can(cidrhost(var.vpc_cidr_block, 0))
    error_message = "vpc_cidr_block must be a valid IPv4 CIDR block."
  }
}

variable "app_port" {
  description = "Container port every ECS service listens on: the ALB reaches it and services call each other on it."
  type        = number
  default     = 8080

  validation {
    condition     = floor(var.app_port) == var.app_port && var.app_port >= 1 && var.app_port <= 65535
    error_message = "app_port must be a whole number between 1 and 65535."
  }
}

variable "additional_app_ports" {
  description = "Further container ports opened like app_port (e.g. a front-end served on 3000)."
  type        = list(number)
  default     = []

  validation {
    condition     = alltrue([for p in var.additional_app_ports : floor(p) == p && p >= 1 && p <= 65535])
    error_message = "additional_app_ports entries must be whole numbers between 1 and 65535."
  }
}

variable "postgres_port" {
  description = "Port of the PostgreSQL database."
  type        = number
  default     = 5432

  validation {
    condition     = floor(var.postgres_port) == var.postgres_port && var.postgres_port >= 1150 && var.postgres_port <= 65535
    error_message = "postgres_port must be a whole number between 1150 and 65535 (the range RDS accepts)."
  }
}

variable "cache_port" {
  description = "Port of the ElastiCache (Valkey) replication group."
  type        = number
  default     = 6379

  validation {
    condition     = floor(var.cache_port) == var.cache_port && var.cache_port >= 1024 && var.cache_port <= 65535
    error_message = "cache_port must be a whole number between 1024 and 65535."
  }
}

variable "kafka_client_port" {
  description = "Kafka listener port for clients (ECS services) and inter-broker replication."
  type        = number
  default     = 9092

  validation {
    condition     = floor(var.kafka_client_port) == var.kafka_client_port && var.kafka_client_port >= 1024 && var.kafka_client_port <= 65535
    error_message = "kafka_client_port must be a whole number between 1024 and 65535."
  }
}

variable "kafka_controller_port" {
  description = "Kafka KRaft controller quorum port, open only between Kafka brokers."
  type        = number
  default     = 9093

  validation {
    condition     = floor(var.kafka_controller_port) == var.kafka_controller_port && var.kafka_controller_port >= 1024 && var.kafka_controller_port <= 65535 && var.kafka_controller_port != var.kafka_client_port
    error_message = "kafka_controller_port must be a whole number between 1024 and 65535, different from kafka_client_port."
  }
}

variable "alb_ingress_cidr_blocks" {
  description = "IPv4 CIDRs allowed to reach the ALB on 80/443 (the internet by default; narrow it for a private preview)."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.alb_ingress_cidr_blocks) > 0 && alltrue([for c in var.alb_ingress_cidr_blocks : can(cidrhost(c, 0))])
    error_message = "alb_ingress_cidr_blocks must hold at least one valid IPv4 CIDR."
  }
}

variable "ecs_egress_https_cidr_blocks" {
  description = "Destinations ECS tasks may reach on 443 (ECR, Secrets Manager, CloudWatch, X-Ray and external APIs through the NAT gateway or VPC endpoints)."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = alltrue([for c in var.ecs_egress_https_cidr_blocks : can(cidrhost(c, 0))])
    error_message = "ecs_egress_https_cidr_blocks entries must be valid IPv4 CIDRs."
  }
}

variable "kafka_egress_https_cidr_blocks" {
  description = "Destinations Kafka brokers may reach on 443 (SSM, CloudWatch agent, package and Kafka downloads)."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = alltrue([for c in var.kafka_egress_https_cidr_blocks : can(cidrhost(c, 0))])
    error_message = "kafka_egress_https_cidr_blocks entries must be valid IPv4 CIDRs."
  }
}

variable "create_vpc_endpoints_security_group" {
  description = "Create the security group for interface VPC endpoints (HTTPS from the VPC CIDR)."
  type        = bool
  default     = true
}
