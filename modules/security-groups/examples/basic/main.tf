# Basic use of the security-groups module on a plain VPC.

resource "aws_vpc" "example" {
  cidr_block           = "10.43.0.0/16"
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = { Name = "popcorn-sg-example" }
}

module "security_groups" {
  source = "../.."

  name           = "popcorn-example"
  vpc_id         = aws_vpc.example.id
  vpc_cidr_block = aws_vpc.example.cidr_block

  app_port              = 8080
  kafka_client_port     = 9092
  kafka_controller_port = 9093
}
