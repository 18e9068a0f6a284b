################################################################################
# Naming
################################################################################

variable "name" {
  description = "Name prefix for every resource of this module, e.g. \"goorm-popcorn-dev\". The cluster is \"<name>-cluster\", each service and task family \"<name>-<service key>\"."
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

################################################################################
# Cluster
################################################################################

variable "container_insights" {
  description = "CloudWatch Container Insights mode of the cluster: \"enhanced\" (task/container level metrics), \"enabled\" (service level) or \"disabled\". The monitoring module's running-vs-desired alarm needs at least \"enabled\"."
  type        = string
  default     = "enabled"

  validation {
    condition     = contains(["enhanced", "enabled", "disabled"], var.container_insights)
    error_message = "container_insights must be one of: enhanced, enabled, disabled."
  }
}

variable "capacity_provider_strategy" {
  description = <<-EOT
    Default capacity provider strategy of the cluster, also used by every service that does not set its own.
    Only FARGATE and FARGATE_SPOT are associated with the cluster. Dev typically favours Spot, e.g.
    `[{ capacity_provider = "FARGATE", base = 1, weight = 0 }, { capacity_provider = "FARGATE_SPOT", weight = 4 }]`;
    prod keeps a FARGATE base so a Spot reclaim never takes a service to zero.
  EOT
  type = list(object({
    capacity_provider = string
    weight            = optional(number, 1)
    base              = optional(number, 0)
  }))
  default = [
    { capacity_provider = "FARGATE", weight = 1, base = 1 },
  ]

  validation {
    condition     = length(var.capacity_provider_strategy) > 0 && alltrue([for s in var.capacity_provider_strategy : contains(["FARGATE", "FARGATE_SPOT"], s.capacity_provider)])
    error_message = "capacity_provider_strategy needs at least one entry, and every capacity_provider must be FARGATE or FARGATE_SPOT."
  }
  validation {
    condition     = length(distinct([for s in var.capacity_provider_strategy : s.capacity_provider])) == length(var.capacity_provider_strategy)
    error_message = "capacity_provider_strategy must not name the same capacity provider twice."
  }
  validation {
    condition     = length([for s in var.capacity_provider_strategy : s if s.base > 0]) <= 1 && alltrue([for s in var.capacity_provider_strategy : s.base >= 0 && s.base <= 100000 && s.weight >= 0 && s.weight <= 1000])
    error_message = "Only one capacity provider may have a base > 0; base must be 0-100000 and weight 0-1000."
  }
  validation {
    condition     = anytrue([for s in var.capacity_provider_strategy : s.weight > 0])
    error_message = "At least one capacity provider needs a weight > 0, otherwise tasks beyond the base are never placed."
  }
}

variable "platform_version" {
  description = "Fargate platform version of every service (\"LATEST\" or a pinned version such as \"1.4.0\")."
  type        = string
  default     = "LATEST"

  validation {
    condition     = can(regex("^(LATEST|[0-9]+\\.[0-9]+\\.[0-9]+)$", var.platform_version))
    error_message = "platform_version must be LATEST or a version such as 1.4.0."
  }
}

################################################################################
# Services
################################################################################

variable "services" {
  description = <<-EOT
    Services to run, keyed by a short service key (lowercase, e.g. "api-gateway"); the ECS service and task family
    are "<name>-<key>". Per service:
    - image: full image reference (ECR URI with tag or digest).
    - cpu / memory: Fargate task size in CPU units / MiB; only valid Fargate pairs are accepted.
    - container_port: port the application listens on (also the target group and Cloud Map port).
    - desired_count / min_count / max_count: initial count and autoscaling bounds (min <= desired <= max).
    - environment: plain environment variables. secrets: variable name -> Secrets Manager or SSM parameter ARN
      (Secrets Manager "arn:...:secret:name:json-key::" references are allowed); the execution role must be allowed to read them.
    - health_check_path: HTTP path of the service's health endpoint (the ALB target group uses it; see routed_services in the README).
    - container_health_check: optional container-level health check command (the image must ship the tool it calls).
    - load_balanced: whether the service sits behind the ALB; its target group comes from target_group_arns[key].
    - path_patterns / host_headers / priority: ALB listener-rule data for routed services (consumed by the alb module).
    - readonly_root_filesystem: read-only root filesystem (default true); writable_paths get ephemeral task volumes.
    - health_check_grace_period_seconds: grace before ALB health checks count (routed services only).
    - cpu_architecture: X86_64 or ARM64 (Graviton, cheaper; the image must be built for it).
    - command / entry_point / user / stop_timeout: container overrides.
    - capacity_provider_strategy: per-service override of the cluster default strategy.
    - autoscaling: target-tracking targets for CPU and memory utilisation and cooldowns.
    - enable_xray_sidecar: per-service opt-out of the X-Ray daemon sidecar (only when var.enable_xray_sidecar is true).
  EOT
  type = map(object({
    image          = string
    cpu            = optional(number, 256)
    memory         = optional(number, 512)
    container_port = optional(number, 8080)
    desired_count  = optional(number, 1)
    min_count      = optional(number, 1)
    max_count      = optional(number, 4)
    environment    = optional(map(string), {})
    secrets        = optional(map(string), {})

    health_check_path = optional(string, "/health")
    container_health_check = optional(object({
      command      = list(string)
      interval     = optional(number, 30)
      timeout      = optional(number, 5)
      retries      = optional(number, 3)
      start_period = optional(number, 60)
    }))

    load_balanced = optional(bool, false)
    path_patterns = optional(list(string), [])
    host_headers  = optional(list(string), [])
    priority      = optional(number)

    readonly_root_filesystem          = optional(bool, true)
    writable_paths                    = optional(list(string), ["/tmp"])
    health_check_grace_period_seconds = optional(number, 60)
    cpu_architecture                  = optional(string, "X86_64")
    command                           = optional(list(string))
    entry_point                       = optional(list(string))
    user                              = optional(string)
    stop_timeout                      = optional(number, 30)

    capacity_provider_strategy = optional(list(object({
      capacity_provider = string
      weight            = optional(number, 1)
      base              = optional(number, 0)
    })))

    autoscaling = optional(object({
      cpu_target_percent    = optional(number, 70)
      memory_target_percent = optional(number, 80)
      scale_in_cooldown     = optional(number, 300)
      scale_out_cooldown    = optional(number, 60)
    }), {})

    enable_xray_sidecar = optional(bool, true)
  }))

  validation {
    condition     = length(var.services) > 0
    error_message = "services must contain at least one service."
  }
  validation {
    condition     = alltrue([for k in keys(var.services) : can(regex("^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$", k)) && k != "exec"])
    error_message = "Service keys must be 1-32 characters of lowercase letters, digits and hyphens, start with a letter, not end with a hyphen, and not be \"exec\" (reserved for the ECS Exec audit log group)."
  }
  validation {
    condition = alltrue([
      for s in values(var.services) : contains(lookup({
        "256"   = [512, 1024, 2048]
        "512"   = [1024, 2048, 3072, 4096]
        "1024"  = range(2048, 8193, 1024)
        "2048"  = range(4096, 16385, 1024)
        "4096"  = range(8192, 30721, 1024)
        "8192"  = range(16384, 61441, 4096)
        "16384" = range(32768, 122881, 8192)
      }, tostring(s.cpu), []), s.memory)
    ])
    error_message = "Every service needs a valid Fargate cpu/memory pair: 256 -> 512|1024|2048; 512 -> 1024-4096; 1024 -> 2048-8192; 2048 -> 4096-16384 (1024 steps); 4096 -> 8192-30720 (1024 steps); 8192 -> 16384-61440 (4096 steps); 16384 -> 32768-122880 (8192 steps)."
  }
  validation {
    condition     = alltrue([for s in values(var.services) : s.min_count >= 0 && s.min_count <= s.desired_count && s.desired_count <= s.max_count && s.max_count <= 1000])
    error_message = "Every service needs 0 <= min_count <= desired_count <= max_count <= 1000."
  }
  validation {
    condition     = alltrue([for s in values(var.services) : s.container_port >= 1 && s.container_port <= 65535 && s.container_port != 2000])
    error_message = "container_port must be 1-65535 and not 2000 (used by the X-Ray daemon sidecar)."
  }
  validation {
    condition     = alltrue([for s in values(var.services) : alltrue([for k in concat(keys(s.environment), keys(s.secrets)) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k))])])
    error_message = "Environment and secret variable names must match ^[A-Za-z_][A-Za-z0-9_]*$."
  }
  validation {
    condition     = alltrue([for s in values(var.services) : length(setintersection(keys(s.environment), keys(s.secrets))) == 0])
    error_message = "A variable cannot be both in environment and in secrets of the same service."
  }
  validation {
    condition     = alltrue([for s in values(var.services) : alltrue([for arn in values(s.secrets) : can(regex("^arn:aws[a-z-]*:(secretsmanager|ssm):[a-z0-9-]+:[0-9]{12}:(secret:|parameter/)", arn))])])
    error_message = "Every secrets value must be a Secrets Manager secret ARN or an SSM parameter ARN (never a plain value)."
  }
  validation {
    condition     = alltrue([for s in values(var.services) : contains(["X86_64", "ARM64"], s.cpu_architecture)])
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
  validation {
    condition     = alltrue([for s in values(var.services) : s.health_check_grace_period_seconds >= 0 && s.health_check_grace_period_seconds <= 2147483647 && s.stop_timeout >= 2 && s.stop_timeout <= 120])
    error_message = "health_check_grace_period_seconds must be >= 0 and stop_timeout 2-120 seconds (Fargate maximum)."
  }
  validation {
    condition     = alltrue([for s in values(var.services) : startswith(s.health_check_path, "/") && alltrue([for p in s.writable_paths : startswith(p, "/") && p != "/"])])
    error_message = "health_check_path and every writable_paths entry must be absolute paths (and a writable path cannot be \"/\")."
  }
  validation {
    condition = alltrue([for s in values(var.services) : alltrue([
      s.autoscaling.cpu_target_percent > 0, s.autoscaling.cpu_target_percent <= 100,
      s.autoscaling.memory_target_percent > 0, s.autoscaling.memory_target_percent <= 100,
      s.autoscaling.scale_in_cooldown >= 0, s.autoscaling.scale_out_cooldown >= 0,
    ])])
    error_message = "Autoscaling targets must be in (0, 100] percent and cooldowns >= 0 seconds."
  }
  validation {
    condition = alltrue([for s in values(var.services) : s.capacity_provider_strategy == null ? true : (
      length(s.capacity_provider_strategy) > 0 &&
      alltrue([for c in s.capacity_provider_strategy : contains(["FARGATE", "FARGATE_SPOT"], c.capacity_provider)]) &&
      length([for c in s.capacity_provider_strategy : c if c.base > 0]) <= 1 &&
      anytrue([for c in s.capacity_provider_strategy : c.weight > 0])
    )])
    error_message = "A per-service capacity_provider_strategy must use FARGATE/FARGATE_SPOT only, with at most one base > 0 and at least one weight > 0."
  }
  validation {
    condition     = alltrue([for s in values(var.services) : !s.load_balanced || length(s.path_patterns) + length(s.host_headers) > 0])
    error_message = "A load_balanced service needs at least one path_patterns or host_headers entry for its listener rule."
  }
}

