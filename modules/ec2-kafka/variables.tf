################################################################################
# Naming
################################################################################

variable "name" {
  description = "Name prefix, e.g. \"goorm-popcorn-dev\". Instances are \"<name>-kafka-<node id>\"."
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
# Cluster shape and placement
################################################################################

variable "broker_count" {
  description = "Number of KRaft nodes, each a combined broker and controller (1 in dev, 3 in prod). An odd count keeps a controller majority; 3 tolerates one node loss."
  type        = number
  default     = 1

  validation {
    condition     = var.broker_count >= 1 && var.broker_count <= 9 && var.broker_count % 2 == 1 && floor(var.broker_count) == var.broker_count
    error_message = "broker_count must be an odd whole number from 1 to 9 (the controller quorum needs a majority)."
  }
}

variable "subnet_ids" {
  description = "Private subnets the brokers are spread over round-robin (node i goes to subnet_ids[(i-1) % n]); give one per Availability Zone."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "subnet_ids must contain at least one subnet."
  }
}

variable "vpc_id" {
  description = "VPC of the brokers; the private hosted zone for the broker DNS names is associated with it."
  type        = string
}

variable "security_group_ids" {
  description = "Security groups of the brokers (the security-groups module's kafka_security_group_id: client port from the apps, controller port between brokers)."
  type        = list(string)

  validation {
    condition     = length(var.security_group_ids) > 0
    error_message = "security_group_ids must contain at least one security group."
  }
}

variable "instance_type" {
  description = "EC2 instance type of the brokers. Graviton types (e.g. m7g.large) automatically select an arm64 AMI."
  type        = string
  default     = "t3.medium"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must look like family.size, e.g. t3.medium or m7g.large."
  }
}

variable "ami_id" {
  description = "AMI of the brokers. Null selects the newest Amazon Linux 2023 AMI of the instance's architecture at first creation; later AMI releases never replace running brokers (lifecycle ignores ami; roll with -replace, one broker at a time)."
  type        = string
  default     = null
}

variable "enable_detailed_monitoring" {
  description = "1-minute EC2 detailed monitoring (extra cost)."
  type        = bool
  default     = true
}

variable "enable_termination_protection" {
  description = "Protect the broker instances from API termination."
  type        = bool
  default     = false
}

variable "broker_generations" {
  description = "Rolling replacement, one broker per apply: node id -> generation (default 0). Raising one broker's generation replaces that broker with the current AMI, Kafka version, server.properties and instance type; its data volume is reattached. Configuration changes alone never touch running brokers (brokers_pending_roll lists those behind)."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for k, g in var.broker_generations : can(regex("^[1-9]$", k)) && g >= 0 && floor(g) == g])
    error_message = "broker_generations keys must be node ids (\"1\" to \"9\") and values whole numbers >= 0."
  }
}

################################################################################
# Storage and encryption
################################################################################

variable "root_volume_size" {
  description = "Root volume size in GiB (encrypted gp3)."
  type        = number
  default     = 20

  validation {
    condition     = var.root_volume_size >= 8 && var.root_volume_size <= 1024
    error_message = "root_volume_size must be 8-1024 GiB."
  }
}

variable "data_volume" {
  description = "Kafka data volume per broker: separate encrypted gp3 EBS volume attached at device_name, mounted at mount_path (log.dirs). It outlives instance replacement; final_snapshot snapshots it when it is destroyed."
  type = object({
    size_gib       = optional(number, 50)
    iops           = optional(number, 3000)
    throughput     = optional(number, 125)
    device_name    = optional(string, "/dev/sdf")
    mount_path     = optional(string, "/var/lib/kafka")
    final_snapshot = optional(bool, true)
  })
  default = {}

  validation {
    condition     = var.data_volume.size_gib >= 1 && var.data_volume.size_gib <= 16384
    error_message = "data_volume.size_gib must be 1-16384."
  }
  validation {
    condition     = var.data_volume.iops >= 3000 && var.data_volume.iops <= 16000 && var.data_volume.throughput >= 125 && var.data_volume.throughput <= 1000
    error_message = "gp3 allows 3000-16000 IOPS and 125-1000 MiB/s throughput."
  }
  validation {
    condition     = var.data_volume.throughput <= var.data_volume.iops / 4
    error_message = "gp3 throughput (MiB/s) may be at most IOPS / 4."
  }
  validation {
    condition     = can(regex("^/dev/(sd|xvd)[f-p]$", var.data_volume.device_name))
    error_message = "data_volume.device_name must be /dev/sd[f-p] or /dev/xvd[f-p]."
  }
  validation {
    condition     = can(regex("^/[a-z0-9/_-]+[a-z0-9_-]$", var.data_volume.mount_path)) && !contains(["/", "/var", "/opt", "/etc", "/usr", "/tmp"], var.data_volume.mount_path)
    error_message = "data_volume.mount_path must be an absolute path that is not a system directory."
  }
}

