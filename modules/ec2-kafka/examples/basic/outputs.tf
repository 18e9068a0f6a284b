output "bootstrap_servers" {
  description = "Client bootstrap string."
  value       = module.kafka.bootstrap_servers
}

output "cluster_id" {
  description = "Kafka cluster ID."
  value       = module.kafka.cluster_id
}

output "controller_quorum_voters" {
  description = "Controller quorum of every node."
  value       = module.kafka.controller_quorum_voters
}

output "instance_ids" {
  description = "Broker instance IDs."
  value       = module.kafka.instance_ids
}

output "user_data" {
  description = "Rendered boot script per node id."
  value       = module.kafka.user_data
}

output "brokers_pending_roll" {
  description = "Brokers on an older version, configuration or instance type than the example now asks for."
  value       = module.kafka.brokers_pending_roll
}
