import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_RUNTIME_VERSION } from '../../packaging/node-runtime';
import { startVersLocal, type VersLocalProcess } from '../helpers/vers-local';
import { announceSkip, findTerraform } from '../tfbridge/harness/terraform-cli';
import { TempDirs, pathWithOnlyTerraform, releaseArtifacts, releasedPlatforms, runWithEnv, terraformH1, unzip, type CommandResult } from './harness';

/**
 * A user's install from a filesystem mirror: the release zips in the packed
 * mirror layout, a CLI configuration with `filesystem_mirror` (no
 * dev_overrides), and a shell whose PATH holds terraform and nothing else
 * (no node). `terraform init` installs hdr/vers and locks its hash; then a
 * VM and a provisioning run are applied against vers-local (which runs on
 * this machine's node, outside that PATH) and destroyed.
 */

const terraform = findTerraform();
const suite = terraform === undefined ? describe.skip : describe;
if (terraform === undefined) announceSkip('tests/release/terraform-mirror.test.ts');

const CONFIG = (version: string): string => `
terraform {
  required_providers {
    vers = {
      source  = "hdr/vers"
      version = "${version}"
    }
  }
}

provider "vers" {}

resource "vers_vm" "box" {
  labels = { installed = "filesystem-mirror" }
}

resource "vers_provision" "setup" {
  vm_id = vers_vm.box.id
  file {
    content     = "installed from a mirror\\n"
    destination = "/opt/release/hello.txt"
  }
  commands = ["echo \\"ran: $(cat /opt/release/hello.txt)\\" > /opt/release/ran.txt"]
}

output "vm_id" {
  value = vers_vm.box.id
}
`;

suite('terraform installs hdr/vers from a filesystem mirror, with no node on PATH', () => {
  const release = releaseArtifacts();
  const { layout } = release;
  const temp = new TempDirs();
  let local: VersLocalProcess;
  let home: string;
  let work: string;
  let env: Record<string, string>;

  const tf = (args: string[]): Promise<CommandResult> => runWithEnv(terraform as string, [...args, '-no-color'], { cwd: work, env });
  const tfOk = async (args: string[]): Promise<string> => {
    const result = await tf(args);
    if (result.code !== 0) throw new Error(`terraform ${args.join(' ')} exited ${result.code}:\n${result.output}`);
    return result.output;
  };

  beforeAll(async () => {
    local = await startVersLocal();
    home = temp.make('vers-mirror-home-');
    const mirror = join(home, 'mirror');
    const packed = join(mirror, 'registry.terraform.io', 'hdr', 'vers');
    mkdirSync(packed, { recursive: true });
    for (const platform of releasedPlatforms()) copyFileSync(release.path(layout.terraformZip(platform)), join(packed, layout.terraformZip(platform)));
    writeFileSync(
      join(home, 'terraform.rc'),
      `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(mirror)}\n    include = ["registry.terraform.io/hdr/vers"]\n  }\n}\n`,
    );
    work = join(home, 'work');
    mkdirSync(work);
    writeFileSync(join(work, 'main.tf'), CONFIG(layout.version));
    // Exactly this environment: nothing inherited from the test process (its PATH has node).
    env = {
      HOME: home,
      PATH: pathWithOnlyTerraform(terraform as string, temp),
      TF_CLI_CONFIG_FILE: join(home, 'terraform.rc'),
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      CHECKPOINT_DISABLE: '1',
      TF_LOG: 'DEBUG',
      TF_LOG_PATH: join(home, 'terraform.log'),
      VERS_API_KEY: local.ready.api_key,
      VERS_BASE_URL: local.ready.base_url,
      VERS_VM_DOMAIN: local.ready.vm_domain,
      VERS_SSH_GATEWAY: local.ready.ssh_gateway,
      VERS_CA_FILE: local.ready.tls_ca_file,
    };
  });

  afterAll(async () => {
    await local?.stop();
    temp.cleanup();
  });

  test('terraform init installs hdr/vers from the mirror and locks the hash of our package, for both platforms', async () => {
    const init = await tfOk(['init']);
    expect(init).toContain(`- Installing hdr/vers v${layout.version}...`);
    expect(init).toContain(`- Installed hdr/vers v${layout.version} (unauthenticated)`);
    // A mirror is trusted as it is: Terraform computes the package's h1: hash from what it unpacked.
    // (zh: hashes come from a registry's signed SHA256SUMS: terraform-registry.test.ts.)
    const h1 = Object.fromEntries(
      releasedPlatforms().map((platform) => [platform, terraformH1(unzip(release.path(layout.terraformZip(platform)), temp.make(`vers-h1-${platform}-`)))]),
    ) as Record<string, string>;
    const lockAfterInit = readFileSync(join(work, '.terraform.lock.hcl'), 'utf8');
    expect(lockAfterInit).toContain('provider "registry.terraform.io/hdr/vers"');
    expect(lockAfterInit).toContain(`version     = "${layout.version}"`);
    expect(lockAfterInit).toContain(`"${h1.linux_amd64}"`);

    // What a team does next (init's own advice): lock every platform it runs on, from the same mirror.
    const mirror = join(home, 'mirror');
    await tfOk(['providers', 'lock', `-fs-mirror=${mirror}`, ...releasedPlatforms().map((platform) => `-platform=${platform}`)]);
    const lock = readFileSync(join(work, '.terraform.lock.hcl'), 'utf8');
    for (const platform of releasedPlatforms()) expect(lock).toContain(`"${h1[platform]}"`);

    const version = await tfOk(['version']);
    expect(version).toContain(`+ provider registry.terraform.io/hdr/vers v${layout.version}`);
  });

  test('apply makes a VM and provisions it over SSH with the installed executable; destroy removes it', async () => {
    const applied = await tfOk(['apply', '-auto-approve']);
    expect(applied).toMatch(/Apply complete! Resources: 2 added, 0 changed, 0 destroyed\./);
    const outputs = JSON.parse((await tfOk(['output', '-json'])).replace(/^[^{]*/, '')) as { vm_id: { value: string } };
    const vmId = outputs.vm_id.value;
    const ran = await local.ssh(vmId, 'cat /opt/release/ran.txt');
    expect(ran.stdout).toBe('ran: installed from a mirror\n');

    // The provider Terraform started is the release executable, on the pinned Node.
    const log = readFileSync(env.TF_LOG_PATH as string, 'utf8');
    expect(log).toContain(`.terraform/providers/registry.terraform.io/hdr/vers/${layout.version}/linux_amd64/${layout.terraformExecutable}`);
    expect(log).toContain(`terraform-provider-vers ${layout.version} (node v${NODE_RUNTIME_VERSION}) configured for Terraform`);

    const destroyed = await tfOk(['destroy', '-auto-approve']);
    expect(destroyed).toMatch(/Destroy complete! Resources: 2 destroyed\./);
    expect((await local.api('GET', `/vm/${vmId}/status`)).status).toBe(404);
  });
});
