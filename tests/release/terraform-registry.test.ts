import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import { delimiter, join } from 'node:path';
import { makeTestPki, type TestPki } from '../helpers/test-pki';
import { announceSkip, findTerraform } from '../tfbridge/harness/terraform-cli';
import { startRegistryServer, type RegistryServer } from './registry-server';
import { TempDirs, parseSha256Sums, pathWithOnlyTerraform, releaseArtifacts, releasedPlatforms, runWithEnv, sha256Hex, terraformH1, unzip, type CommandResult } from './harness';

/**
 * A user's install from a registry: a private registry (registry-server.ts)
 * speaking the provider registry protocol over HTTPS, under a host name
 * that resolves to a loopback address only inside a mount namespace with
 * its own /etc/hosts (`unshare --mount`, a bind mount that ends with the
 * namespace; the machine's /etc/hosts is never touched), its certificate
 * from a CA of this test that terraform trusts through SSL_CERT_FILE.
 * terraform (PATH: terraform only) must find the provider through service
 * discovery, verify the zip against SHA256SUMS and SHA256SUMS against its
 * GPG signature and the registry's key, and refuse a tampered zip and a
 * tampered signature with its own errors.
 */

const terraform = findTerraform();
const suite = terraform === undefined ? describe.skip : describe;
if (terraform === undefined) announceSkip('tests/release/terraform-registry.test.ts');

const HOSTNAME = 'registry.vers.test';

function which(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  throw new Error(`${name} is not on PATH (util-linux)`);
}

