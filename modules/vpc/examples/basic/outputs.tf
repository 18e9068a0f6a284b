output "vpc_id" {
  description = "ID of the example VPC."
  value       = module.vpc.vpc_id
}

output "public_subnet_ids" {
  description = "Public subnets of the example VPC."
  value       = module.vpc.public_subnet_ids
}

output "private_app_subnet_ids" {
  description = "Private application subnets of the example VPC."
  value       = module.vpc.private_app_subnet_ids
}

output "nat_gateway_ids" {
  description = "NAT gateways of the example VPC."
  value       = module.vpc.nat_gateway_ids
}
