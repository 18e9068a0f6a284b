output "bootstrap_servers" {
  description = "Client bootstrap string \"broker-1.<zone>:9092,...\" (stable DNS names, not IPs)."
  value       = join(",", [for b in values(local.brokers) : "${b.hostname}:${var.client_port}"])
}

output "broker_endpoints" {
  description = "Broker endpoints \"host:port\" ordered by node id."
  value       = [for b in values(local.brokers) : "${b.hostname}:${var.client_port}"]
}

output "broker_dns_names" {
  description = "Private DNS name per node id."
  value       = { for k, b in local.brokers : k => b.hostname }
}

output "controller_quorum_voters" {
  description = "The controller.quorum.voters value every node is configured with."
  value       = local.quorum_voters
}

output "instance_ids" {
  description = "Broker instance IDs ordered by node id (the monitoring module's kafka_instance_ids)."
  value       = [for k in sort(keys(local.brokers)) : aws_instance.broker[k].id]
}

output "instance_private_ips" {
  description = "Private IP per node id."
  value       = { for k, i in aws_instance.broker : k => i.private_ip }
}

output "data_volume_ids" {
  description = "Data EBS volume IDs ordered by node id."
  value       = [for k in sort(keys(local.brokers)) : aws_ebs_volume.data[k].id]
}

output "cluster_id" {
  description = "Kafka cluster ID the storage is formatted with (stable; derived from cluster_id_seed unless cluster_id is set)."
  value       = local.cluster_id
}

output "private_zone_id" {
  description = "Route 53 private hosted zone holding the broker records."
  value       = local.zone_id
}

output "private_zone_name" {
  description = "Name of the broker DNS zone."
  value       = local.zone_name
}

output "log_group_name" {
  description = "CloudWatch log group of the broker logs (server, controller, state-change, bootstrap)."
  value       = aws_cloudwatch_log_group.this.name
}

output "kms_key_arn" {
  description = "KMS key encrypting the volumes and the log group (null when AWS managed keys are used)."
  value       = local.kms_key_arn
}

output "iam_role_arn" {
  description = "ARN of the instance role the module created (null when iam_instance_profile_name was passed in)."
  value       = one(aws_iam_role.this[*].arn)
}

output "cloudwatch_agent_namespace" {
  description = "Namespace of the agent metrics (mem_used_percent by InstanceId; disk_used_percent by InstanceId and path)."
  value       = var.cloudwatch_agent_namespace
}

output "data_mount_path" {
  description = "Mount point of the data volume (the path dimension of the data-disk metric)."
  value       = var.data_volume.mount_path
}

output "brokers_pending_roll" {
  description = "Node ids whose running instance is on an older boot configuration or instance type than the module now renders: raise their broker_generations entry, one broker per apply, to roll them."
  value = [
    for k in sort(keys(local.brokers)) : k
    if aws_instance.broker[k].user_data != sha1(local.user_data[k]) || aws_instance.broker[k].instance_type != var.instance_type
  ]
}

output "user_data" {
  description = "Rendered boot script per node id (no secrets inside); useful for review and tests."
  value       = local.user_data
}
