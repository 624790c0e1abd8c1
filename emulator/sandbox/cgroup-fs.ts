import { readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SandboxError } from './errors';
import { identify, inNestedPidNamespace, type ProcessIdentity } from './process-identity';

/** Poll interval while waiting for the kernel (freezing, processes exiting): short, and never a busy loop. */
export const POLL_MS = 5;

/** Write a control file, turning a failure into CGROUP_FAILED naming the file. */
export async function writeControl(file: string, value: string): Promise<void> {
  try {
    await writeFile(file, value);
  } catch (error) {
    throw new SandboxError('CGROUP_FAILED', `cannot write "${value}" to ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** Pids listed in `dir`/cgroup.procs and in every descendant group; [] when the group is gone. */
export async function listProcsRecursive(dir: string): Promise<number[]> {
  const pids: number[] = [];
  let text: string;
  try {
    text = await readFile(join(dir, 'cgroup.procs'), 'utf8');
  } catch {
    return pids;
  }
  for (const line of text.split('\n')) if (line !== '') pids.push(Number(line));
  for (const child of await childGroups(dir)) pids.push(...(await listProcsRecursive(join(dir, child))));
  return pids;
}

/** Names of the child groups (sub-directories) of a cgroup directory. */
export async function childGroups(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch {
    return [];
  }
}

/**
 * SIGKILL the current members of a group tree. Each pid is tied to its start
 * time when listed and checked again right before the kill, so a pid that
 * exited and was reused meanwhile (by any process on the host) is spared.
 * Callers freeze the group first where they can: frozen members cannot exit,
 * which closes even that small window.
 */
export async function killMembers(dir: string, which: (pid: number) => boolean = () => true): Promise<void> {
  const members = (await listProcsRecursive(dir))
    .filter(which)
    .map(identify)
    .filter((identity): identity is ProcessIdentity => identity !== undefined);
  for (const member of members) {
    if (identify(member.pid)?.startTime !== member.startTime) continue;
    try {
      process.kill(member.pid, 'SIGKILL');
    } catch {
      // Exited meanwhile.
    }
  }
}

/**
 * The first round of killing a VM's group: only the processes inside the
 * VM's PID namespace. Their parents outside it (the init's unshare, each
 * nsenter) are still alive to reap them at once; killed together, those
 * children would be orphaned to the host's init, whose reaping may lag and
 * hold the dying namespace (and its init) for a second or more.
 */
export async function killInsideFirst(dir: string, freeze: () => Promise<unknown>, thaw: () => Promise<unknown>): Promise<void> {
  await freeze();
  await killMembers(dir, inNestedPidNamespace);
  await thaw();
  await waitFor(async () => (await listProcsRecursive(dir)).every((pid) => !inNestedPidNamespace(pid)), 300);
}

/** Poll `check` until it is true or `timeoutMs` passes; returns whether it became true. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(POLL_MS);
  }
}

/**
 * Remove a cgroup directory and its child groups, retrying while the kernel
 * still counts exiting processes. A directory that is already gone is fine.
 */
export async function removeGroupTree(dir: string, timeoutMs: number): Promise<void> {
  for (const child of await childGroups(dir)) await removeGroupTree(join(dir, child), timeoutMs);
  let lastError: unknown;
  const removed = await waitFor(async () => {
    try {
      await rmdir(dir);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
      lastError = error;
      return false;
    }
  }, timeoutMs);
  if (!removed) {
    throw new SandboxError('CGROUP_FAILED', `cannot remove cgroup ${dir}: ${(lastError as Error | undefined)?.message ?? 'timed out'}`, { cause: lastError });
  }
}

/** Remove a cgroup directory only if it is empty now; leave it otherwise. */
export async function removeGroupIfEmpty(dir: string): Promise<void> {
  try {
    await rmdir(dir);
  } catch {
    // Busy (processes left, e.g. a background job of an exec) or gone: the VM's teardown removes it.
  }
}
