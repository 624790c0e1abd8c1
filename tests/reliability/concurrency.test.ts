import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startVersLocal, type VersLocalProcess } from '../helpers/vers-local';
import { APPLY, DESTROY, liveVmIds, PROVIDER_HEADER, ReliabilityWorkspace, terraformSuite } from './harness/reliability-workspace';
import { auditHistory, vmHistory } from './harness/vm-history';

/**
 * Twenty provisionings on twenty VMs in one apply (Terraform runs ten at a
 * time): every VM ends up with exactly its own files, environment and
 * commands' results — no upload, command or host key crosses to another VM.
 */

const suite = terraformSuite('tests/reliability/concurrency.test.ts');

const COUNT = 20;

const CONFIG = `${PROVIDER_HEADER}
provider "vers" {}

resource "vers_vm" "node" {
  count  = ${COUNT}
  labels = { role = "node", index = tostring(count.index) }
}

resource "vers_provision" "node" {
  count = ${COUNT}
  vm_id = vers_vm.node[count.index].id

  file {
    content     = "node-\${count.index}\\n"
    destination = "/etc/node/identity"
  }

  file {
    source      = "\${path.module}/payloads/payload-\${count.index}.bin"
    destination = "/etc/node/payload.bin"
  }

  environment = { NODE_INDEX = tostring(count.index) }
  commands = [
    "touch /etc/node/mark-\${count.index}",
    "echo \\"$NODE_INDEX\\" > /etc/node/env-index",
    "sha256sum /etc/node/payload.bin | cut -d' ' -f1 > /etc/node/payload.sha",
  ]
}
`;

suite('twenty provisionings on twenty VMs in one terraform apply', () => {
  let local: VersLocalProcess;
  let ws: ReliabilityWorkspace;
  const payloadSha: string[] = [];

  beforeAll(async () => {
    // Twenty 1-vCPU VMs need more than the default quota of 8 vCPUs.
    local = await startVersLocal({ args: ['--vcpu-quota', String(COUNT + 4)] });
    ws = new ReliabilityWorkspace(local);
    ws.writeConfig(CONFIG);
    mkdirSync(join(ws.workDir, 'payloads'));
    for (let index = 0; index < COUNT; index++) {
      const payload = randomBytes(256 * 1024);
      payloadSha.push(createHash('sha256').update(payload).digest('hex'));
      writeFileSync(join(ws.workDir, 'payloads', `payload-${index}.bin`), payload);
    }
  });

  afterAll(async () => {
    ws?.dispose();
    const report = await local?.stop();
    expect(report?.exitCode ?? 0).toBe(0);
  });

  test('every VM holds exactly its own files, environment and command results, and destroy leaves no VM', async () => {
    const applied = await ws.ok(APPLY, 600_000);
    expect(applied).toContain(`Apply complete! Resources: ${COUNT * 2} added, 0 changed, 0 destroyed.`);

    const vmOf = new Map<number, string>();
    for (const resource of ws.state()?.resources ?? []) {
      if (resource.type !== 'vers_vm') continue;
      for (const instance of resource.instances) vmOf.set(Number(instance.index_key), String(instance.attributes.id));
    }
    expect(vmOf.size).toBe(COUNT);
    expect(await liveVmIds(local)).toEqual([...vmOf.values()].sort());

    // What each VM holds, read with the official ssh + openssl recipe, four VMs at a time.
    const seen: string[] = new Array<string>(COUNT).fill('');
    const indexes = [...vmOf.keys()];
    await Promise.all(
      [0, 1, 2, 3].map(async (worker) => {
        for (let i = worker; i < indexes.length; i += 4) {
          const index = indexes[i] as number;
          const run = await local.ssh(vmOf.get(index) as string, 'cd /etc/node && ls | sort | tr "\\n" " "; echo; cat identity env-index payload.sha');
          if (run.code !== 0) throw new Error(`ssh into node ${index} exited ${run.code}: ${run.stderr}`);
          seen[index] = run.stdout;
        }
      }),
    );
    const expected = Array.from({ length: COUNT }, (_, index) =>
      [['env-index', `mark-${index}`, 'identity', 'payload.bin', 'payload.sha'].sort().join(' ') + ' ', `node-${index}`, String(index), payloadSha[index], ''].join('\n'),
    );
    expect(seen).toEqual(expected);

    // Each provisioning pinned the host key of its own VM: twenty different keys.
    const hostKeys = new Set<string>();
    for (const resource of ws.state()?.resources ?? []) {
      if (resource.type === 'vers_provision') for (const instance of resource.instances) hostKeys.add(String(instance.attributes.ssh_host_key));
    }
    expect(hostKeys.size).toBe(COUNT);

    expect((await ws.run(['plan', '-detailed-exitcode', '-no-color'])).code).toBe(0);
    await ws.ok(DESTROY, 300_000);
    const addressOf = (vm: { labels: Record<string, string> }): string | undefined => (vm.labels.role === 'node' ? `vers_vm.node[${vm.labels.index}]` : undefined);
    expect(auditHistory(await vmHistory(local), { addressOf, idsSeenInState: ws.vmIdsSeenInState })).toEqual([]);
  }, 900_000);
});
