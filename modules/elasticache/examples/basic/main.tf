# Minimal scaffolding: a VPC with two private data subnets and a cache security group. Real stacks take these from
# the vpc and security-groups modules. The sandbox applies it as it is.

data "aws_availability_zones" "available" {
  state = "available"
}

resource "aws_vpc" "this" {
  #checkov:skip=CKV2_AWS_11:Throwaway example VPC; flow logs are enabled by modules/vpc in real stacks.
  cidr_block           = "10.45.0.0/16"
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = { Name = "${var.name}-vpc" }
}

resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id
}

resource "aws_subnet" "data" {
  count = 2

  vpc_id            = aws_vpc.this.id
  cidr_block        = cidrsubnet(aws_vpc.this.cidr_block, 8, 20 + count.index)
  availability_zone = data.aws_availability_zones.available.names[count.index]

  tags = { Name = "${var.name}-data-${count.index}" }
}

resource "aws_security_group" "cache" {
  name        = "${var.name}-cache"
  description = "Example Valkey"
  vpc_id      = aws_vpc.this.id

  tags = { Name = "${var.name}-cache" }
}

resource "aws_vpc_security_group_ingress_rule" "cache" {
  security_group_id = aws_security_group.cache.id
  description       = "Valkey from inside the VPC"
  cidr_ipv4         = aws_vpc.this.cidr_block
  from_port         = 6379
  to_port           = 6379
  ip_protocol       = "tcp"
}

module "elasticache" {
  source = "../.."

  create             = var.create
  name               = var.name
  subnet_ids         = aws_subnet.data[*].id
  security_group_ids = [aws_security_group.cache.id]

  engine_version     = "8.0"
  node_type          = "cache.t4g.micro"
  num_cache_clusters = var.num_cache_clusters
  auth_mode          = var.auth_mode
  final_snapshot     = false
  log_retention_days = 7

  tags = { Example = "elasticache-basic" }
}
