import { startVersLocal, type VersLocalProcess } from '../helpers/vers-local';
import { OpenApiContract } from './openapi-contract';

/**
 * Org quotas (403 with the server's messages) and per-VM hard maxima (500),
 * on a vers-local with a small quota (2 vCPUs, 1024 MiB) and at most 1 vCPU
 * per VM. The quota is checked first, as the orchestrator does before it asks
 * a node.
 */

const contract = new OpenApiContract();
let local: VersLocalProcess;

beforeAll(async () => {
  local = await startVersLocal({ args: ['--boot-delay-ms', '0', '--vcpu-quota', '2', '--memory-quota-mib', '1024', '--max-vcpu-per-vm', '1'] });
});

afterAll(async () => {
  await local?.stop();
});

async function newRoot(vmConfig: object): Promise<{ status: number; body: unknown }> {
  const res = await local.api('POST', '/vm/new_root?wait_boot=true', { json: { vm_config: vmConfig } });
  contract.check(res, 'POST', '/api/v1/vm/new_root');
  return { status: res.status, body: res.json() };
}

test('defaults are 1 vCPU and 512 MiB: the quota message counts them', async () => {
  const first = await newRoot({});
  expect(first.status).toBe(201);
  const tooManyVcpus = await newRoot({ vcpu_count: 2 });
  expect(tooManyVcpus).toEqual({ status: 403, body: { success: false, error: 'vCPU limit exceeded: this VM requires 2 vCPUs, but org is using 1/2 vCPUs' } });
  const tooMuchMemory = await newRoot({ mem_size_mib: 1024 });
  expect(tooMuchMemory).toEqual({ status: 403, body: { success: false, error: 'Memory limit exceeded: this VM requires 1024 MiB, but org is using 512/1024 MiB' } });
  await local.api('DELETE', `/vm/${(first.body as { vm_id: string }).vm_id}`);
});

test('restores and branches consume the commit’s resources; a branch over quota answers the hybrid body', async () => {
  const source = (await newRoot({})).body as { vm_id: string };
  const commitId = (await local.api('POST', `/vm/${source.vm_id}/commit`)).json<{ commit_id: string }>().commit_id;
  const restored = await local.api('POST', '/vm/from_commit', { json: { commit_id: commitId } });
  expect(restored.status).toBe(201);

  const overQuota = await local.api('POST', '/vm/from_commit', { json: { commit_id: commitId } });
  contract.check(overQuota, 'POST', '/api/v1/vm/from_commit');
  expect(overQuota.status).toBe(403);
  expect(overQuota.json()).toEqual({ success: false, error: 'vCPU limit exceeded: this VM requires 1 vCPUs, but org is using 2/2 vCPUs' });

  const branch = await local.api('POST', `/vm/branch/by_commit/${commitId}`);
  contract.check(branch, 'POST', '/api/v1/vm/branch/by_commit/{commit_id}');
  expect(branch.status).toBe(403);
  expect(branch.json()).toEqual({ vms: [], error: 'vCPU limit exceeded: this VM requires 1 vCPUs, but org is using 2/2 vCPUs' });

  await local.api('DELETE', `/vm/${restored.json<{ vm_id: string }>().vm_id}`);
  const partial = await local.api('POST', `/vm/branch/by_commit/${commitId}?count=2`);
  expect(partial.status).toBe(403);
  const body = partial.json<{ vms: Array<{ vm_id: string }>; error: string }>();
  expect(body.vms).toHaveLength(1);
  expect(body.error).toMatch(/^vCPU limit exceeded/);
  await local.api('DELETE', `/vm/${body.vms[0]!.vm_id}`);
  await local.api('DELETE', `/vm/${source.vm_id}`);
});

test('per-VM hard maxima are refused with the node provisioning error as 500', async () => {
  const res = await local.api('POST', '/vm/new_root', { json: { vm_config: { vcpu_count: 2 } } });
  contract.check(res, 'POST', '/api/v1/vm/new_root');
  expect(res.status).toBe(500);
  expect(res.json<{ error: string }>().error).toMatch(/^failed to provision VM on node: .*Requested VM violates hard maximum for vcpu_count: 2 > 1/);
});

test('an unknown image is 404 "image not found"', async () => {
  const res = await local.api('POST', '/vm/new_root', { json: { vm_config: { image_name: 'ubuntu-99' } } });
  expect(res.status).toBe(404);
  expect(res.json()).toEqual({ success: false, error: 'image not found: ubuntu-99' });
});
