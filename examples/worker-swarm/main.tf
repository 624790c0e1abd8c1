# A swarm of workers restored from an existing commit (for example the
# golden-image example's golden_commit_id), found again by label.

terraform {
  required_providers {
    vers = { source = "hdr/vers" }
  }
}

provider "vers" {}

# docs:example data.vers_commit
data "vers_commit" "source" {
  commit_id = var.commit_id
}
# docs:end

resource "vers_vm_restore" "worker" {
  count     = var.worker_count
  commit_id = data.vers_commit.source.commit_id
  labels = {
    swarm = var.swarm_name
    index = tostring(count.index)
  }
}

# docs:example data.vers_vms
# Every VM carrying the swarm's label, read after the workers exist.
data "vers_vms" "swarm" {
  labels     = { swarm = var.swarm_name }
  depends_on = [vers_vm_restore.worker]
}
# docs:end
