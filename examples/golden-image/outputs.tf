output "golden_commit_id" {
  description = "The golden commit: restore more workers from it (the worker-swarm example and the Pulumi example read this output)."
  value       = vers_vm_commit.golden.commit_id
}

output "worker_vm_ids" {
  description = "The workers' VM ids."
  value       = vers_vm_restore.worker[*].id
}

output "worker_ssh_hosts" {
  description = "TLS SNI names of the workers on the SSH-over-TLS gateway."
  value       = vers_vm_restore.worker[*].ssh_host
}
