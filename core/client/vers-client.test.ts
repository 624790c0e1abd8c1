import { createServer } from 'node:net';
import { resolveProviderConfig } from '../settings';
import { ApiError, AuthError, CancelledError, ConflictError, NetworkError, NotFoundError, QuotaError, ValidationError } from '../base/errors';
import type { LogLevel } from '../base/logging';
import { makeTestPki, type TestPki } from '../../tests/helpers/test-pki';
import { type RecordedRequest, type ScriptedApiServer, type ScriptedHandler, startScriptedApiServer } from '../../tests/helpers/scripted-api-server';
import type { ClientOptions } from './options';
import { REQUEST_TOKEN_LABEL, VersClient, withoutRequestToken } from './vers-client';

const API_KEY = `0b3c1f6e-2a4d-4c8e-9f10-1234567890ab${'a1b2c3d4'.repeat(8)}`;
const VM_ID = '11111111-2222-4333-8444-555555555555';
const COMMIT_ID = '99999999-8888-4777-8666-555555555555';
const FAST_RETRY = { limit: 3, baseDelayMs: 20, maxDelayMs: 50 };

function vm(id: string, labels: Record<string, string> = {}, state = 'running'): object {
  return { vm_id: id, owner_id: '0b3c1f6e-2a4d-4c8e-9f10-1234567890ab', created_at: '2026-04-01T12:00:00Z', state, labels };
}

