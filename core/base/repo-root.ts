import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: string | undefined;

/**
 * The repository (package) root, found by walking up from this file to the
 * package.json named "@hdr/vers". Code runs both from TypeScript sources and
 * from compiled output directories, so data files are never located relative
 * to __dirname directly.
 */
export function repoRoot(): string {
  if (cached !== undefined) return cached;
  let dir = __dirname;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
      if (parsed.name === '@hdr/vers') {
        cached = dir;
        return dir;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the @hdr/vers package root above ${__dirname}`);
    dir = parent;
  }
}
