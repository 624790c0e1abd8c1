import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { announceSkip, findTerraform } from './harness/terraform-cli';
import { apply, destroy, outputs, plan, stateInstance, terraformOk, useVersLocalForTerraform, vmIds } from './harness/vers-local-terraform';

/**
 * Terraform against vers-local: a VM found through `data "vers_vms"` by its
 * labels can be reached from the data source alone (ip, ssh_host, parent
 * commit; `id` as the earlier provider spelled it), and a file whose content
 * is a sensitive variable shows neither the value nor its hash in plans or
 * `terraform show`.
 */

const terraform = findTerraform();
const BUILD_ROOT = join(__dirname, '..', '..');
const suite = terraform === undefined ? describe.skip : describe;
if (terraform === undefined) announceSkip('tests/tfbridge/e2e-lookup-and-secrets.test.ts');

const PROVIDER = `
terraform {
  required_providers {
    vers = { source = "hdr/vers" }
  }
}

provider "vers" {}
`;

suite('terraform against vers-local: finding VMs by label, and sensitive file contents', () => {
  const fixture = useVersLocalForTerraform(terraform as string, BUILD_ROOT);

  test('data "vers_vms" finds a restored VM by label with its ip, ssh_host and parent commit, and its ssh_host reaches it', async () => {
    // A root VM, a commit of it and a labelled VM restored from the commit, made outside Terraform.
    const root = await fixture.local.api('POST', '/vm/new_root?wait_boot=true', { json: { vm_config: {} } });
    const rootId = root.json<{ vm_id: string }>().vm_id;
    const commitId = (await fixture.local.api('POST', `/vm/${rootId}/commit`, { json: {} })).json<{ commit_id: string }>().commit_id;
    const restoredId = (await fixture.local.api('POST', '/vm/from_commit', { json: { commit_id: commitId } })).json<{ vm_id: string }>().vm_id;
    expect((await fixture.local.api('PATCH', `/vm/${restoredId}/label`, { json: { labels: { pool: 'lookup' } } })).status).toBeLessThan(300);
    const metadata = (await fixture.local.api('GET', `/vm/${restoredId}/metadata`)).json<{ ip: string }>();

    const ws = fixture.workspace();
    ws.writeConfig(`${PROVIDER}
data "vers_vms" "pool" {
  labels = { pool = "lookup" }
}

output "found" {
  value = data.vers_vms.pool.vms
}

output "ids" {
  value = data.vers_vms.pool.vms[*].id
}
`);
    await terraformOk(ws, ['apply', '-auto-approve', '-no-color']);
    const out = await outputs(ws);
    expect(out.ids).toEqual([restoredId]);
    const [found] = out.found as Array<Record<string, unknown>>;
    expect(found).toMatchObject({
      vm_id: restoredId,
      id: restoredId,
      ip: metadata.ip,
      ssh_host: `${restoredId}.${fixture.local.ready.vm_domain}`,
      parent_commit_id: commitId,
      labels: { pool: 'lookup' },
      state: 'running',
    });
    expect(metadata.ip).not.toBe('');
    const reached = await fixture.local.ssh(restoredId, 'hostname', { host: String(found?.ssh_host) });
    expect(reached.stdout.trim()).toBe(restoredId);

    for (const id of [restoredId, rootId]) expect((await fixture.local.api('DELETE', `/vm/${id}`)).status).toBe(200);
  });

  test('a file whose content is a sensitive variable: neither the value nor its sha256 appears in plan, apply or terraform show', async () => {
    const secretValue = 'tok-7f3a9c1e5b';
    const secretHash = createHash('sha256').update(secretValue).digest('hex');
    const ws = fixture.workspace();
    ws.writeConfig(`${PROVIDER}
variable "token" {
  type      = string
  sensitive = true
}

resource "vers_vm" "box" {}

resource "vers_provision" "token" {
  vm_id = vers_vm.box.id
  file {
    content     = var.token
    destination = "/root/token"
    mode        = "0600"
  }
  commands = ["test -s /root/token"]
}
`);
    const variables = ['-var', `token=${secretValue}`];
    const planned = await plan(ws, variables);
    expect(planned.code).toBe(2);
    expect(planned.output).toMatch(/content\s+= \(sensitive value\)/);
    expect(planned.output).toMatch(/sha256\s+= \(sensitive value\)/);
    const applied = await apply(ws, variables);
    const shown = await terraformOk(ws, ['show', '-no-color']);
    expect(shown).toMatch(/sha256\s+= \(sensitive value\)/);
    for (const text of [planned.output, applied, shown]) {
      expect(text).not.toContain(secretValue);
      expect(text).not.toContain(secretHash);
    }
    // The state still records the hash (it is how an edit is noticed), and the VM got the file.
    const file = (stateInstance(ws, 'vers_provision.token').attributes.file as Array<{ sha256: string }>)[0];
    expect(file?.sha256).toBe(secretHash);
    const vmId = String(stateInstance(ws, 'vers_vm.box').attributes.id);
    expect(await fixture.sshOk(vmId, 'cat /root/token; stat -c %a /root/token')).toBe(`${secretValue}600\n`);

    // A new value is a change, and still shown only as sensitive.
    const rotated = await plan(ws, ['-var', 'token=tok-rotated']);
    expect(rotated.code).toBe(2);
    expect(rotated.output).not.toContain('tok-rotated');
    expect(rotated.output).not.toContain(createHash('sha256').update('tok-rotated').digest('hex'));

    expect(await destroy(ws, variables)).toContain('Destroy complete! Resources: 2 destroyed.');
    expect(await vmIds(fixture.local)).toEqual([]);
  });
});
