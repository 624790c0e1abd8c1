variable "worker_count" {
  description = "How many workers to restore from the golden commit. Each inherits the commit's 2 vCPUs and 4096 MiB: vers-local's default quota (8 vCPUs, 16384 MiB) holds the base VM and 3 workers."
  type        = number
  default     = 3

  validation {
    condition     = var.worker_count >= 0 && floor(var.worker_count) == var.worker_count
    error_message = "worker_count must be a whole number, 0 or more."
  }
}
