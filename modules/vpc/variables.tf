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

variable "cidr_block" {
  description = "IPv4 CIDR block of the VPC, between /16 and /24 (e.g. \"10.10.0.0/16\")."
  type        = string

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && try(tonumber(split("/", var.cidr_block)[1]) >= 16 && tonumber(split("/", var.cidr_block)[1]) <= 24, false)
    error_message = "cidr_block must be a valid IPv4 CIDR with a prefix length between /16 (the largest VPC AWS allows) and /24 (the smallest that leaves room for three subnet tiers)."
  }

  validation {
    condition     = try(cidrhost(var.cidr_block, 0) == split("/", var.cidr_block)[0], false)
    error_message = "cidr_block must be a network address (host bits zero), e.g. 10.10.0.0/16 rather than 10.10.1.0/16."
  }
}

variable "azs" {
  description = "Availability zones to spread the subnets over, in order (e.g. [\"ap-northeast-2a\", \"ap-northeast-2c\"]). Every tier gets one subnet per AZ. At least 2 (an ALB and an RDS subnet group need two AZs), at most 4 with the default subnet_newbits."
  type        = list(string)

  validation {
    condition     = length(var.azs) >= 2 && length(var.azs) <= 6
    error_message = "azs must list between 2 and 6 availability zones: ALBs and RDS/ElastiCache subnet groups require subnets in at least two AZs."
  }

  validation {
    condition     = length(distinct(var.azs)) == length(var.azs)
    error_message = "azs must not contain duplicates."
  }

  validation {
    condition     = alltrue([for az in var.azs : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9][a-z]$", az))])
    error_message = "Each entry of azs must be an availability zone name such as \"ap-northeast-2a\" (not an AZ id like apne2-az1)."
  }
}

variable "workload_az_count" {
  description = "How many of the first AZs in `azs` host workloads: NAT gateways (when not single), the `workload_*` subnet outputs used for compute and data, and the interface VPC endpoints. null = all AZs. Dev uses 1 with two AZs: subnets exist in both (ALB and RDS subnet groups need two AZs) while NAT, compute and data run in one."
  type        = number
  default     = null

  validation {
    condition     = var.workload_az_count == null ? true : (floor(var.workload_az_count) == var.workload_az_count && var.workload_az_count >= 1 && var.workload_az_count <= length(var.azs))
    error_message = "workload_az_count must be null or a whole number between 1 and length(azs)."
  }
}

variable "subnet_newbits" {
  description = "Bits added to the VPC prefix for every computed subnet (4: a /16 VPC gets /20 subnets). The VPC is cut into 2^newbits slots in four equal blocks: public, private-app, private-data, reserved; so at most 2^newbits/4 AZs. Ignored for a tier whose explicit *_subnet_cidrs list is set."
  type        = number
  default     = 4

  validation {
    condition     = floor(var.subnet_newbits) == var.subnet_newbits && var.subnet_newbits >= 2 && var.subnet_newbits <= 12
    error_message = "subnet_newbits must be a whole number between 2 and 12."
  }

  validation {
    condition     = length(var.azs) <= pow(2, var.subnet_newbits) / 4
    error_message = "Too many AZs for subnet_newbits: each tier block has 2^subnet_newbits/4 slots; raise subnet_newbits or pass explicit *_subnet_cidrs."
  }

  validation {
    condition     = try(tonumber(split("/", var.cidr_block)[1]) + var.subnet_newbits <= 28, false)
    error_message = "cidr_block prefix + subnet_newbits must be at most 28: AWS subnets are /28 at the smallest."
  }
}

variable "public_subnet_cidrs" {
  description = "Explicit CIDRs for the public subnets, one per AZ in `azs` order. Empty = computed from cidr_block and subnet_newbits."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.public_subnet_cidrs : can(cidrhost(c, 0))])
    error_message = "Every entry of public_subnet_cidrs must be a valid IPv4 CIDR."
  }

  validation {
    condition     = length(var.public_subnet_cidrs) == 0 || length(var.public_subnet_cidrs) == length(var.azs)
    error_message = "public_subnet_cidrs must be empty or have exactly one CIDR per AZ."
  }
}

