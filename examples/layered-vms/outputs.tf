output "layer_commit_ids" {
  description = "The commit of each layer."
  value = {
    base  = vers_vm_commit.base.commit_id
    tools = vers_vm_commit.tools.commit_id
    app   = vers_vm_commit.app.commit_id
  }
}

output "worker_vm_ids" {
  description = "The workers, restored from the app layer's commit."
  value       = vers_vm_restore.worker[*].id
}

output "scratch_vm_id" {
  description = "The scratch branch of the app layer's VM."
  value       = vers_vm_branch.app_scratch.id
}
