output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_arn" {
  description = "ARN of the VPC."
  value       = aws_vpc.this.arn
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "azs" {
  description = "Availability zones the subnets span, in order."
  value       = var.azs
}

output "workload_azs" {
  description = "The first workload_az_count AZs: where NAT gateways (per-AZ mode), compute, data and interface endpoints live."
  value       = local.workload_azs
}

output "public_subnet_ids" {
  description = "IDs of the public subnets, one per AZ (for the ALB). Known once their route to the internet gateway exists: an internet-facing load balancer is refused in a VPC without one."
  value       = aws_subnet.public[*].id

  # Consumers launch into these subnets: they wait for the route tables that make the subnets public.
  depends_on = [aws_route_table_association.public, aws_route.public_internet]
}

output "public_subnet_cidrs" {
  description = "CIDR blocks of the public subnets, one per AZ."
  value       = aws_subnet.public[*].cidr_block
}

output "private_app_subnet_ids" {
  description = "IDs of the private application subnets, one per AZ; consumers wait for their routes (NAT) and endpoints."
  value       = aws_subnet.private_app[*].id

  depends_on = [aws_route_table_association.private_app, aws_route.private_app_nat, aws_vpc_endpoint.interface, aws_vpc_endpoint.s3]
}

output "private_app_subnet_cidrs" {
  description = "CIDR blocks of the private application subnets, one per AZ."
  value       = aws_subnet.private_app[*].cidr_block
}

output "private_data_subnet_ids" {
  description = "IDs of the private data subnets, one per AZ (for DB/cache subnet groups, which need two AZs); consumers wait for their route tables."
  value       = aws_subnet.private_data[*].id

  depends_on = [aws_route_table_association.private_data, aws_route.private_data_nat]
}

output "private_data_subnet_cidrs" {
  description = "CIDR blocks of the private data subnets, one per AZ."
  value       = aws_subnet.private_data[*].cidr_block
}

output "workload_private_app_subnet_ids" {
  description = "Private application subnets in the workload AZs only: where ECS services and Kafka brokers should run. Known once their NAT routes and VPC endpoints exist, so tasks and brokers never boot without a way to ECR, Secrets Manager, Logs and the Kafka download."
  value       = slice(aws_subnet.private_app[*].id, 0, local.workload_az_count)

  depends_on = [aws_route_table_association.private_app, aws_route.private_app_nat, aws_vpc_endpoint.interface, aws_vpc_endpoint.s3]
}

output "workload_private_data_subnet_ids" {
  description = "Private data subnets in the workload AZs only (e.g. for a single-AZ database's preferred AZ)."
  value       = slice(aws_subnet.private_data[*].id, 0, local.workload_az_count)
}

output "public_route_table_ids" {
  description = "IDs of the public route tables (one, shared by every public subnet)."
  value       = [aws_route_table.public.id]
}

output "private_route_table_ids" {
  description = "IDs of the private application route tables, one per AZ."
  value       = aws_route_table.private_app[*].id
}

output "data_route_table_ids" {
  description = "IDs of the private data route tables, one per AZ."
  value       = aws_route_table.private_data[*].id
}

output "internet_gateway_id" {
  description = "ID of the internet gateway."
  value       = aws_internet_gateway.this.id
}

output "nat_gateway_ids" {
  description = "IDs of the NAT gateways (empty when enable_nat_gateway is false)."
  value       = aws_nat_gateway.this[*].id
}

output "nat_public_ips" {
  description = "Elastic IPs of the NAT gateways: the addresses outbound traffic comes from (for partner allow-lists)."
  value       = aws_eip.nat[*].public_ip
}

output "default_security_group_id" {
  description = "ID of the VPC's default security group (kept without rules)."
  value       = aws_default_security_group.this.id
}

output "flow_log_id" {
  description = "ID of the VPC flow log (null when disabled)."
  value       = try(aws_flow_log.this[0].id, null)
}

output "flow_log_group_name" {
  description = "Name of the CloudWatch Logs group receiving flow logs (null when disabled)."
  value       = try(aws_cloudwatch_log_group.flow_logs[0].name, null)
}

output "flow_log_group_arn" {
  description = "ARN of the CloudWatch Logs group receiving flow logs (null when disabled)."
  value       = try(aws_cloudwatch_log_group.flow_logs[0].arn, null)
}

output "s3_gateway_endpoint_id" {
  description = "ID of the S3 gateway endpoint (null when VPC endpoints are disabled)."
  value       = try(aws_vpc_endpoint.s3[0].id, null)
}

output "interface_endpoint_ids" {
  description = "Map of interface endpoint service short name (e.g. \"ecr.api\") to endpoint ID."
  value       = { for k, v in aws_vpc_endpoint.interface : k => v.id }
}

output "vpc_endpoints_security_group_id" {
  description = "ID of the security group the module created for interface endpoints (null when none was created)."
  value       = try(aws_security_group.vpc_endpoints[0].id, null)
}
