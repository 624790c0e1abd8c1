import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../core/base/repo-root';
import type { NodeRuntime } from './node-runtime';

/**
 * A Node.js single-executable application: the pinned Node runtime of the
 * target platform with a bundle (packaging/bundle.ts) injected as its
 * NODE_SEA_BLOB (https://nodejs.org/api/single-executable-applications.html).
 *
 * The blob is prepared by the same Node version running here (the host
 * platform's runtime): its format belongs to the version. V8's code cache
 * is included only for the host platform, where it is made; it speeds up
 * every start by sparing the compile of the bundle.
 */

/** The fuse Node checks to know a blob was injected; postject flips its last character to 1. */
export const SEA_SENTINEL_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** The ELF note (Mach-O section, PE resource) the blob is stored in. */
export const SEA_RESOURCE_NAME = 'NODE_SEA_BLOB';

export interface SingleExecutableOptions {
  /** The bundle to run. */
  bundle: string;
  /** The runtime to embed it in (the target platform's). */
  target: NodeRuntime;
  /** A runtime of the same version that runs here: it prepares the blob. */
  generator: NodeRuntime;
  /** Where the executable is written. */
  output: string;
  /** Scratch directory (blob, config); a cache of finished executables lives in `cacheDir`. */
  workDir: string;
  cacheDir?: string;
}

function seaConfig(options: SingleExecutableOptions, blob: string): Record<string, unknown> {
  return {
    main: options.bundle,
    output: blob,
    disableExperimentalSEAWarning: true,
    useCodeCache: options.target.platform === options.generator.platform,
    useSnapshot: false,
    // The user's NODE_OPTIONS (meant for their own Node programs) do not reach the provider.
    execArgvExtension: 'none',
  };
}

function run(command: string, args: string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'utf8', maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error === null) resolve();
      else reject(new Error(`${what} failed (${error.message}):\n${stdout}\n${stderr}`));
    });
  });
}

/**
 * Writes the executable. An identical one (same bundle, runtime, settings)
 * made before is copied from the cache instead: injecting takes seconds.
 */
export async function buildSingleExecutable(options: SingleExecutableOptions): Promise<{ cached: boolean }> {
  mkdirSync(options.workDir, { recursive: true });
  const blob = join(options.workDir, `${options.target.platform}.blob`);
  const config = seaConfig(options, blob);
  const postjectCli = join(repoRoot(), 'node_modules', 'postject', 'dist', 'cli.js');
  const key = createHash('sha256')
    .update(readFileSync(options.bundle))
    .update(JSON.stringify({ ...config, main: '', output: '' }))
    .update(readFileSync(options.target.executable))
    .update(options.generator.version)
    .update(readFileSync(join(repoRoot(), 'node_modules', 'postject', 'package.json')))
    .digest('hex');
  const cacheSlot = options.cacheDir === undefined ? undefined : join(options.cacheDir, `${options.target.platform}-${key}`);
  if (cacheSlot !== undefined && existsSync(cacheSlot)) {
    copyFileSync(cacheSlot, options.output);
    chmodSync(options.output, 0o755);
    return { cached: true };
  }

  const configFile = join(options.workDir, `${options.target.platform}.sea-config.json`);
  writeFileSync(configFile, JSON.stringify(config, null, 1));
  await run(options.generator.executable, ['--experimental-sea-config', configFile], 'preparing the SEA blob');
  const partial = `${options.output}.partial`;
  copyFileSync(options.target.executable, partial);
  chmodSync(partial, 0o755);
  await run(process.execPath, [postjectCli, partial, SEA_RESOURCE_NAME, blob, '--sentinel-fuse', SEA_SENTINEL_FUSE], 'injecting the blob (postject)');
  renameSync(partial, options.output);

  if (cacheSlot !== undefined && options.cacheDir !== undefined) {
    mkdirSync(options.cacheDir, { recursive: true });
    // One executable per platform and name is kept: the cache does not grow with every change.
    const prefix = `${options.target.platform}-`;
    for (const entry of readdirSync(options.cacheDir)) if (entry.startsWith(prefix)) rmSync(join(options.cacheDir, entry), { force: true });
    copyFileSync(options.output, cacheSlot);
  }
  return { cached: false };
}
