# Basic use of the vpc module: three tiers over the region's first AZs.
# Plan it with -var single_nat_gateway=false to get one NAT gateway per workload AZ.

data "aws_availability_zones" "available" {
  state = "available"
}

module "vpc" {
  source = "../.."

  name       = "popcorn-example"
  cidr_block = "10.42.0.0/16"
  azs        = slice(data.aws_availability_zones.available.names, 0, var.az_count)

  workload_az_count  = var.workload_az_count
  enable_nat_gateway = true
  single_nat_gateway = var.single_nat_gateway

  enable_flow_logs         = true
  flow_logs_retention_days = 7

  enable_vpc_endpoints = var.enable_vpc_endpoints
}
