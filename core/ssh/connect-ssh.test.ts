import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveProviderConfig } from '../settings';
import { CancelledError, HostKeyMismatchError, SshError, TimeoutError } from '../base/errors';
import type { LogLevel } from '../base/logging';
import { generateEd25519, startSshOverTlsServer, type SshOverTlsServer } from '../../tests/helpers/ssh-over-tls-server';
import { makeTestPki } from '../../tests/helpers/test-pki';
import { connectSsh } from './connect-ssh';
import { describeHostKey } from './host-key';
import { DEFAULT_SSH_CONNECT, sshTargetFor, type SshConnectOptions } from './options';
import { runCommand } from './run-command';
import type { SshConnection } from './ssh-connection';

const VM_ID = '11111111-2222-4333-8444-555555555555';

describe('connectSsh over TLS', () => {
  let server: SshOverTlsServer;
  const open: SshConnection[] = [];

  beforeEach(async () => {
    server = await startSshOverTlsServer();
  });
  afterEach(async () => {
    for (const connection of open.splice(0)) connection.close();
    await server.close();
  });

  function target(input: { tlsCaFile?: string; insecureSkipTlsVerify?: boolean } = { tlsCaFile: server.caFile }) {
    const config = resolveProviderConfig({ baseUrl: 'http://127.0.0.1:1', vmDomain: server.vmDomain, sshGateway: `127.0.0.1:${server.gateway.port}`, ...input }, {});
    return sshTargetFor(config, VM_ID);
  }

  async function connect(options: Partial<SshConnectOptions> = {}, input?: Parameters<typeof target>[0]): Promise<SshConnection> {
    const connection = await connectSsh(target(input), { privateKey: server.clientPrivateKey, retryBaseDelayMs: 20, retryMaxDelayMs: 50, timeoutMs: 10_000, ...options });
    open.push(connection);
    return connection;
  }

  test('dials the gateway with SNI {vm_id}.{vm_domain} and authenticates as root', async () => {
    const connection = await connect();
    expect(server.serverNames).toEqual([`${VM_ID}.vm.test`]);
    const result = await runCommand(connection, 'whoami >/dev/null; echo ok');
    expect(result.exitCode).toBe(0);
  });

  test('without ssh_gateway the target is {vm_id}.{vm_domain}:443', () => {
    const config = resolveProviderConfig({ baseUrl: 'https://api.example.com' }, {});
    expect(sshTargetFor(config, VM_ID)).toMatchObject({ host: `${VM_ID}.vm.example.com`, port: 443, serverName: `${VM_ID}.vm.example.com` });
  });

  test('reports the host key as an OpenSSH SHA256 fingerprint, the one ssh-keygen prints', async () => {
    const connection = await connect();
    expect(connection.hostKey).toEqual(describeHostKey(server.hostKeyBlob));
    expect(connection.hostKey.algorithm).toBe('ssh-ed25519');
    const dir = mkdtempSync(join(tmpdir(), 'vers-hostkey-'));
    try {
      writeFileSync(join(dir, 'key.pub'), `${server.hostKeyPublicLine}\n`);
      const printed = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'key.pub')], { encoding: 'utf8' });
      expect(printed.split(' ')[1]).toBe(connection.hostKey.fingerprint);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('accepts the recorded host key, as fingerprint or as public key line', async () => {
    const seen = describeHostKey(server.hostKeyBlob);
    await expect(connect({ expectedHostKey: seen.fingerprint })).resolves.toBeDefined();
    await expect(connect({ expectedHostKey: seen.publicKey })).resolves.toBeDefined();
  });

  test('refuses a different host key with HostKeyMismatchError, without retrying', async () => {
    const error = await connect({ expectedHostKey: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostKeyMismatchError);
    expect((error as HostKeyMismatchError).seen).toBe(describeHostKey(server.hostKeyBlob).fingerprint);
    expect((error as Error).message).toContain('changed');
    expect(server.connectionCount()).toBe(1);
  });

  test('the host-key mismatch error says what works: refresh does not, forgetting the recorded key (both engines) does', async () => {
    const message = ((await connect({ expectedHostKey: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }).catch((e: unknown) => e)) as Error).message;
    expect(message).toMatch(/[Rr]efresh(ing)? does not help/);
    expect(message).not.toMatch(/refresh or replace/);
    expect(message).toContain('terraform state rm');
    expect(message).toContain('pulumi state delete');
  });

  test('rejects a certificate from an unknown CA, without retrying', async () => {
    const error = (await connect({}, {}).catch((e: unknown) => e)) as SshError;
    expect(error).toBeInstanceOf(SshError);
    expect(error.message).toContain('tls_ca_file');
    expect(server.connectionCount()).toBe(0);
  });

  test('rejects a certificate signed by a different CA even when a CA file is set', async () => {
    const other = makeTestPki(['*.vm.test'], 'another CA');
    try {
      await expect(connect({}, { tlsCaFile: other.caFile })).rejects.toThrow(/not trusted/);
    } finally {
      other.cleanup();
    }
  });

  test('insecure_skip_tls_verify accepts the unknown CA', async () => {
    await expect(connect({}, { insecureSkipTlsVerify: true })).resolves.toBeDefined();
  });

  test('a wrong key is an authentication error, not retried', async () => {
    const stranger = generateEd25519().private;
    const error = (await connect({ privateKey: stranger }).catch((e: unknown) => e)) as SshError;
    expect(error).toBeInstanceOf(SshError);
    expect(error.message).toContain('refused the SSH key');
    expect(error.message).not.toContain('PRIVATE KEY');
    expect(server.connectionCount()).toBe(1);
  });

  test('an unparseable key fails without printing it', async () => {
    const error = (await connect({ privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END OPENSSH PRIVATE KEY-----\n' }).catch((e: unknown) => e)) as SshError;
    expect(error).toBeInstanceOf(SshError);
    expect(error.message).not.toContain('c2VjcmV0');
  });

  describe('while the VM boots', () => {
    let booting: SshOverTlsServer;
    afterEach(async () => booting.close());

    test('retries connections the gateway drops, with progress logs, until SSH answers', async () => {
      booting = await startSshOverTlsServer({ dropFirstConnections: 3 });
      const lines: string[] = [];
      const config = resolveProviderConfig({ baseUrl: 'http://127.0.0.1:1', vmDomain: 'vm.test', sshGateway: `127.0.0.1:${booting.gateway.port}`, tlsCaFile: booting.caFile }, {});
      const connection = await connectSsh(sshTargetFor(config, VM_ID), {
        privateKey: booting.clientPrivateKey,
        retryBaseDelayMs: 20,
        retryMaxDelayMs: 40,
        logger: { log: (_level: LogLevel, message: string) => lines.push(message) },
      });
      open.push(connection);
      expect(booting.connectionCount()).toBe(4);
      expect(lines.filter((line) => line.startsWith(`waiting for SSH on VM ${VM_ID} (attempt`))).toHaveLength(3);
    });

    test('gives up with a TimeoutError in the ssh-connect phase', async () => {
      booting = await startSshOverTlsServer({ dropFirstConnections: 1_000 });
      const config = resolveProviderConfig({ baseUrl: 'http://127.0.0.1:1', vmDomain: 'vm.test', sshGateway: `127.0.0.1:${booting.gateway.port}`, tlsCaFile: booting.caFile }, {});
      const error = await connectSsh(sshTargetFor(config, VM_ID), { privateKey: booting.clientPrivateKey, timeoutMs: 600, retryBaseDelayMs: 50, retryMaxDelayMs: 100 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TimeoutError);
      expect(error).toMatchObject({ phase: 'ssh-connect', limitMs: 600 });
      expect(booting.connectionCount()).toBeGreaterThan(2);
    });

    test('stops retrying as soon as the signal aborts', async () => {
      booting = await startSshOverTlsServer({ dropFirstConnections: 1_000 });
      const config = resolveProviderConfig({ baseUrl: 'http://127.0.0.1:1', vmDomain: 'vm.test', sshGateway: `127.0.0.1:${booting.gateway.port}`, tlsCaFile: booting.caFile }, {});
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 200);
      const started = Date.now();
      await expect(connectSsh(sshTargetFor(config, VM_ID), { privateKey: booting.clientPrivateKey, retryBaseDelayMs: 1000, signal: controller.signal })).rejects.toBeInstanceOf(CancelledError);
      expect(Date.now() - started).toBeLessThan(2000);
    });
  });

  test('keep-alives keep an idle connection open while the server answers', async () => {
    const connection = await connect({ keepaliveIntervalMs: 100, keepaliveCountMax: 2 });
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(connection.closed).toBe(false);
    await expect(runCommand(connection, 'true')).resolves.toMatchObject({ exitCode: 0 });
  });

  test('unanswered keep-alives drop the connection after interval × count', async () => {
    const connection = await connect({ keepaliveIntervalMs: 100, keepaliveCountMax: 3 });
    const closed = new Promise<SshError | undefined>((resolve) => connection.onClose(resolve));
    const started = Date.now();
    server.freeze();
    const error = await closed;
    expect(error?.message).toContain('Keepalive timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  test('the keep-alive defaults are 10 s and 6 misses', () => {
    expect(DEFAULT_SSH_CONNECT.keepaliveIntervalMs).toBe(10_000);
    expect(DEFAULT_SSH_CONNECT.keepaliveCountMax).toBe(6);
  });

  test('unknown options are rejected by name', async () => {
    await expect(connectSsh(target(), { privateKey: server.clientPrivateKey, keepAlive: 5 } as never)).rejects.toThrow(/SshConnectOptions\.keepAlive is not a known option/);
  });
});
