import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../core/base/repo-root';

/** A fresh directory under tests/runtime/ (git-ignored) for one suite's keys, state and scratch files. */
export interface RuntimeDir {
  path: string;
  /** Remove the directory and everything in it. */
  remove(): void;
}

/** Make `tests/runtime/<prefix>-XXXXXX`. Directories there are 0700: they hold private keys. */
export function makeRuntimeDir(prefix: string): RuntimeDir {
  const base = join(repoRoot(), 'tests', 'runtime');
  mkdirSync(base, { recursive: true, mode: 0o700 });
  const path = mkdtempSync(join(base, `${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
