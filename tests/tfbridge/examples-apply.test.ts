import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../core/base/repo-root';
import { announceSkip, findTerraform, type TerraformWorkspace } from './harness/terraform-cli';
import { UUID, apply, copyExample, destroy, outputs, plan, stateInstance, terraformOk, useVersLocalForTerraform, vmIds } from './harness/vers-local-terraform';

/**
 * The examples under examples/ are documentation (docs/ quotes them), so they
 * must work as written: every one passes `terraform validate`, and each
 * applies against vers-local, does what its README says, plans clean and
 * destroys. golden-image is applied end to end by terraform-vers-local.test.ts.
 */

const terraform = findTerraform();
const BUILD_ROOT = join(__dirname, '..', '..');
const suite = terraform === undefined ? describe.skip : describe;
if (terraform === undefined) announceSkip('tests/tfbridge/examples-apply.test.ts');

const EXAMPLES = ['basic-vm', 'golden-image', 'layered-vms', 'worker-swarm'];

suite('the examples validate, apply against vers-local and destroy', () => {
  const fixture = useVersLocalForTerraform(terraform as string, BUILD_ROOT);

  function example(name: string): TerraformWorkspace {
    const workspace = fixture.workspace();
    copyExample(workspace, name);
    return workspace;
  }

  test('this suite covers every Terraform example under examples/', () => {
    const root = join(repoRoot(), 'examples');
    const terraformExamples = readdirSync(root, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && readdirSync(join(root, entry.name)).some((file) => file.endsWith('.tf')))
      .map((entry) => entry.name)
      .sort();
    expect(terraformExamples).toEqual(EXAMPLES);
  });

  test.each(EXAMPLES)('examples/%s passes terraform validate and is formatted', async (name) => {
    const workspace = example(name);
    expect(await terraformOk(workspace, ['validate', '-no-color'])).toContain('Success! The configuration is valid');
    expect(await terraformOk(workspace, ['fmt', '-check', '-recursive', '-no-color'])).toBe('\n');
  });

  test('basic-vm creates one labelled VM, outputs its id, state and SSH host, plans clean and destroys', async () => {
    const workspace = example('basic-vm');
    expect(await apply(workspace)).toContain('Apply complete! Resources: 1 added, 0 changed, 0 destroyed.');
    const out = await outputs(workspace);
    expect(out.vm_id).toMatch(UUID);
    expect(out).toEqual({ vm_id: out.vm_id, state: 'running', ssh_host: `${String(out.vm_id)}.${fixture.local.ready.vm_domain}` });
    expect(stateInstance(workspace, 'vers_vm.example').attributes).toMatchObject({ vcpu_count: 1, mem_size_mib: 1024, fs_size_mib: 2048 });
    const status = (await fixture.local.api('GET', `/vm/${String(out.vm_id)}/status`)).json<{ labels: Record<string, string> }>();
    expect(status.labels).toMatchObject({ app: 'basic-vm', environment: 'dev' });
    expect(await fixture.sshOk(String(out.vm_id), 'echo reachable')).toBe('reachable\n');
    expect((await plan(workspace)).code).toBe(0);

    // A label changes in place, as the README says.
    const relabelled = await apply(workspace, ['-var', 'environment=prod']);
    expect(relabelled).toContain('vers_vm.example will be updated in-place');
    expect(relabelled).toContain('Apply complete! Resources: 0 added, 1 changed, 0 destroyed.');
    expect((await fixture.local.api('GET', `/vm/${String(out.vm_id)}/status`)).json<{ labels: Record<string, string> }>().labels).toMatchObject({ environment: 'prod' });

    expect(await destroy(workspace, ['-var', 'environment=prod'])).toContain('Destroy complete! Resources: 1 destroyed.');
    expect(await vmIds(fixture.local)).toEqual([]);
  });

  test('layered-vms builds base, tools and app layers, workers and a scratch branch that hold every layer, plans clean and destroys', async () => {
    const workspace = example('layered-vms');
    expect(await apply(workspace)).toContain('Apply complete! Resources: 12 added, 0 changed, 0 destroyed.');
    const out = await outputs(workspace);
    const commits = out.layer_commit_ids as Record<string, string>;
    expect(Object.keys(commits).sort()).toEqual(['app', 'base', 'tools']);
    for (const id of Object.values(commits)) expect(id).toMatch(UUID);
    expect(stateInstance(workspace, 'vers_vm_restore.tools').attributes.parent_commit_id).toBe(commits.base);
    expect(stateInstance(workspace, 'vers_vm_restore.app').attributes.parent_commit_id).toBe(commits.tools);
    const workers = out.worker_vm_ids as string[];
    expect(workers).toHaveLength(2);
    const scratch = String(out.scratch_vm_id);
    expect(stateInstance(workspace, 'vers_vm_branch.app_scratch').attributes).toMatchObject({
      source_vm_id: stateInstance(workspace, 'vers_vm_restore.app').attributes.id,
      labels: { layer: 'app', purpose: 'scratch' },
      state: 'running',
    });
    for (const id of [...workers, scratch]) {
      expect(await fixture.sshOk(id, 'cat /etc/layers/stack && /srv/app/run.sh')).toBe(`base\ntools\napp\nhello from hello on ${id}\n`);
    }
    expect((await plan(workspace)).code).toBe(0);

    // A new app name rebuilds from the app layer on; base and tools stay.
    const renamed = await plan(workspace, ['-var', 'app_name=bonjour']);
    expect(renamed.code).toBe(2);
    expect(renamed.output).toContain('vers_provision.app must be replaced');
    expect(renamed.output).toContain('vers_vm_commit.app must be replaced');
    expect(renamed.output).not.toMatch(/vers_vm_commit\.(base|tools) (will|must)/);

    expect(await destroy(workspace)).toContain('Destroy complete! Resources: 12 destroyed.');
    expect(await vmIds(fixture.local)).toEqual([]);
  });

  test('worker-swarm restores workers from a given commit and finds them again by label', async () => {
    // A commit made outside Terraform, as the README's golden_commit_id would be.
    const root = await fixture.local.api('POST', '/vm/new_root?wait_boot=true', { json: { vm_config: {} } });
    const rootId = root.json<{ vm_id: string }>().vm_id;
    expect((await fixture.local.ssh(rootId, 'echo swarm-image > /etc/swarm-image')).code).toBe(0);
    const commitId = (await fixture.local.api('POST', `/vm/${rootId}/commit`, { json: { name: 'swarm-source' } })).json<{ commit_id: string }>().commit_id;
    expect((await fixture.local.api('DELETE', `/vm/${rootId}`)).status).toBe(200);

    const workspace = example('worker-swarm');
    const vars = ['-var', `commit_id=${commitId}`];
    expect(await apply(workspace, vars)).toContain('Apply complete! Resources: 2 added, 0 changed, 0 destroyed.');
    const out = await outputs(workspace);
    const workers = out.worker_vm_ids as string[];
    expect(workers).toHaveLength(2);
    expect(out.swarm_vm_ids).toEqual([...workers].sort());
    expect(out.swarm_vm_states).toEqual(Object.fromEntries(workers.map((id) => [id, 'running'])));
    expect(out.source_commit).toMatchObject({ id: commitId, name: 'swarm-source' });
    for (const id of workers) expect(await fixture.sshOk(id, 'cat /etc/swarm-image')).toBe('swarm-image\n');
    expect((await plan(workspace, vars)).code).toBe(0);

    // A bad commit id is refused by the variable's validation, before any VM.
    const refused = await workspace.run(['plan', '-no-color', '-var', 'commit_id=latest']);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('commit_id must be a commit UUID.');

    expect(await destroy(workspace, vars)).toContain('Destroy complete! Resources: 2 destroyed.');
    expect(await vmIds(fixture.local)).toEqual([]);
  });
});
