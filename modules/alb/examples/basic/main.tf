# Basic use of the alb module with the vpc and security-groups modules:
# two routed services, access logs on, WAF switchable (it is off in the local sandbox).

data "aws_availability_zones" "available" {
  state = "available"
}

module "vpc" {
  source = "../../../vpc"

  name               = "popcorn-example"
  cidr_block         = "10.45.0.0/16"
  azs                = slice(data.aws_availability_zones.available.names, 0, 2)
  enable_nat_gateway = false
  enable_flow_logs   = false
}

module "security_groups" {
  source = "../../../security-groups"

  name           = "popcorn-example"
  vpc_id         = module.vpc.vpc_id
  vpc_cidr_block = module.vpc.vpc_cidr_block
}

# In the environments the certificate comes from global/route53-acm; here an unvalidated one is enough.
resource "aws_acm_certificate" "example" {
  domain_name       = "example.goormpopcorn.shop"
  validation_method = "DNS"

  lifecycle {
    create_before_destroy = true
  }
}

module "alb" {
  source = "../.."

  name               = "popcorn-example"
  vpc_id             = module.vpc.vpc_id
  public_subnet_ids  = module.vpc.public_subnet_ids
  security_group_ids = [module.security_groups.alb_security_group_id]
  certificate_arn    = aws_acm_certificate.example.arn

  routed_services = {
    api-gateway = {
      port              = 8080
      priority          = 100
      path_patterns     = ["/api/*"]
      health_check_path = "/actuator/health"
    }
    payment-front = {
      port          = 3000
      priority      = 200
      host_headers  = ["pay.example.goormpopcorn.shop"]
      path_patterns = ["/*"]
    }
  }

  enable_deletion_protection = false
  enable_access_logs         = true
  access_logs_force_destroy  = true
  access_logs_retention_days = 30
  enable_waf                 = var.enable_waf
}
