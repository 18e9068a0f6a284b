variable "name" {
  description = "Name prefix of the example."
  type        = string
  default     = "popcorn-ecs-ex"
}

variable "enable_autoscaling" {
  description = "Create Application Auto Scaling targets and policies (false in the sandbox: the emulator cannot create them)."
  type        = bool
  default     = true
}

variable "enable_xray_sidecar" {
  description = "Add the X-Ray daemon sidecar to the services."
  type        = bool
  default     = true
}

variable "ignore_deploy_changes" {
  description = "Let a deploy pipeline own task definition revisions and desired counts."
  type        = bool
  default     = false
}
