import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import * as vers from '@hdr/vers';

// The golden-image pipeline: boot a VM, provision it, commit it, restore
// workers from the commit. Provider settings come from `pulumi config set
// vers:…` or VERS_* environment variables (vers-local prints them).
const config = new pulumi.Config();
const workerCount = config.getNumber('workerCount') ?? 3;
const bootstrapScript = path.join(__dirname, 'bootstrap.sh');

const golden = new vers.Vm('golden', {
  vcpuCount: 1,
  memSizeMib: 512,
  labels: { role: 'golden' },
});

const bootstrap = new vers.Provision('bootstrap', {
  vmId: golden.id,
  files: [{ source: bootstrapScript, destination: '/opt/bootstrap.sh', mode: '0755' }],
  commands: ['/opt/bootstrap.sh'],
});

// Editing bootstrap.sh replaces the Provision (a new run, a new id), and a
// new provisioning id is a new commit.
const commit = new vers.VmCommit('golden', {
  vmId: golden.id,
  name: 'golden',
  description: 'golden image: bootstrap.sh applied',
  deleteOnDestroy: true,
  triggers: { provision: bootstrap.id },
});

const workers: vers.VmRestore[] = [];
for (let index = 0; index < workerCount; index++) {
  workers.push(new vers.VmRestore(`worker-${index}`, {
    commitId: commit.commitId,
    labels: { role: 'worker', index: String(index) },
  }));
}

export const goldenCommitId = commit.commitId;
export const workerVmIds = workers.map((worker) => worker.id);
