output "instance_id" {
  description = "DB instance identifier."
  value       = module.rds.instance_id
}

output "endpoint" {
  description = "Connection endpoint."
  value       = module.rds.endpoint
}

output "master_user_secret_arn" {
  description = "Secrets Manager secret with the master credentials."
  value       = module.rds.master_user_secret_arn
}

output "parameter_group_name" {
  description = "Parameter group in use."
  value       = module.rds.parameter_group_name
}
