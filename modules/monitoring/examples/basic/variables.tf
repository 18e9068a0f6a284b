variable "name" {
  description = "Name prefix of the example."
  type        = string
  default     = "popcorn-mon-ex"
}
