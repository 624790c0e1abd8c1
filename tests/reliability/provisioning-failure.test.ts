import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startVersLocal, type VersLocalProcess } from '../helpers/vers-local';
import { diagnostics } from './harness/diagnostics';
import { APPLY, DESTROY, liveVmIds, PROVIDER_HEADER, ReliabilityWorkspace, terraformSuite } from './harness/reliability-workspace';

/**
 * A provisioning script that exits 3: the apply fails and says which command,
 * with exit code 3 and the end of its stderr; the VM stays in the state, the
 * provisioning does not; once the script is fixed the next apply provisions
 * again and succeeds — for a first provisioning and for a new run replacing
 * one (Terraform forgets the old run first, which undoes nothing in the VM).
 */

const suite = terraformSuite('tests/reliability/provisioning-failure.test.ts');

const CONFIG = `${PROVIDER_HEADER}
provider "vers" {}

resource "vers_vm" "target" {}

resource "vers_provision" "setup" {
  vm_id = vers_vm.target.id

  file {
    source      = "\${path.module}/setup.sh"
    destination = "/opt/reliability/setup.sh"
    mode        = "0755"
  }

  commands = ["echo preparing", "/opt/reliability/setup.sh version-check"]
}
`;

/** A script that writes noise to stderr, then fails with exit 3 and a last word. */
function failingScript(version: string): string {
  return `#!/bin/bash
for i in $(seq 1 60); do echo "setup noise line $i" >&2; done
echo "setup ${version}: the widget is missing" >&2
exit 3
`;
}

function workingScript(version: string): string {
  return `#!/bin/bash
set -eu
echo "${version}" > /opt/reliability/installed
echo "setup ${version} done"
`;
}

suite('a failing provisioning command through terraform', () => {
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

  const script = (text: string): void => writeFileSync(join(ws.workDir, 'setup.sh'), text);

  async function installed(vmId: string): Promise<string> {
    const run = await local.ssh(vmId, 'cat /opt/reliability/installed');
    if (run.code !== 0) throw new Error(`ssh into ${vmId} exited ${run.code}: ${run.stderr}`);
    return run.stdout;
  }

  /** The one diagnostic of a failed apply, which must name the command, exit code 3 and the stderr tail. */
  function expectExit3(output: string, version: string): void {
    const found = diagnostics(output);
    expect(found).toHaveLength(1);
    const error = found[0] as string;
    expect(error).toMatch(/^Error: .*vers_provision\.setup/);
    // Named by position: the second command, the one that ran the script.
    expect(error).toContain('commands[1] exited with code 3');
    expect(error).toContain(`setup ${version}: the widget is missing`);
    expect(error).toContain('setup noise line 60');
    // A tail, not the whole stderr.
    expect(error).not.toMatch(/setup noise line 1 /);
  }

  test('a first provisioning that exits 3 fails the apply with the command, the code and the stderr tail, and the fixed script provisions on the next apply', async () => {
    script(failingScript('v1'));
    const failed = await ws.run(APPLY);
    expect(failed.code).toBe(1);
    expect(failed.output).toContain('vers_vm.target: Creation complete');
    expectExit3(failed.output, 'v1');
    expect(ws.instances().map((instance) => instance.address)).toEqual(['vers_vm.target']);
    const vmId = ws.vmIdsInState()[0] as string;

    script(workingScript('v1'));
    const fixed = await ws.ok(APPLY);
    expect(fixed).toContain('vers_provision.setup will be created');
    expect(fixed).toContain('Apply complete! Resources: 1 added, 0 changed, 0 destroyed.');
    expect(await installed(vmId)).toBe('v1\n');
    expect((await ws.run(['plan', '-detailed-exitcode', '-no-color'])).code).toBe(0);
  });

  test('a new run that exits 3 fails the apply the same way, leaves the VM as the last good run left it, and the fixed script runs on the next apply', async () => {
    const vmId = ws.vmIdsInState()[0] as string;
    script(failingScript('v2'));
    const failed = await ws.run(APPLY);
    expect(failed.code).toBe(1);
    expect(failed.output).toContain('vers_provision.setup must be replaced');
    expectExit3(failed.output, 'v2');
    // Terraform forgot the old run before the new one failed; forgetting it undid nothing in the VM.
    expect(ws.instances().map((instance) => instance.address)).toEqual(['vers_vm.target']);
    expect(await installed(vmId)).toBe('v1\n');

    script(workingScript('v2'));
    const fixed = await ws.ok(APPLY);
    expect(fixed).toContain('vers_provision.setup will be created');
    expect(fixed).toContain('Apply complete! Resources: 1 added, 0 changed, 0 destroyed.');
    expect(await installed(vmId)).toBe('v2\n');
    expect((await ws.run(['plan', '-detailed-exitcode', '-no-color'])).code).toBe(0);

    await ws.ok(DESTROY);
    expect(await liveVmIds(local)).toEqual([]);
  });
});
