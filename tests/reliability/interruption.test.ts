import { startVersLocal, type VersLocalProcess } from '../helpers/vers-local';
import { diagnostics } from './harness/diagnostics';
import { APPLY, DESTROY, liveVmIds, PROVIDER_HEADER, ReliabilityWorkspace, terraformSuite, waitUntil } from './harness/reliability-workspace';
import { auditHistory, vmHistory } from './harness/vm-history';

/**
 * Ctrl-C (SIGINT to terraform's process group, as a terminal sends it)
 * while a provisioning command runs: Terraform calls StopProvider, the
 * command stops inside the VM, the state stays consistent (parseable, every
 * VM in it), and the next apply converges.
 */

const suite = terraformSuite('tests/reliability/interruption.test.ts');

// The first run marks the VM and sleeps; later runs find the mark and finish at once.
const LONG_COMMAND = 'if [ ! -e /root/interrupted-once ]; then touch /root/interrupted-once; echo sleeping; sleep 300; fi; echo done > /root/provisioned';

const CONFIG = `${PROVIDER_HEADER}
provider "vers" {}

resource "vers_vm" "target" {
  labels = { role = "interrupted" }
}

resource "vers_provision" "long" {
  vm_id    = vers_vm.target.id
  commands = [${JSON.stringify(LONG_COMMAND)}]
}
`;

suite('Ctrl-C during a long provisioning command through terraform', () => {
  let local: VersLocalProcess;
  let ws: ReliabilityWorkspace;

  beforeAll(async () => {
    local = await startVersLocal();
    ws = new ReliabilityWorkspace(local);
    ws.writeConfig(CONFIG);
  });

  afterAll(async () => {
    ws?.dispose();
    const report = await local?.stop();
    expect(report?.exitCode ?? 0).toBe(0);
  });

  async function sshOk(vmId: string, command: string): Promise<string> {
    const run = await local.ssh(vmId, command);
    if (run.code !== 0) throw new Error(`ssh into ${vmId} (${command}) exited ${run.code}: ${run.stderr}`);
    return run.stdout;
  }

  let vmId = '';

  test('SIGINT during a long provisioning command stops the apply at once with a cancellation error, and the state stays consistent and holds the VM', async () => {
    const running = ws.start(APPLY);
    await waitUntil('a VM to exist', async () => {
      [vmId = ''] = await liveVmIds(local);
      return vmId !== '';
    });
    await waitUntil('the long command to start', async () => (await local.ssh(vmId, 'test -e /root/interrupted-once')).code === 0, 60_000, 500);
    expect(await sshOk(vmId, 'pgrep -fx "sleep 300" || true')).not.toBe('');

    const interrupted = Date.now();
    running.interrupt();
    const result = await running.done;
    expect(Date.now() - interrupted).toBeLessThan(15_000);
    expect(result.code).toBe(1);
    expect(result.output).toContain('Interrupt received');
    expect(result.output).not.toContain('Plugin did not respond');
    // Terraform's own "execution halted" lines, and one error from the provider: the cancelled provisioning.
    const found = diagnostics(result.output).filter((line) => line !== 'Error: execution halted');
    expect(found).toEqual([expect.stringMatching(/with vers_provision\.long, .*provisioning VM [0-9a-f-]{36}\S* was cancelled \(error code CANCELLED\)/)]);

    // The state is consistent: it parses, lists what was created, and holds every VM that exists.
    expect((await ws.ok(['state', 'list'])).trim().split('\n')).toEqual(['vers_vm.target']);
    expect(await ws.ok(['state', 'show', '-no-color', 'vers_vm.target'])).toMatch(new RegExp(`\\bid\\s+= "${vmId}"`));
    expect(ws.instances()).toEqual([expect.objectContaining({ address: 'vers_vm.target', id: vmId, status: undefined })]);
    expect(await liveVmIds(local)).toEqual([vmId]);
  });

  test('the interrupted command no longer runs in the VM', async () => {
    expect(vmId).not.toBe('');
    // Not left running behind Terraform's back, where a second apply would provision alongside it.
    // (The VM's init idles in `sleep infinity`, hence the exact command line.)
    await waitUntil('the interrupted sleep to end in the VM', async () => (await sshOk(vmId, 'pgrep -fx "sleep 300" || true')) === '', 10_000, 500);
  });

  test('the next apply provisions again and converges, and destroy leaves no VM', async () => {
    expect(vmId).not.toBe('');
    const converged = await ws.ok(APPLY);
    expect(converged).toContain('Apply complete! Resources: 1 added, 0 changed, 0 destroyed.');
    expect(await sshOk(vmId, 'cat /root/provisioned')).toBe('done\n');
    expect((await ws.run(['plan', '-detailed-exitcode', '-no-color'])).code).toBe(0);

    await ws.ok(DESTROY);
    expect(
      auditHistory(await vmHistory(local), { addressOf: (vm) => (vm.labels.role === 'interrupted' ? 'vers_vm.target' : undefined), idsSeenInState: ws.vmIdsSeenInState }),
    ).toEqual([]);
  });
});
