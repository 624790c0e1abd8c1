import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAlive, processesMarkedBy } from './proc-scan';

/** What a sandbox test expects to be gone. */
export interface LeftoverQuery {
  /** Host pids that must have exited (e.g. a VM's init). */
  pids?: readonly number[];
  /** Names (cgroup prefix, VM ids) no live process's cgroup path and no cgroup directory may contain. */
  marks: readonly string[];
  /** Paths no mount in any mount namespace and no directory may still have (VM directories). */
  paths: readonly string[];
}

/**
 * Mount lines, from every process's mountinfo, that mention `path`. VM
 * mounts live in private mount namespaces, invisible in /proc/mounts, so each
 * process is asked.
 */
export function mountsMentioning(path: string): string[] {
  const found = new Set<string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${entry}/mountinfo`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) if (line.includes(path)) found.add(`pid ${entry}: ${line}`);
  }
  return [...found];
}

/** Everything of `query` still present: live processes, mounts in any namespace, cgroup dirs, directories. [] when clean. */
export function sandboxLeftovers(query: LeftoverQuery): string[] {
  const leftovers: string[] = [];
  for (const pid of query.pids ?? []) if (isAlive(pid)) leftovers.push(`process ${pid} is alive`);
  for (const pid of processesMarkedBy(query.marks, '\0never\0')) if (isAlive(pid)) leftovers.push(`process ${pid} is in a cgroup named ${query.marks.join(' or ')}`);
  for (const path of query.paths) {
    for (const line of mountsMentioning(path)) leftovers.push(`mount ${line}`);
    if (existsSync(path)) leftovers.push(`directory ${path} exists`);
  }
  for (const dir of cgroupDirsAnyDepth()) {
    const name = dir.split('/').pop() ?? '';
    if (query.marks.some((mark) => name.includes(mark))) leftovers.push(`cgroup ${dir}`);
  }
  return leftovers;
}

/**
 * Cgroup directories down to depth 8: v1 memory groups of VMs sit under the
 * owner's own group (`memory/<owner path>/<prefix>/<vmId>`), deeper than a
 * fixed 3 levels.
 */
export function cgroupDirsAnyDepth(): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 8) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const path = `${dir}/${entry.name}`;
      out.push(path);
      walk(path, depth + 1);
    }
  };
  walk('/sys/fs/cgroup', 0);
  return out;
}