variable "private_app_subnet_cidrs" {
  description = "Explicit CIDRs for the private application subnets (ECS tasks, Kafka), one per AZ. Empty = computed."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.private_app_subnet_cidrs : can(cidrhost(c, 0))])
    error_message = "Every entry of private_app_subnet_cidrs must be a valid IPv4 CIDR."
  }

  validation {
    condition     = length(var.private_app_subnet_cidrs) == 0 || length(var.private_app_subnet_cidrs) == length(var.azs)
    error_message = "private_app_subnet_cidrs must be empty or have exactly one CIDR per AZ."
  }
}

variable "private_data_subnet_cidrs" {
  description = "Explicit CIDRs for the private data subnets (RDS, ElastiCache), one per AZ. Empty = computed."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.private_data_subnet_cidrs : can(cidrhost(c, 0))])
    error_message = "Every entry of private_data_subnet_cidrs must be a valid IPv4 CIDR."
  }

  validation {
    condition     = length(var.private_data_subnet_cidrs) == 0 || length(var.private_data_subnet_cidrs) == length(var.azs)
    error_message = "private_data_subnet_cidrs must be empty or have exactly one CIDR per AZ."
  }
}

variable "enable_nat_gateway" {
  description = "Create NAT gateway(s) so private subnets reach the internet (image pulls, package downloads). Off = private subnets have no default route (use VPC endpoints)."
  type        = bool
  default     = true
}

variable "single_nat_gateway" {
  description = "One NAT gateway in the first AZ shared by every private subnet (cheaper, one AZ of failure). false = one NAT gateway per workload AZ."
  type        = bool
  default     = false
}

variable "data_subnets_internet_egress" {
  description = "Give the private data subnets a default route through the NAT gateway(s). Off by default: managed databases and caches need no internet access."
  type        = bool
  default     = false
}

variable "enable_flow_logs" {
  description = "Send VPC flow logs to a CloudWatch Logs group (with its own IAM delivery role)."
  type        = bool
  default     = true
}

variable "flow_logs_traffic_type" {
  description = "Traffic captured by the flow log: ACCEPT, REJECT or ALL."
  type        = string
  default     = "ALL"

  validation {
    condition     = contains(["ACCEPT", "REJECT", "ALL"], var.flow_logs_traffic_type)
    error_message = "flow_logs_traffic_type must be ACCEPT, REJECT or ALL."
  }
}

variable "flow_logs_max_aggregation_interval" {
  description = "Seconds over which a flow is aggregated into one record: 60 or 600."
  type        = number
  default     = 600

  validation {
    condition     = contains([60, 600], var.flow_logs_max_aggregation_interval)
    error_message = "flow_logs_max_aggregation_interval must be 60 or 600."
  }
}

variable "flow_logs_retention_days" {
  description = "Retention of the flow-log group in days (one of the values CloudWatch Logs accepts)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_logs_retention_days)
    error_message = "flow_logs_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "flow_logs_kms_key_arn" {
  description = "ARN of a KMS key to encrypt the flow-log group (its key policy must allow logs.<region>.amazonaws.com). null = CloudWatch Logs' service-owned encryption."
  type        = string
  default     = null

  validation {
    condition     = var.flow_logs_kms_key_arn == null ? true : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.flow_logs_kms_key_arn))
    error_message = "flow_logs_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "enable_vpc_endpoints" {
  description = "Create the S3 gateway endpoint and the interface endpoints in `vpc_endpoint_services` (interface endpoints cost per AZ-hour)."
  type        = bool
  default     = false
}

variable "vpc_endpoint_services" {
  description = "Interface endpoint service short names (com.amazonaws.<region>.<name>) created when enable_vpc_endpoints is true."
  type        = list(string)
  default     = ["ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm", "ssmmessages", "ec2messages"]

  validation {
    condition     = alltrue([for s in var.vpc_endpoint_services : can(regex("^[a-z0-9.-]+$", s)) && s != "s3"])
    error_message = "vpc_endpoint_services entries are short service names such as \"ecr.api\"; S3 is always a gateway endpoint and must not be listed."
  }
}

variable "vpc_endpoint_security_group_ids" {
  description = "Security groups for the interface endpoints (e.g. the security-groups module's vpc_endpoints_security_group_id). Empty = the module creates one allowing HTTPS from the VPC CIDR."
  type        = list(string)
  default     = []
}
