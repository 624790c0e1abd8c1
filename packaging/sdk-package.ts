import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../core/base/repo-root';
import { SCHEMA_FILE } from '../core/schema/package-schema';
import { SDK_PACKAGE_NAME } from './layout';

/**
 * The npm package `@hdr/vers`: the compiled Pulumi SDK (sdk/nodejs, with
 * its declarations) and, for `vers.dynamic.*`, the compiled core it runs
 * inside the user's program (JavaScript only: no public type reaches it),
 * plus schema.json, which the core reads. The package keeps the
 * repository's layout (`sdk/nodejs/…`, `core/…`): the dynamic resources'
 * serialized provider requires `@hdr/vers/sdk/nodejs/dynamic/run-lifecycle`
 * by the path the core finds from the package root, as in a checkout.
 * got, ssh2 and ajv are ordinary dependencies, installed by npm.
 * Nothing else goes in: no tests, benchmarks, emulator, examples, bridges.
 */

export interface SdkManifest {
  name: string;
  version?: string;
  main: string;
  types: string;
  files: string[];
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  pulumi: { resource: boolean; name: string; version?: string };
  [key: string]: unknown;
}

export function sdkManifestPath(): string {
  return join(repoRoot(), 'sdk', 'nodejs', 'package.json');
}

export function readSdkManifest(): SdkManifest {
  return JSON.parse(readFileSync(sdkManifestPath(), 'utf8')) as SdkManifest;
}

/** The SDK's package.json as published: the committed one with the version stamped (without the note to maintainers). */
export function stampedSdkManifest(version: string): SdkManifest {
  const { '//': _note, ...manifest } = readSdkManifest();
  if (manifest.name !== SDK_PACKAGE_NAME) throw new Error(`${sdkManifestPath()}: name must be ${SDK_PACKAGE_NAME}`);
  return { ...manifest, version, pulumi: { ...manifest.pulumi, version } };
}

/** Compiled files of `dir` worth shipping: JavaScript (and, when asked, declarations), never tests or source maps. */
function shipped(dir: string, withDeclarations: boolean): (source: string) => boolean {
  return (source) => {
    if (source === dir) return true;
    const name = source.slice(source.lastIndexOf('/') + 1);
    if (!name.includes('.')) return true; // a directory
    if (/\.test\.(js|d\.ts)$/.test(name)) return false;
    return name.endsWith('.js') || (withDeclarations && name.endsWith('.d.ts'));
  };
}

/**
 * Lays the package out in `stageDir` from the compiled tree `buildDir`
 * (dist/) and returns the directory to `npm pack`.
 */
export function stageSdkPackage(buildDir: string, stageDir: string, version: string): string {
  rmSync(stageDir, { recursive: true, force: true });
  mkdirSync(stageDir, { recursive: true });
  const sdk = join(buildDir, 'sdk', 'nodejs');
  const core = join(buildDir, 'core');
  cpSync(sdk, join(stageDir, 'sdk', 'nodejs'), { recursive: true, filter: shipped(sdk, true) });
  cpSync(core, join(stageDir, 'core'), { recursive: true, filter: shipped(core, false) });
  copyFileSync(join(repoRoot(), SCHEMA_FILE), join(stageDir, SCHEMA_FILE));
  copyFileSync(join(repoRoot(), 'sdk', 'nodejs', 'README.md'), join(stageDir, 'README.md'));
  writeFileSync(join(stageDir, 'package.json'), `${JSON.stringify(stampedSdkManifest(version), null, 2)}\n`);
  return stageDir;
}

export interface PackedFile {
  path: string;
  size: number;
}

/** `npm pack` of a staged package into `destination`; the tarball's name and the files npm put in it. */
export function packSdk(stageDir: string, destination: string, options: { dryRun?: boolean } = {}): { filename: string; files: PackedFile[] } {
  const output = execFileSync('npm', ['pack', '--json', '--pack-destination', destination, ...(options.dryRun === true ? ['--dry-run'] : [])], {
    cwd: stageDir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    // npm would otherwise run the staged package's lifecycle scripts (it has none) and check for updates.
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_ignore_scripts: 'true' },
  });
  const packed = (JSON.parse(output) as Array<{ filename: string; files: PackedFile[] }>)[0];
  if (packed === undefined) throw new Error(`npm pack in ${relative(repoRoot(), stageDir)} reported nothing`);
  return { filename: packed.filename, files: packed.files };
}
