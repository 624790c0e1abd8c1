import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { announceSkip, findTerraform, type TerraformWorkspace } from './harness/terraform-cli';
import { apply, destroy, plan, stateInstance, terraformOk, useVersLocalForTerraform, vmIds } from './harness/vers-local-terraform';

/**
 * Terraform end to end against vers-local, beyond the happy path: drift (a VM
 * deleted behind Terraform's back), adoption (`terraform import` and
 * `import {}` blocks), in-place updates (pause, a larger disk, labels),
 * provisioning runs replaced with their host key carried, and a failing
 * provisioning command. One vers-local for the file; each scenario
 * has its own workspace and leaves no VM behind.
 */

const terraform = findTerraform();
const BUILD_ROOT = join(__dirname, '..', '..');
const suite = terraform === undefined ? describe.skip : describe;
if (terraform === undefined) announceSkip('tests/tfbridge/e2e-lifecycle.test.ts');

const PROVIDER = `
terraform {
  required_providers {
    vers = { source = "hdr/vers" }
  }
}

provider "vers" {}
`;

suite('terraform against vers-local: drift, import, in-place updates and failing provisioning', () => {
  const fixture = useVersLocalForTerraform(terraform as string, BUILD_ROOT);

  function workspace(hcl: string): TerraformWorkspace {
    const created = fixture.workspace();
    created.writeConfig(`${PROVIDER}\n${hcl}`);
    return created;
  }

  /** A root VM made with the API, as someone outside Terraform would. */
  async function rootVmOutsideTerraform(labels: Record<string, string>): Promise<string> {
    const res = await fixture.local.api('POST', '/vm/new_root?wait_boot=true', { json: { vm_config: { labels } } });
    expect(res.status).toBe(201);
    return res.json<{ vm_id: string }>().vm_id;
  }

  async function commitOutsideTerraform(vmId: string): Promise<string> {
    const res = await fixture.local.api('POST', `/vm/${vmId}/commit`, { json: {} });
    expect(res.status).toBe(201);
    return res.json<{ commit_id: string }>().commit_id;
  }


  test('a VM deleted behind Terraform\'s back is planned for re-creation, with its provisioning, and apply re-creates both', async () => {
    const ws = workspace(`
resource "vers_vm" "drifter" {
  labels = { scenario = "drift" }
}

resource "vers_provision" "marker" {
  vm_id    = vers_vm.drifter.id
  commands = ["echo provisioned > /root/marker"]
}
`);
    expect(await apply(ws)).toContain('Apply complete! Resources: 2 added, 0 changed, 0 destroyed.');
    const original = String(stateInstance(ws, 'vers_vm.drifter').attributes.id);
    expect((await fixture.local.api('DELETE', `/vm/${original}`)).status).toBe(200);

    const planned = await plan(ws);
    expect(planned.code).toBe(2);
    expect(planned.output).toContain('vers_vm.drifter has been deleted');
    expect(planned.output).toContain('vers_vm.drifter will be created');
    expect(planned.output).toContain('vers_provision.marker will be created');
    expect(planned.output).toContain('Plan: 2 to add, 0 to change, 0 to destroy.');

    expect(await apply(ws)).toContain('Apply complete! Resources: 2 added, 0 changed, 0 destroyed.');
    const recreated = String(stateInstance(ws, 'vers_vm.drifter').attributes.id);
    expect(recreated).not.toBe(original);
    expect(stateInstance(ws, 'vers_provision.marker').attributes.vm_id).toBe(recreated);
    expect(await fixture.sshOk(recreated, 'cat /root/marker')).toBe('provisioned\n');
    expect(await vmIds(fixture.local)).toEqual([recreated]);

    expect(await destroy(ws)).toContain('Destroy complete! Resources: 2 destroyed.');
    expect(await vmIds(fixture.local)).toEqual([]);
  });

  test('terraform import adopts an existing VM and commit: the state holds what Vers reports and the first plan is empty', async () => {
    const vmId = await rootVmOutsideTerraform({ owner: 'import-test' });
    const commitId = await commitOutsideTerraform(vmId);
    const ws = workspace(`
resource "vers_vm" "adopted" {
  labels = { owner = "import-test" }
}

resource "vers_vm_commit" "adopted" {
  vm_id = vers_vm.adopted.id
}
`);
    expect(await terraformOk(ws, ['import', '-no-color', 'vers_vm.adopted', vmId])).toContain('Import successful!');
    expect(await terraformOk(ws, ['import', '-no-color', 'vers_vm_commit.adopted', commitId])).toContain('Import successful!');
    expect(stateInstance(ws, 'vers_vm.adopted').attributes).toMatchObject({
      id: vmId,
      state: 'running',
      desired_state: 'running',
      labels: { owner: 'import-test' },
      ssh_host: `${vmId}.${fixture.local.ready.vm_domain}`,
      parent_commit_id: '',
    });
    expect(String(stateInstance(ws, 'vers_vm.adopted').attributes.ssh_private_key)).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
    expect(stateInstance(ws, 'vers_vm_commit.adopted').attributes).toMatchObject({ id: commitId, commit_id: commitId, vm_id: vmId });

    // Vers reports neither a VM's sizes nor how a commit was taken: left unset, they stay
    // unknown (null) and nothing is planned from a default.
    const planned = await plan(ws);
    expect(planned.output).toContain('No changes.');
    expect(planned.code).toBe(0);
    expect(stateInstance(ws, 'vers_vm.adopted').attributes).toMatchObject({ vcpu_count: null, mem_size_mib: null, fs_size_mib: null, image_name: null });

    expect(await destroy(ws)).toContain('Destroy complete! Resources: 2 destroyed.');
    expect(await vmIds(fixture.local)).toEqual([]);
    // The commit outlives the resource (an unset delete_on_destroy keeps it).
    expect((await fixture.local.api('GET', `/vm/commits/${commitId}/parents`)).status).toBe(200);
  });

  test('configured sizes of an imported VM are recorded once without touching it, with a warning; a later size change replaces it', async () => {
    const vmId = await rootVmOutsideTerraform({ owner: 'sized-import' });
    const config = (vcpuCount: number): string => `
resource "vers_vm" "adopted" {
  vcpu_count   = ${vcpuCount}
  mem_size_mib = 512
  labels       = { owner = "sized-import" }
}
`;
    const ws = workspace(config(1));
    expect(await terraformOk(ws, ['import', '-no-color', 'vers_vm.adopted', vmId])).toContain('Import successful!');
    const recording = await plan(ws);
    expect(recording.code).toBe(2);
    expect(recording.output).toContain('vers_vm.adopted will be updated in-place');
    expect(recording.output).not.toContain('must be replaced');
    expect(recording.output).toContain(`vers_vm ${vmId}: \`vcpu_count\`, \`mem_size_mib\` recorded, not applied`);
    expect(await apply(ws)).toContain('Apply complete! Resources: 0 added, 1 changed, 0 destroyed.');
    expect(stateInstance(ws, 'vers_vm.adopted').attributes).toMatchObject({ id: vmId, vcpu_count: 1, mem_size_mib: 512, fs_size_mib: null });
    expect((await plan(ws)).code).toBe(0);

    // Now that the size is recorded, a new one needs a new VM.
    ws.writeConfig(`${PROVIDER}\n${config(2)}`);
    const resized = await plan(ws);
    expect(resized.code).toBe(2);
    expect(resized.output).toContain('vers_vm.adopted must be replaced');
    expect(resized.output).toMatch(/vcpu_count\s+= 1 -> 2 # forces replacement/);
    expect(resized.output).toContain('Plan: 1 to add, 0 to change, 1 to destroy.');

    expect(await destroy(ws)).toContain('Destroy complete! Resources: 1 destroyed.');
    expect(await vmIds(fixture.local)).toEqual([]);
  });

  test('import blocks adopt a restored VM and a commit in one apply, after which the plan is empty', async () => {
    const rootId = await rootVmOutsideTerraform({});
    const commitId = await commitOutsideTerraform(rootId);
    const restored = await fixture.local.api('POST', '/vm/from_commit', { json: { commit_id: commitId } });
    expect(restored.status).toBe(201);
    const restoredId = restored.json<{ vm_id: string }>().vm_id;
    const ws = workspace(`
import {
  to = vers_vm_restore.adopted
  id = "${restoredId}"
}

import {
  to = vers_vm_commit.adopted
  id = "${commitId}"
}

resource "vers_vm_commit" "adopted" {
  vm_id = "${rootId}"
}

resource "vers_vm_restore" "adopted" {
  commit_id = vers_vm_commit.adopted.commit_id
}
`);
    const planned = await plan(ws);
    expect(planned.code).toBe(2);
    expect(planned.output).toContain(`vers_vm_restore.adopted will be imported`);
    expect(planned.output).toContain(`vers_vm_commit.adopted will be imported`);
    expect(planned.output).not.toContain('must be replaced');
    // Nothing the configuration leaves unset is planned from a default (keep_paused, delete_on_destroy).
    expect(planned.output).toContain('Plan: 2 to import, 0 to add, 0 to change, 0 to destroy.');

    expect(await apply(ws)).toContain('Apply complete! Resources: 2 imported, 0 added, 0 changed, 0 destroyed.');
    expect(stateInstance(ws, 'vers_vm_restore.adopted').attributes).toMatchObject({ id: restoredId, commit_id: commitId, parent_commit_id: commitId, state: 'running' });
    expect(stateInstance(ws, 'vers_vm_commit.adopted').attributes).toMatchObject({ id: commitId, vm_id: rootId });
    expect((await plan(ws)).code).toBe(0);

    // Destroying deletes the adopted VM; the root VM was never Terraform's.
    expect(await destroy(ws)).toContain('Destroy complete! Resources: 2 destroyed.');
    expect(await vmIds(fixture.local)).toEqual([rootId]);
  });

  test('pausing, a larger disk and new labels update a VM in place; a smaller disk would replace it', async () => {
    const config = (options: { desiredState: string; fsSizeMib: number; tier: string }): string => `
resource "vers_vm" "sized" {
  fs_size_mib   = ${options.fsSizeMib}
  desired_state = "${options.desiredState}"
  labels        = { tier = "${options.tier}" }
}
`;
    const ws = workspace(config({ desiredState: 'running', fsSizeMib: 1024, tier: 'small' }));
    await apply(ws);
    const id = String(stateInstance(ws, 'vers_vm.sized').attributes.id);

    ws.writeConfig(`${PROVIDER}\n${config({ desiredState: 'paused', fsSizeMib: 2048, tier: 'large' })}`);
    const planned = await plan(ws);
    expect(planned.code).toBe(2);
    expect(planned.output).toContain('vers_vm.sized will be updated in-place');
    expect(planned.output).not.toContain('must be replaced');
    expect(planned.output).toMatch(/desired_state\s+= "running" -> "paused"/);
    expect(planned.output).toMatch(/fs_size_mib\s+= 1024 -> 2048/);
    expect(planned.output).toContain('Plan: 0 to add, 1 to change, 0 to destroy.');
    expect(await apply(ws)).toContain('Apply complete! Resources: 0 added, 1 changed, 0 destroyed.');
    expect(stateInstance(ws, 'vers_vm.sized').attributes).toMatchObject({
      id,
      state: 'paused',
      desired_state: 'paused',
      fs_size_mib: 2048,
      labels: { tier: 'large' },
    });
    const status = (await fixture.local.api('GET', `/vm/${id}/status`)).json<{ state: string; labels: Record<string, string> }>();
    expect(status.state).toBe('paused');
    expect(status.labels).toMatchObject({ tier: 'large' });
    // A paused VM that is meant to be paused is no change.
    expect((await plan(ws)).code).toBe(0);

    ws.writeConfig(`${PROVIDER}\n${config({ desiredState: 'paused', fsSizeMib: 1024, tier: 'large' })}`);
    const shrink = await plan(ws);
    expect(shrink.code).toBe(2);
    expect(shrink.output).toContain('vers_vm.sized must be replaced');

    // Resume in place, then destroy.
    ws.writeConfig(`${PROVIDER}\n${config({ desiredState: 'running', fsSizeMib: 2048, tier: 'large' })}`);
    expect(await apply(ws)).toContain('Apply complete! Resources: 0 added, 1 changed, 0 destroyed.');
    expect(stateInstance(ws, 'vers_vm.sized').attributes).toMatchObject({ id, state: 'running' });
    expect(await fixture.sshOk(id, 'echo awake')).toBe('awake\n');
    expect(await destroy(ws)).toContain('Destroy complete! Resources: 1 destroyed.');
    expect(await vmIds(fixture.local)).toEqual([]);
  });

  test('a changed provisioning run is replaced (new id, terraform_data on its id replaced in the same plan) keeping the host key; destroying the old run undoes nothing; a timeout alone is in place; a recorded key the VM does not present fails the new run', async () => {
    const config = (content: string, timeout: string): string => `
resource "vers_vm" "target" {}

resource "vers_provision" "setup" {
  vm_id = vers_vm.target.id

  file {
    content     = "${content}\\n"
    destination = "/etc/e2e/run.txt"
  }

  commands = ["cat /etc/e2e/run.txt >> /root/runs"]
  timeout  = "${timeout}"
}

resource "terraform_data" "follower" {
  triggers_replace = vers_provision.setup.id
}
`;
    const ws = workspace(config('one', '10m'));
    expect(await apply(ws)).toContain('Apply complete! Resources: 3 added, 0 changed, 0 destroyed.');
    const vmId = String(stateInstance(ws, 'vers_vm.target').attributes.id);
    const first = stateInstance(ws, 'vers_provision.setup').attributes;
    const follower = stateInstance(ws, 'terraform_data.follower').attributes.id;
    expect(String(first.ssh_host_key)).toMatch(/^SHA256:/);

    // New content: the plan says why the run is replaced, and what follows its id is replaced too.
    ws.writeConfig(`${PROVIDER}\n${config('two', '10m')}`);
    const planned = await plan(ws);
    expect(planned.code).toBe(2);
    expect(planned.output).toContain('vers_provision.setup must be replaced');
    expect(planned.output).toMatch(/~ file \{ # forces replacement/);
    expect(planned.output).toContain('terraform_data.follower must be replaced');
    expect(planned.output).toMatch(/triggers_replace = "[0-9a-f-]{36}" -> \(known after apply\) # forces replacement/);
    expect(planned.output).not.toMatch(/vers_vm\.target (will|must)/);
    expect(planned.output).toContain('Plan: 2 to add, 0 to change, 2 to destroy.');
    expect(await apply(ws)).toContain('Apply complete! Resources: 2 added, 0 changed, 2 destroyed.');
    const second = stateInstance(ws, 'vers_provision.setup').attributes;
    expect(second.id).not.toBe(first.id);
    expect(second.ssh_host_key).toBe(first.ssh_host_key);
    expect(stateInstance(ws, 'terraform_data.follower').attributes.id).not.toBe(follower);
    // Both runs' effects are there: destroying the first changed nothing in the VM.
    expect(await fixture.sshOk(vmId, 'cat /root/runs')).toBe('one\ntwo\n');
    expect((await plan(ws)).code).toBe(0);

    // A new timeout alone: in place, nothing runs.
    ws.writeConfig(`${PROVIDER}\n${config('two', '20m')}`);
    const slower = await apply(ws);
    expect(slower).toContain('vers_provision.setup will be updated in-place');
    expect(slower).toContain('Apply complete! Resources: 0 added, 1 changed, 0 destroyed.');
    expect(stateInstance(ws, 'vers_provision.setup').attributes).toMatchObject({ id: second.id, timeout: '20m' });
    expect(await fixture.sshOk(vmId, 'cat /root/runs')).toBe('one\ntwo\n');

    // The replacing run insists on the key the replaced run recorded: a state recording
    // another key (as an intercepted first connection would have) fails it before anything runs.
    const statePath = join(ws.workDir, 'terraform.tfstate');
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as { serial: number; resources: Array<{ type: string; instances: Array<{ attributes: Record<string, unknown> }> }> };
    state.serial += 1;
    const recorded = state.resources.find((resource) => resource.type === 'vers_provision')!.instances[0]!.attributes;
    recorded.ssh_host_key = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    writeFileSync(statePath, JSON.stringify(state));
    ws.writeConfig(`${PROVIDER}\n${config('three', '20m')}`);
    const refused = await ws.run(['apply', '-auto-approve', '-no-color', '-compact-warnings']);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('expected SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect(refused.output).toContain(`presented ${String(first.ssh_host_key)}`);
    expect(refused.output).toContain('HOST_KEY_MISMATCH');
    expect(await fixture.sshOk(vmId, 'cat /root/runs; ls /etc/e2e')).toBe('one\ntwo\nrun.txt\n');
    expect(await fixture.sshOk(vmId, 'cat /etc/e2e/run.txt')).toBe('two\n');

    // Terraform forgot the old run before the new one failed: only the VM is left to destroy.
    expect(() => stateInstance(ws, 'vers_provision.setup')).toThrow(/not in the state/);
    expect(await destroy(ws)).toContain('Destroy complete! Resources: 1 destroyed.');
    expect(await vmIds(fixture.local)).toEqual([]);
  });

  test('a failing provisioning command fails the apply with its exit code and the end of its stderr, and the next apply with the script fixed provisions', async () => {
    const config = (commands: string[]): string => `
resource "vers_vm" "target" {}

resource "vers_provision" "setup" {
  vm_id = vers_vm.target.id

  file {
    content     = "inline\\n"
    destination = "/etc/e2e/inline.txt"
    mode        = "0600"
  }

  commands = ${JSON.stringify(commands)}
}
`;
    const failing = "for i in $(seq 1 40); do echo noise-$i >&2; done; echo 'boom: disk on fire' >&2; exit 7";
    const ws = workspace(config(['echo starting', failing]));

    // Create: the VM exists, the provisioning does not.
    const first = await ws.run(['apply', '-auto-approve', '-no-color', '-compact-warnings']);
    expect(first.code).toBe(1);
    expect(first.output).toContain('vers_vm.target: Creation complete');
    expect(first.output).toMatch(/exited with code 7/);
    expect(first.output).toContain('boom: disk on fire');
    expect(first.output).toContain('noise-40');
    expect(first.output).not.toMatch(/noise-1\n/); // Only the tail of stderr.
    expect(first.output).toContain('COMMAND_FAILED');
    expect(() => stateInstance(ws, 'vers_provision.setup')).toThrow(/not in the state/);
    const vmId = String(stateInstance(ws, 'vers_vm.target').attributes.id);

    ws.writeConfig(`${PROVIDER}\n${config(['echo starting', 'echo fixed > /root/setup.txt'])}`);
    expect(await apply(ws)).toContain('Apply complete! Resources: 1 added, 0 changed, 0 destroyed.');
    expect(await fixture.sshOk(vmId, 'cat /root/setup.txt; stat -c %a /etc/e2e/inline.txt; cat /etc/e2e/inline.txt')).toBe('fixed\n600\ninline\n');

    // A new run that fails: Terraform forgot the old run first (destroy, then create), and
    // forgetting it undid nothing in the VM; fixing the script runs it on the next apply.
    ws.writeConfig(`${PROVIDER}\n${config(['echo again', 'echo second try >&2; exit 3'])}`);
    const broken = await ws.run(['apply', '-auto-approve', '-no-color', '-compact-warnings']);
    expect(broken.code).toBe(1);
    expect(broken.output).toContain('vers_provision.setup must be replaced');
    expect(broken.output).toMatch(/exited with code 3/);
    expect(broken.output).toContain('second try');
    expect(() => stateInstance(ws, 'vers_provision.setup')).toThrow(/not in the state/);
    expect(await fixture.sshOk(vmId, 'cat /root/setup.txt')).toBe('fixed\n');
    ws.writeConfig(`${PROVIDER}\n${config(['echo again', 'echo second > /root/setup.txt'])}`);
    const fixed = await apply(ws);
    expect(fixed).toContain('vers_provision.setup will be created');
    expect(fixed).toContain('Apply complete! Resources: 1 added, 0 changed, 0 destroyed.');
    expect(await fixture.sshOk(vmId, 'cat /root/setup.txt')).toBe('second\n');
    expect((await plan(ws)).code).toBe(0);

    expect(await destroy(ws)).toContain('Destroy complete! Resources: 2 destroyed.');
    expect(await vmIds(fixture.local)).toEqual([]);
  });
});
