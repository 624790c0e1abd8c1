import { createHash, randomUUID } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../core/base/repo-root';
import { announceSkip, findTerraform, type TerraformWorkspace } from './harness/terraform-cli';
import { apply, destroy, plan, readState, stateInstance, useVersLocalForTerraform, vmIds } from './harness/vers-local-terraform';

/**
 * Taking over a state an older version wrote: the earlier Go provider
 * (hdresearch/vers-tf) and this provider before `ssh_host_key` existed both
 * wrote schema version 0 without it. Terraform upgrades such a state through
 * UpgradeResourceState; every attribute the current schema has is filled, so
 * an unchanged configuration plans empty and a change applies without
 * "Provider produced inconsistent result after apply … ssh_host_key: was
 * null". The states are written by hand here, as those versions wrote them,
 * for VMs and commits made through the API.
 */

const terraform = findTerraform();
const BUILD_ROOT = join(__dirname, '..', '..');
const suite = terraform === undefined ? describe.skip : describe;
if (terraform === undefined) announceSkip('tests/tfbridge/state-upgrade.test.ts');

const PROVIDER_ADDRESS = 'provider["registry.terraform.io/hdr/vers"]';
const TEST_MS = 600_000;

interface HandWrittenInstance {
  type: string;
  name: string;
  attributes: Record<string, unknown>;
  indexKey?: number;
}

/** terraform.tfstate (format 4) with every instance at schema version 0. */
function writeOldState(workspace: TerraformWorkspace, instances: HandWrittenInstance[]): void {
  const resources = new Map<string, { mode: string; type: string; name: string; provider: string; each?: string; instances: unknown[] }>();
  for (const instance of instances) {
    const key = `${instance.type}.${instance.name}`;
    const resource = resources.get(key) ?? { mode: 'managed', type: instance.type, name: instance.name, provider: PROVIDER_ADDRESS, ...(instance.indexKey === undefined ? {} : { each: 'list' }), instances: [] };
    resource.instances.push({ ...(instance.indexKey === undefined ? {} : { index_key: instance.indexKey }), schema_version: 0, attributes: instance.attributes, sensitive_attributes: [] });
    resources.set(key, resource);
  }
  const state = { version: 4, terraform_version: '1.5.7', serial: 3, lineage: randomUUID(), outputs: {}, resources: [...resources.values()], check_results: null };
  writeFileSync(join(workspace.workDir, 'terraform.tfstate'), `${JSON.stringify(state, null, 2)}\n`);
}

