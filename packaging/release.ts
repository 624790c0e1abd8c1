import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../core/base/repo-root';
import { bundleExecutables, type ExecutableName } from './bundle';
import { releaseDirectory, releaseLayout, terraformManifest, type ReleaseLayout } from './layout';
import { hostPlatform, nodeRuntime, PLATFORMS, type Platform } from './node-runtime';
import { thirdPartyNotices } from './notices';
import { buildSingleExecutable } from './sea';
import { packSdk, stageSdkPackage } from './sdk-package';
import { generateSigningKey, keyringSigningKey } from './signing';

/**
 * `make release`: dist/release/ with, for version V (schema.json's):
 *
 *   terraform-provider-vers_V_linux_amd64.zip, …_linux_arm64.zip   terraform-provider-vers_vV + notices
 *   terraform-provider-vers_V_SHA256SUMS                            the zips and the manifest
 *   terraform-provider-vers_V_SHA256SUMS.sig                        detached binary OpenPGP signature
 *   terraform-provider-vers_V_signing-key.asc                       its public key
 *   terraform-provider-vers_V_manifest.json                         protocol 6.0
 *   pulumi-resource-vers-vV-linux-amd64.tar.gz, …-linux-arm64       pulumi-resource-vers + notices
 *   hdr-vers-V.tgz                                                  the SDK's npm package
 *
 * Expects `make build` (the SDK package is staged from dist/). Work files and
 * caches (Node runtimes, finished executables) live in .build/.
 * VERS_RELEASE_GPG_KEY=<fingerprint> signs with that key of the user's
 * keyring instead of one generated for the build.
 */

