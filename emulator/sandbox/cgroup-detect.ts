import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import type { CgroupHost } from './cgroup-types';
import { CgroupV1Host, type CgroupV1Layout } from './cgroup-v1';
import { CgroupV2Host } from './cgroup-v2';
import { SandboxError } from './errors';

const CGROUP_ROOT = '/sys/fs/cgroup';

interface CgroupMount {
  /** The directory of the cgroup namespace root this mount shows (usually "/"). */
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

/** Undo the octal escapes (\040 for a space, …) of /proc/self/mountinfo fields. */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_match, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

function cgroupMounts(): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const separator = line.indexOf(' - ');
    if (separator < 0) continue;
    const before = line.slice(0, separator).split(' ');
    const after = line.slice(separator + 3).split(' ');
    const fsType = after[0] ?? '';
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    mounts.push({ root: unescapeMountField(before[3] ?? '/'), mountPoint: unescapeMountField(before[4] ?? ''), fsType, superOptions: (after[2] ?? '').split(',') });
  }
  return mounts;
}

/** This process's group path in the v1 hierarchy carrying `controller`, from /proc/self/cgroup. */
function ownV1Path(controller: string): string | undefined {
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const [, controllers, path] = line.split(/:(.*?):/);
    if (controllers === undefined || path === undefined) continue;
    if (controllers.split(',').includes(controller)) return path;
  }
  return undefined;
}

/** `<mount point>/<own path>` for a v1 controller, or undefined when the host does not mount it. */
function v1Dir(mounts: readonly CgroupMount[], controller: string): string | undefined {
  const mount = mounts.find((candidate) => candidate.fsType === 'cgroup' && candidate.superOptions.includes(controller));
  if (mount === undefined) return undefined;
  let path = ownV1Path(controller) ?? '/';
  // A mount that shows a sub-tree (bind mount, cgroup namespace) already starts at its root.
  if (mount.root !== '/' && path.startsWith(mount.root)) path = path.slice(mount.root.length);
  return join(mount.mountPoint, path);
}

/** True when /sys/fs/cgroup itself is a cgroup2 mount (the "unified" layout). */
function isPureV2(mounts: readonly CgroupMount[]): boolean {
  return mounts.some((mount) => mount.fsType === 'cgroup2' && mount.mountPoint === CGROUP_ROOT);
}

/** What is missing for sandboxes to get frozen and memory-limited, in words; [] when all is there. */
export function cgroupProblems(): string[] {
  const mounts = cgroupMounts();
  if (isPureV2(mounts)) {
    const problems: string[] = [];
    const controllers = existsSync(join(CGROUP_ROOT, 'cgroup.controllers')) ? readFileSync(join(CGROUP_ROOT, 'cgroup.controllers'), 'utf8').split(/\s+/) : [];
    if (!controllers.includes('memory')) problems.push(`cgroup v2 at ${CGROUP_ROOT} does not offer the memory controller (needed for VM memory limits)`);
    // The root group has no cgroup.freeze file of its own; the v2 freezer arrived in Linux 5.2.
    const [major = 0, minor = 0] = release().split('.').map((part) => parseInt(part, 10));
    if (major < 5 || (major === 5 && minor < 2)) problems.push(`cgroup v2 has no freezer before Linux 5.2 (this kernel is ${release()}); VMs cannot be paused`);
    return problems;
  }
  const problems: string[] = [];
  if (v1Dir(mounts, 'freezer') === undefined) problems.push(`no freezer cgroup: mount the v1 freezer hierarchy (e.g. ${CGROUP_ROOT}/freezer) or use a pure cgroup v2 host; VMs cannot be paused otherwise`);
  if (v1Dir(mounts, 'memory') === undefined) problems.push(`no memory cgroup: mount the v1 memory hierarchy (e.g. ${CGROUP_ROOT}/memory) or use a pure cgroup v2 host; VM memory cannot be limited otherwise`);
  return problems;
}

/**
 * The cgroup backend for this host: v2 when /sys/fs/cgroup is a pure cgroup2
 * mount, else the v1 freezer + memory (+ cpu) hierarchies. Throws
 * CGROUP_FAILED naming what is missing.
 */
export function detectCgroupHost(prefix: string): CgroupHost {
  const mounts = cgroupMounts();
  if (isPureV2(mounts)) return new CgroupV2Host(CGROUP_ROOT, prefix);
  const freezer = v1Dir(mounts, 'freezer');
  const memory = v1Dir(mounts, 'memory');
  if (freezer === undefined || memory === undefined) throw new SandboxError('CGROUP_FAILED', cgroupProblems().join('; '));
  const layout: CgroupV1Layout = { freezer, memory, cpu: v1Dir(mounts, 'cpu') };
  return new CgroupV1Host(layout, prefix);
}
