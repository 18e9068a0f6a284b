variable "enable_waf" {
  description = "Passed to the module: create and associate the WAFv2 web ACL."
  type        = bool
  default     = true
}