################################################################################
# Networking and wiring to other modules
################################################################################

variable "subnet_ids" {
  description = "Private (application) subnet IDs the tasks run in. Tasks never get a public IP, so these subnets need a NAT gateway or VPC endpoints for ECR, Logs, Secrets Manager and SSM."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "subnet_ids must contain at least one subnet."
  }
}

variable "security_group_ids" {
  description = "Security groups attached to every task ENI (the security-groups module's ecs_security_group_id)."
  type        = list(string)

  validation {
    condition     = length(var.security_group_ids) > 0 && length(var.security_group_ids) <= 5
    error_message = "security_group_ids needs 1-5 security groups (ECS limit per task ENI)."
  }
}

variable "execution_role_arn" {
  description = "Task execution role ARN (ECR pull, CloudWatch Logs, reading the services' secrets), from the iam module."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.execution_role_arn))
    error_message = "execution_role_arn must be an IAM role ARN."
  }
}

variable "task_role_arns" {
  description = "Task role ARN per service key (what the application itself may call), from the iam module. Every service needs an entry while enable_execute_command is true (ECS Exec runs under the task role; a precondition enforces it)."
  type        = map(string)
  default     = {}
}

variable "target_group_arns" {
  description = "ALB target group ARN per service key (the alb module's target_group_arns). Required for every load_balanced service."
  type        = map(string)
  default     = {}
}

