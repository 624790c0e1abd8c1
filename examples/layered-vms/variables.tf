variable "app_name" {
  description = "Name the app layer is built for (a label on the workers, and part of the app layer's commit triggers)."
  type        = string
  default     = "hello"
}

variable "worker_count" {
  description = "How many workers to restore from the app layer's commit."
  type        = number
  default     = 2
}
