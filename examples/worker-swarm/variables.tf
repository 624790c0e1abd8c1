variable "commit_id" {
  description = "The commit to restore the workers from, e.g. `terraform -chdir=../golden-image output -raw golden_commit_id`."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", var.commit_id))
    error_message = "commit_id must be a commit UUID."
  }
}

variable "worker_count" {
  description = "How many workers to restore. Each inherits the commit's vCPUs and memory, which count against the organisation's quota."
  type        = number
  default     = 2
}

variable "swarm_name" {
  description = "Value of the `swarm` label every worker carries; the vers_vms lookup filters on it."
  type        = string
  default     = "swarm-a"
}
