import { setTimeout as sleep } from 'node:timers/promises';
import { startVersLocal, type HttpResult, type VersLocalProcess } from '../helpers/vers-local';
import { OpenApiContract } from './openapi-contract';

/**
 * One VM through its life over the API: booting → running, reads, labels,
 * pause/resume, ssh_key, disk, exec, files, delete. Every response is
 * checked against the spec.
 */

const contract = new OpenApiContract();
let local: VersLocalProcess;
const BOOT_DELAY_MS = 1500;

beforeAll(async () => {
  local = await startVersLocal({ args: ['--boot-delay-ms', String(BOOT_DELAY_MS)] });
});

afterAll(async () => {
  await local?.stop();
});

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const CHRONO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

async function createRoot(query = '', vmConfig: object = {}): Promise<string> {
  const res = await local.api('POST', `/vm/new_root${query}`, { json: { vm_config: vmConfig } });
  contract.check(res, 'POST', '/api/v1/vm/new_root');
  expect(res.status).toBe(201);
  return res.json<{ vm_id: string }>().vm_id;
}

async function status(vmId: string): Promise<HttpResult> {
  const res = await local.api('GET', `/vm/${vmId}/status`);
  contract.check(res, 'GET', '/api/v1/vm/{vm_id}/status');
  return res;
}

