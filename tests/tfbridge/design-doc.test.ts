import { createHash } from 'node:crypto';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../core/base/repo-root';
import { announceSkip, findTerraform, type TerraformWorkspace } from './harness/terraform-cli';
import { UUID, apply, destroy, outputs, plan, stateInstance, terraformOk, useVersLocalForTerraform, vmIds } from './harness/vers-local-terraform';

/**
 * The design document (hdresearch/vers-tf PLAN.md) is what users copy. Every
 * HCL block of it is a fixture under tests/tfbridge/fixtures/design-doc/, as
 * written, with only its placeholders filled (the README there lists each
 * block and what was filled). A block that is a fragment — it refers to a
 * resource another section declares, or needs the provider's source address
 * — gets the smallest companion it needs in `companion.tf` beside it. Each
 * block passes `terraform validate`, applies against vers-local, plans empty
 * and destroys with the real terraform, leaving no VM; the §5 golden pipeline
 * then rolls its image and workers after each of three edits.
 */

const terraform = findTerraform();
const BUILD_ROOT = join(__dirname, '..', '..');
const suite = terraform === undefined ? describe.skip : describe;
if (terraform === undefined) announceSkip('tests/tfbridge/design-doc.test.ts');

const FIXTURES = join(repoRoot(), 'tests', 'tfbridge', 'fixtures', 'design-doc');
const BLOCKS = ['s2.1-vm', 's2.2-vm-commit', 's2.3-vm-branch', 's2.4-vm-restore', 's2.5-option-a', 's2.5-option-b', 's3.1-vms', 's3.2-commit', 's4-provider', 's5-golden-pipeline'];

/** Values for the document's variables (`var.vers_api_key` gets the vers-local key). */
const INFRA_URL = 'http://infra.design-doc.test:8080';
const AUTH_TOKEN = 'design-doc-auth-token';

