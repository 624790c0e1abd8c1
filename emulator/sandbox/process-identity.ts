import { readFileSync } from 'node:fs';

/** A process as the kernel knows it: pid plus start time, so a reused pid is not mistaken for it. */
export interface ProcessIdentity {
  pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks after boot). */
  startTime: string;
}

function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after its closing one.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The identity of a running process, or undefined when there is none with this pid. */
export function identify(pid: number): ProcessIdentity | undefined {
  const fields = statFields(pid);
  const startTime = fields?.[19];
  return startTime === undefined ? undefined : { pid, startTime };
}

/**
 * True while the process exists and has not become a zombie. A pid 1 of a
 * PID namespace outlives its cgroup membership while it reaps the rest of
 * the namespace, so teardown waits on this too.
 */
export function isRunning(identity: ProcessIdentity): boolean {
  const fields = statFields(identity.pid);
  if (fields === undefined || fields[19] !== identity.startTime) return false;
  return fields[0] !== 'Z' && fields[0] !== 'X';
}

/** True when the process lives in a PID namespace below ours (its NSpid line lists more than one pid). */
export function inNestedPidNamespace(pid: number): boolean {
  try {
    const nsPids = /^NSpid:\s+(.+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]?.trim().split(/\s+/) ?? [];
    return nsPids.length >= 2;
  } catch {
    return false;
  }
}
