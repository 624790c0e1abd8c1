import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { detectCgroupHost } from './cgroup-detect';
import { SandboxError } from './errors';
import { locateHostBinaries } from './host-binaries';
import { startSandbox, type SandboxHost } from './linux-sandbox';
import { resolveSandboxDriverOptions } from './options';
import type { Sandbox, SandboxDriver, SandboxDriverOptions, SandboxSpec } from './types';

/**
 * Create the driver that turns SandboxSpecs into running VMs: overlay root
 * filesystems over the host, Linux namespaces, cgroups and a real sshd per
 * SSH connection. vers-local checks checkHostRequirements() first; this
 * throws SandboxError if the host cannot run sandboxes at all.
 */
export function createSandboxDriver(options: SandboxDriverOptions): SandboxDriver {
  const resolved = resolveSandboxDriverOptions(options);
  const located = locateHostBinaries();
  if ('missing' in located) {
    throw new SandboxError('SANDBOX_START_FAILED', `sandboxes need these host programs, which are missing: ${located.missing.join(', ')}`);
  }
  mkdirSync(join(resolved.stateDir, 'vms'), { recursive: true, mode: 0o700 });
  const host: SandboxHost = { options: resolved, binaries: located.binaries, cgroups: detectCgroupHost(resolved.cgroupPrefix) };
  return new LinuxSandboxDriver(host);
}

/** True for `vers-local-<pid>` when that process no longer exists: the default prefix of a vers-local that died without cleaning up. */
function isDeadInstancePrefix(name: string): boolean {
  const match = /^vers-local-(\d+)$/.exec(name);
  if (match === null) return false;
  try {
    process.kill(Number(match[1]), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

class LinuxSandboxDriver implements SandboxDriver {
  private readonly sandboxes = new Map<string, Sandbox>();
  private readonly starting = new Set<string>();
  private shuttingDown = false;
  private swept: Promise<void> | undefined;

  constructor(private readonly host: SandboxHost) {}

  /** Once per driver: drop empty cgroup trees a SIGKILLed vers-local left (its VMs died with it; its cgroup dirs did not). */
  private sweepOnce(): Promise<void> {
    this.swept ??= this.host.cgroups.sweepStale(isDeadInstancePrefix).then(
      (removed) => {
        for (const dir of removed) this.host.options.logger(`removed stale cgroup ${dir}`);
      },
      (error: unknown) => this.host.options.logger(`sweeping stale cgroups failed: ${(error as Error).message}`),
    );
    return this.swept;
  }

  async create(spec: SandboxSpec): Promise<Sandbox> {
    if (this.shuttingDown) throw new SandboxError('SANDBOX_START_FAILED', `cannot create VM ${spec.vmId}: the sandbox driver is shutting down`, { vmId: spec.vmId, operation: 'create' });
    const vmId = spec.vmId;
    if (this.sandboxes.has(vmId) || this.starting.has(vmId)) {
      throw new SandboxError('SANDBOX_START_FAILED', `cannot create VM ${vmId}: a sandbox with this id already exists`, { vmId, operation: 'create' });
    }
    this.starting.add(vmId);
    try {
      await this.sweepOnce();
      const sandbox = await startSandbox(this.host, spec, () => this.sandboxes.delete(vmId));
      if (this.shuttingDown) {
        await sandbox.destroy();
        throw new SandboxError('SANDBOX_START_FAILED', `cannot create VM ${vmId}: the sandbox driver shut down meanwhile`, { vmId, operation: 'create' });
      }
      this.sandboxes.set(vmId, sandbox);
      return sandbox;
    } finally {
      this.starting.delete(vmId);
    }
  }

  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    const results = await Promise.allSettled([...this.sandboxes.values()].map((sandbox) => sandbox.destroy()));
    const problems = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected').map((result) => (result.reason as Error).message);
    await this.host.cgroups.removePrefix().catch((error: unknown) => problems.push((error as Error).message));
    if (problems.length > 0) throw new SandboxError('DESTROY_FAILED', `sandbox driver shutdown: ${problems.join('; ')}`, { operation: 'shutdown' });
  }
}
