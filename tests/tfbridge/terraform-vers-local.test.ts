import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { announceSkip, findTerraform } from './harness/terraform-cli';
import { UUID, apply, copyExample, destroy, outputs, plan, stateInstance, useVersLocalForTerraform, vmIds } from './harness/vers-local-terraform';

/**
 * terraform-provider-vers end to end: the real terraform CLI, the real
 * provider (bin/terraform-provider-vers through dev_overrides) and the real
 * core, against vers-local with sandboxed VMs and a real sshd, running the
 * golden-image example exactly as it is in examples/: create → workers hold
 * the provisioned files → no-op plan → an edited bootstrap is a new
 * provisioning run, re-commits and replaces the workers → destroy.
 */

const terraform = findTerraform();
const BUILD_ROOT = join(__dirname, '..', '..');
const suite = terraform === undefined ? describe.skip : describe;
if (terraform === undefined) announceSkip('tests/tfbridge/terraform-vers-local.test.ts');

suite('the golden-image example through terraform against vers-local', () => {
  const fixture = useVersLocalForTerraform(terraform as string, BUILD_ROOT);

  /** What the bootstrap wrote, as seen over SSH (the official ssh + openssl recipe). */
  function goldenFiles(vmId: string): Promise<string> {
    return fixture.sshOk(vmId, 'cat /etc/golden/version && /opt/golden/bin/hello');
  }

  test('apply builds the golden commit and three workers that hold the provisioned files; a second plan is empty; an edited bootstrap is a new provisioning run, re-commits and replaces the workers; destroy leaves no VM', async () => {
    const local = fixture.local;
    const workspace = fixture.workspace();
    copyExample(workspace, 'golden-image');
    const bootstrap = join(workspace.workDir, 'scripts', 'bootstrap.sh');

    // Create.
    const created = await apply(workspace);
    expect(created).toContain('Apply complete! Resources: 6 added, 0 changed, 0 destroyed.');
    const first = await outputs(workspace);
    expect(first.golden_commit_id).toMatch(UUID);
    const workers = first.worker_vm_ids as string[];
    expect(workers).toHaveLength(3);
    for (const id of workers) expect(id).toMatch(UUID);

    const base = stateInstance(workspace, 'vers_vm.golden_base');
    const baseId = String(base.attributes.id);
    expect(base.attributes).toMatchObject({
      vcpu_count: 2,
      mem_size_mib: 4096,
      fs_size_mib: 8192,
      wait_boot: true,
      state: 'running',
      desired_state: 'running',
      labels: { role: 'golden-base' },
      ssh_host: `${baseId}.${local.ready.vm_domain}`,
      ssh_port: Number(local.ready.ssh_gateway.split(':').pop()),
      parent_commit_id: '',
    });
    expect(String(base.attributes.ssh_private_key)).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
    expect(base.sensitive_attributes).toContainEqual([{ type: 'get_attr', value: 'ssh_private_key' }]);
    const setup = stateInstance(workspace, 'vers_provision.golden_setup');
    expect(setup.attributes).toMatchObject({
      vm_id: baseId,
      commands: ['bash /tmp/bootstrap.sh'],
      file: [expect.objectContaining({ destination: '/tmp/bootstrap.sh', mode: '0755', sha256: sha256Of(bootstrap) })],
    });
    expect(String(setup.attributes.ssh_host_key)).toMatch(/^SHA256:/);
    const commit = stateInstance(workspace, 'vers_vm_commit.golden');
    expect(commit.attributes).toMatchObject({
      id: first.golden_commit_id,
      commit_id: first.golden_commit_id,
      vm_id: baseId,
      name: 'golden',
      keep_paused: true,
      triggers: { provision: setup.attributes.id },
    });
    for (const [index, id] of workers.entries()) {
      expect(stateInstance(workspace, 'vers_vm_restore.worker', { index }).attributes).toMatchObject({
        id,
        commit_id: first.golden_commit_id,
        parent_commit_id: first.golden_commit_id,
        state: 'running',
        labels: { role: 'worker', index: String(index) },
      });
    }
    expect(await vmIds(local)).toEqual([baseId, ...workers].sort());
    for (const id of workers) expect(await goldenFiles(id)).toBe(`1\nhello from ${id} (golden image v1)\n`);

    // Nothing changed: refresh and plan agree with the state exactly.
    const noop = await plan(workspace);
    expect(noop.output).toContain('No changes.');
    expect(noop.code).toBe(0);

    // An edited bootstrap: a new provisioning run on the same VM, a new commit, new workers.
    writeFileSync(bootstrap, readFileSync(bootstrap, 'utf8').replace('GOLDEN_VERSION="1"', 'GOLDEN_VERSION="2"'));
    const planned = await plan(workspace);
    expect(planned.code).toBe(2);
    expect(planned.output).toContain('vers_provision.golden_setup must be replaced');
    expect(planned.output).toMatch(/~ file \{ # forces replacement/);
    expect(planned.output).toContain('vers_vm_commit.golden must be replaced');
    for (const index of [0, 1, 2]) expect(planned.output).toContain(`vers_vm_restore.worker[${index}] must be replaced`);
    expect(planned.output).not.toMatch(/vers_vm\.golden_base (will|must)/);
    expect(planned.output).toContain('Plan: 5 to add, 0 to change, 5 to destroy.');

    const reapplied = await apply(workspace);
    expect(reapplied).toContain('Apply complete! Resources: 5 added, 0 changed, 5 destroyed.');
    const second = await outputs(workspace);
    expect(second.golden_commit_id).toMatch(UUID);
    expect(second.golden_commit_id).not.toBe(first.golden_commit_id);
    const newWorkers = second.worker_vm_ids as string[];
    expect(newWorkers).toHaveLength(3);
    for (const id of newWorkers) expect(workers).not.toContain(id);
    expect(stateInstance(workspace, 'vers_vm.golden_base').attributes.id).toBe(baseId);
    // A new provisioning run (new id) on the same VM, which kept its host key.
    const rerun = stateInstance(workspace, 'vers_provision.golden_setup').attributes;
    expect(rerun.id).not.toBe(setup.attributes.id);
    expect(rerun).toMatchObject({ vm_id: baseId, ssh_host_key: setup.attributes.ssh_host_key });
    expect(stateInstance(workspace, 'vers_vm_commit.golden').attributes).toMatchObject({
      triggers: { provision: rerun.id },
      parent_commit_id: first.golden_commit_id,
    });
    expect(await vmIds(local)).toEqual([baseId, ...newWorkers].sort());
    // Provisioning resumed the base VM, and the new commit (keep_paused) paused it again.
    expect((await local.api('GET', `/vm/${baseId}/status`)).json<{ state: string }>().state).toBe('paused');
    for (const id of newWorkers) expect(await goldenFiles(id)).toBe(`2\nhello from ${id} (golden image v2)\n`);
    expect((await plan(workspace)).code).toBe(0);

    // Destroy leaves no VM behind (the commits are kept: delete_on_destroy is false).
    const destroyed = await destroy(workspace);
    expect(destroyed).toContain('Destroy complete! Resources: 6 destroyed.');
    expect(await vmIds(local)).toEqual([]);
    expect((await local.api('GET', `/vm/commits/${String(second.golden_commit_id)}/parents`)).status).toBe(200);
  });
});

function sha256Of(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}
