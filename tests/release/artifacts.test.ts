import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../core/base/repo-root';
import { loadPackageSchema } from '../../core/schema/package-schema';
import { SDK_PACKAGE_NAME, terraformManifest } from '../../packaging/layout';
import { NODE_RUNTIME_VERSION, NODE_RUNTIMES } from '../../packaging/node-runtime';
import { SEA_RESOURCE_NAME, SEA_SENTINEL_FUSE } from '../../packaging/sea';
import { packSdk, stageSdkPackage, type SdkManifest } from '../../packaging/sdk-package';
import { getVersion } from '../../sdk/nodejs/utilities';
import { TempDirs, elfFacts, fileContains, isExecutableFile, parseSha256Sums, releaseArtifacts, releasedPlatforms, sha256Hex, untar, unzip, zipEntries } from './harness';

/**
 * What `make release` wrote, checked without running anything: the exact
 * layout of dist/release, checksums and their signature (verified with
 * gpgv against the exported key), the executables inside each archive
 * (ELF machine per platform, the injected SEA blob with our bundle, the
 * pinned Node), and the SDK package's contents. The amd64 executables are
 * also run, by the other release suites; the arm64 ones cannot run here.
 */

const release = releaseArtifacts();
const { layout } = release;
const version = loadPackageSchema().version;
const temp = new TempDirs();
afterAll(() => temp.cleanup());

test('dist/release holds exactly the Terraform, Pulumi and npm artifacts of schema.json’s version', () => {
  expect(layout.version).toBe(version);
  expect(readdirSync(release.dir).sort()).toEqual(
    [
      `terraform-provider-vers_${version}_linux_amd64.zip`,
      `terraform-provider-vers_${version}_linux_arm64.zip`,
      `terraform-provider-vers_${version}_SHA256SUMS`,
      `terraform-provider-vers_${version}_SHA256SUMS.sig`,
      `terraform-provider-vers_${version}_signing-key.asc`,
      `terraform-provider-vers_${version}_manifest.json`,
      `pulumi-resource-vers-v${version}-linux-amd64.tar.gz`,
      `pulumi-resource-vers-v${version}-linux-arm64.tar.gz`,
      `hdr-vers-${version}.tgz`,
    ].sort(),
  );
});

test('the manifest says plugin protocol 6.0', () => {
  expect(JSON.parse(readFileSync(release.path(layout.manifest), 'utf8'))).toEqual({ version: 1, metadata: { protocol_versions: ['6.0'] } });
  expect(terraformManifest().metadata.protocol_versions).toEqual(['6.0']);
});

test('SHA256SUMS lists every zip and the manifest with their real hashes, and its detached binary signature verifies with the exported key only', () => {
  const sums = parseSha256Sums(readFileSync(release.path(layout.sha256sums), 'utf8'));
  const summed = [...releasedPlatforms().map((platform) => layout.terraformZip(platform)), layout.manifest].sort();
  expect([...sums.keys()].sort()).toEqual(summed);
  for (const name of summed) expect(sums.get(name)).toBe(sha256Hex(release.path(name)));

  const signature = readFileSync(release.path(layout.sha256sumsSignature));
  // Binary OpenPGP (a signature packet, old or new format), not ASCII armor.
  expect([0x88, 0x89, 0x8a, 0xc2]).toContain(signature[0]);
  const home = temp.make('vers-gpgv-');
  const keyring = join(home, 'release-key.gpg');
  execFileSync('gpg', ['--homedir', home, '--batch', '--dearmor', '--output', keyring, release.path(layout.signingKey)]);
  // gpgv checks a signature against a keyring file: no keyring database, no agent.
  const verified = spawnSync('gpgv', ['--homedir', home, '--keyring', keyring, release.path(layout.sha256sumsSignature), release.path(layout.sha256sums)], { encoding: 'utf8' });
  expect(verified.stderr).toMatch(/Good signature/);
  expect(verified.status).toBe(0);

  const tampered = join(home, layout.sha256sums);
  writeFileSync(tampered, readFileSync(release.path(layout.sha256sums), 'utf8').replace(/^./, (first) => (first === '0' ? '1' : '0')));
  const refused = spawnSync('gpgv', ['--homedir', home, '--keyring', keyring, release.path(layout.sha256sumsSignature), tampered], { encoding: 'utf8' });
  expect(refused.stderr).toMatch(/BAD signature/);
  expect(refused.status).not.toBe(0);
});