variable "kms_key_arn" {
  description = "KMS key ARN for the root and data volumes and the broker log group. When null and create_kms_key is true, the module creates one."
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
  description = "Create a customer managed KMS key (rotation on). Set false when passing kms_key_arn; false without a key uses the account's default EBS key."
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
# Access
################################################################################

variable "create_instance_profile" {
  description = "Create the brokers' role and instance profile (SSM, CloudWatch agent, S3 artifact read) in this module. Set false when passing iam_instance_profile_name."
  type        = bool
  default     = true
}

variable "iam_instance_profile_name" {
  description = "Instance profile of the brokers (the iam module's kafka_instance_profile_name), used with create_instance_profile = false: needs AmazonSSMManagedInstanceCore, CloudWatch agent rights and, for an s3:// artifact, s3:GetObject."
  type        = string
  default     = null
  validation {
    condition     = (var.iam_instance_profile_name == null) == var.create_instance_profile
    error_message = "Pass iam_instance_profile_name exactly when create_instance_profile is false."
  }
}

################################################################################
# DNS
################################################################################

variable "create_private_zone" {
  description = "Create a Route 53 private hosted zone (private_zone_name) associated with vpc_id for the broker records. When false, private_zone_id must name an existing private zone whose name is private_zone_name."
  type        = bool
  default     = true
}

variable "private_zone_name" {
  description = "DNS zone of the broker records (\"broker-<id>.<zone>\"). Defaults to \"kafka.<name>.internal\"."
  type        = string
  default     = null

  validation {
    condition     = var.private_zone_name == null ? true : can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$", var.private_zone_name))
    error_message = "private_zone_name must be a lowercase DNS name without a trailing dot, e.g. kafka.goorm-popcorn-dev.internal."
  }
}

variable "private_zone_id" {
  description = "Existing private hosted zone ID (only with create_private_zone = false)."
  type        = string
  default     = null

  validation {
    condition     = var.create_private_zone || var.private_zone_id != null
    error_message = "private_zone_id is required when create_private_zone is false."
  }
}

variable "dns_ttl" {
  description = "TTL of the broker A records in seconds (low, so a replaced broker's new IP propagates quickly)."
  type        = number
  default     = 60

  validation {
    condition     = var.dns_ttl >= 5 && var.dns_ttl <= 3600
    error_message = "dns_ttl must be 5-3600 seconds."
  }
}

################################################################################
# Kafka
################################################################################

variable "kafka_version" {
  description = "Pinned Apache Kafka version (KRaft with a static controller quorum)."
  type        = string
  default     = "3.9.1"

  validation {
    condition     = can(regex("^(3\\.[3-9]|4\\.[0-9]+)\\.[0-9]+$", var.kafka_version))
    error_message = "kafka_version must be a full release number with production KRaft support (3.3.0 or later), e.g. 3.9.1 or 4.0.0."
  }
}

variable "scala_version" {
  description = "Scala build of the Kafka distribution."
  type        = string
  default     = "2.13"

  validation {
    condition     = contains(["2.12", "2.13"], var.scala_version)
    error_message = "scala_version must be 2.12 or 2.13."
  }
}

variable "kafka_download_url" {
  description = "Where instances download the Kafka tarball at boot: an https:// URL or an s3:// artifact (preferred for private subnets without internet access). Null uses the Apache archive URL of kafka_version."
  type        = string
  default     = null

  validation {
    condition     = var.kafka_download_url == null ? true : can(regex("^(https://|s3://)[^\\s'\"]+\\.tgz$", var.kafka_download_url))
    error_message = "kafka_download_url must be an https:// or s3:// URL of a .tgz, without spaces or quotes."
  }
}

variable "kafka_download_sha512" {
  description = "Expected SHA-512 of the tarball (hex); the boot script refuses a mismatching download. Null skips the check (not recommended)."
  type        = string
  default     = null

  validation {
    condition     = var.kafka_download_sha512 == null ? true : can(regex("^[0-9a-f]{128}$", var.kafka_download_sha512))
    error_message = "kafka_download_sha512 must be 128 lowercase hex characters."
  }
}

variable "java_package" {
  description = "Amazon Linux 2023 package providing the Java runtime."
  type        = string
  default     = "java-21-amazon-corretto-headless"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.+_-]*$", var.java_package))
    error_message = "java_package must be a single package name."
  }
}

