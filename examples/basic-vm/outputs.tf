output "vm_id" {
  description = "The VM id."
  value       = vers_vm.example.id
}

output "state" {
  description = "The VM state reported by Vers (running once created, since wait_boot defaults to true)."
  value       = vers_vm.example.state
}

output "ssh_host" {
  description = "The VM's name on the SSH-over-TLS gateway (the TLS SNI)."
  value       = vers_vm.example.ssh_host
}
