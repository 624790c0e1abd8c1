import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveProviderConfig, type ResolvedProviderConfig } from '../../core/settings';
import { CancelledError, CommandFailedError, HostKeyMismatchError, SshError, TimeoutError } from '../../core/base/errors';
import { VersClient } from '../../core/client/vers-client';
import { sha256File, UploadReadProbe, writeBigFile } from '../helpers/big-file';
import type { LogLevel } from '../../core/base/logging';
import { connectToVm } from '../../core/ssh/connect-to-vm';
import { provisionVm } from '../../core/ssh/provision-vm';
import { runCommand } from '../../core/ssh/run-command';
import { runProvisioning } from '../../core/ssh/run-provisioning';
import type { SshConnection } from '../../core/ssh/ssh-connection';
import { startVersLocal, type VersLocalProcess } from '../helpers/vers-local';

/**
 * The SSH-over-TLS transport against real VMs: vers-local's TLS/SNI gateway,
 * its CA, and the VM's own OpenSSH sshd.
 */

describe('SSH-over-TLS to a vers-local VM', () => {
  let local: VersLocalProcess;
  let config: ResolvedProviderConfig;
  let client: VersClient;
  let vmId: string;
  let localDir: string;
  const open: SshConnection[] = [];
  let lines: string[];
  const logger = { log: (_level: LogLevel, message: string) => lines.push(message) };

  beforeAll(async () => {
    local = await startVersLocal({ args: ['--boot-delay-ms', '200'] });
    const ready = local.ready;
    config = resolveProviderConfig({ apiKey: ready.api_key, baseUrl: ready.base_url, vmDomain: ready.vm_domain, sshGateway: ready.ssh_gateway, tlsCaFile: ready.tls_ca_file }, {});
    client = new VersClient(config);
    vmId = (await client.createRootVm({ mem_size_mib: 512, fs_size_mib: 2048 }, { waitBoot: true })).vm_id;
    localDir = mkdtempSync(join(tmpdir(), 'vers-ssh-it-'));
  });
  beforeEach(() => {
    lines = [];
  });
  afterEach(() => {
    for (const connection of open.splice(0)) connection.close();
  });
  afterAll(async () => {
    await client?.deleteVm(vmId).catch(() => undefined);
    client?.close();
    await local?.stop();
    rmSync(localDir, { recursive: true, force: true });
  });

  async function connect(options: Parameters<typeof connectToVm>[2] = {}): Promise<SshConnection> {
    const connection = await connectToVm(client, vmId, { timeoutMs: 60_000, ...options });
    open.push(connection);
    return connection;
  }

  async function output(connection: SshConnection, command: string): Promise<string> {
    const got: string[] = [];
    const result = await runCommand(connection, command, { onStdoutLine: (line) => got.push(line) });
    expect(result).toMatchObject({ exitCode: 0 });
    return got.join('\n');
  }

  test('connects through the gateway as root and records the host key the VM sshd presents', async () => {
    const connection = await connect();
    expect(connection.serverName).toBe(`${vmId}.${local.ready.vm_domain}`);
    expect(connection.hostKey.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(await output(connection, 'id -un')).toBe('root');
  });

  test('a later connection accepts the recorded key and refuses any other', async () => {
    const first = await connect();
    const recorded = first.hostKey.fingerprint;
    first.close();
    await expect(connect({ expectedHostKey: recorded })).resolves.toBeDefined();
    const error = await connect({ expectedHostKey: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostKeyMismatchError);
    expect((error as HostKeyMismatchError).seen).toBe(recorded);
  });

  test('the gateway certificate is refused without the vers-local CA', async () => {
    const untrusting = new VersClient(resolveProviderConfig({ apiKey: local.ready.api_key, baseUrl: local.ready.base_url, vmDomain: local.ready.vm_domain, sshGateway: local.ready.ssh_gateway }, {}));
    try {
      const error = (await connectToVm(untrusting, vmId, { timeoutMs: 10_000 }).catch((e: unknown) => e)) as SshError;
      expect(error).toBeInstanceOf(SshError);
      expect(error.message).toContain('tls_ca_file');
    } finally {
      untrusting.close();
    }
  });

  test('provisioning uploads files with parents and modes, then runs commands with the environment, streaming output', async () => {
    const connection = await connect();
    const result = await runProvisioning(
      connection,
      {
        files: [
          { destination: '/opt/app/etc/app.conf', content: 'port=8080\n', mode: '0600' },
          { destination: '/opt/app/bin/start.sh', content: '#!/bin/sh\necho "started on $PORT"\n', mode: '0755' },
        ],
        commands: ['stat -c "%a %n" /opt/app/etc/app.conf /opt/app/bin/start.sh', '/opt/app/bin/start.sh', 'echo "to stderr" >&2'],
        environment: { PORT: "8080 'quoted'" },
      },
      logger,
    );
    expect(result).toMatchObject({ filesUploaded: 2, commandsRun: 3 });
    expect(lines).toContain('600 /opt/app/etc/app.conf');
    expect(lines).toContain('755 /opt/app/bin/start.sh');
    expect(lines).toContain("started on 8080 'quoted'");
    expect(lines).toContain('stderr: to stderr');
    expect(await output(connection, 'cat /opt/app/etc/app.conf')).toBe('port=8080');
  });

  test('a failing command stops the run with its exit code and stderr tail', async () => {
    const connection = await connect();
    const error = (await runProvisioning(connection, { commands: ['echo "no such package" >&2; exit 100', 'touch /tmp/should-not-exist'] }, logger).catch((e: unknown) => e)) as CommandFailedError;
    expect(error).toBeInstanceOf(CommandFailedError);
    expect(error.exitCode).toBe(100);
    expect(error.stderrTail).toBe('no such package');
    const check = await connect();
    expect(await output(check, 'test -e /tmp/should-not-exist && echo yes || echo no')).toBe('no');
  });

  test('a 256 MiB file streams into the VM intact, read from disk only as fast as it is sent', async () => {
    const source = join(localDir, 'big.bin');
    writeBigFile(source, 256);
    const expected = await sha256File(source);
    const connection = await connect();
    // sshd runs in vers-local's sandbox, so this process reads each byte once, from the file.
    const probe = new UploadReadProbe(1);
    const started = Date.now();
    await runProvisioning(connection, { files: [{ destination: '/root/big.bin', source }] }, probe);
    const seconds = (Date.now() - started) / 1000;
    expect(probe.progressLines).toHaveLength(9);
    expect(probe.bytesRead()).toBeGreaterThanOrEqual(256 * 1024 * 1024);
    // Only the 16 parallel writes in flight are read ahead: memory stays flat whatever the file size.
    expect(probe.worstReadAheadBytes).toBeLessThan(16 * 1024 * 1024);
    expect(await output(connection, 'sha256sum /root/big.bin | cut -d" " -f1')).toBe(expected);
    await output(connection, 'rm /root/big.bin');
    console.log(`256 MiB into a vers-local VM: ${seconds.toFixed(1)} s, read at most ${(probe.worstReadAheadBytes / (1024 * 1024)).toFixed(1)} MiB ahead of what was sent`);
  });

  test('cancelling a run closes the connection at once', async () => {
    const connection = await connect();
    const controller = new AbortController();
    const pending = runProvisioning(connection, { commands: ['sleep 30'] }, logger, controller.signal);
    setTimeout(() => controller.abort(), 300);
    const started = Date.now();
    await expect(pending).rejects.toBeInstanceOf(CancelledError);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(connection.closed).toBe(true);
  });

  test('provisionVm connects, runs and closes while the VM sshd is still starting (the gateway holds the connection)', async () => {
    await local.admin('PUT', '/faults', { json: { sshdStartDelayMs: 1500 } });
    try {
      const { vm_id: fresh } = await client.createRootVm({ mem_size_mib: 256 }, { waitBoot: true });
      try {
        const started = Date.now();
        const result = await provisionVm(client, fresh, { commands: ['echo ready'], timeoutMs: 60_000 }, { logger });
        expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
        expect(result).toMatchObject({ commandsRun: 1, hostKey: { fingerprint: expect.stringMatching(/^SHA256:/) } });
        expect(lines).toContain('ready');
        expect(lines.some((line) => line.startsWith(`connected to VM ${fresh}; host key SHA256:`))).toBe(true);
      } finally {
        await client.deleteVm(fresh);
      }
    } finally {
      await local.admin('PUT', '/faults', { json: {} });
    }
  });

  test('while a command runs, no process command line on the machine holds an environment value or the command text', async () => {
    const secret = `canary-cmdline-${Date.now().toString(36)}-9d27f1`;
    const commandMark = `cmdline-mark-${Date.now().toString(36)}`;
    const connection = await connect();
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const seen: string[] = [];
    const pending = runProvisioning(
      connection,
      { commands: [`: ${commandMark}; echo started; while [ ! -e /tmp/cmdline-go ]; do sleep 0.1; done; test "$CANARY" = '${secret}'`], environment: { CANARY: secret } },
      { log: (_level: LogLevel, message: string) => (message === 'started' ? started() : seen.push(message)) },
    );
    await running;
    // Every process of the host, the VM's sandbox included (its PID namespace is below ours).
    const holders: string[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let cmdline: string;
      try {
        cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (cmdline.includes(secret) || cmdline.includes(commandMark)) holders.push(`${entry}: ${cmdline.replace(/\0/g, ' ')}`);
    }
    const release = await local.ssh(vmId, 'touch /tmp/cmdline-go');
    expect(release.code).toBe(0);
    await expect(pending).resolves.toMatchObject({ commandsRun: 1 });
    expect(holders).toEqual([]);
    await local.ssh(vmId, 'rm -f /tmp/cmdline-go');
  });

  test('a command that starts a background process returns when it does; the process keeps running in the VM', async () => {
    const connection = await connect();
    await expect(runProvisioning(connection, { commands: ['sleep 101 &'], timeoutMs: 30_000 }, logger)).resolves.toMatchObject({ commandsRun: 1 });
    const check = await local.ssh(vmId, 'pgrep -c -f -x "sleep 101"; pkill -f -x "sleep 101"');
    expect(check.stdout.trim().split('\n')[0]).toBe('1');
  }, 60_000);

  test('the provisioning timeout is reported as configured, whatever connecting used of it', async () => {
    const error = (await provisionVm(client, vmId, { commands: ['sleep 30'], timeoutMs: 1000 }, { logger }).catch((e: unknown) => e)) as TimeoutError;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.limitMs).toBe(1000);
    expect(error.message).toContain('limit 1s');
    expect(error.message).not.toMatch(/timeoutMs/);
  });

  test('the SSH key of a paused VM cannot be fetched, and the error says to resume it', async () => {
    await client.setVmState(vmId, 'Paused');
    try {
      await expect(connectToVm(client, vmId, { timeoutMs: 5000 })).rejects.toThrow(/paused/);
    } finally {
      await client.setVmState(vmId, 'Running');
    }
  });
});

