# One Vers VM with labels.

# docs:example provider
terraform {
  required_providers {
    vers = { source = "hdr/vers" }
  }
}

# Every setting can also come from the environment (VERS_API_KEY,
# VERS_BASE_URL, VERS_VM_DOMAIN, VERS_SSH_GATEWAY, VERS_CA_FILE), which keeps
# the API key out of the configuration.
provider "vers" {
  # base_url = "https://api.vers.sh/api/v1" # the default
}
# docs:end

# docs:example resource.vers_vm
resource "vers_vm" "example" {
  vcpu_count   = 1
  mem_size_mib = 1024
  fs_size_mib  = 2048
  labels = {
    app         = "basic-vm"
    environment = var.environment
  }
}
# docs:end
