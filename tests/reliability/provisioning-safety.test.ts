import { join } from 'node:path';
import { writeBigFile } from '../helpers/big-file';
import { startVersLocal, type VersLocalProcess } from '../helpers/vers-local';
import { diagnostics } from './harness/diagnostics';
import { APPLY, DESTROY, liveVmIds, PROVIDER_HEADER, ReliabilityWorkspace, terraformSuite } from './harness/reliability-workspace';

/**
 * What a provisioning run must never do to a VM, through terraform against
 * vers-local's real sshd: replace a file partly (a timeout or a full disk
 * half way through an upload), or hold the run open because a command left
 * a background process behind.
 */

const suite = terraformSuite('tests/reliability/provisioning-safety.test.ts');

const ORIGINAL = 'listen = 8080 # the original, which must survive\n';

/** One VM (disk `fsSizeMib`) and one provisioning of it, as `provision` says. */
function config(fsSizeMib: number, provision: string): string {
  return `${PROVIDER_HEADER}
provider "vers" {}

resource "vers_vm" "target" {
  mem_size_mib = 512
  fs_size_mib  = ${fsSizeMib}
}

resource "vers_provision" "setup" {
  vm_id = vers_vm.target.id
${provision}
}
`;
}

suite('provisioning safety through terraform', () => {
  let local: VersLocalProcess;

  beforeAll(async () => {
    local = await startVersLocal();
  });

  afterAll(async () => {
    const report = await local?.stop();
    expect(report?.exitCode ?? 0).toBe(0);
  });

  async function sshOk(vmId: string, command: string): Promise<string> {
    const run = await local.ssh(vmId, command);
    if (run.code !== 0) throw new Error(`ssh into ${vmId} (${command}) exited ${run.code}: ${run.stderr}`);
    return run.stdout;
  }

  /** Apply the VM alone, put the original file in place, then apply the provisioning and return its failure. */
  async function failedUpload(ws: ReliabilityWorkspace, prepare: string): Promise<{ vmId: string; error: string }> {
    await ws.ok([...APPLY, '-target=vers_vm.target']);
    const vmId = ws.vmIdsInState()[0] as string;
    await sshOk(vmId, `printf %s '${ORIGINAL}' > /root/important.conf; ${prepare}`);
    const failed = await ws.run(APPLY, 300_000);
    expect(failed.code).toBe(1);
    const found = diagnostics(failed.output);
    expect(found).toHaveLength(1);
    return { vmId, error: found[0] as string };
  }

  test('a 1s timeout while 300 MiB replace /root/important.conf: the original is intact, no temporary file remains, and the error says 1s', async () => {
    const ws = new ReliabilityWorkspace(local);
    try {
      writeBigFile(join(ws.workDir, 'big.bin'), 300);
      ws.writeConfig(config(1024, `  timeout = "1s"\n  file {\n    source      = "\${path.module}/big.bin"\n    destination = "/root/important.conf"\n  }`));
      const { vmId, error } = await failedUpload(ws, 'true');
      expect(error).toMatch(/did not finish \(provisioning limit 1s\)/);
      expect(await sshOk(vmId, 'cat /root/important.conf')).toBe(ORIGINAL);
      expect((await sshOk(vmId, 'ls -A /root')).split('\n').filter((name) => name !== '' && name !== '.ssh')).toEqual(['important.conf']);
      await ws.ok(DESTROY);
      expect(await liveVmIds(local)).toEqual([]);
    } finally {
      ws.dispose();
    }
  }, 600_000);

  test('an upload larger than the free disk fails as ENOSPC with the file size and the free space, and leaves the original and no partial file', async () => {
    const ws = new ReliabilityWorkspace(local);
    try {
      writeBigFile(join(ws.workDir, 'big.bin'), 300);
      ws.writeConfig(config(512, `  file {\n    source      = "\${path.module}/big.bin"\n    destination = "/root/important.conf"\n  }`));
      // 300 of the 512 MiB are taken: the new file cannot fit beside the old one.
      const { vmId, error } = await failedUpload(ws, 'head -c 300M /dev/zero > /root/filler');
      expect(error).toMatch(/ENOSPC/);
      expect(error).toContain('/root/important.conf');
      expect(error).toMatch(/300(\.0)? MiB/);
      expect(error).toMatch(/\d+(\.\d)? MiB free/);
      expect(await sshOk(vmId, 'cat /root/important.conf')).toBe(ORIGINAL);
      expect((await sshOk(vmId, 'ls -A /root')).split('\n').filter((name) => name !== '' && name !== '.ssh').sort()).toEqual(['filler', 'important.conf']);
      await ws.ok(DESTROY);
      expect(await liveVmIds(local)).toEqual([]);
    } finally {
      ws.dispose();
    }
  }, 600_000);

  test('commands = ["sleep 101 &"] does not hold the apply: it succeeds and the background process still runs in the VM', async () => {
    const ws = new ReliabilityWorkspace(local);
    try {
      // The timeout is the old behaviour's bound: the run would have waited for the sleep until it.
      ws.writeConfig(config(512, '  timeout  = "30s"\n  commands = ["sleep 101 &"]'));
      await ws.ok(APPLY);
      const vmId = ws.vmIdsInState()[0] as string;
      expect((await sshOk(vmId, 'pgrep -c -f -x "sleep 101"')).trim()).toBe('1');
      await ws.ok(DESTROY);
      expect(await liveVmIds(local)).toEqual([]);
    } finally {
      ws.dispose();
    }
  }, 300_000);
});
