variable "name" {
  description = "Name prefix of the example."
  type        = string
  default     = "popcorn-cache-ex"
}

variable "create" {
  description = "Create the cache (false plans the scaffolding only)."
  type        = bool
  default     = true
}

variable "num_cache_clusters" {
  description = "Nodes: 2 gives a primary and a replica with automatic failover and Multi-AZ."
  type        = number
  default     = 2
}

variable "auth_mode" {
  description = "token (AUTH token in Secrets Manager) or iam (RBAC user group with IAM authentication)."
  type        = string
  default     = "token"
}
