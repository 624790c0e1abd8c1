import { join } from 'node:path';
import { repoRoot } from '../../core/base/repo-root';

/**
 * A reference document the tests hold the code to, pinned in tests/reference/
 * (`vers-openapi.json`: the real server's OpenAPI spec; `pulumi-metaschema.json`:
 * Pulumi's package metaschema). Pinned, so a clone works wherever it lies;
 * tests/reference/reference.test.ts fails when a copy drifts from ../shared.
 */
export function referencePath(name: 'vers-openapi.json' | 'pulumi-metaschema.json'): string {
  return join(repoRoot(), 'tests', 'reference', name);
}