describe('VersClient', () => {
  let server: ScriptedApiServer | undefined;
  let client: VersClient | undefined;

  afterEach(async () => {
    client?.close();
    client = undefined;
    await server?.close();
    server = undefined;
  });

  async function setup(handler: ScriptedHandler, options: ClientOptions = {}): Promise<{ client: VersClient; server: ScriptedApiServer }> {
    server = await startScriptedApiServer(handler);
    client = new VersClient(resolveProviderConfig({ apiKey: API_KEY, baseUrl: `${server.origin}/api/v1/` }, {}), { retry: FAST_RETRY, ...options });
    return { client, server };
  }

  test('a GET sends the bearer key, a request id and parses the VM list', async () => {
    const { client, server } = await setup(() => ({ status: 200, body: [vm(VM_ID)] }));
    const vms = await client.listVms();
    expect(vms.map((v) => v.vm_id)).toEqual([VM_ID]);
    expect(server.requests[0]?.url).toBe('/api/v1/vms');
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(server.requests[0]?.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('a GET is retried on 503 with the same request id, then succeeds', async () => {
    const { client, server } = await setup((_req, index) => (index < 2 ? { status: 503, body: '503 Service unavailable' } : { status: 200, body: vm(VM_ID) }));
    const status = await client.getVmStatus(VM_ID);
    expect(status.state).toBe('running');
    expect(server.requests).toHaveLength(3);
    const ids = new Set(server.requests.map((r) => r.headers['x-request-id']));
    expect(ids.size).toBe(1);
  });

  test('a GET gives up after the retry limit with the last typed error', async () => {
    const { client, server } = await setup(() => ({ status: 500, body: { success: false, error: 'Internal Server Error' } }));
    const error = await client.listVms().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('API_SERVER_ERROR');
    expect((error as ApiError).serverMessage).toBe('Internal Server Error');
    expect((error as ApiError).requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(server.requests).toHaveLength(4);
  });

  test('Retry-After in seconds is honoured before the retry', async () => {
    const { client } = await setup((_req, index) => (index === 0 ? { status: 429, body: 'slow down', headers: { 'retry-after': '1' } } : { status: 200, body: [] }));
    const started = Date.now();
    await client.listVms();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  test('a Retry-After beyond maxRetryAfterMs is not waited for', async () => {
    const { client, server } = await setup(() => ({ status: 429, body: 'slow down', headers: { 'retry-after': '3600' } }), { retry: { ...FAST_RETRY, maxRetryAfterMs: 1000 } });
    await expect(client.listVms()).rejects.toMatchObject({ code: 'API_RATE_LIMITED', status: 429 });
    expect(server.requests).toHaveLength(1);
  });

  test('a 4xx is not retried', async () => {
    const { client, server } = await setup(() => ({ status: 404, body: { success: false, error: 'not found' } }));
    await expect(client.getVmStatus(VM_ID)).rejects.toBeInstanceOf(NotFoundError);
    expect(server.requests).toHaveLength(1);
  });

  test('the gateway text "403 Forbidden" is an AuthError that names VERS_API_KEY and not the key', async () => {
    const { client } = await setup(() => ({ status: 403, body: '403 Forbidden' }));
    const error = (await client.listVms().catch((e: unknown) => e)) as AuthError;
    expect(error).toBeInstanceOf(AuthError);
    expect(error.code).toBe('AUTH_FAILED');
    expect(error.message).toContain('VERS_API_KEY');
    expect(error.message).not.toContain(API_KEY.slice(36));
  });

  test('a 401 JSON body is an AuthError too', async () => {
    const { client } = await setup(() => ({ status: 401, body: { success: false, error: 'Invalid bearer token' } }));
    await expect(client.listVms()).rejects.toMatchObject({ code: 'AUTH_FAILED', serverMessage: 'Invalid bearer token' });
  });

  test('the 403 quota message is a QuotaError', async () => {
    const { client } = await setup(() => ({ status: 403, body: { success: false, error: 'vCPU limit exceeded: this VM requires 4 vCPUs, but org is using 6/8 vCPUs' } }));
    await expect(client.createRootVm({ vcpu_count: 4 })).rejects.toBeInstanceOf(QuotaError);
  });

  test('a hybrid branch error body carries the VMs created before the failure', async () => {
    const partial = '22222222-2222-4333-8444-555555555555';
    const { client } = await setup(() => ({ status: 500, body: { vms: [{ vm_id: partial }], error: 'error choosing node error' } }));
    const error = (await client.branchByVm(VM_ID, { count: 2 }).catch((e: unknown) => e)) as ApiError;
    expect(error.serverMessage).toBe('error choosing node error');
    expect(error.partialVmIds).toEqual([partial]);
  });

  test('a 409 is a ConflictError', async () => {
    const { client } = await setup(() => ({ status: 409, body: { success: false, error: 'commit still has 1 active VM(s)' } }));
    await expect(client.deleteCommit(COMMIT_ID)).rejects.toBeInstanceOf(ConflictError);
  });

  test('a restore is not sent again after a 500 while the API cannot tell whether it made a VM', async () => {
    const { client, server } = await setup(() => ({ status: 500, body: { success: false, error: 'db error' } }), { deadlines: { request: 300, restore: 1000 } });
    // The search for its VM keeps failing until the call's deadline: the error says a VM may exist.
    await expect(client.restoreFromCommit(COMMIT_ID)).rejects.toMatchObject({ code: 'CREATE_OUTCOME_UNKNOWN', message: expect.stringContaining('a VM may have been made') });
    const posts = server.requests.filter((request) => request.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(JSON.parse(posts[0]?.body ?? '')).toEqual({ commit_id: COMMIT_ID });
    // It looked for the VM the failed attempt may have made, and could not list VMs either.
    expect(server.requests.some((request) => request.method === 'GET' && request.url === '/api/v1/vms')).toBe(true);
  });

  test('a restore whose connection dropped mid-request is sent again once no VM of it exists', async () => {
    let posts = 0;
    const { client, server } = await setup((request) => {
      if (request.method === 'GET' && request.url === '/api/v1/vms') return { status: 200, body: [] };
      posts += 1;
      return posts === 1 ? 'reset' : { status: 201, body: { vm_id: VM_ID } };
    });
    await expect(client.restoreFromCommit(COMMIT_ID)).resolves.toEqual({ vm_id: VM_ID });
    expect(server.requests.filter((request) => request.method === 'POST')).toHaveLength(2);
  });

  test('a branch and a restore of a commit of the same VM, both losing their answers, each adopt their own VM', async () => {
    const OWNER = '0b3c1f6e-2a4d-4c8e-9f10-1234567890ab';
    const RESTORED = '22222222-2222-4333-8444-555555555555';
    const BRANCHED = '33333333-2222-4333-8444-555555555555';
    const BRANCH_COMMIT = '44444444-8888-4777-8666-555555555555';
    let ownCommit = '';
    // When each commit was made: a branch's commit is made by its own call, after the call started.
    const commitMadeAt = new Map<string, number>();
    let releaseRestore = (): void => undefined;
    const restoreAnswered = new Promise<void>((resolve) => (releaseRestore = resolve));
    const now = Date.now();
    // Both new VMs descend from VM_ID; the restored one is older, so only their parent commits tell them apart.
    const vms = new Map<string, { created_at: string; parent_commit_id: string | null; grandparent_vm_id: string | null }>([[VM_ID, { created_at: new Date(now - 60_000).toISOString(), parent_commit_id: null, grandparent_vm_id: null }]]);
    const { client, server } = await setup(async (request) => {
      const path = request.url.split('?')[0] ?? '';
      if (request.method === 'POST' && path === `/api/v1/vm/${VM_ID}/commit`) {
        ownCommit = (JSON.parse(request.body) as { commit_id: string }).commit_id;
        commitMadeAt.set(ownCommit, Date.now());
        return { status: 201, body: { commit_id: ownCommit } };
      }
      if (request.method === 'POST' && path === '/api/v1/vm/from_commit') {
        vms.set(RESTORED, { created_at: new Date(now + 1_000).toISOString(), parent_commit_id: ownCommit, grandparent_vm_id: VM_ID });
        await restoreAnswered;
        return { status: 500, body: { success: false, error: 'answer lost' } };
      }
      if (request.method === 'POST' && path === `/api/v1/vm/branch/by_vm/${VM_ID}`) {
        commitMadeAt.set(BRANCH_COMMIT, Date.now());
        vms.set(BRANCHED, { created_at: new Date(now + 2_000).toISOString(), parent_commit_id: BRANCH_COMMIT, grandparent_vm_id: VM_ID });
        return { status: 500, body: { success: false, error: 'answer lost' } };
      }
      if (path === '/api/v1/vms') return { status: 200, body: [...vms].map(([id, v]) => ({ vm_id: id, owner_id: OWNER, created_at: v.created_at, state: 'running', labels: {} })) };
      const metadata = /^\/api\/v1\/vm\/([0-9a-f-]+)\/metadata$/.exec(path);
      const known = metadata === null ? undefined : vms.get(metadata[1] as string);
      if (metadata !== null && known !== undefined) return { status: 200, body: { vm_id: metadata[1], owner_id: OWNER, state: 'running', deleted_at: null, ip: 'fd00::1', ...known } };
      const parents = /^\/api\/v1\/vm\/commits\/([0-9a-f-]+)\/parents$/.exec(path);
      const madeAt = parents === null ? undefined : commitMadeAt.get(parents[1] as string);
      if (parents !== null && madeAt !== undefined) {
        return { status: 200, body: [{ id: parents[1], parent_vm_id: VM_ID, grandparent_commit_id: null, owner_id: OWNER, name: 'c', description: null, created_at: new Date(madeAt).toISOString(), is_public: false }] };
      }
      return { status: 404, body: '' };
    });
    await client.commitVm(VM_ID);
    const restoring = client.restoreFromCommit(ownCommit);
    while (!server.requests.some((request) => request.url === '/api/v1/vm/from_commit')) await new Promise((resolve) => setTimeout(resolve, 5));
    const branching = client.branchByVm(VM_ID, { count: 1 });
    // The branch's recovery is waiting for the restore in flight; the restore now fails too and recovers after it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    releaseRestore();
    await expect(branching).resolves.toEqual([BRANCHED]);
    await expect(restoring).resolves.toEqual({ vm_id: RESTORED });
    const posts = server.requests.filter((request) => request.method === 'POST').map((request) => request.url.split('?')[0]);
    expect(posts).toEqual([`/api/v1/vm/${VM_ID}/commit`, '/api/v1/vm/from_commit', `/api/v1/vm/branch/by_vm/${VM_ID}`]);
  });

  test('a create is retried when the connection was refused (never sent)', async () => {
    const port = await freePort();
    client = new VersClient(resolveProviderConfig({ apiKey: API_KEY, baseUrl: `http://127.0.0.1:${port}` }, {}), { retry: { limit: 6, baseDelayMs: 100, maxDelayMs: 200 } });
    const pending = client.restoreFromCommit(COMMIT_ID);
    await new Promise((resolve) => setTimeout(resolve, 250));
    server = await startScriptedApiServer(() => ({ status: 201, body: { vm_id: VM_ID } }), { port });
    await expect(pending).resolves.toEqual({ vm_id: VM_ID });
    expect(server.requests).toHaveLength(1);
  });

  test('createRootVm adopts the VM an ambiguous failed attempt made, found by its request token', async () => {
    let token: string | undefined;
    const { client, server } = await setup((req) => {
      if (req.method === 'POST') {
        token = (JSON.parse(req.body) as { vm_config: { labels: Record<string, string> } }).vm_config.labels[REQUEST_TOKEN_LABEL];
        return 'reset';
      }
      return { status: 200, body: [vm('33333333-2222-4333-8444-555555555555'), vm(VM_ID, { app: 'web', [REQUEST_TOKEN_LABEL]: token ?? '' })] };
    });
    const created = await client.createRootVm({ mem_size_mib: 512, labels: { app: 'web' } });
    expect(created).toEqual({ vm_id: VM_ID });
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /api/v1/vm/new_root?wait_boot=false', 'GET /api/v1/vms']);
    expect(token).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('createRootVm re-sends with the same token when no VM carries it', async () => {
    const { client, server } = await setup((req, index) => {
      if (req.method === 'GET') return { status: 200, body: [] };
      return index === 0 ? { status: 502, body: 'bad gateway' } : { status: 201, body: { vm_id: VM_ID } };
    });
    await expect(client.createRootVm({}, { waitBoot: true })).resolves.toEqual({ vm_id: VM_ID });
    const posts = server.requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(2);
    expect(posts[0]?.body).toBe(posts[1]?.body);
    expect(posts[0]?.url).toBe('/api/v1/vm/new_root?wait_boot=true');
    expect(withoutRequestToken(JSON.parse(posts[0]?.body ?? '').vm_config.labels)).toEqual({});
  });

  test('commitVm chooses the commit id and, after an ambiguous failure, finds the commit instead of committing twice', async () => {
    let sentId: string | undefined;
    const { client, server } = await setup((req) => {
      if (req.method === 'POST') {
        sentId = (JSON.parse(req.body) as { commit_id: string }).commit_id;
        return { status: 500, body: { success: false, error: 'Internal Server Error' } };
      }
      return { status: 200, body: [{ id: sentId, owner_id: 'o', name: 'n', created_at: 'c', is_public: false }] };
    });
    const result = await client.commitVm(VM_ID, { keepPaused: true, name: 'snap' });
    expect(result).toEqual({ commit_id: sentId });
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      `POST /api/v1/vm/${VM_ID}/commit?keep_paused=true`,
      `GET /api/v1/vm/commits/${sentId}/parents`,
    ]);
    expect(JSON.parse(server.requests[0]?.body ?? '')).toEqual({ commit_id: sentId, name: 'snap' });
  });

  test('commitVm re-sends the same commit id when the first attempt left no commit', async () => {
    const { client, server } = await setup((req, index) => {
      if (req.method === 'GET') return { status: 404, body: { success: false, error: 'commit not found' } };
      return index === 0 ? 'reset' : { status: 201, body: { commit_id: COMMIT_ID } };
    });
    await expect(client.commitVm(VM_ID, { commitId: COMMIT_ID })).resolves.toEqual({ commit_id: COMMIT_ID });
    const posts = server.requests.filter((r) => r.method === 'POST').map((r) => JSON.parse(r.body) as { commit_id: string });
    expect(posts).toEqual([{ commit_id: COMMIT_ID }, { commit_id: COMMIT_ID }]);
  });

  test('deleteVm treats the 403 of an already-deleted VM as deleted when status says 404', async () => {
    const { client, server } = await setup((req) =>
      req.method === 'DELETE' ? { status: 403, body: { success: false, error: 'Forbidden' } } : { status: 404, body: { success: false, error: 'not found' } },
    );
    await expect(client.deleteVm(VM_ID)).resolves.toEqual({ alreadyDeleted: true });
    expect(server.requests.map((r) => r.method)).toEqual(['DELETE', 'GET']);
  });

  test('deleteVm keeps a 403 for a VM that still exists (another organisation)', async () => {
    const { client } = await setup((req) => (req.method === 'DELETE' ? { status: 403, body: { success: false, error: 'Forbidden' } } : { status: 200, body: vm(VM_ID) }));
    await expect(client.deleteVm(VM_ID)).rejects.toMatchObject({ status: 403, code: 'API_FORBIDDEN' });
  });

  test('deleteCommit counts a 404 as deleted and a 204 as deleted now', async () => {
    const { client } = await setup((_req, index) => (index === 0 ? { status: 204 } : { status: 404, body: { success: false, error: 'commit not found' } }));
    await expect(client.deleteCommit(COMMIT_ID)).resolves.toEqual({ alreadyDeleted: false });
    await expect(client.deleteCommit(COMMIT_ID)).resolves.toEqual({ alreadyDeleted: true });
  });

  test('branch accepts both the {vms:[…]} and the legacy {vm_id} response', async () => {
    const other = '44444444-2222-4333-8444-555555555555';
    const { client, server } = await setup((_req, index) => (index === 0 ? { status: 201, body: { vms: [{ vm_id: VM_ID }, { vm_id: other }] } } : { status: 201, body: { vm_id: other } }));
    await expect(client.branchVm(VM_ID, { count: 2, keepPaused: false })).resolves.toEqual([VM_ID, other]);
    await expect(client.branchByCommit(COMMIT_ID)).resolves.toEqual([other]);
    expect(server.requests[0]?.url).toBe(`/api/v1/vm/${VM_ID}/branch?count=2&keep_paused=false`);
  });

  test('empty 200 bodies of state, label and disk calls resolve', async () => {
    const { client, server } = await setup(() => ({ status: 200 }));
    await client.setVmState(VM_ID, 'Paused');
    await client.setLabels(VM_ID, { a: 'b' });
    await client.resizeDisk(VM_ID, 2048);
    expect(server.requests.map((r) => `${r.method} ${r.url} ${r.body}`)).toEqual([
      `PATCH /api/v1/vm/${VM_ID}/state {"state":"Paused"}`,
      `PATCH /api/v1/vm/${VM_ID}/label {"labels":{"a":"b"}}`,
      `PATCH /api/v1/vm/${VM_ID}/disk {"fs_size_mib":2048}`,
    ]);
  });

  test('listAllCommits follows the pages with limit and offset query parameters', async () => {
    const commit = (n: number): object => ({ commit_id: `c${n}`, owner_id: 'o', name: `n${n}`, created_at: 't', is_public: false });
    const { client, server } = await setup((req) => {
      const offset = Number(new URL(req.url, 'http://x').searchParams.get('offset'));
      const commits = offset === 0 ? Array.from({ length: 100 }, (_, i) => commit(i)) : [commit(100)];
      return { status: 200, body: { commits, total: 101, limit: 100, offset } };
    });
    const all = await client.listAllCommits();
    expect(all).toHaveLength(101);
    expect(server.requests.map((r) => r.url)).toEqual(['/api/v1/commits?limit=100&offset=0', '/api/v1/commits?limit=100&offset=100']);
  });

  test('updateCommit requires is_public and sends the PATCH body', async () => {
    const { client, server } = await setup(() => ({ status: 200, body: { commit_id: COMMIT_ID, owner_id: 'o', name: 'x', created_at: 't', is_public: true } }));
    await expect(client.updateCommit(COMMIT_ID, { name: 'x' } as never)).rejects.toBeInstanceOf(ValidationError);
    await expect(client.updateCommit(COMMIT_ID, { is_public: true, name: 'x' })).resolves.toMatchObject({ is_public: true });
    expect(server.requests).toHaveLength(1);
  });

  test('a response missing a required field is an API_BAD_RESPONSE error', async () => {
    const { client } = await setup(() => ({ status: 201, body: { id: VM_ID } }));
    await expect(client.restoreFromCommit(COMMIT_ID)).rejects.toMatchObject({ code: 'API_BAD_RESPONSE' });
  });

  test('ids are checked locally before any request', async () => {
    const { client, server } = await setup(() => ({ status: 200, body: vm(VM_ID) }));
    await expect(client.getVmStatus('not-a-uuid')).rejects.toMatchObject({ code: 'VALIDATION_FAILED', property: 'vmId' });
    expect(server.requests).toHaveLength(0);
  });

  test('aborting the signal cancels a hanging request', async () => {
    const { client } = await setup(() => 'hang');
    const controller = new AbortController();
    const pending = client.listVms({ signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(pending).rejects.toBeInstanceOf(CancelledError);
  });

  test('aborting the signal cancels a retry wait', async () => {
    const { client, server } = await setup(() => ({ status: 503, body: 'x' }), { retry: { limit: 5, baseDelayMs: 10_000, maxDelayMs: 10_000 } });
    const controller = new AbortController();
    const pending = client.listVms({ signal: controller.signal });
    setTimeout(() => controller.abort(), 300);
    const started = Date.now();
    await expect(pending).rejects.toBeInstanceOf(CancelledError);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(server.requests).toHaveLength(1);
  });

  test('a request timeout is a TimeoutError naming the phase and limit', async () => {
    const { client } = await setup(() => 'hang', { retry: { limit: 0 }, timeouts: { request: 300 } });
    await expect(client.listVms()).rejects.toMatchObject({ code: 'TIMEOUT', phase: 'request', limitMs: 300 });
  });

  test('the debug logger sees each attempt but never the Authorization header or the key', async () => {
    const lines: string[] = [];
    const logger = { log: (_level: LogLevel, message: string) => lines.push(message) };
    const { client } = await setup((_req, index) => (index === 0 ? { status: 500, body: `echo ${API_KEY}` } : { status: 200, body: [] }), { logger });
    await client.listVms();
    expect(lines.some((line) => line.includes('GET /api/v1/vms'))).toBe(true);
    expect(lines.join('\n')).not.toContain(API_KEY.slice(36));
    expect(lines.join('\n').toLowerCase()).not.toContain('authorization');
  });

  test('a call without an API key fails with a ConfigError naming api_key, before any request', async () => {
    server = await startScriptedApiServer(() => ({ status: 200, body: [] }));
    client = new VersClient(resolveProviderConfig({ baseUrl: server.origin }, {}));
    await expect(client.listVms()).rejects.toMatchObject({ code: 'CONFIG_INVALID', option: 'api_key' });
    expect(server.requests).toHaveLength(0);
  });

  test('unknown or mistyped options are rejected with the option name', () => {
    const config = resolveProviderConfig({ apiKey: API_KEY }, {});
    expect(() => new VersClient(config, { retry: { limt: 2 } } as never)).toThrow(/ClientOptions\.retry\.limt is not a known option/);
    expect(() => new VersClient(config, { timeouts: { request: -1 } })).toThrow(/ClientOptions\.timeouts\.request must be an integer/);
    expect(() => new VersClient(config, { verbose: true } as never)).toThrow(ValidationError);
  });

  describe('over TLS', () => {
    // Made in beforeAll, not at collection, so a run that filters these tests out (-t) leaves no temp dir.
    let pki: TestPki;
    beforeAll(() => {
      pki = makeTestPki(['localhost']);
    });
    afterAll(() => pki.cleanup());

    async function tlsSetup(input: { tlsCaFile?: string; insecureSkipTlsVerify?: boolean }): Promise<{ client: VersClient; requests: RecordedRequest[] }> {
      server = await startScriptedApiServer(() => ({ status: 200, body: { executable_name: 'orchestrator', workspace_version: '0.1.0', git_hash: 'abc' } }), { tls: pki });
      client = new VersClient(resolveProviderConfig({ apiKey: API_KEY, baseUrl: `https://localhost:${server.port}/api/v1`, ...input }, {}), { retry: { limit: 0 } });
      return { client, requests: server.requests };
    }

    test('the configured CA file is trusted in addition to the system CAs', async () => {
      const { client } = await tlsSetup({ tlsCaFile: pki.caFile });
      await expect(client.systemVersion()).resolves.toMatchObject({ executable_name: 'orchestrator' });
    });

    test('an unknown CA is refused with a hint about tls_ca_file', async () => {
      const { client, requests } = await tlsSetup({});
      const error = (await client.systemVersion().catch((e: unknown) => e)) as NetworkError;
      expect(error).toBeInstanceOf(NetworkError);
      expect(error.message).toContain('tls_ca_file');
      expect(requests).toHaveLength(0);
    });

    test('insecure_skip_tls_verify accepts an unknown CA', async () => {
      const { client } = await tlsSetup({ insecureSkipTlsVerify: true });
      await expect(client.systemVersion()).resolves.toMatchObject({ git_hash: 'abc' });
    });
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
