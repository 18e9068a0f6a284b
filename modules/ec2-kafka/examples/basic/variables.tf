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
  description = "EC2 detailed monitoring (false in the sandbox: the emulator cannot enable it)."
  type        = bool
  default     = true
}
