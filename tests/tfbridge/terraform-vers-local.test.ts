import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startVersLocal, type VersLocalProcess } from '../helpers/vers-local';
import { TerraformWorkspace, announceSkip, findTerraform, realProvider } from './harness/terraform-cli';

/**
 * terraform-provider-vers end to end: the real terraform CLI, the real
 * provider (bin/terraform-provider-vers through dev_overrides) and the real
 * core, against vers-local with sandboxed VMs and a real sshd. The golden
 * image pipeline: create → no-op plan → in-place updates (labels, an edited
 * source file) → import → replacement → destroy.
 */

const terraform = findTerraform();
const BUILD_ROOT = join(__dirname, '..', '..');
const suite = terraform === undefined ? describe.skip : describe;
if (terraform === undefined) announceSkip('tests/tfbridge/terraform-vers-local.test.ts');

interface StateInstance {
  attributes: Record<string, unknown>;
  sensitive_attributes: unknown[];
  status?: string;
}

interface StateFile {
  resources: Array<{ mode: string; type: string; name: string; instances: StateInstance[] }>;
}

function pipeline(options: { role: string; commitTrigger: string }): string {
  return `
terraform {
  required_providers {
    vers = { source = "hdr/vers" }
  }
}

provider "vers" {}

resource "vers_vm" "base" {
  labels = { role = "${options.role}" }
}

resource "vers_provision" "setup" {
  vm_id = vers_vm.base.id

  file {
    source      = "\${path.module}/bootstrap.txt"
    destination = "/etc/golden/bootstrap.txt"
  }
  file {
    content     = "inline\\n"
    destination = "/etc/golden/inline.txt"
    mode        = "0600"
  }

  commands = ["cat /etc/golden/bootstrap.txt /etc/golden/inline.txt > /root/golden.txt"]
}

resource "vers_vm_commit" "golden" {
  vm_id    = vers_vm.base.id
  name     = "golden"
  triggers = { provision = vers_provision.setup.id, extra = "${options.commitTrigger}" }
}

resource "vers_vm_restore" "worker" {
  commit_id = vers_vm_commit.golden.id
  labels    = { role = "worker" }
}

data "vers_commit" "golden" {
  commit_id = vers_vm_commit.golden.id
}

data "vers_vms" "workers" {
  labels     = { role = "worker" }
  depends_on = [vers_vm_restore.worker]
}

output "worker_count" {
  value = length(data.vers_vms.workers.vms)
}

output "commit_name" {
  value = data.vers_commit.golden.name
}
`;
}