function sha256Of(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

suite('states written by older versions are upgraded: no inconsistent result, and an unchanged configuration plans empty', () => {
  const fixture = useVersLocalForTerraform(terraform as string, BUILD_ROOT);

  /** A root VM made through the API, with what its state records. */
  async function apiVm(vmConfig: Record<string, unknown>): Promise<{ id: string; createdAt: string; ip: string; privateKey: string }> {
    const made = await fixture.local.api('POST', '/vm/new_root?wait_boot=true', { json: { vm_config: vmConfig } });
    expect(made.status).toBe(201);
    const id = made.json<{ vm_id: string }>().vm_id;
    const metadata = (await fixture.local.api('GET', `/vm/${id}/metadata`)).json<{ created_at: string; ip: string }>();
    const privateKey = (await fixture.local.api('GET', `/vm/${id}/ssh_key`)).json<{ ssh_private_key: string }>().ssh_private_key;
    return { id, createdAt: metadata.created_at, ip: metadata.ip, privateKey };
  }

  function expectConsistent(output: string): void {
    expect(output).not.toContain('inconsistent result');
    expect(output).not.toContain('Error');
  }

  test('this provider\'s own version-0 state without ssh_host_key: empty plan, then a change provisions again and records the host key', async () => {
    const workspace = fixture.workspace();
    writeFileSync(join(workspace.workDir, 'setup.sh'), 'echo v1 > /root/setup-version\n');
    const config = (commands: string[]): string => `
terraform {
  required_providers {
    vers = { source = "hdr/vers" }
  }
}

resource "vers_vm" "box" {
  labels = { role = "upgrade" }
}

resource "vers_provision" "setup" {
  vm_id = vers_vm.box.id
  file {
    source      = "setup.sh"
    destination = "/root/setup.sh"
  }
  commands = ${JSON.stringify(commands)}
}
`;
    workspace.writeConfig(config(['bash /root/setup.sh']));
    const vm = await apiVm({ labels: { role: 'upgrade' } });
    const port = Number(fixture.local.ready.ssh_gateway.split(':').pop());
    writeOldState(workspace, [
      {
        type: 'vers_vm',
        name: 'box',
        attributes: {
          id: vm.id, vcpu_count: 1, mem_size_mib: 512, fs_size_mib: 1024, image_name: 'default', labels: { role: 'upgrade' }, from_commit: null, wait_boot: true,
          desired_state: 'running', state: 'running', ssh_host: `${vm.id}.${fixture.local.ready.vm_domain}`, ssh_port: port, ssh_private_key: vm.privateKey,
          ip: vm.ip, created_at: vm.createdAt, parent_commit_id: '',
        },
      },
      {
        // No ssh_host_key: the attribute did not exist yet.
        type: 'vers_provision',
        name: 'setup',
        attributes: {
          id: randomUUID(), vm_id: vm.id, file: [{ source: 'setup.sh', content: null, destination: '/root/setup.sh', mode: '0644', sha256: sha256Of(join(workspace.workDir, 'setup.sh')) }],
          commands: ['bash /root/setup.sh'], triggers: {}, environment: {}, timeout: '10m',
        },
      },
    ]);

    const first = await plan(workspace);
    expectConsistent(first.output);
    expect(first.output).toContain('No changes.');
    expect(first.code).toBe(0);
    // An apply with nothing to change writes the upgraded state: version 1, the host key not recorded yet.
    expectConsistent(await apply(workspace));
    expect(readState(workspace).resources.flatMap((resource) => resource.instances.map((instance) => instance.schema_version))).toEqual([1, 1]);
    expect(stateInstance(workspace, 'vers_provision.setup').attributes.ssh_host_key).toBe('');

    writeFileSync(join(workspace.workDir, 'setup.sh'), 'echo v2 > /root/setup-version\n');
    workspace.writeConfig(config(['bash /root/setup.sh', 'touch /root/ran-again']));
    const changed = await apply(workspace);
    expectConsistent(changed);
    expect(changed).toMatch(/Apply complete! Resources: [01] added, [01] changed, [01] destroyed\./);
    expect(stateInstance(workspace, 'vers_provision.setup').attributes.ssh_host_key).toMatch(/^SHA256:/);
    expect(await fixture.sshOk(vm.id, 'cat /root/setup-version; ls /root/ran-again')).toBe('v2\n/root/ran-again\n');
    const settled = await plan(workspace);
    expect(settled.code).toBe(0);

    expect(await destroy(workspace)).toContain('Destroy complete! Resources: 2 destroyed.');
    expect(await vmIds(fixture.local)).toEqual([]);
  }, TEST_MS);

  test('a state of the earlier provider\'s golden-image example (its attribute set, files = [...]) is taken over with no resource change, and an edit applies', async () => {
    const workspace = fixture.workspace();
    cpSync(join(repoRoot(), 'tests', 'tfbridge', 'fixtures', 'vers-tf-examples', 'golden-image'), workspace.workDir, { recursive: true });
    const variables = ['-var', 'worker_count=1'];
    const script = join(workspace.workDir, 'scripts', 'bootstrap.sh');

    // What applying that example with the earlier provider left behind: a golden VM paused by its commit, and one worker.
    const golden = await apiVm({ vcpu_count: 2, mem_size_mib: 4096, fs_size_mib: 8192 });
    const committed = await fixture.local.api('POST', `/vm/${golden.id}/commit?keep_paused=true`, { json: {} });
    expect(committed.status).toBe(201);
    const commitId = committed.json<{ commit_id: string }>().commit_id;
    const restored = await fixture.local.api('POST', '/vm/from_commit', { json: { commit_id: commitId } });
    expect(restored.status).toBe(201);
    const workerId = restored.json<{ vm_id: string }>().vm_id;
    const workerMetadata = (await fixture.local.api('GET', `/vm/${workerId}/metadata`)).json<{ created_at: string }>();
    const workerKey = (await fixture.local.api('GET', `/vm/${workerId}/ssh_key`)).json<{ ssh_private_key: string }>().ssh_private_key;
    // The earlier provider's provisioning id: 16 hex digits of a hash of the inputs.
    const provisionId = createHash('sha256').update(`${golden.id}/tmp/bootstrap.sh`).digest('hex').slice(0, 16);
    const commands = ['chmod +x /tmp/bootstrap.sh', 'bash /tmp/bootstrap.sh', 'mkdir -p /root/.swarm/status', 'echo \'{"vms":[]}\' > /root/.swarm/registry.json', 'touch /root/.swarm/registry.lock'];
    writeOldState(workspace, [
      {
        type: 'vers_vm',
        name: 'golden_base',
        attributes: { id: golden.id, vcpu_count: 2, mem_size_mib: 4096, fs_size_mib: 8192, wait_boot: true, state: 'running', ssh_host: `${golden.id}.vm.vers.sh`, ssh_private_key: golden.privateKey, created_at: golden.createdAt },
      },
      {
        type: 'vers_provision',
        name: 'golden_setup',
        attributes: { id: provisionId, vm_id: golden.id, files: [{ source: './scripts/bootstrap.sh', content: null, destination: '/tmp/bootstrap.sh' }], commands, triggers: { bootstrap: sha256Of(script) } },
      },
      { type: 'vers_vm_commit', name: 'golden', attributes: { id: commitId, vm_id: golden.id, commit_id: commitId, keep_paused: true, triggers: { provision_id: provisionId } } },
      {
        type: 'vers_vm_restore',
        name: 'worker',
        indexKey: 0,
        attributes: { id: workerId, commit_id: commitId, state: 'running', ssh_host: `${workerId}.vm.vers.sh`, ssh_private_key: workerKey, created_at: workerMetadata.created_at },
      },
    ]);

    // No resource changes; only the example's outputs, which this hand-written state does not carry, are new.
    const first = await plan(workspace, variables);
    expectConsistent(first.output);
    expect(first.output).not.toMatch(/will be|must be|Plan: /);
    expect(first.output).toContain('Changes to Outputs:');
    expect(await apply(workspace, variables)).toContain('Apply complete! Resources: 0 added, 0 changed, 0 destroyed.');
    const provision = stateInstance(workspace, 'vers_provision.golden_setup').attributes;
    expect(provision).toMatchObject({ id: provisionId, ssh_host_key: '', timeout: '10m', environment: {}, file: [] });
    expect(provision.files).toEqual([{ source: './scripts/bootstrap.sh', content: null, destination: '/tmp/bootstrap.sh', mode: '0644', sha256: sha256Of(script) }]);
    // Refreshed from Vers: the SSH host the earlier provider hard-coded is replaced by the real one.
    expect(stateInstance(workspace, 'vers_vm_restore.worker', { index: 0 }).attributes).toMatchObject({ ssh_host: `${workerId}.${fixture.local.ready.vm_domain}`, parent_commit_id: commitId, labels: {} });

    // An edit of the bootstrap script provisions the golden VM again (it resumes from paused first).
    writeFileSync(script, `${readFileSync(script, 'utf8')}echo edited > /root/edited\n`);
    const edited = await apply(workspace, variables);
    expectConsistent(edited);
    const reprovisioned = stateInstance(workspace, 'vers_provision.golden_setup').attributes;
    expect(reprovisioned.ssh_host_key).toMatch(/^SHA256:/);
    expect((reprovisioned.files as Array<{ sha256: string }>)[0]?.sha256).toBe(sha256Of(script));
    expect((await plan(workspace, variables)).code).toBe(0);

    expect(await destroy(workspace, variables)).toMatch(/Destroy complete! Resources: \d+ destroyed\./);
    expect(await vmIds(fixture.local)).toEqual([]);
  }, TEST_MS);
});