suite('the design document’s HCL, verbatim with placeholders filled, under terraform against vers-local', () => {
  const fixture = useVersLocalForTerraform(terraform as string, BUILD_ROOT, { args: ['--boot-delay-ms', '0'] });

  /** A workspace holding one block's fixture directory; `env` adds TF_VAR_* values. */
  function block(name: string, env: Record<string, string> = {}): TerraformWorkspace {
    const workspace = fixture.workspace(env);
    cpSync(join(FIXTURES, name), workspace.workDir, { recursive: true });
    return workspace;
  }

  async function valid(workspace: TerraformWorkspace): Promise<void> {
    expect(await terraformOk(workspace, ['validate', '-no-color'])).toContain('Success! The configuration is valid');
  }

  async function emptyPlan(workspace: TerraformWorkspace, vars: string[] = []): Promise<void> {
    const again = await plan(workspace, vars);
    expect(again.output).toContain('No changes.');
    expect(again.code).toBe(0);
  }

  /** Destroy, then vers-local (asked through its API) holds no VM. */
  async function destroyed(workspace: TerraformWorkspace, count: number, vars: string[] = []): Promise<void> {
    expect(await destroy(workspace, vars)).toContain(`Destroy complete! Resources: ${count} destroyed.`);
    expect(await vmIds(fixture.local)).toEqual([]);
  }

  function sha256Of(path: string): string {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  }

  /** A root VM and a commit of it made with the API, the VM deleted again: a commit id to fill `commit-abc123` with. */
  async function commitOutsideTerraform(): Promise<string> {
    const root = await fixture.local.api('POST', '/vm/new_root?wait_boot=true', { json: { vm_config: {} } });
    const rootId = root.json<{ vm_id: string }>().vm_id;
    const commit = await fixture.local.api('POST', `/vm/${rootId}/commit`, { json: { name: 'golden-v2' } });
    expect(commit.status).toBe(201);
    expect((await fixture.local.api('DELETE', `/vm/${rootId}`)).status).toBe(200);
    return commit.json<{ commit_id: string }>().commit_id;
  }

  test('every block of the design document has a fixture directory, and this suite covers each', () => {
    expect(readdirSync(FIXTURES, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort()).toEqual([...BLOCKS].sort());
  });

  test('§2.1 vers_vm: a 2 vCPU / 4096 MiB / 8192 MiB VM that waited for boot and answers over SSH', async () => {
    const ws = block('s2.1-vm');
    await valid(ws);
    expect(await apply(ws)).toContain('Apply complete! Resources: 1 added, 0 changed, 0 destroyed.');
    const vm = stateInstance(ws, 'vers_vm.dev').attributes;
    expect(vm).toMatchObject({ vcpu_count: 2, mem_size_mib: 4096, fs_size_mib: 8192, wait_boot: true, state: 'running', ssh_host: `${String(vm.id)}.${fixture.local.ready.vm_domain}` });
    expect(await fixture.sshOk(String(vm.id), 'echo ready')).toBe('ready\n');
    await emptyPlan(ws);
    await destroyed(ws, 1);
  });

  test('§2.2 vers_vm_commit (companion: vers_vm.dev): triggers hash the two files, keep_paused = false leaves the VM running', async () => {
    const ws = block('s2.2-vm-commit');
    await valid(ws);
    expect(await apply(ws)).toContain('Apply complete! Resources: 2 added, 0 changed, 0 destroyed.');
    const vmId = String(stateInstance(ws, 'vers_vm.dev').attributes.id);
    const commit = stateInstance(ws, 'vers_vm_commit.golden').attributes;
    expect(commit).toMatchObject({
      vm_id: vmId,
      keep_paused: false,
      triggers: { bootstrap_hash: sha256Of(join(ws.workDir, 'scripts', 'bootstrap.sh')), extensions_hash: sha256Of(join(ws.workDir, 'extensions', 'vers-vm.ts')) },
    });
    expect(String(commit.commit_id)).toMatch(UUID);
    expect((await fixture.local.api('GET', `/vm/${vmId}/status`)).json<{ state: string }>().state).toBe('running');
    await emptyPlan(ws);
    await destroyed(ws, 2);
  });

  test('§2.3 vers_vm_branch (companion: vers_vm.dev): a new running VM branched from the source', async () => {
    const ws = block('s2.3-vm-branch');
    await valid(ws);
    expect(await apply(ws)).toContain('Apply complete! Resources: 2 added, 0 changed, 0 destroyed.');
    const sourceId = String(stateInstance(ws, 'vers_vm.dev').attributes.id);
    const branch = stateInstance(ws, 'vers_vm_branch.worker_1').attributes;
    expect(branch).toMatchObject({ source_vm_id: sourceId, state: 'running' });
    expect(branch.id).not.toBe(sourceId);
    expect(await fixture.sshOk(String(branch.id), 'echo branched')).toBe('branched\n');
    await emptyPlan(ws);
    await destroyed(ws, 2);
  });

  test('§2.4 vers_vm_restore (companion: vers_vm.dev and its commit vers_vm_commit.golden): a VM restored from the commit', async () => {
    const ws = block('s2.4-vm-restore');
    await valid(ws);
    expect(await apply(ws)).toContain('Apply complete! Resources: 3 added, 0 changed, 0 destroyed.');
    const commitId = String(stateInstance(ws, 'vers_vm_commit.golden').attributes.commit_id);
    const restored = stateInstance(ws, 'vers_vm_restore.from_golden').attributes;
    expect(restored).toMatchObject({ commit_id: commitId, parent_commit_id: commitId, state: 'running' });
    expect(await fixture.sshOk(String(restored.id), 'echo restored')).toBe('restored\n');
    await emptyPlan(ws);
    await destroyed(ws, 3);
  });

  test('§2.5 Option A is refused by terraform validate itself: its connection block has no proxy_command', async () => {
    // The document notes this gap ("Terraform's SSH communicator does not
    // natively support proxy_command"): Terraform's `connection` block has no
    // such argument, so Vers' SSH-over-TLS cannot be reached by `provisioner`
    // blocks, and Option B (vers_provision) is the design. The only error is
    // Terraform's own, on that argument; nothing else in the block is wrong.
    const ws = block('s2.5-option-a');
    const validated = await ws.run(['validate', '-no-color']);
    expect(validated.code).toBe(1);
    expect(validated.output).toContain('Error: Unsupported argument');
    expect(validated.output).toContain('on option-a.tf line 12, in resource "vers_vm" "golden":');
    expect(validated.output).toContain('An argument named "proxy_command" is not expected here.');
    expect(validated.output.match(/Error: /g)).toHaveLength(1);
    expect(await vmIds(fixture.local)).toEqual([]);
  });

  test('§2.5 Option B vers_provision (companion: vers_vm.golden, var.infra_url): the files, the rendered template and the commands land in the VM', async () => {
    const ws = block('s2.5-option-b', { TF_VAR_infra_url: INFRA_URL });
    await valid(ws);
    expect(await apply(ws)).toContain('Apply complete! Resources: 2 added, 0 changed, 0 destroyed.');
    const vmId = String(stateInstance(ws, 'vers_vm.golden').attributes.id);
    const run = stateInstance(ws, 'vers_provision.bootstrap').attributes;
    expect(run).toMatchObject({
      vm_id: vmId,
      triggers: {
        bootstrap: sha256Of(join(ws.workDir, 'scripts', 'bootstrap.sh')),
        vm_ext: sha256Of(join(ws.workDir, 'extensions', 'vers-vm.ts')),
        swarm_ext: sha256Of(join(ws.workDir, 'extensions', 'vers-swarm.ts')),
      },
    });
    expect(await fixture.sshOk(vmId, 'cat /opt/golden/bootstrap-version /root/.swarm/registry.json; ls /root/.swarm; ls /root/.pi/agent/extensions; stat -c %a /tmp/bootstrap.sh')).toBe(
      '1\n{"vms":[]}\nregistry.json\nstatus\nvers-swarm.ts\nvers-vm.ts\n755\n',
    );
    expect(await fixture.sshOk(vmId, 'cat /root/.pi/agent/context/AGENTS.md')).toBe(`# AGENTS.md\n\nInfrastructure services: ${INFRA_URL}\n`);
    await emptyPlan(ws);
    await destroyed(ws, 2);
  });

  test('§3.1 data "vers_vms": lists the VMs of the organisation', async () => {
    const made = await fixture.local.api('POST', '/vm/new_root?wait_boot=true', { json: { vm_config: { labels: { made: 'by-api' } } } });
    const vmId = made.json<{ vm_id: string }>().vm_id;
    const ws = block('s3.1-vms');
    await valid(ws);
    expect(await apply(ws)).toContain('Apply complete! Resources: 0 added, 0 changed, 0 destroyed.');
    const listed = stateInstance(ws, 'vers_vms.all', { mode: 'data' }).attributes.vms as Array<{ vm_id: string; labels: Record<string, string> }>;
    expect(listed.map((vm) => vm.vm_id)).toEqual([vmId]);
    expect(listed[0]?.labels).toEqual({ made: 'by-api' });
    await emptyPlan(ws);
    expect(await destroy(ws)).toContain('Destroy complete! Resources: 0 destroyed.');
    expect((await fixture.local.api('DELETE', `/vm/${vmId}`)).status).toBe(200);
    expect(await vmIds(fixture.local)).toEqual([]);
  });

  test('§3.2 data "vers_commit" (commit-abc123 → a commit the test made): looks the commit up', async () => {
    const commitId = await commitOutsideTerraform();
    const vars = ['-var', `commit_id=${commitId}`];
    const ws = block('s3.2-commit');
    await valid(ws);
    expect(await apply(ws, vars)).toContain('Apply complete! Resources: 0 added, 0 changed, 0 destroyed.');
    expect(stateInstance(ws, 'vers_commit.golden_v2', { mode: 'data' }).attributes).toMatchObject({ commit_id: commitId, name: 'golden-v2' });
    await emptyPlan(ws, vars);
    expect(await destroy(ws, vars)).toContain('Destroy complete! Resources: 0 destroyed.');
    expect(await vmIds(fixture.local)).toEqual([]);
  });

  test('§4 provider configuration: api_key from var.vers_api_key and base_url (vers-local’s) are what reach the API', async () => {
    // The environment points elsewhere, so only the block's own settings can reach vers-local.
    const ws = block('s4-provider', {
      VERS_API_KEY: `00000000-0000-4000-8000-000000000000${'0'.repeat(64)}`,
      VERS_BASE_URL: 'http://127.0.0.1:9/api/v1',
      TF_VAR_vers_api_key: fixture.local.ready.api_key,
      TF_VAR_base_url: fixture.local.ready.base_url,
    });
    await valid(ws);
    const applied = await apply(ws);
    expect(applied).toContain('Apply complete! Resources: 0 added, 0 changed, 0 destroyed.');
    expect(applied).not.toContain(fixture.local.ready.api_key);
    expect(stateInstance(ws, 'vers_vms.all', { mode: 'data' }).attributes.vms).toEqual([]);
    await emptyPlan(ws);
    expect(await destroy(ws)).toContain('Destroy complete! Resources: 0 destroyed.');
  });

  test('§5 golden pipeline (with §4’s provider block): applies, plans empty, and after an edit of bootstrap.sh, of a source file no trigger names and of the commands alone it re-provisions, re-commits and rolls the workers; destroy leaves no VM', async () => {
    const ws = block('s5-golden-pipeline', {
      TF_VAR_vers_api_key: fixture.local.ready.api_key,
      TF_VAR_base_url: fixture.local.ready.base_url,
      TF_VAR_anthropic_api_key: 'sk-ant-design-doc-test',
      TF_VAR_infra_url: INFRA_URL,
      TF_VAR_auth_token: AUTH_TOKEN,
    });
    const file = (path: string): string => join(ws.workDir, path);
    const edit = (path: string, from: string, to: string): void => {
      const text = readFileSync(file(path), 'utf8');
      expect(text).toContain(from);
      writeFileSync(file(path), text.replace(from, to));
    };
    await valid(ws);
    expect(await apply(ws)).toContain('Apply complete! Resources: 5 added, 0 changed, 0 destroyed.');
    const baseId = String(stateInstance(ws, 'vers_vm.golden_base').attributes.id);
    let current = await outputs(ws);
    expect(current.golden_commit_id).toMatch(UUID);
    expect(current.worker_vm_ids as string[]).toHaveLength(2);
    for (const worker of current.worker_vm_ids as string[]) {
      expect(await fixture.sshOk(worker, 'cat /opt/golden/bootstrap-version /etc/environment /root/.swarm/registry.json; ls /root/.swarm; ls /root/.pi/agent/extensions')).toBe(
        `1\nVERS_INFRA_URL=${INFRA_URL}\nVERS_AUTH_TOKEN=${AUTH_TOKEN}\n{"vms":[]}\nidentity.json\nregistry.json\nregistry.lock\nstatus\nvers-swarm.ts\nvers-vm.ts\n`,
      );
      expect(JSON.parse(await fixture.sshOk(worker, 'cat /root/.swarm/identity.json'))).toMatchObject({ depth: 0, maxDepth: 50, maxVms: 20, vmId: 'PLACEHOLDER' });
    }
    await emptyPlan(ws);

    /** The provision's part of a plan: from its header to the next resource's. */
    const section = (planText: string, address: string): string => {
      const start = planText.indexOf(`# ${address} `);
      expect(start).toBeGreaterThanOrEqual(0);
      const next = planText.indexOf('\n  # ', start + 1);
      return planText.slice(start, next === -1 ? undefined : next);
    };

    /** One edit: the plan says what forces the new run, apply re-commits and rolls the workers, which show the edit. */
    async function roll(what: string, forcing: RegExp[], notForcing: RegExp[], check: { command: string; expected: string }): Promise<void> {
      const run = stateInstance(ws, 'vers_provision.golden_setup').attributes;
      const planned = await plan(ws);
      expect({ what, code: planned.code }).toEqual({ what, code: 2 });
      const provision = section(planned.output, 'vers_provision.golden_setup');
      expect(provision).toContain('vers_provision.golden_setup must be replaced');
      for (const pattern of forcing) expect(provision).toMatch(pattern);
      for (const pattern of notForcing) expect(provision).not.toMatch(pattern);
      expect(section(planned.output, 'vers_vm_commit.golden')).toMatch(/vers_vm_commit\.golden must be replaced[\s\S]*~ triggers\s+= \{ # forces replacement\s+~ "provision" = "[0-9a-f-]{36}" -> \(known after apply\)/);
      for (const index of [0, 1]) expect(section(planned.output, `vers_vm_restore.worker[${index}]`)).toMatch(/must be replaced[\s\S]*~ commit_id\s+= "[0-9a-f-]{36}" -> \(known after apply\) # forces replacement/);
      expect(planned.output).not.toMatch(/vers_vm\.golden_base (will|must)/);
      expect(planned.output).toContain('Plan: 4 to add, 0 to change, 4 to destroy.');

      expect(await apply(ws)).toContain('Apply complete! Resources: 4 added, 0 changed, 4 destroyed.');
      const before = current;
      current = await outputs(ws);
      expect(current.golden_commit_id).toMatch(UUID);
      expect(current.golden_commit_id).not.toBe(before.golden_commit_id);
      const workers = current.worker_vm_ids as string[];
      expect(workers).toHaveLength(2);
      for (const worker of workers) expect(before.worker_vm_ids as string[]).not.toContain(worker);
      expect(await vmIds(fixture.local)).toEqual([baseId, ...workers].sort());
      const rerun = stateInstance(ws, 'vers_provision.golden_setup').attributes;
      expect(rerun.id).not.toBe(run.id);
      expect(rerun).toMatchObject({ vm_id: baseId, ssh_host_key: run.ssh_host_key });
      expect(stateInstance(ws, 'vers_vm_commit.golden').attributes).toMatchObject({ triggers: { provision: rerun.id }, parent_commit_id: before.golden_commit_id });
      // The new run resumed the base VM the previous commit had paused; the new commit paused it again.
      expect((await fixture.local.api('GET', `/vm/${baseId}/status`)).json<{ state: string }>().state).toBe('paused');
      for (const worker of workers) expect(await fixture.sshOk(worker, check.command)).toBe(check.expected);
      await emptyPlan(ws);
    }

    // (a) bootstrap.sh, which a trigger names and a file block uploads.
    edit('scripts/bootstrap.sh', 'BOOTSTRAP_VERSION="1"', 'BOOTSTRAP_VERSION="2"');
    await roll('bootstrap.sh', [/~ triggers\s+= \{ # forces replacement/, /~ file \{ # forces replacement/], [/~ commands\s+= \[ # forces replacement/], { command: 'cat /opt/golden/bootstrap-version', expected: '2\n' });

    // (b) a source file no trigger names.
    edit('context/AGENTS.md', 'revision 1.', 'revision 2.');
    await roll('context/AGENTS.md', [/~ file \{ # forces replacement/], [/triggers\s+= \{ # forces replacement/, /~ commands\s+= \[ # forces replacement/], {
      command: 'cat /root/.pi/agent/context/AGENTS.md /opt/golden/bootstrap-version',
      expected: '# AGENTS.md\n\nContext for the agents on the golden image, revision 2.\n2\n',
    });

    // (c) the commands alone.
    edit('golden.tf', '    "touch /root/.swarm/registry.lock",\n', '    "touch /root/.swarm/registry.lock",\n    "echo edit-c > /root/.swarm/edited",\n');
    await roll('commands', [/~ commands\s+= \[ # forces replacement/], [/~ file \{ # forces replacement/, /triggers\s+= \{ # forces replacement/], { command: 'cat /root/.swarm/edited /opt/golden/bootstrap-version', expected: 'edit-c\n2\n' });

    await destroyed(ws, 5);
  });
});
