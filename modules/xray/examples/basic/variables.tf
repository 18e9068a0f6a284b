variable "name" {
  description = "Name prefix of the example."
  type        = string
  default     = "popcorn-xray-ex"
}

variable "enable_sampling_rules" {
  description = "Sampling rules."
  type        = bool
  default     = true
}

variable "enable_groups" {
  description = "Groups."
  type        = bool
  default     = true
}

variable "enable_encryption_config" {
  description = "KMS encryption of trace data."
  type        = bool
  default     = true
}
