data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

# Reading the subnets gives each broker's Availability Zone from a value that stays known across plans, so the data
# volumes (created in that AZ) never depend on an instance attribute and survive instance replacement.
data "aws_subnet" "this" {
  count = length(var.subnet_ids)

  id = var.subnet_ids[count.index]
}

data "aws_ami" "al2023" {
  count = var.ami_id == null ? 1 : 0

  most_recent = true
  owners      = ["amazon"]

  filter {
    name   = "name"
    values = ["al2023-ami-2023.*-${local.architecture}"]
  }

  filter {
    name   = "architecture"
    values = [local.architecture]
  }

  filter {
    name   = "virtualization-type"
    values = ["hvm"]
  }
}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  # Graviton families carry a "g" right after the generation digit (t4g, m7g, r7gd, c7gn ...).
  architecture = can(regex("^[a-z]+[0-9]+g[a-z]*\\.", var.instance_type)) ? "arm64" : "x86_64"
  ami_id       = coalesce(var.ami_id, try(data.aws_ami.al2023[0].id, null))

  create_kms_key = var.create_kms_key
  kms_key_arn    = local.create_kms_key ? aws_kms_key.this[0].arn : var.kms_key_arn

  create_instance_profile = var.create_instance_profile

  zone_name = coalesce(var.private_zone_name, "kafka.${var.name}.internal")
  zone_id   = var.create_private_zone ? aws_route53_zone.this[0].zone_id : var.private_zone_id

  log_group_name = "/aws/ec2/${var.name}/kafka"
  download_url   = coalesce(var.kafka_download_url, "https://archive.apache.org/dist/kafka/${var.kafka_version}/kafka_${var.scala_version}-${var.kafka_version}.tgz")
  log_dir        = "${var.data_volume.mount_path}/data"

  # Kafka cluster ID: base64url (no padding) of 16 bytes. Derived from the first 16 bytes of SHA-256(seed) so it is
  # generated once, stays stable on every plan and needs no extra provider: base64sha256 encodes the 32-byte digest;
  # its first 21 characters carry bits 0-125, and the 22nd keeps only the 2 remaining bits (the low 4 bits are zero).
  b64_alphabet      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  cluster_id_digest = base64sha256(coalesce(var.cluster_id_seed, "${var.name}/kafka"))
  cluster_id_last   = length(split(substr(local.cluster_id_digest, 21, 1), local.b64_alphabet)[0])
  derived_cluster_id = replace(replace(
    "${substr(local.cluster_id_digest, 0, 21)}${substr(local.b64_alphabet, floor(local.cluster_id_last / 16) * 16, 1)}",
  "+", "-"), "/", "_")
  cluster_id = coalesce(var.cluster_id, local.derived_cluster_id)

  brokers = {
    for i in range(var.broker_count) : tostring(i + 1) => {
      node_id   = i + 1
      subnet_id = var.subnet_ids[i % length(var.subnet_ids)]
      az        = data.aws_subnet.this[i % length(var.subnet_ids)].availability_zone
      hostname  = "broker-${i + 1}.${local.zone_name}"
    }
  }

  quorum_voters = join(",", [for b in values(local.brokers) : "${b.node_id}@${b.hostname}:${var.controller_port}"])

  replication_factor = min(3, var.broker_count)

  server_properties = {
    for k, b in local.brokers : k => merge(
      {
        "num.network.threads"                      = "3"
        "num.io.threads"                           = "8"
        "socket.send.buffer.bytes"                 = "102400"
        "socket.receive.buffer.bytes"              = "102400"
        "socket.request.max.bytes"                 = "104857600"
        "num.partitions"                           = tostring(var.num_partitions)
        "num.recovery.threads.per.data.dir"        = "2"
        "default.replication.factor"               = tostring(local.replication_factor)
        "min.insync.replicas"                      = tostring(max(1, local.replication_factor - 1))
        "offsets.topic.replication.factor"         = tostring(local.replication_factor)
        "transaction.state.log.replication.factor" = tostring(local.replication_factor)
        "transaction.state.log.min.isr"            = tostring(max(1, local.replication_factor - 1))
        "auto.create.topics.enable"                = tostring(var.auto_create_topics)
        "unclean.leader.election.enable"           = "false"
        "log.retention.hours"                      = tostring(var.log_retention_hours)
        "log.segment.bytes"                        = "1073741824"
        "log.retention.check.interval.ms"          = "300000"
        "group.initial.rebalance.delay.ms"         = "3000"
      },
      var.extra_server_properties,
      {
        "process.roles"                  = "broker,controller"
        "node.id"                        = tostring(b.node_id)
        "controller.quorum.voters"       = local.quorum_voters
        "listeners"                      = "BROKER://0.0.0.0:${var.client_port},CONTROLLER://0.0.0.0:${var.controller_port}"
        "advertised.listeners"           = "BROKER://${b.hostname}:${var.client_port}"
        "inter.broker.listener.name"     = "BROKER"
        "controller.listener.names"      = "CONTROLLER"
        "listener.security.protocol.map" = "BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT"
        "log.dirs"                       = local.log_dir
      },
    )
  }

  cloudwatch_agent_config = jsonencode({
    agent = {
      metrics_collection_interval = 60
      run_as_user                 = "root"
    }
    metrics = {
      namespace         = var.cloudwatch_agent_namespace
      append_dimensions = { InstanceId = "$${aws:InstanceId}" }
      # Roll-ups the monitoring module alarms on: mem by InstanceId, disk by InstanceId + path.
      aggregation_dimensions = [["InstanceId"], ["InstanceId", "path"]]
      metrics_collected = {
        mem = { measurement = ["mem_used_percent"] }
        disk = {
          measurement = ["used_percent"]
          resources   = ["/", var.data_volume.mount_path]
          drop_device = true
        }
      }
    }
    logs = {
      logs_collected = {
        files = {
          collect_list = concat([
            for f in ["server.log", "controller.log", "state-change.log"] : {
              file_path        = "/var/log/kafka/${f}"
              log_group_name   = local.log_group_name
              log_stream_name  = "{instance_id}/${f}"
              timestamp_format = "[%Y-%m-%d %H:%M:%S,%f]"
            }
            ],
            [{
              file_path       = "/var/log/kafka-bootstrap.log"
              log_group_name  = local.log_group_name
              log_stream_name = "{instance_id}/kafka-bootstrap.log"
          }])
        }
      }
    }
  })

  user_data = {
    for k, b in local.brokers : k => templatefile("${path.module}/templates/user_data.sh.tftpl", {
      node_id                 = b.node_id
      hostname                = b.hostname
      voter_hosts             = [for v in values(local.brokers) : v.hostname]
      cluster_id              = local.cluster_id
      kafka_version           = var.kafka_version
      scala_version           = var.scala_version
      download_url            = local.download_url
      download_sha512         = var.kafka_download_sha512 == null ? "" : var.kafka_download_sha512
      java_package            = var.java_package
      heap_size_mb            = var.heap_size_mb == null ? 0 : var.heap_size_mb
      data_device_name        = var.data_volume.device_name
      data_mount_path         = var.data_volume.mount_path
      log_dir                 = local.log_dir
      enable_cloudwatch_agent = var.enable_cloudwatch_agent
      cloudwatch_agent_config = local.cloudwatch_agent_config
      server_properties = templatefile("${path.module}/templates/server.properties.tftpl", {
        node_id    = b.node_id
        properties = local.server_properties[k]
      })
    })
  }
}

