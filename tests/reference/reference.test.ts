import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../core/base/repo-root';
import { referencePath } from '../helpers/reference-path';

/**
 * The pinned reference documents must be the ones the workplace shares
 * beside the checkout (../shared), so tests never hold the code to a stale
 * contract. A clone without ../shared beside it runs on the pinned copies
 * and says loudly that their freshness went unchecked.
 */

const PINNED = [
  { pinned: 'vers-openapi.json', shared: join('vers-api', 'openapi.json') },
  { pinned: 'pulumi-metaschema.json', shared: join('pulumi', 'metaschema.json') },
] as const;

const sharedDir = join(repoRoot(), '..', 'shared');
const sharedPresent = existsSync(sharedDir);
if (!sharedPresent) {
  process.stderr.write(`\n########## SKIPPED: ${sharedDir} not found: tests/reference/* were not compared with the shared originals ##########\n\n`);
}

(sharedPresent ? describe : describe.skip)('pinned reference documents', () => {
  test.each(PINNED)('tests/reference/$pinned is byte for byte ../shared/$shared (copy it again when it changed)', ({ pinned, shared }) => {
    expect(readFileSync(referencePath(pinned)).equals(readFileSync(join(sharedDir, shared)))).toBe(true);
  });
});