variable "service_registry_arns" {
  description = "Cloud Map service ARN per service key (the cloudmap module's service_arns). Services with an entry register their tasks (A records) for service discovery."
  type        = map(string)
  default     = {}
}

################################################################################
# Logging and encryption
################################################################################

variable "log_group_prefix" {
  description = "Prefix of the per-service CloudWatch log groups (\"<prefix>/<service key>\"). Defaults to \"/aws/ecs/<name>\"."
  type        = string
  default     = null

  validation {
    condition     = var.log_group_prefix == null ? true : can(regex("^/[A-Za-z0-9_./#-]{1,400}[^/]$", var.log_group_prefix))
    error_message = "log_group_prefix must start with '/', must not end with '/', and may contain only A-Z a-z 0-9 _ - . / #."
  }
}

variable "log_retention_days" {
  description = "Retention of the service and ECS Exec log groups, in days (one of the values CloudWatch Logs accepts). The seed uses 7 in dev and 30 in prod."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key ARN that encrypts the log groups and ECS Exec sessions. When null and create_kms_key is true, the module creates a dedicated key (its ARN is the kms_key_arn output); the key policy must allow the CloudWatch Logs service principal."
  type        = string
  default     = null

  validation {
    condition     = var.log_kms_key_arn == null ? true : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.log_kms_key_arn))
    error_message = "log_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
  validation {
    condition     = var.log_kms_key_arn == null ? true : !var.create_kms_key
    error_message = "Set create_kms_key = false when passing log_kms_key_arn (counts cannot depend on an ARN that may be unknown at plan time)."
  }
}

