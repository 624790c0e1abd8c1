import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandOf, descendantPids } from '../helpers/proc-scan';
import { startVersLocal, type VersLocalProcess } from '../helpers/vers-local';
import { APPLY, DESTROY, liveVmIds, PROVIDER_HEADER, ReliabilityWorkspace, terraformSuite, waitUntil } from './harness/reliability-workspace';
import { auditHistory, vmHistory } from './harness/vm-history';

/**
 * Issue 10, Why 3: the provider (or terraform with it) dies with SIGKILL
 * after Vers made a VM or a commit and before Terraform recorded it.
 * Terraform gives a provider nothing that identifies a resource instance
 * on create, so the next apply cannot find that VM by itself; what it can
 * do is say so at the instant the VM exists: a WARN line in the provider
 * log names it, and `terraform import` of that id makes the next apply
 * converge with exactly one VM (docs/after-a-crash.md).
 */

const suite = terraformSuite('tests/reliability/crash.test.ts');

/** Long enough to kill the provider while it waits for the boot; short enough for the next apply to find the VM running. */
const BOOT_DELAY_MS = 6000;

suite('after a crash of the provider or of terraform', () => {
  let local: VersLocalProcess;
  const workspaces: ReliabilityWorkspace[] = [];

  beforeAll(async () => {
    local = await startVersLocal({ args: ['--boot-delay-ms', String(BOOT_DELAY_MS)] });
  });

  afterAll(async () => {
    for (const workspace of workspaces) workspace.dispose();
    const report = await local?.stop();
    expect(report?.exitCode ?? 0).toBe(0);
  });

  async function fresh(hcl: string): Promise<{ workspace: ReliabilityWorkspace; log: () => string }> {
    await local.admin('POST', '/reset');
    let logPath = '';
    const workspace = new ReliabilityWorkspace(local, {
      env: (dir) => {
        logPath = join(dir, 'terraform.log');
        // What a user keeps to recover from a crash: the provider's warnings in a file.
        return { TF_LOG_PROVIDER: 'WARN', TF_LOG_PATH: logPath };
      },
    });
    workspaces.push(workspace);
    workspace.writeConfig(`${PROVIDER_HEADER}\nprovider "vers" {}\n${hcl}`);
    return { workspace, log: () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : '') };
  }

  async function statusPolls(): Promise<number> {
    const stats = (await local.admin('GET', '/stats')).json<{ routes: Record<string, { count: number }> }>().routes;
    return stats['GET /api/v1/vm/{vm_id}/status']?.count ?? 0;
  }

  /** The WARN lines of the provider log that name `id`. */
  const warningsNaming = (log: string, id: string): string[] => log.split('\n').filter((line) => line.includes('[WARN]') && line.includes(id));

  test('SIGKILL of the provider while it waits for a new VM to boot: the WARN line named the VM; importing it makes the next apply converge with exactly one VM', async () => {
    const { workspace, log } = await fresh(`
resource "vers_vm" "box" {
  labels = { role = "box" }
}
`);
    const running = workspace.start(APPLY);
    await waitUntil('a VM to exist', async () => (await liveVmIds(local)).length === 1, 60_000, 100);
    const [vmId = ''] = await liveVmIds(local);
    // The provider polls the VM's status while it boots; kill it there.
    await waitUntil('the provider to poll the booting VM', async () => (await statusPolls()) > 0, 30_000, 100);
    const providers = descendantPids(running.pid as number).filter((pid) => commandOf(pid).includes('terraform-provider-vers'));
    expect(providers.length).toBeGreaterThan(0);
    for (const pid of providers) process.kill(pid, 'SIGKILL');
    const crashed = await running.done;
    expect(crashed.code).not.toBe(0);
    expect(workspace.vmIdsInState()).toEqual([]);

    const warnings = warningsNaming(log(), vmId);
    expect(warnings).toEqual([expect.stringMatching(/VM [0-9a-f-]{36} created/)]);
    expect(warnings[0]).toContain('terraform import');

    await workspace.ok(['import', '-no-color', 'vers_vm.box', vmId]);
    await workspace.ok(APPLY);
    expect(workspace.vmIdsInState()).toEqual([vmId]);
    expect((await vmHistory(local)).map((vm) => vm.vm_id)).toEqual([vmId]);
    expect((await workspace.run(['plan', '-detailed-exitcode', '-no-color'])).code).toBe(0);
    await workspace.ok(DESTROY);
    expect(auditHistory(await vmHistory(local), { addressOf: () => 'vers_vm.box', idsSeenInState: workspace.vmIdsSeenInState })).toEqual([]);
  }, 300_000);

  test('SIGKILL of terraform and its provider after Vers made a commit: the WARN line named the commit; importing it makes the next apply converge without a second commit', async () => {
    const { workspace, log } = await fresh(`
resource "vers_vm" "box" {
  labels = { role = "box" }
}

resource "vers_vm_commit" "snap" {
  vm_id             = vers_vm.box.id
  name              = "crash-snap"
  delete_on_destroy = true
}
`);
    await workspace.ok([...APPLY, '-target', 'vers_vm.box']);
    const commitsNamed = async (): Promise<string[]> =>
      (await local.api('GET', '/commits')).json<{ commits: Array<{ commit_id: string; name: string }> }>().commits.filter((c) => c.name === 'crash-snap').map((c) => c.commit_id);
    // Reading the new commit back hangs, so the crash comes after Vers made it and before Terraform heard of it.
    await local.admin('PUT', '/faults', { json: { routes: [{ route: 'GET /api/v1/vm/commits/{commit_id}/parents', latencyMs: 60_000 }] } });
    let commitId = '';
    try {
      const running = workspace.start(APPLY);
      await waitUntil('the commit to exist', async () => ([commitId = ''] = await commitsNamed()).length === 1, 60_000, 100);
      running.kill();
      const crashed = await running.done;
      expect(crashed.code).not.toBe(0);
    } finally {
      await local.admin('PUT', '/faults', { json: {} });
    }
    expect(workspace.instances().map((instance) => instance.address)).toEqual(['vers_vm.box']);

    const warnings = warningsNaming(log(), commitId);
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.join('\n')).toContain('terraform import');

    await workspace.ok(['import', '-no-color', 'vers_vm_commit.snap', commitId]);
    await workspace.ok(APPLY);
    expect(await commitsNamed()).toEqual([commitId]);
    expect(workspace.instances().find((instance) => instance.address === 'vers_vm_commit.snap')?.id).toBe(commitId);
    expect((await workspace.run(['plan', '-detailed-exitcode', '-no-color'])).code).toBe(0);
    await workspace.ok(DESTROY);
    expect(await commitsNamed()).toEqual([]);
    expect(auditHistory(await vmHistory(local), { addressOf: () => 'vers_vm.box', idsSeenInState: workspace.vmIdsSeenInState })).toEqual([]);
  }, 300_000);
});
