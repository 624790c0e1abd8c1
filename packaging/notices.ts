import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../core/base/repo-root';

/**
 * THIRD_PARTY_NOTICES.txt for the executables: they embed Node.js and
 * bundle npm packages whose licenses ask for their notices to travel with
 * copies. Node's LICENSE (which covers V8, OpenSSL and its other parts),
 * then each bundled package's name, version and license file.
 */

function licenseFileOf(dir: string): string | undefined {
  const name = readdirSync(dir).find((entry) => /^(licen[cs]e|copying)(\.(md|txt|markdown))?$/i.test(entry));
  return name === undefined ? undefined : join(dir, name);
}

/** `packageDirectories` are repository-relative (`node_modules/got`), as packaging/bundle.ts reports them. */
export function thirdPartyNotices(nodeLicense: string, nodeVersion: string, packageDirectories: readonly string[]): string {
  const sections = [`Node.js ${nodeVersion} (embedded runtime)\n\n${readFileSync(nodeLicense, 'utf8').trim()}`];
  for (const relativeDir of [...new Set(packageDirectories)].sort()) {
    const dir = join(repoRoot(), relativeDir);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; version: string; license?: string };
    const licenseFile = licenseFileOf(dir);
    const text = licenseFile !== undefined && existsSync(licenseFile) ? readFileSync(licenseFile, 'utf8').trim() : `License: ${manifest.license ?? 'see the package'} (the package ships no license file)`;
    sections.push(`${manifest.name} ${manifest.version}\n\n${text}`);
  }
  const rule = `\n\n${'='.repeat(78)}\n\n`;
  return `The Vers provider executables include the following third-party software.${rule}${sections.join(rule)}\n`;
}
