output "source_commit" {
  description = "The commit the workers were restored from."
  value = {
    id         = data.vers_commit.source.commit_id
    name       = data.vers_commit.source.name
    created_at = data.vers_commit.source.created_at
  }
}

output "worker_vm_ids" {
  description = "The workers this configuration manages."
  value       = vers_vm_restore.worker[*].id
}

output "swarm_vm_ids" {
  description = "Every VM Vers lists with the swarm's label, sorted."
  value       = sort(data.vers_vms.swarm.vms[*].vm_id)
}

output "swarm_vm_states" {
  description = "State of each VM with the swarm's label."
  value       = { for vm in data.vers_vms.swarm.vms : vm.vm_id => vm.state }
}
