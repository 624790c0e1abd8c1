import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateEd25519KeyPair } from '../../emulator/models/vm-keys';

/** A VM's key material as vers-local hands it out: an ed25519 client key pair and a host key. */
export interface VmKeys {
  /** `ssh-ed25519 AAAA…`, installed as root's authorized key. */
  authorizedKey: string;
  /** The client's private key (OpenSSH PEM), also written to `privateKeyPath` with mode 0600. */
  privateKey: string;
  privateKeyPath: string;
  /** The VM's host key (OpenSSH PEM). */
  hostKeyOpenSsh: string;
  /** Its public half, `ssh-ed25519 AAAA…`, for a known_hosts line. */
  hostPublicKey: string;
}

/** Generate a VM's keys with ssh2 (the format vers-local serves) and write the client key for `ssh -i`. */
export function generateVmKeys(dir: string, name: string): VmKeys {
  const client = generateEd25519KeyPair();
  const host = generateEd25519KeyPair();
  const privateKeyPath = join(dir, `${name}.pem`);
  writeFileSync(privateKeyPath, client.private, { mode: 0o600 });
  return { authorizedKey: client.public, privateKey: client.private, privateKeyPath, hostKeyOpenSsh: host.private, hostPublicKey: host.public };
}

/** Where and as whom the official recipe connects. */
export interface SshTarget {
  gatewayPort: number;
  domain: string;
  vmId: string;
  privateKeyPath: string;
  /** Check the host key against this known_hosts file instead of ignoring it (the recipe ignores it). */
  knownHostsFile?: string;
}

/**
 * The official client recipe (reference §6), unchanged except for the
 * address: `ssh -i KEY -o StrictHostKeyChecking=no -o
 * UserKnownHostsFile=/dev/null -o ProxyCommand="openssl s_client -quiet
 * -connect 127.0.0.1:PORT -servername %h" root@<vm_id>.vm.<domain>`.
 */
export function officialSshArgs(target: SshTarget, remoteCommand: string, extraArgs: readonly string[] = []): string[] {
  return [
    '-i', target.privateKeyPath,
    '-o', `StrictHostKeyChecking=${target.knownHostsFile === undefined ? 'no' : 'yes'}`,
    '-o', `UserKnownHostsFile=${target.knownHostsFile ?? '/dev/null'}`,
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=30',
    '-o', `ProxyCommand=openssl s_client -quiet -connect 127.0.0.1:${target.gatewayPort} -servername %h`,
    ...extraArgs,
    `root@${target.vmId}.vm.${target.domain}`,
    remoteCommand,
  ];
}

/** Start `ssh` with the official recipe; the caller reads its streams and waits for it. */
export function spawnOfficialSsh(target: SshTarget, remoteCommand: string): ChildProcessWithoutNullStreams {
  return spawn('ssh', officialSshArgs(target, remoteCommand), { stdio: ['pipe', 'pipe', 'pipe'] });
}

export interface ProcessOutcome {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** The process was killed because it ran longer than the limit. */
  timedOut: boolean;
}

/** Wait for a spawned process, collecting its output; SIGKILL it after `timeoutMs`. */
export function outcomeOf(child: ChildProcessWithoutNullStreams, timeoutMs: number): Promise<ProcessOutcome> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code, stdout, stderr, timedOut });
    });
  });
}

/** Run one command over SSH with the official recipe. */
export function runOfficialSsh(target: SshTarget, remoteCommand: string, timeoutMs = 30000): Promise<ProcessOutcome> {
  const child = spawnOfficialSsh(target, remoteCommand);
  child.stdin.end();
  return outcomeOf(child, timeoutMs);
}
