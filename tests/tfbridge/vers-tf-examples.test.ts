import { createHash } from 'node:crypto';
import { cpSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../core/base/repo-root';
import { announceSkip, findTerraform, type TerraformWorkspace } from './harness/terraform-cli';
import { UUID, outputs, plan, stateInstance, terraformOk, useVersLocalForTerraform, vmIds } from './harness/vers-local-terraform';

/**
 * Users of the earlier Go provider (hdresearch/vers-tf) can switch: its four
 * examples, copied into fixtures/vers-tf-examples/ with only what cannot run
 * offline changed (that folder's README lists each change), validate, apply
 * against vers-local with the real terraform, plan empty and destroy. They
 * write `files = [{ … }]` where this provider has `file { }` blocks.
 */

const terraform = findTerraform();
const BUILD_ROOT = join(__dirname, '..', '..');
const suite = terraform === undefined ? describe.skip : describe;
if (terraform === undefined) announceSkip('tests/tfbridge/vers-tf-examples.test.ts');

const FIXTURES = join(repoRoot(), 'tests', 'tfbridge', 'fixtures', 'vers-tf-examples');
const EXAMPLES = ['basic-vm', 'golden-image', 'layered-vms', 'layered-vms-guide'];
/** A whole layered pipeline is applied by one terraform run. */
const RUN_MS = 300_000;
const TEST_MS = 900_000;
/** Where the layered examples' app script makes the repository that stands in for the remote one. */
const APP_REPO = '/root/app-origin';

suite("the earlier provider's examples (hdresearch/vers-tf) validate, apply, plan empty and destroy", () => {
  const fixture = useVersLocalForTerraform(terraform as string, BUILD_ROOT);

  function example(name: string): TerraformWorkspace {
    const workspace = fixture.workspace();
    cpSync(join(FIXTURES, name), workspace.workDir, { recursive: true });
    return workspace;
  }

  async function applyAll(workspace: TerraformWorkspace, variables: string[]): Promise<string> {
    return terraformOk(workspace, ['apply', '-auto-approve', '-no-color', '-compact-warnings', ...variables], RUN_MS);
  }

  /** The second plan after apply: no changes (exit code 0 of -detailed-exitcode). */
  async function expectEmptyPlan(workspace: TerraformWorkspace, variables: string[]): Promise<void> {
    const second = await plan(workspace, variables);
    expect(second.output).toContain('No changes.');
    expect(second.code).toBe(0);
  }

  async function destroyAll(workspace: TerraformWorkspace, variables: string[], count: number): Promise<void> {
    expect(await terraformOk(workspace, ['destroy', '-auto-approve', '-no-color', '-compact-warnings', ...variables], RUN_MS)).toContain(`Destroy complete! Resources: ${count} destroyed.`);
    expect(await vmIds(fixture.local)).toEqual([]);
  }

  function sha256Of(path: string): string {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  }

  test('this suite covers every copied example', () => {
    const copied = readdirSync(FIXTURES, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
    expect(copied).toEqual(EXAMPLES);
  });

  test.each(EXAMPLES)('%s passes terraform validate as written for the earlier provider', async (name) => {
    expect(await terraformOk(example(name), ['validate', '-no-color'])).toContain('Success! The configuration is valid');
  });

  test('basic-vm: a 2 vCPU VM provisioned by commands, its id and ssh_host as outputs', async () => {
    const workspace = example('basic-vm');
    expect(await applyAll(workspace, [])).toContain('Apply complete! Resources: 2 added, 0 changed, 0 destroyed.');
    const out = await outputs(workspace);
    const vmId = String(out.vm_id);
    expect(vmId).toMatch(UUID);
    expect(out.ssh_host).toBe(`${vmId}.${fixture.local.ready.vm_domain}`);
    expect(stateInstance(workspace, 'vers_vm.dev').attributes).toMatchObject({ vcpu_count: 2, mem_size_mib: 4096, fs_size_mib: 8192, wait_boot: true });
    expect(stateInstance(workspace, 'vers_provision.setup').attributes.ssh_host_key).toMatch(/^SHA256:/);
    const reached = await fixture.local.ssh(vmId, 'nproc >/dev/null && echo reachable', { host: String(out.ssh_host) });
    expect(reached.stdout).toBe('reachable\n');
    await expectEmptyPlan(workspace, []);
    await destroyAll(workspace, [], 2);
  }, TEST_MS);

  test('golden-image: files = [{ … }] provisions the base VM, the commit is restored as workers that carry the bootstrap', async () => {
    const workspace = example('golden-image');
    const variables = ['-var', 'worker_count=2'];
    expect(await applyAll(workspace, variables)).toContain('Apply complete! Resources: 5 added, 0 changed, 0 destroyed.');
    const out = await outputs(workspace);
    expect(String(out.golden_commit_id)).toMatch(UUID);
    const workers = out.worker_vm_ids as string[];
    expect(workers).toHaveLength(2);
    expect(out.worker_ssh_hosts).toEqual(workers.map((id) => `${id}.${fixture.local.ready.vm_domain}`));

    // The list attribute is recorded as written, with what the provider adds to each file; the blocks stay empty.
    const provision = stateInstance(workspace, 'vers_provision.golden_setup').attributes;
    expect(provision.files).toEqual([
      { source: './scripts/bootstrap.sh', content: null, destination: '/tmp/bootstrap.sh', mode: '0644', sha256: sha256Of(join(workspace.workDir, 'scripts', 'bootstrap.sh')) },
    ]);
    expect(provision.file).toEqual([]);
    expect((await fixture.local.api('GET', `/vm/${String(out.golden_vm_id)}/status`)).json<{ state: string }>().state).toBe('paused');
    for (const worker of workers) {
      expect(stateInstance(workspace, 'vers_vm_restore.worker', { index: workers.indexOf(worker) }).attributes.parent_commit_id).toBe(out.golden_commit_id);
      expect(await fixture.sshOk(worker, 'cat /root/.swarm/registry.json; git config --global user.name; test -d /root/.pi/agent/context && echo dirs')).toBe('{"vms":[]}\npi-agent\ndirs\n');
    }
    await expectEmptyPlan(workspace, variables);
    await destroyAll(workspace, variables, 5);
  }, TEST_MS);

  test('layered-vms: three committed layers, each restored from the one before, and a worker with the app built', async () => {
    const workspace = example('layered-vms');
    const variables = ['-var', 'worker_count=1', '-var', `app_repo=${APP_REPO}`];
    expect(await applyAll(workspace, variables)).toContain('Apply complete! Resources: 10 added, 0 changed, 0 destroyed.');
    const out = await outputs(workspace);
    const layers = [out.layer0_commit_id, out.layer1_commit_id, out.layer2_commit_id].map(String);
    for (const id of layers) expect(id).toMatch(UUID);
    expect(new Set(layers).size).toBe(3);
    expect(stateInstance(workspace, 'vers_vm_restore.layer1_vm').attributes.parent_commit_id).toBe(layers[0]);
    expect(stateInstance(workspace, 'vers_vm_restore.layer2_vm').attributes.parent_commit_id).toBe(layers[1]);
    const [worker] = out.worker_vm_ids as string[];
    expect(stateInstance(workspace, 'vers_vm_restore.workers', { index: 0 }).attributes.parent_commit_id).toBe(layers[2]);
    expect(await fixture.sshOk(String(worker), 'git config --global user.name; grep -c PLACEHOLDER /root/.swarm/identity.json; cat /root/workspace/app/built.txt')).toBe('pi-agent\n5\nbuilt\n');
    await expectEmptyPlan(workspace, variables);
    await destroyAll(workspace, variables, 10);
  }, TEST_MS);

  test('layered-vms-guide: the same layers over several files, with an inline content file from variables', async () => {
    const workspace = example('layered-vms-guide');
    const variables = ['-var', 'worker_count=1', '-var', `app_repo=${APP_REPO}`];
    expect(await applyAll(workspace, variables)).toContain('Apply complete! Resources: 10 added, 0 changed, 0 destroyed.');
    const out = await outputs(workspace);
    const [worker] = out.worker_ids as string[];
    expect(out.worker_hosts).toEqual([`${String(worker)}.${fixture.local.ready.vm_domain}`]);
    expect(stateInstance(workspace, 'vers_vm_restore.workers', { index: 0 }).attributes.parent_commit_id).toBe(out.layer2_commit);
    const files = stateInstance(workspace, 'vers_provision.layer1').attributes.files as Array<{ destination: string; content: string | null }>;
    expect(files.map((file) => file.destination)).toEqual(['/tmp/tools.sh', '/etc/environment.d/vers.conf']);
    expect(await fixture.sshOk(String(worker), 'cat /etc/environment.d/vers.conf; cat /root/.swarm/registry.json; cat /root/workspace/app/built.txt')).toBe(
      'VERS_INFRA_URL=\nVERS_AUTH_TOKEN=\n{"vms":[]}\nbuilt\n',
    );
    await expectEmptyPlan(workspace, variables);
    await destroyAll(workspace, variables, 10);
  }, TEST_MS);
});
