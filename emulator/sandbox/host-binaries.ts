import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

/**
 * Host programs the sandboxes run, by absolute path. Absolute paths keep the
 * host side independent of PATH (root's PATH under sudo or CI may lack the
 * sbin directories, and an exec request's env must never steer host code).
 */
export interface HostBinaries {
  sh: string;
  unshare: string;
  nsenter: string;
  setpriv: string;
  mount: string;
  cp: string;
  /** The OpenSSH daemon; the VM runs the same file, seen through its lowest layer. */
  sshd: string;
  openssl: string;
}

const SEARCH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Absolute path of an executable named `name` in the standard system directories, or undefined. */
export function findHostBinary(name: string): string | undefined {
  for (const dir of SEARCH_DIRS) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory; try the next one.
    }
  }
  return undefined;
}

/** Programs a sandbox needs, besides those in HostBinaries, that run inside the VM's setup scripts. */
export const SETUP_PROGRAMS = ['pivot_root', 'umount', 'mknod', 'ip', 'hostname', 'chmod', 'chown', 'touch', 'sleep'] as const;

/** Every HostBinaries entry, or the list of names that are missing. */
export function locateHostBinaries(): { binaries: HostBinaries } | { missing: string[] } {
  const names: Record<keyof HostBinaries, string> = {
    sh: 'sh',
    unshare: 'unshare',
    nsenter: 'nsenter',
    setpriv: 'setpriv',
    mount: 'mount',
    cp: 'cp',
    sshd: 'sshd',
    openssl: 'openssl',
  };
  const missing: string[] = [];
  const found: Partial<HostBinaries> = {};
  for (const [key, name] of Object.entries(names) as [keyof HostBinaries, string][]) {
    const path = findHostBinary(name);
    if (path === undefined) missing.push(name);
    else found[key] = path;
  }
  for (const name of SETUP_PROGRAMS) {
    if (findHostBinary(name) === undefined) missing.push(name);
  }
  if (missing.length > 0) return { missing };
  return { binaries: found as HostBinaries };
}
