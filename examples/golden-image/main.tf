# The golden image pipeline: boot a base VM, provision it, commit it, and
# restore identical workers from that commit. Editing scripts/bootstrap.sh is
# a new provisioning run on the base VM (a new vers_provision id), which takes
# a new commit and replaces the workers.

terraform {
  required_providers {
    vers = { source = "hdr/vers" }
  }
}

# Settings come from VERS_API_KEY, VERS_BASE_URL, ... (see docs/index.md).
provider "vers" {}

resource "vers_vm" "golden_base" {
  vcpu_count   = 2
  mem_size_mib = 4096
  fs_size_mib  = 8192
  wait_boot    = true
  labels       = { role = "golden-base" }
}

# docs:example resource.vers_provision
resource "vers_provision" "golden_setup" {
  vm_id = vers_vm.golden_base.id

  # The provider hashes source files: editing bootstrap.sh is a new run.
  file {
    source      = "${path.module}/scripts/bootstrap.sh"
    destination = "/tmp/bootstrap.sh"
    mode        = "0755"
  }

  commands = ["bash /tmp/bootstrap.sh"]
}
# docs:end

# docs:example resource.vers_vm_commit
resource "vers_vm_commit" "golden" {
  vm_id = vers_vm.golden_base.id
  name  = "golden"
  # The base VM stays paused once the golden commit is taken: it only exists
  # to build the image. (Its desired_state is unset, so that is not drift, and
  # provisioning again resumes it.)
  keep_paused = true
  # Each provisioning run has its own id: a new run takes a new commit.
  triggers = { provision = vers_provision.golden_setup.id }
}
# docs:end

# docs:example resource.vers_vm_restore
resource "vers_vm_restore" "worker" {
  count     = var.worker_count
  commit_id = vers_vm_commit.golden.commit_id
  labels    = { role = "worker", index = tostring(count.index) }
}
# docs:end
