import { existsSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

/**
 * Host directories a root VM starts with empty instead of the host's
 * contents: root's home (only .ssh is added), scratch space and runtime
 * state. Everything else of the host is visible, copy-on-write.
 */
export const FRESH_DIRS: readonly string[] = ['/root', '/tmp', '/var/tmp', '/run'];

/** Longest mount option string the overlay mount may take (one page, with room for the other options). */
const MAX_LOWERDIR_CHARS = 3500;

function isWithin(path: string, dir: string): boolean {
  if (dir === sep) return path.startsWith(sep);
  return path === dir || path.startsWith(dir + sep);
}

/**
 * The fresh (opaque) directories of a root VM: FRESH_DIRS plus the driver's
 * state dir (so VMs never see commit layers, other VMs or the CA key), and
 * the existing host directories whose mode and owner they and their parents
 * copy.
 */
export function freshDirsFor(stateDir: string): { freshDirs: string[]; attrRefs: string[] } {
  const freshDirs = [...FRESH_DIRS];
  if (!FRESH_DIRS.some((dir) => isWithin(stateDir, dir))) freshDirs.push(stateDir);
  const attrRefs = new Set<string>();
  for (const dir of freshDirs) {
    for (let path = dir; path !== '/'; path = dirname(path)) {
      if (existsSync(path)) attrRefs.add(path);
    }
  }
  return { freshDirs, attrRefs: [...attrRefs] };
}

/**
 * The overlay `lowerdir` list for commit layers (newest first), relative to
 * their common parent so long chains still fit in one mount option page.
 * Returns undefined when the chain is too long even then.
 */
export function relativeLowerDirs(layers: readonly string[]): { base: string; lowers: string } | undefined {
  if (layers.length === 0) return { base: '/', lowers: '' };
  let base = dirname(layers[0] as string);
  while (!layers.every((layer) => isWithin(layer, base) && layer !== base)) base = dirname(base);
  const lowers = layers.map((layer) => relative(base, layer)).join(':');
  if (lowers.length > MAX_LOWERDIR_CHARS) return undefined;
  return { base, lowers };
}

/** `<stateDir>/vms/<vmId>`: the host directory of one VM (its disk's mount point inside the VM's namespace). */
export function vmDirectory(stateDir: string, vmId: string): string {
  return join(stateDir, 'vms', vmId);
}