suite('terraform with the Vers provider against vers-local', () => {
  let local: VersLocalProcess;
  let workspace: TerraformWorkspace;

  beforeAll(async () => {
    local = await startVersLocal();
    const provider = realProvider(BUILD_ROOT);
    workspace = new TerraformWorkspace({
      terraform: terraform as string,
      devOverrides: provider.devOverrides,
      env: {
        ...provider.env,
        VERS_BASE_URL: local.ready.base_url,
        VERS_API_KEY: local.ready.api_key,
        VERS_VM_DOMAIN: local.ready.vm_domain,
        VERS_SSH_GATEWAY: local.ready.ssh_gateway,
        VERS_CA_FILE: local.ready.tls_ca_file,
      },
    });
  });

  afterAll(async () => {
    workspace?.dispose();
    const report = await local?.stop();
    expect(report?.exitCode ?? 0).toBe(0);
  });

  function state(): StateFile {
    return JSON.parse(readFileSync(join(workspace.workDir, 'terraform.tfstate'), 'utf8')) as StateFile;
  }

  function instance(type: string, name: string, mode = 'managed'): StateInstance {
    const found = state().resources.find((resource) => resource.mode === mode && resource.type === type && resource.name === name);
    if (found === undefined || found.instances[0] === undefined) throw new Error(`${type}.${name} is not in the state`);
    return found.instances[0];
  }

  async function apply(): Promise<string> {
    const result = await workspace.run(['apply', '-auto-approve', '-no-color']);
    if (result.code !== 0) throw new Error(`terraform apply failed:\n${result.output}`);
    return result.output;
  }

  test('the golden pipeline: create, no-op plan, in-place updates, import, replacement and destroy', async () => {
    const bootstrap = join(workspace.workDir, 'bootstrap.txt');
    writeFileSync(bootstrap, 'first version\n');
    workspace.writeConfig(pipeline({ role: 'golden', commitTrigger: 'one' }));

    // Create.
    const created = await apply();
    expect(created).toContain('Apply complete! Resources: 4 added, 0 changed, 0 destroyed.');
    expect(created).toContain('worker_count = 1');
    expect(created).toContain('commit_name = "golden"');
    const base = instance('vers_vm', 'base');
    const baseId = String(base.attributes.id);
    expect(base.attributes).toMatchObject({
      state: 'running',
      desired_state: 'running',
      labels: { role: 'golden' },
      ssh_host: `${baseId}.${local.ready.vm_domain}`,
      ssh_port: Number(local.ready.ssh_gateway.split(':').pop()),
      vcpu_count: 1,
      mem_size_mib: 512,
    });
    expect(String(base.attributes.ssh_private_key)).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
    expect(base.sensitive_attributes).toContainEqual([{ type: 'get_attr', value: 'ssh_private_key' }]);
    const setup = instance('vers_provision', 'setup');
    expect(setup.attributes.file).toEqual([
      expect.objectContaining({ destination: '/etc/golden/bootstrap.txt', sha256: sha256('first version\n'), mode: '0644' }),
      expect.objectContaining({ destination: '/etc/golden/inline.txt', sha256: sha256('inline\n'), mode: '0600' }),
    ]);
    const commit = instance('vers_vm_commit', 'golden');
    const worker = instance('vers_vm_restore', 'worker');
    expect(worker.attributes).toMatchObject({ commit_id: commit.attributes.id, parent_commit_id: commit.attributes.id, state: 'running', labels: { role: 'worker' } });
    const workerId = String(worker.attributes.id);
    expect((await local.ssh(workerId, 'cat /root/golden.txt')).stdout).toBe('first version\ninline\n');

    // Nothing changed: refresh and plan agree with the state exactly.
    const noop = await workspace.run(['plan', '-no-color', '-detailed-exitcode']);
    expect(noop.output).toContain('No changes.');
    expect(noop.code).toBe(0);

    // In place: new labels, and an edited source file provisions the same VM again.
    writeFileSync(bootstrap, 'second version\n');
    workspace.writeConfig(pipeline({ role: 'golden-v2', commitTrigger: 'one' }));
    const updated = await apply();
    expect(updated).toContain('vers_vm.base will be updated in-place');
    expect(updated).toContain('vers_provision.setup will be updated in-place');
    expect(updated).not.toContain('must be replaced');
    expect(instance('vers_vm', 'base').attributes).toMatchObject({ id: baseId, labels: { role: 'golden-v2' } });
    expect((await local.ssh(baseId, 'cat /root/golden.txt')).stdout).toBe('second version\ninline\n');

    // Import the commit under a second address, then forget it again.
    workspace.writeConfig(`${pipeline({ role: 'golden-v2', commitTrigger: 'one' })}\nresource "vers_vm_commit" "adopted" {\n  vm_id = vers_vm.base.id\n  name  = "golden"\n}\n`);
    const imported = await workspace.run(['import', '-no-color', 'vers_vm_commit.adopted', String(commit.attributes.id)]);
    expect(imported.output).toContain('Import successful!');
    expect(instance('vers_vm_commit', 'adopted').attributes).toMatchObject({ id: commit.attributes.id, name: 'golden', vm_id: baseId });
    expect((await workspace.run(['state', 'rm', 'vers_vm_commit.adopted'])).code).toBe(0);

    // Replacement: a new trigger takes a new commit, and the worker restored from it follows.
    workspace.writeConfig(pipeline({ role: 'golden-v2', commitTrigger: 'two' }));
    const replaced = await apply();
    expect(replaced).toMatch(/vers_vm_commit\.golden must be replaced/);
    expect(replaced).toMatch(/vers_vm_restore\.worker must be replaced/);
    expect(replaced).toContain('Apply complete! Resources: 2 added, 0 changed, 2 destroyed.');
    expect(instance('vers_vm_commit', 'golden').attributes.id).not.toBe(commit.attributes.id);
    expect(instance('vers_vm_restore', 'worker').attributes.id).not.toBe(workerId);

    // Destroy leaves no VM behind.
    const destroyed = await workspace.run(['destroy', '-auto-approve', '-no-color']);
    expect(destroyed.output).toContain('Destroy complete! Resources: 4 destroyed.');
    expect((await local.api('GET', '/vms')).json()).toEqual([]);
  });
});

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