describe.each(releasedPlatforms())('%s executables', (platform) => {
  const runtime = NODE_RUNTIMES[platform];

  function checkExecutable(file: string, bundleName: string): void {
    expect(isExecutableFile(file)).toBe(true);
    const elf = elfFacts(file);
    expect(elf.elf64le).toBe(true);
    expect(elf.machine).toBe(runtime.elfMachine);
    const blobs = elf.notes.filter((note) => note.name === SEA_RESOURCE_NAME);
    expect(blobs).toHaveLength(1);
    // The blob carries our bundle's text (its banner names it).
    expect(blobs[0]?.desc.includes(Buffer.from(`// ${bundleName}: bundled by packaging/bundle.ts`))).toBe(true);
    // postject flipped Node's fuse: at start Node looks for the blob.
    expect(fileContains(file, `${SEA_SENTINEL_FUSE}:1`)).toBe(true);
    expect(fileContains(file, `v${NODE_RUNTIME_VERSION}`)).toBe(true);
  }

  test(`the Terraform zip holds ${layout.terraformExecutable} (a single executable of the pinned Node for ${platform}) and the third-party notices`, () => {
    const zip = release.path(layout.terraformZip(platform));
    const entries = zipEntries(zip);
    expect(entries.map((entry) => entry.name).sort()).toEqual([layout.notices, layout.terraformExecutable].sort());
    expect(entries.find((entry) => entry.name === layout.terraformExecutable)?.mode).toBe('-rwxr-xr-x');
    const dir = unzip(zip, temp.make(`vers-zip-${platform}-`));
    checkExecutable(join(dir, layout.terraformExecutable), 'terraform-provider-vers');
    const notices = readFileSync(join(dir, layout.notices), 'utf8');
    expect(notices).toContain(`Node.js ${NODE_RUNTIME_VERSION}`);
    for (const bundled of ['ssh2', 'got', 'ajv']) expect(notices).toMatch(new RegExp(`^${bundled} \\d+\\.\\d+\\.\\d+$`, 'm'));
  });

  test('the Pulumi plugin tarball holds pulumi-resource-vers at its root', () => {
    const tarball = release.path(layout.pulumiTarball(platform));
    const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n').sort();
    expect(listing).toEqual([layout.notices, layout.pulumiExecutable].sort());
    const dir = untar(tarball, temp.make(`vers-plugin-${platform}-`));
    checkExecutable(join(dir, layout.pulumiExecutable), 'pulumi-resource-vers');
  });
});

describe('the SDK package', () => {
  const rootManifest = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

  function checkFileList(paths: string[]): void {
    expect(paths).toEqual(expect.arrayContaining(['package.json', 'README.md', 'schema.json', 'sdk/nodejs/index.js', 'sdk/nodejs/index.d.ts', 'sdk/nodejs/dynamic/run-lifecycle.js', 'core/facade.js']));
    for (const path of paths) {
      expect(path).toMatch(/^(package\.json|README\.md|schema\.json|sdk\/nodejs\/.+\.(js|d\.ts)|core\/.+\.js)$/);
      expect(path).not.toMatch(/(^|\/)(tests?|bench|emulator|examples|bridges|codegen|packaging)\/|\.test\.|\.map$/);
    }
  }

  test('holds only the compiled SDK, the compiled core the dynamic resources run, and schema.json (npm pack --dry-run of the staged package, and the tarball)', () => {
    const stage = stageSdkPackage(join(repoRoot(), 'dist'), join(temp.make('vers-sdk-stage-'), 'package'), version);
    const dryRun = packSdk(stage, temp.make('vers-sdk-dry-'), { dryRun: true });
    expect(dryRun.filename).toBe(layout.sdkTarball);
    const planned = dryRun.files.map((file) => file.path).sort();
    checkFileList(planned);
    const inTarball = execFileSync('tar', ['-tzf', release.path(layout.sdkTarball)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((path) => path.replace(/^package\//, ''))
      .sort();
    expect(inTarball).toEqual(planned);
  });

  test('package.json: @hdr/vers at the release version, @pulumi/pulumi a peer, the core’s dependencies at the versions the tests ran', () => {
    const dir = untar(release.path(layout.sdkTarball), temp.make('vers-sdk-tgz-'));
    const manifest = JSON.parse(readFileSync(join(dir, 'package', 'package.json'), 'utf8')) as SdkManifest & { private?: boolean };
    expect(manifest.name).toBe(SDK_PACKAGE_NAME);
    expect(manifest.version).toBe(version);
    expect(manifest.private).toBeUndefined();
    expect(manifest.pulumi).toEqual({ resource: true, name: 'vers', version });
    expect(Object.keys(manifest.peerDependencies)).toEqual(['@pulumi/pulumi']);
    expect(manifest.dependencies['@pulumi/pulumi']).toBeUndefined();
    for (const [name, range] of Object.entries(manifest.dependencies)) expect(range).toBe(rootManifest.dependencies[name]);
    expect(manifest.main).toBe('sdk/nodejs/index.js');
    expect(readFileSync(join(dir, 'package', 'schema.json'), 'utf8')).toBe(readFileSync(join(repoRoot(), 'schema.json'), 'utf8'));
  });
});

test('one version: schema.json’s is the SDK’s getVersion, has a CHANGELOG entry, and no other file states one', () => {
  expect(getVersion()).toBe(version);
  const changelog = readFileSync(join(repoRoot(), 'CHANGELOG.md'), 'utf8');
  expect(changelog).toMatch(new RegExp(`^## \\[${version.replace(/\./g, '\\.')}\\] - \\d{4}-\\d{2}-\\d{2}$`, 'm'));
  const root = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as Record<string, unknown>;
  const sdk = JSON.parse(readFileSync(join(repoRoot(), 'sdk', 'nodejs', 'package.json'), 'utf8')) as Record<string, unknown>;
  // Stamped at release time, never kept by hand beside schema.json.
  for (const manifest of [root, sdk]) {
    expect(manifest.version).toBeUndefined();
    expect((manifest.pulumi as { version?: string } | undefined)?.version).toBeUndefined();
  }
});
