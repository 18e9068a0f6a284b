# Basic use of the cloudmap module: a private namespace with three services.

resource "aws_vpc" "example" {
  cidr_block           = "10.44.0.0/16"
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = { Name = "popcorn-cloudmap-example" }
}

module "cloudmap" {
  source = "../.."

  name           = "popcorn-example"
  vpc_id         = aws_vpc.example.id
  namespace_name = "example.popcorn.internal"
  services       = ["user", "order", "payment"]
}