/** Long key id of the exported public key, as gpg reads it (no keyring, no agent). */
function keyIdOf(armoredKeyFile: string, temp: TempDirs): string {
  const home = temp.make('vers-gpg-show-');
  const listing = execFileSync('gpg', ['--homedir', home, '--batch', '--with-colons', '--show-keys', armoredKeyFile], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  spawnSync('gpgconf', ['--homedir', home, '--kill', 'all'], { stdio: 'ignore' });
  const pub = listing.split('\n').find((line) => line.startsWith('pub:'));
  const keyId = pub?.split(':')[4];
  if (keyId === undefined || !/^[0-9A-F]{16}$/.test(keyId)) throw new Error(`no key id in ${armoredKeyFile}:\n${listing}`);
  return keyId;
}

suite('terraform installs registry.vers.test/hdr/vers from a registry over HTTPS, verifying the GPG signature', () => {
  const release = releaseArtifacts();
  const { layout } = release;
  const temp = new TempDirs();
  const unshare = which('unshare');
  const mount = which('mount');
  const shell = which('sh');
  // A loopback address of its own: port 443 there is free whatever else listens on 127.0.0.1.
  const address = `127.${randomInt(1, 255)}.${randomInt(1, 255)}.${randomInt(2, 255)}`;
  let pki: TestPki;
  let registry: RegistryServer;
  let filesDir: string;
  let hostsFile: string;
  let pathDir: string;
  let keyId: string;

  const resetFiles = (): void => {
    for (const name of [...releasedPlatforms().map((platform) => layout.terraformZip(platform)), layout.sha256sums, layout.sha256sumsSignature, layout.manifest]) {
      copyFileSync(release.path(name), join(filesDir, name));
    }
  };

  /** `terraform ARGS` in a new workspace, inside a mount namespace whose /etc/hosts names the registry. */
  async function terraformInit(name: string): Promise<CommandResult & { work: string }> {
    const home = temp.make(`vers-registry-${name}-`);
    const work = join(home, 'work');
    mkdirSync(work);
    writeFileSync(
      join(work, 'main.tf'),
      `terraform {\n  required_providers {\n    vers = {\n      source  = "${HOSTNAME}/hdr/vers"\n      version = "${layout.version}"\n    }\n  }\n}\n\nprovider "vers" {}\n`,
    );
    const env = {
      HOME: home,
      PATH: pathDir,
      SSL_CERT_FILE: pki.caFile,
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      CHECKPOINT_DISABLE: '1',
    };
    // The bind mount exists only in this namespace and ends with it (with terraform).
    const result = await runWithEnv(unshare, ['--mount', '--propagation', 'private', shell, '-c', `${mount} --bind "$1" /etc/hosts && shift && exec "$@"`, 'sh', hostsFile, terraform as string, 'init', '-no-color'], {
      cwd: work,
      env,
    });
    // Terraform wraps its messages at 78 columns.
    return { ...result, output: result.output.replace(/\s+/g, ' '), work };
  }

  beforeAll(async () => {
    pki = makeTestPki([HOSTNAME]);
    filesDir = temp.make('vers-registry-files-');
    resetFiles();
    hostsFile = join(temp.make('vers-registry-hosts-'), 'hosts');
    writeFileSync(hostsFile, `127.0.0.1 localhost\n${address} ${HOSTNAME}\n`);
    pathDir = pathWithOnlyTerraform(terraform as string, temp);
    keyId = keyIdOf(release.path(layout.signingKey), temp);
    registry = await startRegistryServer({
      hostname: HOSTNAME,
      address,
      port: 443,
      tls: { certPem: pki.certPem, keyPem: pki.keyPem },
      filesDir,
      layout,
      platforms: releasedPlatforms(),
      signingKey: { keyId, asciiArmor: readFileSync(release.path(layout.signingKey), 'utf8') },
    });
  });

  afterEach(() => {
    resetFiles();
    registry.requests.length = 0;
  });

  afterAll(async () => {
    await registry?.close();
    pki?.cleanup();
    temp.cleanup();
  });

  test('the machine itself does not resolve the registry: only the namespace’s /etc/hosts does', () => {
    expect(readFileSync('/etc/hosts', 'utf8')).not.toContain(HOSTNAME);
  });

  test('terraform init discovers the registry, downloads the zip, checks it against the signed SHA256SUMS and locks every platform’s zh: hash', async () => {
    const init = await terraformInit('ok');
    expect(init.output).toContain(`- Installing ${HOSTNAME}/hdr/vers v${layout.version}...`);
    // Terraform names the key it verified the signature with.
    expect(init.output).toContain(`- Installed ${HOSTNAME}/hdr/vers v${layout.version} (self-signed, key ID ${keyId})`);
    expect(init.code).toBe(0);
    expect(registry.requests).toEqual(
      expect.arrayContaining([
        '/.well-known/terraform.json',
        '/v1/providers/hdr/vers/versions',
        `/v1/providers/hdr/vers/${layout.version}/download/linux/amd64`,
        `/files/${layout.sha256sums}`,
        `/files/${layout.sha256sumsSignature}`,
        `/files/${layout.terraformZip('linux_amd64')}`,
      ]),
    );
    const lock = readFileSync(join(init.work, '.terraform.lock.hcl'), 'utf8');
    expect(lock).toContain(`provider "${HOSTNAME}/hdr/vers"`);
    const sums = parseSha256Sums(readFileSync(release.path(layout.sha256sums), 'utf8'));
    for (const platform of releasedPlatforms()) {
      const zip = layout.terraformZip(platform);
      expect(sums.get(zip)).toBe(sha256Hex(release.path(zip)));
      expect(lock).toContain(`"zh:${sums.get(zip)}"`);
    }
    expect(lock).toContain(`"${terraformH1(unzip(release.path(layout.terraformZip('linux_amd64')), temp.make('vers-registry-h1-')))}"`);
    expect(existsSync(join(init.work, '.terraform', 'providers', HOSTNAME, 'hdr', 'vers', layout.version, 'linux_amd64', layout.terraformExecutable))).toBe(true);
  });

  function tamperZip(): void {
    const zip = join(filesDir, layout.terraformZip('linux_amd64'));
    const bytes = readFileSync(zip);
    // A byte inside the executable's compressed data: still a zip, not the one that was signed.
    const at = Math.floor(bytes.length / 2);
    bytes[at] = (bytes[at] as number) ^ 0xff;
    writeFileSync(zip, bytes);
  }

  function notInstalled(work: string): boolean {
    return !existsSync(join(work, '.terraform', 'providers', HOSTNAME, 'hdr', 'vers', layout.version));
  }

  test('a tampered zip fails init: its checksum is not the one the registry and SHA256SUMS state', async () => {
    tamperZip();
    const init = await terraformInit('tampered-zip');
    expect(init.code).toBe(1);
    expect(init.output).toContain(`Error: Failed to install provider`);
    const published = parseSha256Sums(readFileSync(release.path(layout.sha256sums), 'utf8')).get(layout.terraformZip('linux_amd64'));
    const served = sha256Hex(join(filesDir, layout.terraformZip('linux_amd64')));
    expect(init.output).toContain(`Error while installing ${HOSTNAME}/hdr/vers v${layout.version}: archive has incorrect checksum zh:${served} (expected zh:${published})`);
    expect(notInstalled(init.work)).toBe(true);
  });

  test('a tampered zip served with SHA256SUMS and a checksum made to match fails init: the signature does not verify', async () => {
    tamperZip();
    const zipName = layout.terraformZip('linux_amd64');
    const sumsFile = join(filesDir, layout.sha256sums);
    const forged = readFileSync(sumsFile, 'utf8').replace(new RegExp(`^[0-9a-f]{64}(  ${zipName.replace(/\./g, '\\.')})$`, 'm'), `${sha256Hex(join(filesDir, zipName))}$1`);
    expect(forged).not.toBe(readFileSync(sumsFile, 'utf8'));
    writeFileSync(sumsFile, forged);
    const init = await terraformInit('forged-sums');
    expect(init.code).toBe(1);
    expect(init.output).toContain('Error: Failed to install provider');
    expect(init.output).toContain(`Error while installing ${HOSTNAME}/hdr/vers v${layout.version}: error checking signature: openpgp: invalid signature`);
    expect(notInstalled(init.work)).toBe(true);
  });

  test('a tampered signature fails init', async () => {
    const signatureFile = join(filesDir, layout.sha256sumsSignature);
    const signature = readFileSync(signatureFile);
    // The last byte is inside the signature's MPI: the packet still parses, the signature no longer holds.
    signature[signature.length - 1] = (signature[signature.length - 1] as number) ^ 0x01;
    writeFileSync(signatureFile, signature);
    const init = await terraformInit('tampered-signature');
    expect(init.code).toBe(1);
    expect(init.output).toContain('Error: Failed to install provider');
    expect(init.output).toContain(`Error while installing ${HOSTNAME}/hdr/vers v${layout.version}: error checking signature: openpgp: invalid signature`);
    expect(notInstalled(init.work)).toBe(true);
  });
});
