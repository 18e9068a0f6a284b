# Minimal scaffolding: a VPC with private subnets in up to three AZs and a broker security group. Real stacks take
# these from the vpc, security-groups and iam modules (kafka_security_group_id, kafka_instance_profile_name).

data "aws_availability_zones" "available" {
  state = "available"
}

locals {
  azs = slice(data.aws_availability_zones.available.names, 0, 3)
}

resource "aws_vpc" "this" {
  #checkov:skip=CKV2_AWS_11:Throwaway example VPC; flow logs are enabled by modules/vpc in real stacks.
  cidr_block           = "10.44.0.0/16"
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = { Name = "${var.name}-vpc" }
}

resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id
}

resource "aws_subnet" "private" {
  count = length(local.azs)

  vpc_id            = aws_vpc.this.id
  cidr_block        = cidrsubnet(aws_vpc.this.cidr_block, 8, 10 + count.index)
  availability_zone = local.azs[count.index]

  tags = { Name = "${var.name}-private-${count.index}" }
}

resource "aws_security_group" "kafka" {
  name        = "${var.name}-kafka"
  description = "Example Kafka brokers"
  vpc_id      = aws_vpc.this.id

  tags = { Name = "${var.name}-kafka" }
}

resource "aws_vpc_security_group_ingress_rule" "kafka" {
  for_each = { client = 9092, controller = 9093 }

  security_group_id = aws_security_group.kafka.id
  description       = "Kafka ${each.key} port from inside the VPC"
  cidr_ipv4         = aws_vpc.this.cidr_block
  from_port         = each.value
  to_port           = each.value
  ip_protocol       = "tcp"
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.kafka.id
  description       = "HTTPS for packages, the Kafka download, SSM and CloudWatch"
  cidr_ipv4         = "0.0.0.0/0"
  from_port         = 443
  to_port           = 443
  ip_protocol       = "tcp"
}

resource "aws_vpc_security_group_egress_rule" "kafka" {
  for_each = { client = 9092, controller = 9093 }

  security_group_id            = aws_security_group.kafka.id
  description                  = "Kafka ${each.key} port to the other brokers"
  referenced_security_group_id = aws_security_group.kafka.id
  from_port                    = each.value
  to_port                      = each.value
  ip_protocol                  = "tcp"
}

module "kafka" {
  source = "../.."

  name               = var.name
  broker_count       = var.broker_count
  vpc_id             = aws_vpc.this.id
  subnet_ids         = aws_subnet.private[*].id
  security_group_ids = [aws_security_group.kafka.id]

  instance_type      = var.instance_type
  kafka_version      = var.kafka_version
  broker_generations = var.broker_generations
  data_volume = {
    size_gib       = 20
    final_snapshot = false
  }

  enable_detailed_monitoring = var.enable_detailed_monitoring
  log_retention_days         = 7

  tags = { Example = "ec2-kafka-basic" }
}
