import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cgroupProblems } from './sandbox/cgroup-detect';
import { findHostBinary, SETUP_PROGRAMS } from './sandbox/host-binaries';
import { runCommand, stderrTail } from './sandbox/run-command';

/** Where VMs find sshd: the same path inside every VM, since the host root is their lowest layer. */
const SSHD_PATH = '/usr/sbin/sshd';

/**
 * The mount structure of a VM, tried in a throwaway mount namespace: a tmpfs
 * disk, the host root wrapped in a read-only overlay, and a writable overlay
 * on top. Args: scratch directory.
 */
const OVERLAY_PROBE_SCRIPT = `set -e
mount -t tmpfs -o size=4m vers-local-probe "$1"
cd "$1"
mkdir upper work host merged empty
mount -t overlay overlay -o "lowerdir=/:$1/empty" "$1/host"
mount -t overlay overlay -o "index=off,lowerdir=$1/host,upperdir=$1/upper,workdir=$1/work" "$1/merged"
touch "$1/merged/etc/vers-local-probe"
`;

async function overlayProblem(): Promise<string | undefined> {
  const filesystems = readFileSync('/proc/filesystems', 'utf8');
  if (!/\toverlay$/m.test(filesystems)) return 'the kernel has no overlay filesystem (modprobe overlay); VM root filesystems are overlays';
  const unshare = findHostBinary('unshare');
  if (unshare === undefined) return undefined; // Reported as a missing program.
  const scratch = mkdtempSync(join(tmpdir(), 'vers-local-probe-'));
  try {
    const result = await runCommand(unshare, ['--mount', '--propagation', 'private', '/bin/sh', '-c', OVERLAY_PROBE_SCRIPT, 'probe', scratch], { timeoutMs: 10000 });
    if (result.exitCode !== 0) return `an overlay over the host root cannot be mounted (${stderrTail(result.stderr, 300)}); VM root filesystems need it`;
    return undefined;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Everything this host lacks to run vers-local's sandboxes, as messages for
 * a person; [] when nothing is missing. vers-local refuses to start unless
 * this is empty — there is no degraded mode.
 */
export async function checkHostRequirements(): Promise<string[]> {
  const problems: string[] = [];
  if (process.platform !== 'linux') return [`vers-local runs VMs with Linux namespaces and cgroups; this is ${process.platform}`];
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) problems.push('vers-local must run as root (it mounts overlays, creates namespaces and cgroups)');
  try {
    accessSync(SSHD_PATH, constants.X_OK);
  } catch {
    problems.push(`no OpenSSH server at ${SSHD_PATH} (apt-get install openssh-server); every VM runs it for SSH`);
  }
  for (const name of ['unshare', 'nsenter', 'setpriv', 'mount', 'cp', ...SETUP_PROGRAMS]) {
    if (findHostBinary(name) === undefined) problems.push(`the ${name} command is missing (util-linux, coreutils, iproute2 or hostname package)`);
  }
  if (findHostBinary('openssl') === undefined) problems.push('the openssl command is missing (apt-get install openssl); it makes the gateway CA');
  problems.push(...cgroupProblems());
  // Only root can try the mounts; without root that is already reported.
  if (isRoot) {
    const overlay = await overlayProblem();
    if (overlay !== undefined) problems.push(overlay);
  }
  return problems;
}
