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

variable "services" {
  description = "Microservice keys (e.g. [\"api-gateway\", \"user\"]); each gets its own ECS task role \"<name>-<service>-task\"."
  type        = list(string)

  validation {
    condition     = alltrue([for s in var.services : can(regex("^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$", s))])
    error_message = "Each service must be 1-22 lowercase letters, digits and hyphens (the IAM role name \"<name>-<service>-task\" must stay within 64 characters)."
  }

  validation {
    condition     = length(distinct(var.services)) == length(var.services)
    error_message = "services must not contain duplicates."
  }
}

variable "secret_arns" {
  description = "Secrets Manager secret ARNs the task execution role may read to inject into containers (e.g. the RDS master secret). Nothing else is readable."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.secret_arns : can(regex("^arn:aws[a-z-]*:secretsmanager:", a))])
    error_message = "secret_arns must be Secrets Manager secret ARNs."
  }
}

variable "ssm_parameter_arns" {
  description = "SSM Parameter Store parameter ARNs the task execution role may read to inject into containers."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.ssm_parameter_arns : can(regex("^arn:aws[a-z-]*:ssm:", a))])
    error_message = "ssm_parameter_arns must be SSM parameter ARNs."
  }
}

variable "kms_key_arns" {
  description = "KMS key ARNs the execution role may use to decrypt those secrets/parameters (only through Secrets Manager or SSM)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.kms_key_arns : can(regex("^arn:aws[a-z-]*:kms:", a))])
    error_message = "kms_key_arns must be KMS key ARNs."
  }
}

variable "ecr_repository_arns" {
  description = "ECR repository ARNs the execution role may pull from. Empty = every repository of this account and region."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.ecr_repository_arns : can(regex("^arn:aws[a-z-]*:ecr:", a))])
    error_message = "ecr_repository_arns must be ECR repository ARNs."
  }
}

variable "log_group_prefix" {
  description = "CloudWatch Logs group prefix the execution role may write to. null = \"/aws/ecs/<name>\" (the ecs module's default)."
  type        = string
  default     = null

  validation {
    condition     = var.log_group_prefix == null ? true : can(regex("^/[A-Za-z0-9_/.#-]+$", var.log_group_prefix))
    error_message = "log_group_prefix must start with / and contain only characters CloudWatch Logs allows in group names."
  }
}

variable "enable_xray" {
  description = "Allow every task role to send X-Ray segments and read sampling rules (for the X-Ray daemon sidecar)."
  type        = bool
  default     = true
}

variable "enable_ecs_exec" {
  description = "Allow every task role to open ECS Exec (SSM Session Manager) channels."
  type        = bool
  default     = true
}

variable "additional_task_role_policy_json" {
  description = "An IAM policy document (JSON) merged into every task role's inline policy (e.g. the xray module's task_role_policy_json). null = none."
  type        = string
  default     = null
}

variable "task_role_policy_jsons" {
  description = "Per-service IAM policy documents (JSON) merged into that service's task role, keyed by service (e.g. S3 access for one service)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.task_role_policy_jsons) : contains(var.services, k)])
    error_message = "Every key of task_role_policy_jsons must be one of services."
  }
}

variable "create_kafka_role" {
  description = "Create the EC2 role and instance profile for the Kafka brokers (SSM Session Manager and CloudWatch agent)."
  type        = bool
  default     = true
}

variable "create_rds_monitoring_role" {
  description = "Create the role RDS enhanced monitoring uses to publish OS metrics."
  type        = bool
  default     = true
}

variable "permissions_boundary_arn" {
  description = "ARN of a permissions boundary policy set on every role (null = none)."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null ? true : can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM policy ARN."
  }
}
