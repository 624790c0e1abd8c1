import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { startSshGateway, type SshGateway } from '../../emulator/gateway';
import { createSandboxDriver, type Sandbox, type SandboxDriver } from '../../emulator/sandbox';
import { ensureTlsMaterial, type TlsMaterial } from '../../emulator/tls';
import { makeRuntimeDir, type RuntimeDir } from '../helpers/runtime-dir';
import { sandboxLeftovers } from '../helpers/sandbox-leftovers';
import { generateVmKeys, officialSshArgs, outcomeOf, runOfficialSsh, spawnOfficialSsh, type ProcessOutcome, type SshTarget, type VmKeys } from '../helpers/ssh-recipe';

const DOMAIN = 'vers-test.local';
let runtime: RuntimeDir;
let stateDir: string;
let tls: TlsMaterial;
let driver: SandboxDriver;
let gateway: SshGateway;
let keys: VmKeys;
let vm: Sandbox;
let target: SshTarget;
const cgroupPrefix = `vers-test-gateway-${process.pid}`;
/** VMs the resolver knows; a test removes one to make the gateway refuse it. */
const reachable = new Map<string, Sandbox>();
let resolveDelayMs = 0;
/** Driver and gateway debug lines, shown when a test fails. */
const logLines: string[] = [];

/** Fail with ssh's stderr and the gateway/driver log when an SSH command that should work did not. */
function expectSucceeded(result: ProcessOutcome): ProcessOutcome {
  if (result.exitCode !== 0 || result.timedOut) {
    throw new Error(`ssh failed (exit ${result.exitCode}${result.timedOut ? ', timed out' : ''}):\n${result.stderr}\n--- log ---\n${logLines.slice(-40).join('\n')}`);
  }
  return result;
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

beforeAll(async () => {
  runtime = makeRuntimeDir('gateway');
  stateDir = join(runtime.path, 'state');
  tls = await ensureTlsMaterial({ stateDir, domain: DOMAIN });
  driver = createSandboxDriver({ stateDir, cgroupPrefix, logger: (line) => logLines.push(line) });
  keys = generateVmKeys(runtime.path, 'vm');
  vm = await driver.create({ vmId: randomUUID(), layers: [], fsSizeMib: 256, memSizeMib: 512, vcpuCount: 1, authorizedKey: keys.authorizedKey, hostKeyOpenSsh: keys.hostKeyOpenSsh });
  reachable.set(vm.vmId, vm);
  gateway = await startSshGateway({
    tls,
    domain: DOMAIN,
    logger: (line) => logLines.push(line),
    resolveSandbox: async (vmId) => {
      if (resolveDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, resolveDelayMs));
      return reachable.get(vmId);
    },
  });
  target = { gatewayPort: gateway.port, domain: DOMAIN, vmId: vm.vmId, privateKeyPath: keys.privateKeyPath };
});

afterAll(async () => {
  await gateway?.close();
  await driver?.shutdown();
  const leftovers = sandboxLeftovers({ pids: vm === undefined ? [] : [vm.initPid], marks: [cgroupPrefix], paths: vm === undefined ? [] : [join(stateDir, 'vms', vm.vmId)] });
  runtime.remove();
  expect(leftovers).toEqual([]);
});

