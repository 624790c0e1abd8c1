import { access, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { childGroups, killInsideFirst, killMembers, listProcsRecursive, removeGroupIfEmpty, removeGroupTree, waitFor, writeControl } from './cgroup-fs';
import type { CgroupHost, CgroupLimits, TaskCgroup, VmCgroup } from './cgroup-types';
import { SandboxError } from './errors';

const FREEZE_TIMEOUT_MS = 10000;

async function isFrozen(dir: string): Promise<boolean | undefined> {
  try {
    const events = await readFile(join(dir, 'cgroup.events'), 'utf8');
    return /^frozen 1$/m.test(events);
  } catch {
    return undefined;
  }
}

/** cgroup.kill (Linux 5.14+) when present, else freeze, SIGKILL each member, thaw; then wait until empty. */
async function killTree(dir: string, timeoutMs: number): Promise<boolean> {
  let hasKillFile = true;
  try {
    await access(join(dir, 'cgroup.kill'));
  } catch {
    hasKillFile = false;
  }
  const deadline = Date.now() + timeoutMs;
  await killInsideFirst(
    dir,
    async () => {
      await writeControl(join(dir, 'cgroup.freeze'), '1').catch(() => undefined);
      await waitFor(async () => (await isFrozen(dir)) !== false, 1000);
    },
    () => writeControl(join(dir, 'cgroup.freeze'), '0').catch(() => undefined),
  );
  for (;;) {
    const pids = await listProcsRecursive(dir);
    if (pids.length === 0) return true;
    if (Date.now() >= deadline) return false;
    if (hasKillFile) {
      // The kernel kills the whole tree at once: no pid is ever named, so none can be mistaken.
      await writeControl(join(dir, 'cgroup.kill'), '1').catch(() => undefined);
    } else {
      // Frozen members cannot exit on their own, and v2 still delivers SIGKILL to them: no thaw needed.
      await writeControl(join(dir, 'cgroup.freeze'), '1').catch(() => undefined);
      await waitFor(async () => (await isFrozen(dir)) !== false, 1000);
      await killMembers(dir);
    }
    await waitFor(async () => (await listProcsRecursive(dir)).length === 0, Math.min(500, Math.max(0, deadline - Date.now())));
  }
}

class V2TaskCgroup implements TaskCgroup {
  readonly joinFiles: readonly string[];

  constructor(private readonly dir: string) {
    this.joinFiles = [join(dir, 'cgroup.procs')];
  }

  async kill(): Promise<void> {
    await killTree(this.dir, 5000);
  }

  async removeIfEmpty(): Promise<void> {
    await removeGroupIfEmpty(this.dir);
  }
}

class V2VmCgroup implements VmCgroup {
  readonly joinFiles: readonly string[];

  constructor(
    private readonly dir: string,
    private readonly controllers: ReadonlySet<string>,
  ) {
    this.joinFiles = [join(dir, 'cgroup.procs')];
  }

  async setLimits(limits: CgroupLimits): Promise<void> {
    if (!this.controllers.has('memory')) throw new SandboxError('CGROUP_FAILED', `the memory controller is not enabled for ${this.dir}`);
    await writeControl(join(this.dir, 'memory.max'), String(limits.memoryBytes));
    if (this.controllers.has('cpu')) await writeControl(join(this.dir, 'cpu.weight'), String(Math.min(10000, 100 * limits.vcpuCount)));
  }

  async freeze(): Promise<void> {
    await writeControl(join(this.dir, 'cgroup.freeze'), '1');
    if (!(await waitFor(async () => (await isFrozen(this.dir)) !== false, FREEZE_TIMEOUT_MS))) {
      throw new SandboxError('CGROUP_FAILED', `cgroup ${this.dir} did not report frozen within ${FREEZE_TIMEOUT_MS} ms`);
    }
  }

  async thaw(): Promise<void> {
    await writeControl(join(this.dir, 'cgroup.freeze'), '0');
    if (!(await waitFor(async () => (await isFrozen(this.dir)) !== true, FREEZE_TIMEOUT_MS))) {
      throw new SandboxError('CGROUP_FAILED', `cgroup ${this.dir} did not thaw within ${FREEZE_TIMEOUT_MS} ms`);
    }
  }

  async createTaskGroup(name: string): Promise<TaskCgroup> {
    // Allowed next to the VM's own processes because the VM group enables no controllers for its children.
    const dir = join(this.dir, name);
    await mkdir(dir);
    return new V2TaskCgroup(dir);
  }

  async killAll(timeoutMs: number): Promise<void> {
    if (!(await killTree(this.dir, timeoutMs))) {
      const left = await listProcsRecursive(this.dir);
      throw new SandboxError('DESTROY_FAILED', `processes ${left.join(', ')} of cgroup ${this.dir} survived SIGKILL for ${timeoutMs} ms`);
    }
  }

  async remove(timeoutMs: number): Promise<void> {
    await removeGroupTree(this.dir, timeoutMs);
  }
}

/**
 * cgroup v2: `<root>/<prefix>/<vmId>`, with memory (and cpu, when available)
 * enabled from the root down. The prefix sits directly under the root because
 * a v2 group that holds processes (such as vers-local's own) may not enable
 * controllers for children.
 */
export class CgroupV2Host implements CgroupHost {
  readonly version = 2 as const;
  private controllers: Set<string> | undefined;

  constructor(
    private readonly root: string,
    private readonly prefix: string,
  ) {}

  /** Enable the controllers the VMs use on the root and on the prefix group, once. */
  private async prepare(): Promise<Set<string>> {
    if (this.controllers !== undefined) return this.controllers;
    const available = new Set((await readFile(join(this.root, 'cgroup.controllers'), 'utf8').catch(() => '')).trim().split(/\s+/).filter(Boolean));
    const wanted = ['memory', 'cpu'].filter((name) => available.has(name));
    const prefixDir = join(this.root, this.prefix);
    try {
      await mkdir(prefixDir, { recursive: true });
    } catch (error) {
      throw new SandboxError('CGROUP_FAILED', `cannot create cgroup ${prefixDir}: ${(error as Error).message}`, { cause: error });
    }
    if (wanted.length > 0) {
      const enable = wanted.map((name) => `+${name}`).join(' ');
      await writeControl(join(this.root, 'cgroup.subtree_control'), enable);
      await writeControl(join(prefixDir, 'cgroup.subtree_control'), enable);
    }
    this.controllers = new Set(wanted);
    return this.controllers;
  }

  async createVmCgroup(vmId: string): Promise<VmCgroup> {
    const controllers = await this.prepare();
    const dir = join(this.root, this.prefix, vmId);
    try {
      await mkdir(dir);
    } catch (error) {
      throw new SandboxError('CGROUP_FAILED', `cannot create cgroup ${dir}: ${(error as Error).message}`, { vmId, operation: 'create', cause: error });
    }
    return new V2VmCgroup(dir, controllers);
  }

  async removePrefix(): Promise<void> {
    await removeGroupTree(join(this.root, this.prefix), 2000);
  }

  async sweepStale(isStale: (name: string) => boolean): Promise<string[]> {
    const removed: string[] = [];
    for (const name of await childGroups(this.root)) {
      if (name === this.prefix || !isStale(name)) continue;
      // Only empty trees go: rmdir refuses a group that still holds a process.
      if ((await listProcsRecursive(join(this.root, name))).length > 0) continue;
      await removeGroupTree(join(this.root, name), 200).then(() => removed.push(join(this.root, name)), () => undefined);
    }
    return removed;
  }
}
