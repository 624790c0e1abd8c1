import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { childGroups, killInsideFirst, killMembers, listProcsRecursive, removeGroupIfEmpty, removeGroupTree, waitFor, writeControl } from './cgroup-fs';
import type { CgroupHost, CgroupLimits, TaskCgroup, VmCgroup } from './cgroup-types';
import { SandboxError } from './errors';

/** Where this process sits in each v1 hierarchy the sandboxes use: `<mount>/<own path>`. */
export interface CgroupV1Layout {
  freezer: string;
  memory: string;
  /** Absent when the host has no cpu hierarchy; vCPU weights are then not applied. */
  cpu: string | undefined;
}

const FREEZE_TIMEOUT_MS = 10000;

/** Remove each group tree (undefined entries skipped), trying all before reporting what failed. */
async function removeEach(dirs: readonly (string | undefined)[], timeoutMs: number): Promise<void> {
  const failures: string[] = [];
  for (const dir of dirs) {
    if (dir !== undefined) await removeGroupTree(dir, timeoutMs).catch((error: unknown) => failures.push((error as Error).message));
  }
  if (failures.length > 0) throw new SandboxError('CGROUP_FAILED', failures.join('; '));
}

async function freezerState(dir: string): Promise<string> {
  try {
    return (await readFile(join(dir, 'freezer.state'), 'utf8')).trim();
  } catch {
    return 'GONE';
  }
}

/** Write `target` to freezer.state and wait until the kernel reports it. */
async function setFreezerState(dir: string, target: 'FROZEN' | 'THAWED', timeoutMs: number): Promise<boolean> {
  await writeControl(join(dir, 'freezer.state'), target);
  return waitFor(async () => {
    const state = await freezerState(dir);
    return state === target || state === 'GONE';
  }, timeoutMs);
}

/**
 * Kill every member of a group tree: freeze it (so nothing forks or exits
 * while the members are listed), SIGKILL the members, thaw so the kills
 * land, and wait until the group is empty.
 */
async function killTree(freezerDir: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  await killInsideFirst(
    freezerDir,
    () => setFreezerState(freezerDir, 'FROZEN', 1000).catch(() => false),
    () => thawTree(freezerDir),
  );
  for (;;) {
    if ((await listProcsRecursive(freezerDir)).length === 0) return true;
    if (Date.now() >= deadline) return false;
    // A member stuck in uninterruptible sleep can hold the group in FREEZING; killMembers still spares reused pids.
    await setFreezerState(freezerDir, 'FROZEN', 1000).catch(() => false);
    await killMembers(freezerDir);
    await thawTree(freezerDir);
    await waitFor(async () => (await listProcsRecursive(freezerDir)).length === 0, Math.min(500, Math.max(0, deadline - Date.now())));
  }
}

/** Thaw a group and every child group (a child frozen on its own stays frozen when only its parent thaws). */
async function thawTree(dir: string): Promise<void> {
  for (const child of await childGroups(dir)) await thawTree(join(dir, child));
  await writeControl(join(dir, 'freezer.state'), 'THAWED').catch(() => undefined);
}

class V1TaskCgroup implements TaskCgroup {
  constructor(
    private readonly freezerDir: string,
    readonly joinFiles: readonly string[],
  ) {}

  async kill(): Promise<void> {
    await killTree(this.freezerDir, 5000);
  }

  async removeIfEmpty(): Promise<void> {
    await removeGroupIfEmpty(this.freezerDir);
  }
}

class V1VmCgroup implements VmCgroup {
  readonly joinFiles: readonly string[];

  constructor(private readonly dirs: { freezer: string; memory: string; cpu: string | undefined }) {
    this.joinFiles = [dirs.freezer, dirs.memory, dirs.cpu].filter((dir): dir is string => dir !== undefined).map((dir) => join(dir, 'cgroup.procs'));
  }

