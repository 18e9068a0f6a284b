# Minimal scaffolding: a VPC with two private data subnets and a database security group. Real stacks take these
# from the vpc and security-groups modules.

data "aws_availability_zones" "available" {
  state = "available"
}

resource "aws_vpc" "this" {
  #checkov:skip=CKV2_AWS_11:Throwaway example VPC; flow logs are enabled by modules/vpc in real stacks.
  cidr_block           = "10.43.0.0/16"
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

resource "aws_security_group" "db" {
  name        = "${var.name}-db"
  description = "Example PostgreSQL"
  vpc_id      = aws_vpc.this.id

  tags = { Name = "${var.name}-db" }
}

resource "aws_vpc_security_group_ingress_rule" "db" {
  security_group_id = aws_security_group.db.id
  description       = "PostgreSQL from inside the VPC"
  cidr_ipv4         = aws_vpc.this.cidr_block
  from_port         = 5432
  to_port           = 5432
  ip_protocol       = "tcp"
}

module "rds" {
  source = "../.."

  name                   = var.name
  subnet_ids             = aws_subnet.data[*].id
  vpc_security_group_ids = [aws_security_group.db.id]

  engine_version = "16.4"
  instance_class = "db.t4g.micro"
  multi_az       = false

  enable_performance_insights   = var.enable_performance_insights
  enable_custom_parameter_group = var.enable_custom_parameter_group
  enable_enhanced_monitoring    = var.enable_enhanced_monitoring

  # Protected like a real database by default; the sandbox run passes deletion_protection=false to stay destroyable.
  deletion_protection = var.deletion_protection
  skip_final_snapshot = true
  log_retention_days  = 7

  tags = { Example = "rds-basic" }
}
