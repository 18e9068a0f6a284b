variable "name" {
  description = "Name prefix of the example."
  type        = string
  default     = "popcorn-rds-ex"
}

variable "enable_performance_insights" {
  description = "Performance Insights."
  type        = bool
  default     = true
}

variable "enable_custom_parameter_group" {
  description = "Custom parameter group."
  type        = bool
  default     = true
}

variable "enable_enhanced_monitoring" {
  description = "Enhanced Monitoring with a module-created role."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Deletion protection of the example instance (pass false for a disposable sandbox apply)."
  type        = bool
  default     = true
}
