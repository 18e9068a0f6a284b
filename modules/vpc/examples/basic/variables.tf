variable "az_count" {
  description = "How many of the region's AZs the example VPC spans."
  type        = number
  default     = 3
}

variable "workload_az_count" {
  description = "Passed to the module: AZs hosting NAT/compute/data (null = all)."
  type        = number
  default     = null
}

variable "single_nat_gateway" {
  description = "Passed to the module: one shared NAT gateway instead of one per workload AZ."
  type        = bool
  default     = true
}

variable "enable_vpc_endpoints" {
  description = "Passed to the module: create the S3 gateway and interface endpoints."
  type        = bool
  default     = false
}
