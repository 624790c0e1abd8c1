import { startVersLocal, type VersLocalProcess } from '../helpers/vers-local';
import { diagnostics } from './harness/diagnostics';
import { APPLY, DESTROY, liveVmIds, PROVIDER_HEADER, ReliabilityWorkspace, terraformSuite, waitUntil } from './harness/reliability-workspace';
import { auditHistory, vmHistory, type AddressOf } from './harness/vm-history';

/**
 * VMs that do not come up: a boot that fails (Vers deletes the VM), a boot
 * slower than the provider's boot_timeout, and Ctrl-C while a VM boots. The
 * VM is either recorded in the state (tainted, so the next apply replaces
 * it and destroy deletes it) or gone; never running on unknown to the state.
 */

const suite = terraformSuite('tests/reliability/boot-failure.test.ts');

const CONFIG = `${PROVIDER_HEADER}
provider "vers" {}

resource "vers_vm" "target" {
  labels = { role = "boot-test" }
}
`;

const addressOf: AddressOf = (vm) => (vm.labels.role === 'boot-test' ? 'vers_vm.target' : undefined);

suite('VMs that fail to boot or boot too slowly through terraform', () => {
  let local: VersLocalProcess;
  /** A vers-local whose root VMs take 15 s to boot. */
  let slow: VersLocalProcess;
  const workspaces: ReliabilityWorkspace[] = [];

  beforeAll(async () => {
    [local, slow] = await Promise.all([startVersLocal(), startVersLocal({ args: ['--boot-delay-ms', '15000'] })]);
  });

  afterAll(async () => {
    for (const workspace of workspaces) workspace.dispose();
    const reports = await Promise.all([local?.stop(), slow?.stop()]);
    for (const report of reports) expect(report?.exitCode ?? 0).toBe(0);
  });

  // Each scenario audits its own history; a failed one must not leave VMs for the next.
  beforeEach(async () => {
    await Promise.all([local.admin('POST', '/reset'), slow.admin('POST', '/reset')]);
  });

  function workspace(on: VersLocalProcess, env: Record<string, string> = {}): ReliabilityWorkspace {
    const created = new ReliabilityWorkspace(on, { env });
    workspaces.push(created);
    created.writeConfig(CONFIG);
    return created;
  }

  test('a VM whose boot fails is cleaned up by Vers, the apply says the boot failed, and the next apply creates the VM', async () => {
    const ws = workspace(local);
    await local.admin('PUT', '/faults', { json: { bootFailureRate: 1 } });
    const failed = await ws.run(APPLY);
    await local.admin('PUT', '/faults', { json: {} });
    expect(failed.code).toBe(1);
    const [error, ...others] = diagnostics(failed.output);
    expect(others).toEqual([]);
    expect(error).toMatch(/Error: Error creating vers_vm with vers_vm\.target, .*VM [0-9a-f-]{36} no longer exists after its creation \(Vers deletes a VM whose boot failed\)/);
    expect(error).toContain('VM_LOST');
    // Nothing to record: the VM is gone, and the state does not pretend otherwise.
    expect(ws.instances()).toEqual([]);
    const history = await vmHistory(local);
    expect(history).toEqual([expect.objectContaining({ boot_failed: true, state: 'deleted' })]);
    expect(error).toContain(history[0]?.vm_id);

    await ws.ok(APPLY);
    expect(ws.instances()).toEqual([expect.objectContaining({ address: 'vers_vm.target', status: undefined })]);
    await ws.ok(DESTROY);
    expect(auditHistory(await vmHistory(local), { addressOf, idsSeenInState: ws.vmIdsSeenInState })).toEqual([]);
  });

  test('a VM still booting when boot_timeout runs out is recorded as tainted with an error naming the limit, and destroy deletes it', async () => {
    const ws = workspace(slow, { VERS_BOOT_TIMEOUT: '2s' });
    const started = Date.now();
    const failed = await ws.run(APPLY);
    expect(Date.now() - started).toBeLessThan(14_000); // Well before the 15 s boot.
    expect(failed.code).toBe(1);
    const [error, ...others] = diagnostics(failed.output);
    expect(others).toEqual([]);
    expect(error).toMatch(/VM [0-9a-f-]{36} is still booting after [\d.]+s, waiting for running \(boot limit 2s\)/);
    const instances = ws.instances();
    expect(instances).toEqual([expect.objectContaining({ address: 'vers_vm.target', status: 'tainted' })]);
    expect(await liveVmIds(slow)).toEqual([instances[0]?.id]);

    const plan = await ws.run(['plan', '-no-color']);
    expect(plan.output).toContain('vers_vm.target is tainted, so must be replaced');
    await ws.ok(DESTROY);
    expect(auditHistory(await vmHistory(slow), { addressOf, idsSeenInState: ws.vmIdsSeenInState })).toEqual([]);
  });

  test('Ctrl-C while a VM boots stops the apply at once and the VM is in the state (tainted), so destroy removes it', async () => {
    const ws = workspace(slow);
    const running = ws.start(APPLY);
    await waitUntil('the VM to exist', async () => (await liveVmIds(slow)).length === 1, 30_000);
    const interrupted = Date.now();
    running.interrupt();
    const result = await running.done;
    expect(Date.now() - interrupted).toBeLessThan(10_000);
    expect(result.code).toBe(1);
    expect(result.output).toContain('Interrupt received');
    expect(diagnostics(result.output).join('\n')).toMatch(/cancelled/);
    const instances = ws.instances();
    expect(instances).toEqual([expect.objectContaining({ address: 'vers_vm.target', status: 'tainted' })]);
    expect(await liveVmIds(slow)).toEqual([instances[0]?.id]);
    const list = await ws.ok(['state', 'list']);
    expect(list.trim()).toBe('vers_vm.target');

    await ws.ok(DESTROY);
    expect(auditHistory(await vmHistory(slow), { addressOf, idsSeenInState: ws.vmIdsSeenInState })).toEqual([]);
  });
});
