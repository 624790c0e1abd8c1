variable "environment" {
  description = "Value of the VM's `environment` label."
  type        = string
  default     = "dev"
}