variable "client_port" {
  description = "Broker (client and inter-broker) listener port."
  type        = number
  default     = 9092

  validation {
    condition     = var.client_port >= 1024 && var.client_port <= 65535
    error_message = "client_port must be 1024-65535."
  }
}

variable "controller_port" {
  description = "KRaft controller listener port."
  type        = number
  default     = 9093

  validation {
    condition     = var.controller_port >= 1024 && var.controller_port <= 65535 && var.controller_port != var.client_port
    error_message = "controller_port must be 1024-65535 and differ from client_port."
  }
}

variable "cluster_id" {
  description = "Kafka cluster ID (22-character base64url UUID) used to format storage. Null derives a stable one from cluster_id_seed, so it never changes between plans."
  type        = string
  default     = null

  validation {
    condition     = var.cluster_id == null ? true : can(regex("^[A-Za-z0-9_-]{21}[AQgw]$", var.cluster_id))
    error_message = "cluster_id must be a 22-character base64url encoding of 16 bytes (as printed by kafka-storage.sh random-uuid)."
  }
}

variable "cluster_id_seed" {
  description = "Seed of the derived cluster ID (default \"<name>/kafka\"). Change it to start a new cluster on fresh volumes under the same name."
  type        = string
  default     = null
}

variable "heap_size_mb" {
  description = "Kafka JVM heap in MiB. Null sizes it at boot to half the instance memory, between 512 and 6144 MiB (the rest is page cache)."
  type        = number
  default     = null

  validation {
    condition     = var.heap_size_mb == null ? true : (var.heap_size_mb >= 256 && var.heap_size_mb <= 31744)
    error_message = "heap_size_mb must be 256-31744 (stay below 31 GiB for compressed pointers)."
  }
}

variable "num_partitions" {
  description = "Default partition count of new topics."
  type        = number
  default     = 3

  validation {
    condition     = var.num_partitions >= 1 && var.num_partitions <= 1000
    error_message = "num_partitions must be 1-1000."
  }
}

variable "log_retention_hours" {
  description = "Default topic retention in hours."
  type        = number
  default     = 168

  validation {
    condition     = var.log_retention_hours >= 1
    error_message = "log_retention_hours must be at least 1."
  }
}

variable "auto_create_topics" {
  description = "Allow clients to create topics implicitly (off: topics are created deliberately)."
  type        = bool
  default     = false
}

variable "extra_server_properties" {
  description = "Additional server.properties entries (or overrides of tunables such as num.io.threads). Identity and quorum settings are owned by the module and cannot be overridden."
  type        = map(string)
  default     = {}

  validation {
    condition = length(setintersection(keys(var.extra_server_properties), [
      "node.id", "process.roles", "controller.quorum.voters", "controller.quorum.bootstrap.servers", "listeners",
      "advertised.listeners", "controller.listener.names", "inter.broker.listener.name", "listener.security.protocol.map",
      "log.dirs", "metadata.log.dir",
    ])) == 0
    error_message = "extra_server_properties must not set node.id, process.roles, the quorum, listener or log directory settings."
  }
  validation {
    condition     = alltrue([for k, v in var.extra_server_properties : can(regex("^[a-z0-9][a-z0-9._-]*$", k)) && !strcontains(v, "\n")])
    error_message = "extra_server_properties keys must be property names (lowercase, dots) and values single-line."
  }
}

################################################################################
# Observability
################################################################################

variable "enable_cloudwatch_agent" {
  description = "Install the CloudWatch agent: memory and disk metrics (namespace cloudwatch_agent_namespace) and the Kafka logs to the broker log group."
  type        = bool
  default     = true
}

variable "cloudwatch_agent_namespace" {
  description = "CloudWatch namespace of the agent's metrics (mem_used_percent; disk_used_percent with dimensions InstanceId and path)."
  type        = string
  default     = "CWAgent"
}

variable "log_retention_days" {
  description = "Retention of the broker log group \"/aws/ec2/<name>/kafka\" in days (a value CloudWatch Logs accepts)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}
