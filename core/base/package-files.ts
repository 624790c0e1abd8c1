import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './repo-root';

/**
 * A data file the running code needs (schema.json, the generated Terraform
 * schema and name map, the tfplugin6 descriptor), by its path from the
 * package root, posix separators. A checkout and the npm package read it
 * from disk. The release executables have no package root: their bundle
 * (packaging/bundle.ts) replaces this module with one holding the files'
 * text, so every read of such a file goes through this function.
 */
export function readPackageFile(path: string): string {
  return readFileSync(join(repoRoot(), ...path.split('/')), 'utf8');
}