function log(line: string): void {
  process.stdout.write(`release: ${line}\n`);
}

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, encoding: 'utf8', maxBuffer: 16 << 20 }, (error, _stdout, stderr) => {
      if (error === null) return resolve();
      const code = (error as NodeJS.ErrnoException).code;
      reject(new Error(code === 'ENOENT' ? `${command} is not installed (apt-get install ${command})` : `${command} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
    });
  });
}

/** Archive timestamps: SOURCE_DATE_EPOCH, else the commit's time, so the same tree gives the same archives. */
function sourceDateEpoch(): number {
  const fromEnv = Number(process.env.SOURCE_DATE_EPOCH);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  const git = spawnSync('git', ['log', '-1', '--format=%ct'], { cwd: repoRoot(), encoding: 'utf8' });
  const fromGit = Number(git.stdout.trim());
  // Zip cannot say anything before 1980.
  return git.status === 0 && Number.isInteger(fromGit) && fromGit > 0 ? fromGit : 315532800;
}

function sha256Of(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** A directory holding exactly `files` (name → writer), all with the same timestamp. */
async function archiveDirectory(dir: string, epoch: number, files: Record<string, (path: string) => Promise<void> | void>): Promise<string[]> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const names = Object.keys(files).sort();
  for (const name of names) {
    const path = join(dir, name);
    await (files[name] as (path: string) => Promise<void> | void)(path);
    utimesSync(path, epoch, epoch);
  }
  return names;
}

export interface ReleaseSummary {
  layout: ReleaseLayout;
  directory: string;
  files: string[];
  /** Seconds per step, for the record. */
  timings: Record<string, number>;
  /** Executables taken from the cache rather than injected again. */
  cachedExecutables: number;
}

export async function makeRelease(): Promise<ReleaseSummary> {
  const root = repoRoot();
  const layout = releaseLayout();
  const out = releaseDirectory();
  const work = join(root, '.build', 'release-work');
  const timings: Record<string, number> = {};
  let step = Date.now();
  const lap = (name: string): void => {
    timings[name] = (Date.now() - step) / 1000;
    step = Date.now();
  };
  const host = hostPlatform();
  if (host === undefined) throw new Error(`make release runs on linux x64 or arm64 (the blob is prepared by the pinned Node of this platform), not ${process.platform} ${process.arch}`);
  const epoch = sourceDateEpoch();

  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  log(`version ${layout.version} → ${out}`);

  const bundles = await bundleExecutables(join(work, 'bundle'));
  lap('bundle');
  const generator = nodeRuntime(host, log);
  const runtimes = Object.fromEntries(PLATFORMS.map((platform) => [platform, nodeRuntime(platform, log)])) as Record<Platform, ReturnType<typeof nodeRuntime>>;
  lap('node runtimes');

  const packages = [...bundles['terraform-provider-vers'].packageDirectories, ...bundles['pulumi-resource-vers'].packageDirectories];
  const notices = thirdPartyNotices(generator.license, generator.version, packages);
  let cachedExecutables = 0;
  const executable = async (name: ExecutableName, platform: Platform, output: string): Promise<void> => {
    const { cached } = await buildSingleExecutable({
      bundle: bundles[name].file,
      target: runtimes[platform],
      generator,
      output,
      workDir: join(work, 'sea', name, platform),
      cacheDir: join(root, '.build', 'sea-cache', name),
    });
    if (cached) cachedExecutables++;
    log(`${name} for ${platform}${cached ? ' (unchanged: from .build/sea-cache)' : ''}`);
  };
  const writeNotices = (path: string): void => writeFileSync(path, notices);

  // One platform per core: injecting and compressing 100+ MiB executables is most of the work.
  const archivePlatform = async (platform: Platform): Promise<void> => {
    const tfDir = join(work, 'terraform', platform);
    const tfFiles = await archiveDirectory(tfDir, epoch, {
      [layout.terraformExecutable]: (path) => executable('terraform-provider-vers', platform, path),
      [layout.notices]: writeNotices,
    });
    await run('zip', ['-X', '-q', join(out, layout.terraformZip(platform)), ...tfFiles], tfDir);

    const pulumiDir = join(work, 'pulumi', platform);
    const pulumiFiles = await archiveDirectory(pulumiDir, epoch, {
      [layout.pulumiExecutable]: (path) => executable('pulumi-resource-vers', platform, path),
      [layout.notices]: writeNotices,
    });
    const tar = join(work, 'pulumi', `${platform}.tar`);
    await run('tar', ['--create', '--file', tar, '--sort=name', `--mtime=@${epoch}`, '--owner=0', '--group=0', '--numeric-owner', '--format=gnu', ...pulumiFiles], pulumiDir);
    await run('gzip', ['-n', '-f', tar], join(work, 'pulumi'));
    renameSync(`${tar}.gz`, join(out, layout.pulumiTarball(platform)));
  };
  await Promise.all(PLATFORMS.map(archivePlatform));
  lap('executables and archives');

  writeFileSync(join(out, layout.manifest), `${JSON.stringify(terraformManifest(), null, 2)}\n`);
  const summed = [...PLATFORMS.map((platform) => layout.terraformZip(platform)), layout.manifest].sort();
  const sums = await Promise.all(summed.map(async (name) => `${await sha256Of(join(out, name))}  ${name}\n`));
  writeFileSync(join(out, layout.sha256sums), sums.join(''));
  const keyFingerprint = process.env.VERS_RELEASE_GPG_KEY;
  const key = keyFingerprint !== undefined && keyFingerprint !== '' ? keyringSigningKey(keyFingerprint) : generateSigningKey();
  try {
    key.sign(join(out, layout.sha256sums), join(out, layout.sha256sumsSignature));
    writeFileSync(join(out, layout.signingKey), key.publicKeyArmored);
    log(`signed ${layout.sha256sums} with key ${key.keyId}${keyFingerprint ? '' : ' (generated for this build, removed once it has signed)'}`);
  } finally {
    key.dispose();
  }
  lap('checksums and signature');

  // Kept in dist/sdk-package: the examples depend on it (file:../../dist/sdk-package).
  const stage = stageSdkPackage(join(root, 'dist'), join(root, 'dist', 'sdk-package'), layout.version);
  const packed = packSdk(stage, out);
  if (packed.filename !== layout.sdkTarball) throw new Error(`npm pack wrote ${packed.filename}, expected ${layout.sdkTarball}`);
  lap('sdk package');

  const files = [...PLATFORMS.flatMap((platform) => [layout.terraformZip(platform), layout.pulumiTarball(platform)]), layout.sha256sums, layout.sha256sumsSignature, layout.signingKey, layout.manifest, layout.sdkTarball].sort();
  return { layout, directory: out, files, timings, cachedExecutables };
}

if (require.main === module) {
  const started = Date.now();
  makeRelease()
    .then((summary) => {
      for (const file of summary.files) log(`wrote dist/release/${file}`);
      log(`took ${((Date.now() - started) / 1000).toFixed(1)} s (${Object.entries(summary.timings).map(([name, seconds]) => `${name} ${seconds.toFixed(1)} s`).join(', ')})`);
    })
    .catch((error: unknown) => {
      process.stderr.write(`release failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    });
}
