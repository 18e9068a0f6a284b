variable "name" {
  description = "Name prefix of the example."
  type        = string
  default     = "popcorn-kafka-ex"
}

variable "broker_count" {
  description = "Number of KRaft nodes (1 or 3 in the tests)."
  type        = number
  default     = 3
}

variable "enable_detailed_monitoring" {
  description = "EC2 detailed monitoring."
  type        = bool
  default     = true
}

variable "kafka_version" {
  description = "Kafka release of the brokers (a change reaches a broker only when its generation rises)."
  type        = string
  default     = "3.9.1"
}

variable "instance_type" {
  description = "Instance type of the brokers (a change reaches a broker only when its generation rises)."
  type        = string
  default     = "t3.medium"
}

variable "broker_generations" {
  description = "Node id -> generation: raising one rolls that broker alone (the module's broker_generations)."
  type        = map(number)
  default     = {}
}