describe('the SSH gateway', () => {
  test('the official ssh recipe through openssl s_client runs a command as root in the VM', async () => {
    const result = expectSucceeded(await runOfficialSsh(target, 'echo hi; whoami; hostname; echo $HOME'));
    expect(result.stdout).toBe(`hi\nroot\n${vm.vmId}\n/root\n`);
  });

  test('the VM presents its own host key and accepts only its authorized key', async () => {
    const knownHosts = join(runtime.path, 'known_hosts');
    writeFileSync(knownHosts, `${vm.vmId}.vm.${DOMAIN} ${keys.hostPublicKey}\n`);
    const checked = expectSucceeded(await runOfficialSsh({ ...target, knownHostsFile: knownHosts }, 'ls /etc/ssh | grep -c host_ || true'));
    expect(checked.stdout.trim()).toBe('1'); // only the VM's own key file, none of the machine's host keys
    writeFileSync(knownHosts, `${vm.vmId}.vm.${DOMAIN} ${generateVmKeys(runtime.path, 'other').hostPublicKey}\n`);
    const mismatch = await runOfficialSsh({ ...target, knownHostsFile: knownHosts }, 'true');
    expect(mismatch.exitCode).toBe(255);
    expect(mismatch.stderr).toMatch(/HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    const stranger = generateVmKeys(runtime.path, 'stranger');
    const refused = await runOfficialSsh({ ...target, privateKeyPath: stranger.privateKeyPath }, 'echo should-not-run');
    expect(refused.exitCode).toBe(255);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/Permission denied/);
  });

  test('files copy in and out with scp (SFTP) through the gateway', async () => {
    const local = join(runtime.path, 'upload.txt');
    writeFileSync(local, 'uploaded over sftp\n');
    const scpArgs = officialSshArgs(target, '').slice(0, -2);
    expectSucceeded(await outcomeOf(spawn('scp', [...scpArgs, local, `root@${vm.vmId}.vm.${DOMAIN}:/root/upload.txt`]), 30000));
    expect((await vm.readFile('/root/upload.txt')).toString()).toBe('uploaded over sftp\n');
    const back = join(runtime.path, 'download.txt');
    expectSucceeded(await outcomeOf(spawn('scp', [...scpArgs, `root@${vm.vmId}.vm.${DOMAIN}:/root/upload.txt`, back]), 30000));
    expect(readFileSync(back, 'utf8')).toBe('uploaded over sftp\n');
  });

  test('the gateway certificate verifies against the CA in the state dir, which survives a restart', async () => {
    expect(tls.caCertPath).toBe(join(stateDir, 'ca.pem'));
    expect(statSync(join(stateDir, 'tls', 'ca-key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(stateDir, 'tls', 'server-key.pem')).mode & 0o777).toBe(0o600);
    const authorized = await new Promise<boolean>((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: gateway.port, servername: `${randomUUID()}.vm.${DOMAIN}`, ca: readFileSync(tls.caCertPath, 'utf8') }, () => {
        resolve(socket.authorized);
        socket.destroy();
      });
      socket.on('error', reject);
    });
    expect(authorized).toBe(true);
    const again = await ensureTlsMaterial({ stateDir, domain: DOMAIN });
    expect(again.caCertPem).toBe(tls.caCertPem);
    expect(again.certPem).not.toBe(tls.certPem);
  });

  test('a bad SNI, an unknown VM and a refused VM get their connection closed and counted as errors', async () => {
    const before = gateway.stats();
    const badSni = await outcomeOf(spawn('openssl', ['s_client', '-quiet', '-connect', `127.0.0.1:${gateway.port}`, '-servername', `api.${DOMAIN}`]), 15000);
    expect(badSni.timedOut).toBe(false);
    const unknown = await runOfficialSsh({ ...target, vmId: randomUUID() }, 'true', 15000);
    expect(unknown.exitCode).toBe(255);
    reachable.delete(vm.vmId);
    const refused = await runOfficialSsh(target, 'true', 15000);
    reachable.set(vm.vmId, vm);
    expect(refused.exitCode).toBe(255);
    expect(gateway.stats().errors - before.errors).toBe(3);
    expect(gateway.stats().total - before.total).toBe(3);
  });

  test('a slow VM lookup only delays the session', async () => {
    resolveDelayMs = 1500;
    try {
      const started = Date.now();
      const result = expectSucceeded(await runOfficialSsh(target, 'echo late'));
      expect(result.stdout).toBe('late\n');
      expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    } finally {
      resolveDelayMs = 0;
    }
  });

  test("a paused VM's SSH session stalls until the VM is resumed", async () => {
    const ssh = spawnOfficialSsh(target, 'echo started; sleep 1; echo finished');
    ssh.stdin.end();
    const outcome = outcomeOf(ssh, 60000);
    let stdout = '';
    ssh.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    if (!(await waitUntil(() => stdout.includes('started'), 30000))) expectSucceeded(await outcome);
    await vm.pause();
    try {
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(stdout).toBe('started\n');
      expect(ssh.exitCode).toBeNull();
    } finally {
      await vm.resume();
    }
    const result = expectSucceeded(await outcome);
    expect(result.stdout).toBe('started\nfinished\n');
  });

  test('stats count connections, and close() ends every session and stops listening', async () => {
    expect(await waitUntil(() => gateway.stats().active === 0, 10000)).toBe(true);
    const ssh = spawnOfficialSsh(target, 'echo up; sleep 600');
    ssh.stdin.end();
    const outcome = outcomeOf(ssh, 60000);
    let stdout = '';
    ssh.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    if (!(await waitUntil(() => stdout.includes('up'), 30000))) expectSucceeded(await outcome);
    expect(gateway.stats().active).toBe(1);
    await gateway.close();
    const result = await outcome;
    expect(result.timedOut).toBe(false);
    expect(result.exitCode).not.toBe(0);
    expect(gateway.stats().active).toBe(0);
    const refused = await new Promise<string>((resolve) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: gateway.port, rejectUnauthorized: false }, () => resolve('connected'));
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
    // That session's sshd ends once its connection is gone. Its command, started without a tty, is
    // orphaned and keeps running, as on any OpenSSH server.
    expect(await waitUntil(() => !sandboxProcessNames(vm).includes('sshd'), 10000)).toBe(true);
    expect(sandboxProcessNames(vm)).toContain('sleep 600');
  });
});

/** Command lines of the VM's processes (those in a PID namespace below ours and in the VM's cgroup). */
function sandboxProcessNames(sandbox: Sandbox): string {
  const out: string[] = [];
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const nsPid = /^NSpid:\s+(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/) ?? [];
      if (nsPid.length < 2) continue;
      if (readFileSync(`/proc/${entry}/cgroup`, 'utf8').includes(sandbox.vmId)) out.push(readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' '));
    } catch {
      // Gone meanwhile.
    }
  }
  return out.join('\n');
}