################################################################################
# KMS key (volumes and broker logs)
################################################################################

data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_109:Key policy: "*" is the key itself; AWS's default delegation of the key to the account's IAM policies.
  #checkov:skip=CKV_AWS_111:Key policy: "*" is the key itself; write access is constrained by the IAM policies it delegates to.
  #checkov:skip=CKV_AWS_356:In a key policy "*" can only mean the key itself.
  count = local.create_kms_key ? 1 : 0

  statement {
    sid       = "AccountAdministration"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchLogsForBrokerLogsOnly"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_name}"]
    }
  }
}

resource "aws_kms_key" "this" {
  count = local.create_kms_key ? 1 : 0

  description             = "${var.name} Kafka: EBS volumes and broker logs"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_key_deletion_window_in_days
  policy                  = data.aws_iam_policy_document.kms[0].json

  tags = merge(var.tags, { Name = "${var.name}-kafka" })
}

resource "aws_kms_alias" "this" {
  count = local.create_kms_key ? 1 : 0

  name          = "alias/${var.name}-kafka"
  target_key_id = aws_kms_key.this[0].key_id
}

################################################################################
# Instance role (only when no instance profile is passed in): SSM only, no SSH
################################################################################

data "aws_iam_policy_document" "assume" {
  count = local.create_instance_profile ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  count = local.create_instance_profile ? 1 : 0

  name_prefix        = "${substr(var.name, 0, 26)}-kafka-"
  description        = "Kafka brokers of ${var.name}: SSM Session Manager, CloudWatch agent"
  assume_role_policy = data.aws_iam_policy_document.assume[0].json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "this" {
  for_each = local.create_instance_profile ? toset(concat(
    ["AmazonSSMManagedInstanceCore"],
    var.enable_cloudwatch_agent ? ["CloudWatchAgentServerPolicy"] : [],
  )) : toset([])

  role       = aws_iam_role.this[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/${each.key}"
}

data "aws_iam_policy_document" "artifact" {
  count = local.create_instance_profile && startswith(local.download_url, "s3://") ? 1 : 0

  statement {
    sid       = "ReadKafkaArtifact"
    actions   = ["s3:GetObject"]
    resources = ["arn:${local.partition}:s3:::${trimprefix(local.download_url, "s3://")}"]
  }
}

resource "aws_iam_role_policy" "artifact" {
  count = length(data.aws_iam_policy_document.artifact)

  name   = "kafka-artifact"
  role   = aws_iam_role.this[0].id
  policy = data.aws_iam_policy_document.artifact[0].json
}

resource "aws_iam_instance_profile" "this" {
  count = local.create_instance_profile ? 1 : 0

  name_prefix = "${substr(var.name, 0, 26)}-kafka-"
  role        = aws_iam_role.this[0].name

  tags = var.tags
}

################################################################################
# Private DNS: stable broker names for controller.quorum.voters and clients
################################################################################

resource "aws_route53_zone" "this" {
  count = var.create_private_zone ? 1 : 0

  name    = local.zone_name
  comment = "Kafka broker names of ${var.name}"

  vpc {
    vpc_id = var.vpc_id
  }

  tags = var.tags
}

resource "aws_route53_record" "broker" {
  for_each = local.brokers

  zone_id = local.zone_id
  name    = each.value.hostname
  type    = "A"
  ttl     = var.dns_ttl
  records = [aws_instance.broker[each.key].private_ip]
}

################################################################################
# Brokers
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is a validated per-environment input (seed: dev 7 days, prod 30 days); a year of application logs is not required.
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = local.kms_key_arn

  tags = var.tags
}

# One per broker: raising a broker's generation replaces that broker alone (with the current configuration).
resource "terraform_data" "generation" {
  for_each = local.brokers

  input = lookup(var.broker_generations, each.key, 0)
}

resource "aws_instance" "broker" {
  for_each = local.brokers

  ami                    = local.ami_id
  instance_type          = var.instance_type
  subnet_id              = each.value.subnet_id
  vpc_security_group_ids = var.security_group_ids
  # Spelled out (not through a local) so reviewers and scanners see which profile it is.
  iam_instance_profile        = local.create_instance_profile ? aws_iam_instance_profile.this[0].name : var.iam_instance_profile_name
  associate_public_ip_address = false
  ebs_optimized               = true
  monitoring                  = var.enable_detailed_monitoring
  disable_api_termination     = var.enable_termination_protection
  # No key_name: shell access is SSM Session Manager only.

  user_data = local.user_data[each.key]

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = var.root_volume_size
    encrypted             = true
    kms_key_id            = local.kms_key_arn
    delete_on_termination = true

    tags = merge(var.tags, { Name = "${var.name}-kafka-${each.key}-root" })
  }

  maintenance_options {
    auto_recovery = "default"
  }

  tags = merge(var.tags, {
    Name        = "${var.name}-kafka-${each.key}"
    KafkaNodeId = each.key
    KafkaRole   = "broker,controller"
  })

  lifecycle {
    # A broker keeps the AMI, boot configuration (Kafka version, server.properties) and instance type it was
    # created with: a change to any of them would otherwise replace or stop every broker of the quorum in one apply.
    # Changes reach a broker when it is replaced, one broker per apply, by raising its broker_generations entry
    # (brokers_pending_roll lists the brokers still on an older configuration).
    ignore_changes       = [ami, user_data, instance_type]
    replace_triggered_by = [terraform_data.generation[each.key]]

    precondition {
      condition     = local.ami_id != null
      error_message = "No Amazon Linux 2023 AMI found for ${local.architecture}; set ami_id."
    }
  }

  # The boot script ships logs to the group and needs the role's rights on first boot (the instance profile
  # alone says nothing about its role's policies).
  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy_attachment.this, aws_iam_role_policy.artifact]
}

resource "aws_ebs_volume" "data" {
  for_each = local.brokers

  availability_zone = each.value.az
  type              = "gp3"
  size              = var.data_volume.size_gib
  iops              = var.data_volume.iops
  throughput        = var.data_volume.throughput
  encrypted         = true
  kms_key_id        = local.kms_key_arn
  final_snapshot    = var.data_volume.final_snapshot

  tags = merge(var.tags, {
    Name        = "${var.name}-kafka-${each.key}-data"
    KafkaNodeId = each.key
  })
}

resource "aws_volume_attachment" "data" {
  for_each = local.brokers

  device_name = var.data_volume.device_name
  volume_id   = aws_ebs_volume.data[each.key].id
  instance_id = aws_instance.broker[each.key].id

  # Stop the broker cleanly before the volume goes away (instance replacement, volume replacement).
  stop_instance_before_detaching = true
}
