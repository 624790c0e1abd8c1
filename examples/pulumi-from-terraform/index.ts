import * as pulumi from '@pulumi/pulumi';
import * as terraform from '@pulumi/terraform';
import * as vers from '@hdr/vers';

// Terraform owns the golden image (examples/golden-image, output
// `golden_commit_id`); this stack only spawns workers from it. Reading the
// state is an invoke of the `terraform` provider, so the commit id is an
// Output and every worker depends on it.
const config = new pulumi.Config();
const statePath = config.get('terraformStatePath') ?? '../golden-image/terraform.tfstate';
const workerCount = config.getNumber('workerCount') ?? 2;

const terraformOutputs = terraform.state.getLocalReferenceOutput({ path: statePath }).outputs;
export const goldenCommitId = terraformOutputs.apply((outputs) => {
  const id = outputs['golden_commit_id'];
  if (typeof id !== 'string' || id === '') {
    throw new Error(`${statePath} has no golden_commit_id output; run terraform apply in examples/golden-image first`);
  }
  return id;
});

const golden = vers.getCommitOutput({ commitId: goldenCommitId });
export const goldenCommitName = golden.name;

const workers: vers.VmRestore[] = [];
for (let index = 0; index < workerCount; index++) {
  workers.push(new vers.VmRestore(`worker-${index}`, {
    commitId: goldenCommitId,
    labels: { role: 'worker', source: 'terraform', index: String(index) },
  }));
}

export const workerVmIds = workers.map((worker) => worker.id);
