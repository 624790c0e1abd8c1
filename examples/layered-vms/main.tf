# Layered images: base → tools → app → workers. Each layer is a VM restored
# from the previous layer's commit, provisioned with one script, and
# committed; the workers are restored from the app layer's commit. Editing a
# layer's script rebuilds that layer and every layer after it.

terraform {
  required_providers {
    vers = { source = "hdr/vers" }
  }
}

provider "vers" {}

# Layer 1: base, a new root VM.
resource "vers_vm" "base" {
  labels = { layer = "base" }
}

resource "vers_provision" "base" {
  vm_id = vers_vm.base.id
  file {
    source      = "${path.module}/layers/base.sh"
    destination = "/tmp/layer.sh"
  }
  commands = ["bash /tmp/layer.sh"]
}

resource "vers_vm_commit" "base" {
  vm_id    = vers_vm.base.id
  name     = "layer-base"
  triggers = { provision = vers_provision.base.id }
}

# Layer 2: tools, on top of base.
resource "vers_vm_restore" "tools" {
  commit_id = vers_vm_commit.base.commit_id
  labels    = { layer = "tools" }
}

resource "vers_provision" "tools" {
  vm_id = vers_vm_restore.tools.id
  file {
    source      = "${path.module}/layers/tools.sh"
    destination = "/tmp/layer.sh"
  }
  commands = ["bash /tmp/layer.sh"]
}

resource "vers_vm_commit" "tools" {
  vm_id    = vers_vm_restore.tools.id
  name     = "layer-tools"
  triggers = { provision = vers_provision.tools.id }
}

# Layer 3: app, on top of tools.
resource "vers_vm_restore" "app" {
  commit_id = vers_vm_commit.tools.commit_id
  labels    = { layer = "app" }
}

resource "vers_provision" "app" {
  vm_id = vers_vm_restore.app.id
  file {
    source      = "${path.module}/layers/app.sh"
    destination = "/tmp/layer.sh"
  }
  # A new app name is a new environment, so a new provisioning run.
  environment = { APP_NAME = var.app_name }
  commands    = ["bash /tmp/layer.sh"]
}

resource "vers_vm_commit" "app" {
  vm_id    = vers_vm_restore.app.id
  name     = "layer-app"
  triggers = { provision = vers_provision.app.id }
}

# The workers run the finished image.
resource "vers_vm_restore" "worker" {
  count     = var.worker_count
  commit_id = vers_vm_commit.app.commit_id
  labels    = { layer = "worker", app = var.app_name }
}

# docs:example resource.vers_vm_branch
# A scratch copy of the app layer's VM to experiment on: branching commits the
# source VM and starts a new VM from that commit, leaving the layer untouched.
resource "vers_vm_branch" "app_scratch" {
  source_vm_id = vers_vm_restore.app.id
  labels       = { layer = "app", purpose = "scratch" }
  # Branch after the layer is provisioned and committed (both use the VM).
  depends_on = [vers_vm_commit.app]
}
# docs:end
