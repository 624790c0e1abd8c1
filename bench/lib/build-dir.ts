import { relative, resolve } from 'node:path';
import { repoRoot } from '../../core/base/repo-root';

/**
 * The compiled tree this benchmark runs from (dist/ under make bench, or
 * .build/<name>/), relative to the repository root: passed as
 * VERS_BUILD_DIR / VERS_LOCAL_DIST so bin/ executables run the same build.
 */
export function buildDirectory(): string {
  // This file is <out>/bench/lib/build-dir.js.
  return relative(repoRoot(), resolve(__dirname, '..', '..'));
}
