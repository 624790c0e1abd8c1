import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveProviderConfig } from '../settings';
import { CancelledError, CommandFailedError, SshError, TimeoutError, ValidationError } from '../base/errors';
import { sha256File, UploadReadProbe, writeBigFile } from '../../tests/helpers/big-file';
import { isAlive } from '../../tests/helpers/proc-scan';
import type { LogLevel } from '../base/logging';
import { startSshOverTlsServer, type SshOverTlsServer } from '../../tests/helpers/ssh-over-tls-server';
import { connectSsh } from './connect-ssh';
import { sshTargetFor } from './options';
import { runCommand } from './run-command';
import { runProvisioning } from './run-provisioning';
import type { SshConnection } from './ssh-connection';
import { uploadFile } from './upload-file';

const VM_ID = '11111111-2222-4333-8444-555555555555';

interface LogLine {
  level: LogLevel;
  message: string;
  at: number;
}

describe('provisioning over one SSH-over-TLS connection', () => {
  let server: SshOverTlsServer;
  let connection: SshConnection;
  let localDir: string;
  let lines: LogLine[];
  const logger = { log: (level: LogLevel, message: string) => lines.push({ level, message, at: Date.now() }) };

  beforeAll(async () => {
    server = await startSshOverTlsServer();
    localDir = mkdtempSync(join(tmpdir(), 'vers-provision-src-'));
  });
  afterAll(async () => {
    await server.close();
    rmSync(localDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    lines = [];
    const config = resolveProviderConfig({ baseUrl: 'http://127.0.0.1:1', vmDomain: server.vmDomain, sshGateway: `127.0.0.1:${server.gateway.port}`, tlsCaFile: server.caFile }, {});
    connection = await connectSsh(sshTargetFor(config, VM_ID), { privateKey: server.clientPrivateKey });
  });
  afterEach(() => connection.close());

  const inVm = (path: string): string => join(server.root, path);

  test('inline content lands with parent directories created and the mode set', async () => {
    await runProvisioning(connection, { files: [{ destination: '/etc/app/conf.d/app.conf', content: 'port = 8080\n', mode: '0600' }] }, logger);
    expect(readFileSync(inVm('/etc/app/conf.d/app.conf'), 'utf8')).toBe('port = 8080\n');
    expect(statSync(inVm('/etc/app/conf.d/app.conf')).mode & 0o7777).toBe(0o600);
    expect(statSync(inVm('/etc/app/conf.d')).isDirectory()).toBe(true);
  });

  test('the default mode is 0644 and an existing file gets the new mode', async () => {
    await uploadFile(connection, { destination: '/srv/run.sh', content: 'echo 1\n' });
    expect(statSync(inVm('/srv/run.sh')).mode & 0o7777).toBe(0o644);
    await uploadFile(connection, { destination: '/srv/run.sh', content: 'echo 2\n', mode: 0o755 });
    expect(statSync(inVm('/srv/run.sh')).mode & 0o7777).toBe(0o755);
    expect(readFileSync(inVm('/srv/run.sh'), 'utf8')).toBe('echo 2\n');
  });

  test('a parent path that is a file is an SshError', async () => {
    await uploadFile(connection, { destination: '/blocker', content: 'x' });
    await expect(uploadFile(connection, { destination: '/blocker/inside.txt', content: 'y' })).rejects.toThrow(SshError);
  });

  test('bad file specs are ValidationErrors naming the file', async () => {
    await expect(runProvisioning(connection, { files: [{ destination: 'relative.txt', content: 'x' }] }, logger)).rejects.toMatchObject({ property: 'files[0].destination' });
    await expect(runProvisioning(connection, { files: [{ destination: '/a', content: 'x', source: '/b' }] }, logger)).rejects.toBeInstanceOf(ValidationError);
    await expect(runProvisioning(connection, { files: [{ destination: '/a', content: 'x', mode: '999' }] }, logger)).rejects.toMatchObject({ property: 'files[0].mode' });
  });

  test('a 64 MiB source file is read from disk only as fast as it is sent, with progress every 10%', async () => {
    const source = join(localDir, 'big.bin');
    writeBigFile(source, 64);
    const expectedHash = await sha256File(source);

    // Both SSH ends run in this process, so every byte sent is read twice: from the file, then from the server's socket.
    const probe = new UploadReadProbe(2);
    await runProvisioning(connection, { files: [{ destination: '/opt/data/big.bin', source }] }, probe);

    expect(probe.progressLines.map((line) => /\((\d+)%\)$/.exec(line)?.[1])).toEqual(['10', '20', '30', '40', '50', '60', '70', '80', '90']);
    expect(probe.progressLines[0]).toMatch(/^uploaded 6\.\d of 64\.0 MiB to \/opt\/data\/big\.bin \(10%\)$/);
    // The measure sees the whole file go through, so a source read whole before sending would show 64 MiB ahead at 10%.
    expect(probe.bytesRead()).toBeGreaterThanOrEqual(2 * 64 * 1024 * 1024);
    // What is read beyond what was sent is only what is in flight (16 parallel writes of 255 KiB, counted at both ends).
    expect(probe.worstReadAheadBytes).toBeLessThan(16 * 1024 * 1024);
    expect(statSync(inVm('/opt/data/big.bin')).size).toBe(64 * 1024 * 1024);
    expect(await sha256File(inVm('/opt/data/big.bin'))).toBe(expectedHash);
    console.log(`64 MiB upload: read at most ${(probe.worstReadAheadBytes / (1024 * 1024)).toFixed(1)} MiB ahead of what was sent`);
  });

  test('commands run in order and stream their output line by line as it arrives', async () => {
    const started = Date.now();
    await runProvisioning(connection, { commands: ['echo one; sleep 0.5; echo two >&2; sleep 0.5; echo three', 'echo four'] }, logger);
    const finished = Date.now();
    const output = lines.filter((l) => !l.message.startsWith('running command') && !l.message.startsWith('provisioned'));
    expect(output.map((l) => l.message)).toEqual(['one', 'stderr: two', 'three', 'four']);
    // "one" was logged while the command was still running, not after it ended.
    expect((output[0] as LogLine).at - started).toBeLessThan(finished - started - 600);
  });

  test('environment values reach the command exactly, whatever their quoting', async () => {
    const tricky = `it's a "test" with $HOME, \`backticks\` and\nnewline`;
    await runProvisioning(connection, { commands: ['printf "%s|%s" "$GREETING" "$OTHER"'], environment: { GREETING: tricky, OTHER: '' } }, logger);
    expect(lines.map((l) => l.message)).toContain(`it's a "test" with $HOME, \`backticks\` and`);
    expect(lines.map((l) => l.message)).toContain('newline|');
  });

  test('an invalid environment name is refused before anything runs', async () => {
    await expect(runProvisioning(connection, { commands: ['true'], environment: { 'BAD-NAME': 'x' } }, logger)).rejects.toMatchObject({ property: 'environment["BAD-NAME"]' });
  });

  test('a non-zero exit stops the run with the command, exit code and stderr tail', async () => {
    const marker = inVm('/after-failure');
    const error = (await runProvisioning(
      connection,
      { commands: ['for i in $(seq 1 100); do echo "err line $i" >&2; done; exit 3', `touch ${marker}`] },
      logger,
    ).catch((e: unknown) => e)) as CommandFailedError;
    expect(error).toBeInstanceOf(CommandFailedError);
    expect(error.exitCode).toBe(3);
    expect(error.commandName).toBe('commands[0]');
    const tail = error.stderrTail.split('\n');
    expect(tail).toHaveLength(20);
    expect(tail[0]).toBe('err line 81');
    expect(tail[19]).toBe('err line 100');
    expect(error.message).toContain('exited with code 3');
    expect(existsSync(marker)).toBe(false);
  });

  test('the stderr tail is bounded in bytes too', async () => {
    const result = await runCommand(connection, 'head -c 100000 /dev/zero | tr "\\0" x >&2; exit 1');
    expect(result.exitCode).toBe(1);
    expect(result.stderrTail.length).toBeLessThanOrEqual(4096);
  });

  test('a command killed by a signal fails with the signal name', async () => {
    const error = (await runProvisioning(connection, { commands: ['kill -TERM $$'] }, logger).catch((e: unknown) => e)) as CommandFailedError;
    expect(error).toBeInstanceOf(CommandFailedError);
    expect(error.exitCode === 143 || error.signal === 'TERM').toBe(true);
  });

  test('an exit status that arrives in the same burst as the exec reply is not lost', async () => {
    // The command travels on the session's input, which this server never reads: it answers every exec at once.
    const instant = await startSshOverTlsServer({ instantReply: () => ({ stdout: 'fast\n', exitCode: 7 }) });
    try {
      const config = resolveProviderConfig({ baseUrl: 'http://127.0.0.1:1', vmDomain: instant.vmDomain, sshGateway: `127.0.0.1:${instant.gateway.port}`, tlsCaFile: instant.caFile }, {});
      const fast = await connectSsh(sshTargetFor(config, VM_ID), { privateKey: instant.clientPrivateKey });
      try {
        for (let i = 0; i < 20; i++) {
          const stdout: string[] = [];
          await expect(runCommand(fast, 'instant', { onStdoutLine: (line) => stdout.push(line) })).resolves.toEqual({ exitCode: 7, stderrTail: '' });
          expect(stdout).toEqual(['fast']);
        }
      } finally {
        fast.close();
      }
    } finally {
      await instant.close();
    }
  });

  test('commands get no stdin, so a command reading it does not hang', async () => {
    await expect(runCommand(connection, 'cat; echo done', { onStdoutLine: (line) => lines.push({ level: 'info', message: line, at: 0 }) })).resolves.toMatchObject({ exitCode: 0 });
    expect(lines.map((l) => l.message)).toEqual(['done']);
  });

  test('the run times out as a whole, closing the connection', async () => {
    const started = Date.now();
    const error = await runProvisioning(connection, { commands: ['sleep 30'], timeoutMs: 300 }, logger).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ phase: 'provisioning', limitMs: 300 });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(connection.closed).toBe(true);
  });

  test('cancellation closes everything and the remote command is killed', async () => {
    // The previous test's command may not be reaped yet: watch only the pid this run starts.
    const earlier = new Set(server.runningPids());
    const startedHere = (): number[] => server.runningPids().filter((pid) => !earlier.has(pid));
    const controller = new AbortController();
    const pending = runProvisioning(connection, { commands: ['sleep 30'] }, logger, controller.signal);
    await waitFor(() => startedHere().length > 0);
    const pids = startedHere();
    expect(pids.every((pid) => server.processGroupAlive(pid))).toBe(true);
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(CancelledError);
    expect(connection.closed).toBe(true);
    await waitFor(() => pids.every((pid) => !server.processGroupAlive(pid)));
  });

  describe('uploads replace a file whole or not at all', () => {
    test('an upload stopped halfway leaves the file it replaces intact and no temporary file beside it', async () => {
      mkdirSync(inVm('/srv/keep'), { recursive: true });
      writeFileSync(inVm('/srv/keep/important.conf'), 'original\n');
      const source = join(localDir, 'replacement.bin');
      writeBigFile(source, 64);
      const controller = new AbortController();
      // Stopped at the first progress line: the transfer is under way, the file half written.
      const stopHalfway = { log: (_level: LogLevel, message: string) => message.startsWith('uploaded ') && controller.abort() };
      const error = await runProvisioning(connection, { files: [{ destination: '/srv/keep/important.conf', source }] }, stopHalfway, controller.signal).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CancelledError);
      expect(readFileSync(inVm('/srv/keep/important.conf'), 'utf8')).toBe('original\n');
      expect(readdirSync(inVm('/srv/keep'))).toEqual(['important.conf']);
    });

    test('a write the VM refuses (disk full) leaves the original and no temporary file, and says which file', async () => {
      const full = await startSshOverTlsServer({ diskFullAfterBytes: 8 * 1024 * 1024 });
      try {
        mkdirSync(join(full.root, 'srv'), { recursive: true });
        writeFileSync(join(full.root, 'srv', 'important.conf'), 'original\n');
        const config = resolveProviderConfig({ baseUrl: 'http://127.0.0.1:1', vmDomain: full.vmDomain, sshGateway: `127.0.0.1:${full.gateway.port}`, tlsCaFile: full.caFile }, {});
        const onFullDisk = await connectSsh(sshTargetFor(config, VM_ID), { privateKey: full.clientPrivateKey });
        try {
          const source = join(localDir, 'too-big.bin');
          writeBigFile(source, 32);
          const error = (await uploadFile(onFullDisk, { destination: '/srv/important.conf', source }).catch((e: unknown) => e)) as SshError;
          expect(error).toBeInstanceOf(SshError);
          expect(error.message).toContain('/srv/important.conf');
          expect(readFileSync(join(full.root, 'srv', 'important.conf'), 'utf8')).toBe('original\n');
          expect(readdirSync(join(full.root, 'srv'))).toEqual(['important.conf']);
        } finally {
          onFullDisk.close();
        }
      } finally {
        await full.close();
      }
    });

    test('the temporary file a dropped connection left is removed by the next upload to the same path, and only that one', async () => {
      mkdirSync(inVm('/srv/stale'), { recursive: true });
      writeFileSync(inVm('/srv/stale/.app.conf.vers-upload-0123456789ab'), 'half an upload');
      writeFileSync(inVm('/srv/stale/.other.conf.vers-upload-0123456789ab'), 'another file\'s');
      await uploadFile(connection, { destination: '/srv/stale/app.conf', content: 'whole\n' });
      expect(readdirSync(inVm('/srv/stale')).sort()).toEqual(['.other.conf.vers-upload-0123456789ab', 'app.conf']);
    });

    test('a replaced file takes the new mode and keeps nothing of the old contents', async () => {
      writeFileSync(inVm('/srv/replaced.txt'), 'a much longer original text than the new one\n');
      await uploadFile(connection, { destination: '/srv/replaced.txt', content: 'short\n', mode: '0600' });
      expect(readFileSync(inVm('/srv/replaced.txt'), 'utf8')).toBe('short\n');
      expect(statSync(inVm('/srv/replaced.txt')).mode & 0o7777).toBe(0o600);
      expect(readdirSync(inVm('/srv')).filter((name) => name.includes('replaced'))).toEqual(['replaced.txt']);
    });

    test('a destination that is a directory in the VM is refused with a message naming it', async () => {
      mkdirSync(inVm('/srv/a-directory'), { recursive: true });
      const error = (await uploadFile(connection, { destination: '/srv/a-directory', content: 'x' }).catch((e: unknown) => e)) as Error;
      expect(error.message).toMatch(/\/srv\/a-directory is a directory in the VM/);
      expect(statSync(inVm('/srv/a-directory')).isDirectory()).toBe(true);
    });
  });

  describe('secrets stay out of logs and errors', () => {
    const logText = (): string => lines.map((line) => line.message).join('\n');

    test('environment values are redacted from streamed output, the stderr tail and the error, set -x included', async () => {
      const secret = 'canary-env-7f3a9c2e51';
      const error = (await runProvisioning(connection, { commands: ['set -x; echo "token is $TOKEN"; echo "$TOKEN" >&2; exit 4'], environment: { TOKEN: secret }, secrets: [secret] }, logger).catch(
        (e: unknown) => e,
      )) as CommandFailedError;
      expect(error).toBeInstanceOf(CommandFailedError);
      expect(error.exitCode).toBe(4);
      expect([error.message, error.stderrTail, logText()].join('\n')).not.toContain(secret);
      // The output still streams, with the value blanked.
      expect(lines.map((line) => line.message)).toContain('token is [REDACTED]');
    });

    test('a failing command is named by its position, never by its text, which may hold an interpolated secret', async () => {
      const secret = 'canary-cmd-3b8e0d4471';
      const error = (await runProvisioning(connection, { commands: ['true', `true 'X-Token: ${secret}'; exit 7`] }, logger).catch((e: unknown) => e)) as CommandFailedError;
      expect(error).toBeInstanceOf(CommandFailedError);
      expect(error.message).toMatch(/commands\[1\] exited with code 7/);
      expect([error.message, logText()].join('\n')).not.toContain(secret);
    });

    test('a secret file content is redacted from output even where it spans several lines', async () => {
      const secret = 'ab12cd\nef34gh\nij56kl\n';
      const error = (await runProvisioning(
        connection,
        { files: [{ destination: '/etc/multi.secret', content: secret, mode: '0600' }], commands: ['cat etc/multi.secret; cat etc/multi.secret >&2; exit 1'], secrets: [secret] },
        logger,
      ).catch((e: unknown) => e)) as CommandFailedError;
      expect(error).toBeInstanceOf(CommandFailedError);
      // The in-process "VM" runs commands on this machine with its root as working directory.
      expect(lines.map((line) => line.message)).toContain('[REDACTED]');
      for (const part of ['ab12cd', 'ef34gh', 'ij56kl']) expect([error.message, logText()].join('\n')).not.toContain(part);
    });
  });

  test('a command that leaves a background process holding its output returns when the command does, and the process keeps running', async () => {
    const stdout: string[] = [];
    const result = await runCommand(connection, 'sleep 101 & echo "background $!"', { onStdoutLine: (line) => stdout.push(line) });
    expect(result.exitCode).toBe(0);
    const pid = Number(/^background (\d+)$/.exec(stdout[0] ?? '')?.[1]);
    try {
      expect(isAlive(pid)).toBe(true);
    } finally {
      if (pid > 0) process.kill(pid, 'SIGKILL');
    }
  }, 30_000);

  test('cancellation during an upload stops it', async () => {
    const source = join(localDir, 'slow.bin');
    writeFileSync(source, Buffer.alloc(32 * 1024 * 1024));
    const controller = new AbortController();
    const pending = runProvisioning(connection, { files: [{ destination: '/cancelled.bin', source }] }, logger, controller.signal);
    setTimeout(() => controller.abort(), 30);
    await expect(pending).rejects.toBeInstanceOf(CancelledError);
    expect(connection.closed).toBe(true);
  });
});


async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
