import { startVersLocal, type VersLocalProcess } from '../helpers/vers-local';

/**
 * vers-local's own controls under /_vers-local/: fault injection (set at
 * start and at run time), request stats, VM history and reset. Faults hit
 * /api/v1 only, never the admin API.
 */

let local: VersLocalProcess;

beforeAll(async () => {
  // A fault given at start: every DELETE of a commit is slowed down by 300 ms.
  local = await startVersLocal({ args: ['--boot-delay-ms', '0', '--seed', '9', '--faults', '{"routes":[{"route":"DELETE /api/v1/commits/{commit_id}","latencyMs":300}]}'] });
});

afterAll(async () => {
  await local?.stop();
});

async function setFaults(config: object): Promise<void> {
  const res = await local.admin('PUT', '/faults', { json: config });
  expect(res.status).toBe(200);
}

interface HistoryEntry {
  vm_id: string;
  origin: string;
  labels: Record<string, string>;
  state: string;
  deleted_at: string | null;
  boot_failed: boolean;
}

async function history(): Promise<HistoryEntry[]> {
  return (await local.admin('GET', '/history')).json<{ vms: HistoryEntry[] }>().vms;
}

describe('fault injection', () => {
  afterEach(async () => {
    await setFaults({});
  });

  test('faults given at start are in effect and readable', async () => {
    const res = await local.admin('GET', '/faults');
    expect(res.json()).toEqual({ seed: 9, routes: [expect.objectContaining({ route: 'DELETE /api/v1/commits/{commit_id}', latencyMs: 300, phase: 'before' })], bootFailureRate: 0, sshdStartDelayMs: 0 });
    const started = Date.now();
    await local.api('DELETE', '/commits/0b7e0f5c-7c39-4f0e-9d2a-6a3f3e1c2b1a');
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  test('503 and 429 carry Retry-After; 408 is empty; 500 is the server’s JSON', async () => {
    await setFaults({ routes: [{ route: 'GET /api/v1/vms', error503: 1, retryAfterSeconds: 3 }] });
    const unavailable = await local.api('GET', '/vms');
    expect(unavailable.status).toBe(503);
    expect(unavailable.text).toBe('503 Service unavailable');
    expect(unavailable.headers['retry-after']).toBe('3');

    await setFaults({ routes: [{ route: 'GET *', error429: 1 }] });
    const limited = await local.api('GET', '/vms');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');

    await setFaults({ routes: [{ error408: 1 }] });
    const timeout = await local.api('GET', '/commits');
    expect(timeout.status).toBe(408);
    expect(timeout.text).toBe('');

    await setFaults({ routes: [{ error500: 1 }] });
    const internal = await local.api('POST', '/keys/validate');
    expect(internal.status).toBe(500);
    expect(internal.json()).toEqual({ success: false, error: 'Internal Server Error' });
  });

  test('a connection reset destroys the socket without an answer', async () => {
    await setFaults({ routes: [{ route: 'GET /api/v1/vms', connectionReset: 1 }] });
    await expect(local.api('GET', '/vms')).rejects.toThrow(/ECONNRESET|socket hang up/);
  });

  test('over HTTPS too, a connection reset closes the connection without an answer', async () => {
    const secure = await startVersLocal({ args: ['--https', '--boot-delay-ms', '0', '--faults', '{"routes":[{"route":"GET /api/v1/vms","connectionReset":1}]}'] });
    try {
      await expect(secure.api('GET', '/vms')).rejects.toThrow(/ECONNRESET|socket hang up/);
      expect((await secure.admin('GET', '/stats')).json<{ routes: Record<string, { statuses: Record<string, number> }> }>().routes['GET /api/v1/vms']?.statuses).toEqual({ reset: 1 });
    } finally {
      await secure.stop();
    }
  });

  test('faults never touch the admin API', async () => {
    await setFaults({ routes: [{ error503: 1 }] });
    expect((await local.admin('GET', '/stats')).status).toBe(200);
    expect((await local.admin('GET', '/history')).status).toBe(200);
  });

  test('the same seed fails the same requests', async () => {
    const sequence = async (): Promise<number[]> => {
      await setFaults({ seed: 1234, routes: [{ route: 'GET /api/v1/vms', error503: 0.5 }] });
      const statuses: number[] = [];
      for (let i = 0; i < 16; i++) statuses.push((await local.api('GET', '/vms')).status);
      return statuses;
    };
    const first = await sequence();
    expect(first).toContain(503);
    expect(first).toContain(200);
    expect(await sequence()).toEqual(first);
  });

  test('an "after" fault performs the operation and loses the answer: history shows the VM the client never heard of', async () => {
    await setFaults({ routes: [{ route: 'POST /api/v1/vm/new_root', error503: 1, phase: 'after' }] });
    const before = (await history()).length;
    const res = await local.api('POST', '/vm/new_root?wait_boot=true', { json: { vm_config: { labels: { attempt: 'lost' } } } });
    expect(res.status).toBe(503);
    const after = await history();
    expect(after).toHaveLength(before + 1);
    const created = after.at(-1)!;
    expect(created).toMatchObject({ origin: 'new_root', labels: { attempt: 'lost' }, state: 'running', deleted_at: null });
    await setFaults({});
    expect((await local.api('DELETE', `/vm/${created.vm_id}`)).status).toBe(200);
    expect((await history()).find((vm) => vm.vm_id === created.vm_id)).toMatchObject({ state: 'deleted', deleted_at: expect.any(String) });
  });

  test('a boot failure cleans the VM up and marks it deleted, as the server does', async () => {
    await setFaults({ bootFailureRate: 1 });
    const res = await local.api('POST', '/vm/new_root?wait_boot=true', { json: { vm_config: {} } });
    expect(res.status).toBe(500);
    const failed = (await history()).at(-1)!;
    expect(failed).toMatchObject({ boot_failed: true, state: 'deleted' });
    expect((await local.api('GET', `/vm/${failed.vm_id}/status`)).status).toBe(404);
    expect((await local.api('DELETE', `/vm/${failed.vm_id}`)).status).toBe(403);

    const background = await local.api('POST', '/vm/new_root', { json: { vm_config: {} } });
    expect(background.status).toBe(201);
    const vmId = background.json<{ vm_id: string }>().vm_id;
    let state = 200;
    for (let i = 0; i < 100 && state === 200; i++) {
      state = (await local.api('GET', `/vm/${vmId}/status`)).status;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(state).toBe(404);
  });

  test('an invalid fault config is 400 naming the option, and the old config stays', async () => {
    await setFaults({ routes: [{ route: 'GET /api/v1/vms', latencyMs: 1 }] });
    const res = await local.admin('PUT', '/faults', { json: { routes: [{ error503: 'often' }] } });
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({ success: false, error: expect.stringContaining('routes[0].error503 must be a number from 0 to 1') });
    expect((await local.admin('GET', '/faults')).json<{ routes: unknown[] }>().routes).toHaveLength(1);
  });
});

describe('stats, history and reset', () => {
  test('stats count requests per method and route template, with statuses and injected faults', async () => {
    await local.admin('POST', '/reset');
    await local.api('GET', '/vms');
    await local.api('GET', '/vms');
    await local.api('GET', '/vm/0b7e0f5c-7c39-4f0e-9d2a-6a3f3e1c2b1a/status');
    await setFaults({ routes: [{ route: 'GET /api/v1/commits', error503: 1 }] });
    await local.api('GET', '/commits');
    await setFaults({});
    const stats = (await local.admin('GET', '/stats')).json<{ total: number; routes: Record<string, { count: number; statuses: Record<string, number>; faults: Record<string, number> }> }>();
    expect(stats.routes['GET /api/v1/vms']).toEqual({ count: 2, statuses: { '200': 2 }, faults: {} });
    expect(stats.routes['GET /api/v1/vm/{vm_id}/status']).toEqual({ count: 1, statuses: { '404': 1 }, faults: {} });
    expect(stats.routes['GET /api/v1/commits']).toEqual({ count: 1, statuses: { '503': 1 }, faults: { error503: 1 } });
    expect(stats.total).toBe(4);
  });

  test('reset destroys every VM and forgets commits, history, stats and faults', async () => {
    const vm = (await local.api('POST', '/vm/new_root?wait_boot=true', { json: { vm_config: {} } })).json<{ vm_id: string }>().vm_id;
    await local.api('POST', `/vm/${vm}/commit`);
    await setFaults({ routes: [{ route: 'GET /api/v1/system/version', latencyMs: 5 }] });
    const res = await local.admin('POST', '/reset');
    expect(res.status).toBe(200);
    expect((await local.api('GET', '/vms')).json()).toEqual([]);
    expect((await local.api('GET', '/commits')).json()).toMatchObject({ commits: [], total: 0 });
    expect(await history()).toEqual([]);
    expect((await local.admin('GET', '/faults')).json()).toMatchObject({ routes: [] });
    expect((await local.admin('GET', '/stats')).json()).toMatchObject({ routes: { 'GET /api/v1/vms': { count: 1 }, 'GET /api/v1/commits': { count: 1 } }, total: 2 });
  });
});