  async setLimits(limits: CgroupLimits): Promise<void> {
    await writeControl(join(this.dirs.memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
    if (this.dirs.cpu !== undefined) await writeControl(join(this.dirs.cpu, 'cpu.shares'), String(1024 * limits.vcpuCount));
  }

  async freeze(): Promise<void> {
    if (!(await setFreezerState(this.dirs.freezer, 'FROZEN', FREEZE_TIMEOUT_MS))) {
      throw new SandboxError('CGROUP_FAILED', `cgroup ${this.dirs.freezer} did not reach FROZEN within ${FREEZE_TIMEOUT_MS} ms (state ${await freezerState(this.dirs.freezer)})`);
    }
  }

  async thaw(): Promise<void> {
    if (!(await setFreezerState(this.dirs.freezer, 'THAWED', FREEZE_TIMEOUT_MS))) {
      throw new SandboxError('CGROUP_FAILED', `cgroup ${this.dirs.freezer} did not thaw within ${FREEZE_TIMEOUT_MS} ms`);
    }
  }

  async createTaskGroup(name: string): Promise<TaskCgroup> {
    // Only the freezer hierarchy gets a child: it tracks and kills the task; memory and CPU stay accounted to the VM.
    const freezerDir = join(this.dirs.freezer, name);
    await mkdir(freezerDir);
    const joinFiles = [join(freezerDir, 'cgroup.procs'), ...this.joinFiles.slice(1)];
    return new V1TaskCgroup(freezerDir, joinFiles);
  }

  async killAll(timeoutMs: number): Promise<void> {
    if (!(await killTree(this.dirs.freezer, timeoutMs))) {
      const left = await listProcsRecursive(this.dirs.freezer);
      throw new SandboxError('DESTROY_FAILED', `processes ${left.join(', ')} of cgroup ${this.dirs.freezer} survived SIGKILL for ${timeoutMs} ms`);
    }
  }

  async remove(timeoutMs: number): Promise<void> {
    await removeEach([this.dirs.freezer, this.dirs.memory, this.dirs.cpu], timeoutMs);
  }
}

/** cgroup v1: a freezer, a memory and (if present) a cpu group per VM, under this process's own groups. */
export class CgroupV1Host implements CgroupHost {
  readonly version = 1 as const;

  constructor(
    private readonly layout: CgroupV1Layout,
    private readonly prefix: string,
  ) {}

  async createVmCgroup(vmId: string): Promise<VmCgroup> {
    const dirs = {
      freezer: join(this.layout.freezer, this.prefix, vmId),
      memory: join(this.layout.memory, this.prefix, vmId),
      cpu: this.layout.cpu === undefined ? undefined : join(this.layout.cpu, this.prefix, vmId),
    };
    for (const dir of [dirs.freezer, dirs.memory, dirs.cpu]) {
      if (dir === undefined) continue;
      try {
        await mkdir(dir, { recursive: true });
      } catch (error) {
        throw new SandboxError('CGROUP_FAILED', `cannot create cgroup ${dir}: ${(error as Error).message}`, { vmId, operation: 'create', cause: error });
      }
    }
    return new V1VmCgroup(dirs);
  }

  async removePrefix(): Promise<void> {
    await removeEach([this.layout.freezer, this.layout.memory, this.layout.cpu].map((base) => (base === undefined ? undefined : join(base, this.prefix))), 2000);
  }

  async sweepStale(isStale: (name: string) => boolean): Promise<string[]> {
    const removed: string[] = [];
    for (const base of [this.layout.freezer, this.layout.memory, this.layout.cpu]) {
      if (base === undefined) continue;
      for (const name of await childGroups(base)) {
        if (name === this.prefix || !isStale(name)) continue;
        // Only empty trees go: rmdir refuses a group that still holds a process.
        if ((await listProcsRecursive(join(base, name))).length > 0) continue;
        await removeGroupTree(join(base, name), 200).then(() => removed.push(join(base, name)), () => undefined);
      }
    }
    return removed;
  }
}