variable "create_kms_key" {
  description = "Create a customer managed KMS key (rotation on) for logs and ECS Exec. Set false when passing log_kms_key_arn; false without a key leaves logs on CloudWatch's default encryption and Exec sessions on TLS only."
  type        = bool
  default     = true
}

variable "kms_key_deletion_window_in_days" {
  description = "Waiting period before a KMS key created by this module is deleted."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_key_deletion_window_in_days >= 7 && var.kms_key_deletion_window_in_days <= 30
    error_message = "kms_key_deletion_window_in_days must be 7-30."
  }
}

################################################################################
# Features
################################################################################

variable "enable_execute_command" {
  description = "Enable ECS Exec (SSM-based shell into running containers, audited to the \"<log_group_prefix>/exec\" log group). The task roles need ssmmessages:* and kms:Decrypt on the key."
  type        = bool
  default     = true
}

variable "enable_xray_sidecar" {
  description = "Add the AWS X-Ray daemon as a non-essential sidecar (UDP 2000) to every service that does not opt out. The task roles need the xray module's task_role_policy_json."
  type        = bool
  default     = false
}

variable "xray_daemon_image" {
  description = "Image of the X-Ray daemon sidecar (pin a version; mirror it to ECR when tasks have no internet egress)."
  type        = string
  default     = "public.ecr.aws/xray/aws-xray-daemon:3.3.14"
}

variable "xray_tracing_names" {
  description = "Optional X-Ray service name per service key, passed to the app as AWS_XRAY_TRACING_NAME (the xray module's tracing_names). Defaults to the ECS service name \"<name>-<key>\"."
  type        = map(string)
  default     = {}
}

variable "enable_autoscaling" {
  description = "Create Application Auto Scaling targets with CPU and memory target-tracking policies for every service with max_count > min_count."
  type        = bool
  default     = true
}

variable "ignore_deploy_changes" {
  description = <<-EOT
    When true, Terraform ignores changes to each service's task_definition and desired_count after creation, because a
    deploy pipeline (new image revisions) and autoscaling own them. Terraform still registers task definition revisions
    for configuration changes (track_latest follows the newest revision). Switching this value moves the services between
    two resource addresses (aws_ecs_service.this / aws_ecs_service.ignore_deploy): move them with `terraform state mv`
    (or a `moved` block in the calling stack) instead of letting Terraform recreate them.
  EOT
  type        = bool
  default     = false
}

variable "wait_for_steady_state" {
  description = "Make Terraform wait until every service reaches a steady state after create/update (slower applies, earlier failure signal)."
  type        = bool
  default     = false
}

variable "deployment_minimum_healthy_percent" {
  description = "Lower bound of running tasks (percent of desired) during a rolling deployment."
  type        = number
  default     = 100

  validation {
    condition     = var.deployment_minimum_healthy_percent >= 0 && var.deployment_minimum_healthy_percent <= 100
    error_message = "deployment_minimum_healthy_percent must be 0-100."
  }
}

variable "deployment_maximum_percent" {
  description = "Upper bound of running tasks (percent of desired) during a rolling deployment."
  type        = number
  default     = 200

  validation {
    condition     = var.deployment_maximum_percent >= 100 && var.deployment_maximum_percent <= 400
    error_message = "deployment_maximum_percent must be 100-400."
  }
}