describe('a root VM', () => {
  let vmId: string;

  test('new_root answers at once with a lowercase UUID v4 and the VM is booting until the boot delay passes', async () => {
    const started = Date.now();
    vmId = await createRoot('', { labels: { team: 'infra' } });
    expect(Date.now() - started).toBeLessThan(BOOT_DELAY_MS);
    expect(vmId).toMatch(UUID_V4);
    const booting = (await status(vmId)).json<{ state: string }>();
    expect(booting).toEqual({ vm_id: vmId, owner_id: local.ready.api_key.slice(0, 36), created_at: expect.stringMatching(CHRONO_TIME), state: 'booting', labels: { team: 'infra' } });
    let state = booting.state;
    while (state === 'booting' && Date.now() - started < 30000) {
      await sleep(100);
      state = (await status(vmId)).json<{ state: string }>().state;
    }
    expect(state).toBe('running');
    expect(Date.now() - started).toBeGreaterThanOrEqual(BOOT_DELAY_MS);
  });

  test('wait_boot=true answers only once the VM is running', async () => {
    const other = await createRoot('?wait_boot=true');
    expect((await status(other)).json<{ state: string }>().state).toBe('running');
    const deleted = await local.api('DELETE', `/vm/${other}`);
    expect(deleted.status).toBe(200);
  });

  test('the VM is listed at both /vms and /vm', async () => {
    for (const path of ['/vms', '/vm']) {
      const res = await local.api('GET', path);
      contract.check(res, 'GET', `/api/v1${path}`);
      expect(res.json<Array<{ vm_id: string }>>().map((vm) => vm.vm_id)).toContain(vmId);
    }
  });

  test('metadata carries an IPv6 ULA and null lineage for a root VM', async () => {
    const res = await local.api('GET', `/vm/${vmId}/metadata`);
    contract.check(res, 'GET', '/api/v1/vm/{vm_id}/metadata');
    expect(res.json()).toEqual({
      vm_id: vmId,
      owner_id: local.ready.api_key.slice(0, 36),
      created_at: expect.stringMatching(CHRONO_TIME),
      deleted_at: null,
      state: 'running',
      ip: expect.stringMatching(/^fd[0-9a-f]{2}:/),
      parent_commit_id: null,
      grandparent_vm_id: null,
    });
  });

  test('PATCH label replaces every label; null clears them', async () => {
    const set = await local.api('PATCH', `/vm/${vmId}/label`, { json: { labels: { env: 'test', tier: 'web' } } });
    contract.check(set, 'PATCH', '/api/v1/vm/{vm_id}/label');
    expect(set.status).toBe(200);
    expect((await status(vmId)).json<{ labels: object }>().labels).toEqual({ env: 'test', tier: 'web' });
    await local.api('PATCH', `/vm/${vmId}/label`, { json: { labels: null } });
    expect((await status(vmId)).json<{ labels: object }>().labels).toEqual({});
  });

  test('ssh_key is an Ed25519 OpenSSH key with LF line endings and a port in 28000–28127', async () => {
    const res = await local.api('GET', `/vm/${vmId}/ssh_key`);
    contract.check(res, 'GET', '/api/v1/vm/{vm_id}/ssh_key');
    const key = res.json<{ ssh_private_key: string; ssh_port: number }>();
    expect(key.ssh_private_key).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END OPENSSH PRIVATE KEY-----\n$/);
    expect(key.ssh_private_key).not.toContain('\r');
    expect(key.ssh_port).toBeGreaterThanOrEqual(28000);
    expect(key.ssh_port).toBeLessThan(28128);
  });

  test('pausing answers 200 with an empty body; a paused VM refuses ssh_key with the wrapped node error; resuming brings it back', async () => {
    const pause = await local.api('PATCH', `/vm/${vmId}/state`, { json: { state: 'Paused' } });
    contract.check(pause, 'PATCH', '/api/v1/vm/{vm_id}/state');
    expect(pause.status).toBe(200);
    expect(pause.headers['content-type']).toBeUndefined();
    expect((await status(vmId)).json<{ state: string }>().state).toBe('paused');

    const key = await local.api('GET', `/vm/${vmId}/ssh_key`);
    contract.check(key, 'GET', '/api/v1/vm/{vm_id}/ssh_key');
    expect(key.status).toBe(500);
    expect(key.json()).toEqual({ success: false, error: `db error: 500: {"error":"cannot perform operation: VM ${vmId} is paused"}` });

    const pausedAgain = await local.api('PATCH', `/vm/${vmId}/state`, { json: { state: 'Paused' } });
    expect(pausedAgain.status).toBe(200);

    const resume = await local.api('PATCH', `/vm/${vmId}/state`, { json: { state: 'Running' } });
    contract.check(resume, 'PATCH', '/api/v1/vm/{vm_id}/state');
    expect((await status(vmId)).json<{ state: string }>().state).toBe('running');
  });

  test('the disk grows only to a strictly larger size; otherwise the node error surfaces as 500', async () => {
    const grow = await local.api('PATCH', `/vm/${vmId}/disk`, { json: { fs_size_mib: 2048 } });
    contract.check(grow, 'PATCH', '/api/v1/vm/{vm_id}/disk');
    expect(grow.status).toBe(200);
    const same = await local.api('PATCH', `/vm/${vmId}/disk`, { json: { fs_size_mib: 2048 } });
    // The spec says 400 for "not larger"; the server wraps the node's refusal as 500 (reference §11).
    contract.check(same, 'PATCH', '/api/v1/vm/{vm_id}/disk');
    expect(same.status).toBe(500);
    expect(same.json<{ error: string }>().error).toMatch(/^db error: 500: .*must be larger/);
  });

  test('exec runs the command in the VM and reports its output and exit code', async () => {
    const res = await local.api('POST', `/vm/${vmId}/exec`, { json: { command: ['bash', '-c', 'echo out; echo err >&2; hostname; exit 3'] } });
    contract.check(res, 'POST', '/api/v1/vm/{vm_id}/exec');
    expect(res.json()).toEqual({ exit_code: 3, stdout: `out\n${vmId}\n`, stderr: 'err\n' });

    const withInput = await local.api('POST', `/vm/${vmId}/exec`, {
      json: { command: ['sh', '-c', 'cat; echo " $GREETING"; pwd'], stdin: 'hello', env: { GREETING: 'world' }, working_dir: '/tmp', exec_id: '2c1f6f3e-8c55-4a59-a0c5-1a3f0f7e9a10' },
    });
    contract.check(withInput, 'POST', '/api/v1/vm/{vm_id}/exec');
    expect(withInput.json()).toEqual({ exit_code: 0, stdout: 'hello world\n/tmp\n', stderr: '', exec_id: '2c1f6f3e-8c55-4a59-a0c5-1a3f0f7e9a10' });
  });

  test('exec/stream sends NDJSON chunk events and one exit event', async () => {
    const res = await local.api('POST', `/vm/${vmId}/exec/stream`, { json: { command: ['sh', '-c', 'echo one; sleep 0.2; echo two >&2; exit 4'] } });
    contract.check({ ...res, text: '' }, 'POST', '/api/v1/vm/{vm_id}/exec/stream');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson');
    const events = res.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; stream?: string; data_b64?: string; cursor: number; exit_code?: number; exec_id: null });
    const chunks = events.filter((e) => e.type === 'chunk');
    expect(chunks.filter((c) => c.stream === 'stdout').map((c) => Buffer.from(c.data_b64!, 'base64').toString()).join('')).toBe('one\n');
    expect(chunks.filter((c) => c.stream === 'stderr').map((c) => Buffer.from(c.data_b64!, 'base64').toString()).join('')).toBe('two\n');
    expect(events.at(-1)).toEqual({ type: 'exit', exec_id: null, cursor: chunks.length + 1, exit_code: 4 });
    expect(events.map((e) => e.cursor)).toEqual(events.map((_, i) => i + 1));
  });

  test('files written with PUT read back with GET, byte for byte', async () => {
    const content = Buffer.from([0, 1, 2, 255, 10, 13]);
    const put = await local.api('PUT', `/vm/${vmId}/files`, { json: { path: '/root/deep/dir/blob.bin', content_b64: content.toString('base64'), mode: 0o600, create_dirs: true } });
    contract.check(put, 'PUT', '/api/v1/vm/{vm_id}/files');
    expect(put.status).toBe(200);
    const get = await local.api('GET', `/vm/${vmId}/files?path=${encodeURIComponent('/root/deep/dir/blob.bin')}`);
    contract.check(get, 'GET', '/api/v1/vm/{vm_id}/files');
    expect(Buffer.from(get.json<{ content_b64: string }>().content_b64, 'base64')).toEqual(content);
    const mode = await local.api('POST', `/vm/${vmId}/exec`, { json: { command: ['stat', '-c', '%a', '/root/deep/dir/blob.bin'] } });
    expect(mode.json<{ stdout: string }>().stdout).toBe('600\n');

    const missingPath = await local.api('GET', `/vm/${vmId}/files`);
    expect(missingPath.status).toBe(400);
    expect(missingPath.text).toBe('Failed to deserialize query string: missing field `path`');
  });

  test('DELETE answers 200 with the id; a second DELETE is 403 and reads are 404', async () => {
    const first = await local.api('DELETE', `/vm/${vmId}`);
    contract.check(first, 'DELETE', '/api/v1/vm/{vm_id}');
    expect(first.status).toBe(200);
    expect(first.json()).toEqual({ vm_id: vmId });

    const second = await local.api('DELETE', `/vm/${vmId}`);
    contract.check(second, 'DELETE', '/api/v1/vm/{vm_id}');
    expect(second.status).toBe(403);
    expect(second.json()).toEqual({ success: false, error: 'Forbidden' });

    expect((await status(vmId)).status).toBe(404);
    const list = await local.api('GET', '/vms');
    expect(list.json<Array<{ vm_id: string }>>().map((vm) => vm.vm_id)).not.toContain(vmId);
  });
});

describe('skip_wait_boot', () => {
  test('on a booting VM, skip_wait_boot=true is refused at once while the default waits for the boot', async () => {
    const vmId = await createRoot();
    const refused = await local.api('PATCH', `/vm/${vmId}/state?skip_wait_boot=true`, { json: { state: 'Paused' } });
    contract.check(refused, 'PATCH', '/api/v1/vm/{vm_id}/state');
    expect(refused.status).toBe(500);
    expect(refused.json<{ error: string }>().error).toContain(`VM ${vmId} is not finished booting. Try again shortly.`);

    const started = Date.now();
    const waited = await local.api('DELETE', `/vm/${vmId}`);
    expect(waited.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThan(BOOT_DELAY_MS / 3);
  });
});
