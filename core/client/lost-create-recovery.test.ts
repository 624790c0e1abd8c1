import { createServer, type Server, type Socket } from 'node:net';
import { resolveProviderConfig } from '../settings';
import { type ScriptedApiServer, startScriptedApiServer } from '../../tests/helpers/scripted-api-server';
import { ScriptedVersOrg } from '../../tests/helpers/scripted-vers-org';
import type { ClientOptions } from './options';
import { REQUEST_TOKEN_LABEL, VersClient } from './vers-client';

/**
 * Lost answers of creates, below HTTP: a scripted Vers organisation in
 * which earlier runs, other processes and this client made VMs, with a
 * server clock that need not agree with this machine's. Each case is a
 * reproduction of issue 10 (Why 1, 2 and 8): recovery must adopt the VM
 * this call made and nothing else, say so when it cannot know, and every
 * call must end within its deadline.
 */

const API_KEY = `0b3c1f6e-2a4d-4c8e-9f10-1234567890ab${'a1b2c3d4'.repeat(8)}`;
const FAST_RETRY = { limit: 3, baseDelayMs: 20, maxDelayMs: 50 };
const LOSE_ANSWER = { status: 500, body: { success: false, error: 'Internal Server Error' } } as const;

describe('lost-create recovery', () => {
  let server: ScriptedApiServer | undefined;
  let client: VersClient | undefined;

  afterEach(async () => {
    client?.close();
    client = undefined;
    await server?.close();
    server = undefined;
  });

  async function connect(org: ScriptedVersOrg, options: ClientOptions = {}): Promise<VersClient> {
    server = await startScriptedApiServer(org.handler());
    client = new VersClient(resolveProviderConfig({ apiKey: API_KEY, baseUrl: `${server.origin}/api/v1` }, {}), { retry: FAST_RETRY, ...options });
    return client;
  }

  const posts = (org: ScriptedVersOrg, route: string): number => org.log.filter((line) => line === `POST /api/v1${route}`).length;

  test('a restore whose answer was lost adopts the VM it made, not the VM an earlier run restored from the same commit 30 s before', async () => {
    const org = new ScriptedVersOrg();
    const commit = org.addCommit({ ageMs: 60_000 });
    const earlier = org.addVm({ parent_commit_id: commit.id, ageMs: 30_000 });
    org.faults = [{ route: 'POST /api/v1/vm/from_commit', phase: 'after', reply: LOSE_ANSWER }];
    const vers = await connect(org);
    const restored = await vers.restoreFromCommit(commit.id);
    const made = org.childrenOf(commit.id).filter((vm) => vm.vm_id !== earlier.vm_id);
    expect(made).toHaveLength(1);
    expect(restored.vm_id).toBe(made[0]?.vm_id);
    expect(posts(org, '/vm/from_commit')).toBe(1);
  });

  test('with the server clock 10 minutes ahead, a VM restored from the commit 5 minutes before the call is not adopted', async () => {
    const org = new ScriptedVersOrg();
    org.serverOffsetMs = 600_000;
    const commit = org.addCommit({ ageMs: 900_000 });
    const earlier = org.addVm({ parent_commit_id: commit.id, ageMs: 300_000 });
    org.faults = [{ route: 'POST /api/v1/vm/from_commit', phase: 'after', reply: LOSE_ANSWER }];
    const vers = await connect(org);
    const restored = await vers.restoreFromCommit(commit.id);
    expect(restored.vm_id).not.toBe(earlier.vm_id);
    expect(org.childrenOf(commit.id).map((vm) => vm.vm_id)).toEqual([earlier.vm_id, restored.vm_id]);
  });

  test('with the server clock 10 minutes behind, the VM the call made is still found: no second restore', async () => {
    const org = new ScriptedVersOrg();
    org.serverOffsetMs = -600_000;
    const commit = org.addCommit({ ageMs: 60_000 });
    org.faults = [{ route: 'POST /api/v1/vm/from_commit', phase: 'after', reply: LOSE_ANSWER }];
    const vers = await connect(org);
    const restored = await vers.restoreFromCommit(commit.id);
    expect(org.childrenOf(commit.id).map((vm) => vm.vm_id)).toEqual([restored.vm_id]);
    expect(posts(org, '/vm/from_commit')).toBe(1);
  });

  test('a VM another process restored from the same commit during the call makes the outcome ambiguous: nothing is adopted, and the error names both VMs and how to import or delete them', async () => {
    const org = new ScriptedVersOrg();
    const commit = org.addCommit({ ageMs: 60_000 });
    org.faults = [{ route: 'POST /api/v1/vm/from_commit', phase: 'after', reply: LOSE_ANSWER }];
    const outsiderIds: string[] = [];
    // Another client restores the same commit just before this call's request runs.
    org.beforeRun = (route) => {
      if (route === 'POST /api/v1/vm/from_commit') outsiderIds.push(org.addVm({ parent_commit_id: commit.id }).vm_id);
    };
    const vers = await connect(org);
    const error = (await vers.restoreFromCommit(commit.id).catch((e: unknown) => e)) as Error & { code?: string; candidateVmIds?: string[] };
    const all = org.childrenOf(commit.id).map((vm) => vm.vm_id);
    expect(all).toHaveLength(2);
    expect(error.code).toBe('CREATE_OUTCOME_UNKNOWN');
    expect([...(error.candidateVmIds ?? [])].sort()).toEqual([...all].sort());
    for (const id of all) expect(error.message).toContain(id);
    expect(error.message).toContain('terraform import');
    expect(error.message).toContain('pulumi import');
    expect(posts(org, '/vm/from_commit')).toBe(1);
    expect(outsiderIds).toHaveLength(1);
  });

  test('a VM that carries another create call’s request token is never taken for this call’s', async () => {
    const org = new ScriptedVersOrg();
    const commit = org.addCommit({ ageMs: 60_000 });
    let other = '';
    org.faults = [{ route: 'POST /api/v1/vm/from_commit', phase: 'after', reply: LOSE_ANSWER }];
    // Another resource's restore, made and labelled by its own call while this one runs.
    org.beforeRun = (route) => {
      if (route === 'POST /api/v1/vm/from_commit' && other === '') other = org.addVm({ parent_commit_id: commit.id, labels: { [REQUEST_TOKEN_LABEL]: '7d1f0a52-6a43-4a57-9d7e-2b8f0f0c1d11' } }).vm_id;
    };
    const vers = await connect(org);
    const restored = await vers.restoreFromCommit(commit.id);
    expect(restored.vm_id).not.toBe(other);
    expect(org.childrenOf(commit.id).map((vm) => vm.vm_id)).toEqual([other, restored.vm_id]);
  });

  test('a branch whose answer was lost does not take the VM an earlier run restored from a commit of the same source; it adopts its own', async () => {
    const org = new ScriptedVersOrg();
    const source = org.addVm({ ageMs: 120_000 });
    // An earlier run committed the source (not this client: it does not know the commit) and restored it.
    const commit = org.addCommit({ parent_vm_id: source.vm_id, ageMs: 40_000 });
    const restoredEarlier = org.addVm({ parent_commit_id: commit.id, grandparent_vm_id: source.vm_id, ageMs: 30_000 });
    org.faults = [{ route: 'POST /api/v1/vm/branch/by_vm/.+', phase: 'after', reply: LOSE_ANSWER }];
    const vers = await connect(org);
    const branched = await vers.branchByVm(source.vm_id, { count: 1 });
    expect(branched).not.toContain(restoredEarlier.vm_id);
    const made = [...org.vms.values()].filter((vm) => vm.grandparent_vm_id === source.vm_id && vm.vm_id !== restoredEarlier.vm_id);
    expect(branched).toEqual(made.map((vm) => vm.vm_id));
    expect(posts(org, `/vm/branch/by_vm/${source.vm_id}`)).toBe(1);
  });

  test('three restores of one commit that all lose their answers each adopt one of the three VMs they made; none is shared or left', async () => {
    const org = new ScriptedVersOrg();
    const commit = org.addCommit({ ageMs: 60_000 });
    org.faults = [{ route: 'POST /api/v1/vm/from_commit', phase: 'after', reply: LOSE_ANSWER }];
    const vers = await connect(org);
    const results = await Promise.all([vers.restoreFromCommit(commit.id), vers.restoreFromCommit(commit.id), vers.restoreFromCommit(commit.id)]);
    const ids = results.map((result) => result.vm_id);
    expect(new Set(ids).size).toBe(3);
    expect([...ids].sort()).toEqual(org.childrenOf(commit.id).map((vm) => vm.vm_id).sort());
    expect(posts(org, '/vm/from_commit')).toBe(3);
  });

  test('a root VM whose answer was lost while the VM list answers 503: the error says the VM may exist and names its request-token label', async () => {
    const org = new ScriptedVersOrg();
    org.faults = [
      { route: 'POST /api/v1/vm/new_root', phase: 'after', reply: LOSE_ANSWER },
      { route: 'GET /api/v1/vms', phase: 'before', reply: { status: 503, body: '503 Service unavailable' } },
    ];
    const vers = await connect(org, { deadlines: { request: 500, createVm: 1500 } });
    const error = (await vers.createRootVm({}).catch((e: unknown) => e)) as Error & { code?: string; requestToken?: string };
    const [made] = [...org.vms.values()];
    const token = made?.labels[REQUEST_TOKEN_LABEL];
    expect(token).toMatch(/^[0-9a-f-]{36}$/);
    expect(error.code).toBe('CREATE_OUTCOME_UNKNOWN');
    expect(error.requestToken).toBe(token);
    expect(error.message).toContain(`${REQUEST_TOKEN_LABEL}=${token}`);
    expect(error.message).toMatch(/may have (been )?(made|created)/);
    expect(posts(org, '/vm/new_root')).toBe(1);
  });

  test('a recovery that cannot list VMs at first keeps trying within the call’s deadline and adopts the VM', async () => {
    const org = new ScriptedVersOrg();
    org.faults = [
      { route: 'POST /api/v1/vm/new_root', phase: 'after', reply: 'reset' },
      // More failures than one listVms call retries.
      { route: 'GET /api/v1/vms', phase: 'before', reply: { status: 503, body: '503 Service unavailable' }, times: 6 },
    ];
    const vers = await connect(org);
    const created = await vers.createRootVm({});
    expect([...org.vms.keys()]).toEqual([created.vm_id]);
    expect(posts(org, '/vm/new_root')).toBe(1);
  });

  test('the last attempt of a create checks for its VM before giving up', async () => {
    const org = new ScriptedVersOrg();
    org.faults = [{ route: 'POST /api/v1/vm/new_root', phase: 'after', reply: LOSE_ANSWER }];
    const vers = await connect(org, { retry: { limit: 0 } });
    const created = await vers.createRootVm({});
    expect([...org.vms.keys()]).toEqual([created.vm_id]);
  });

  test('a commit whose answer was lost on the last attempt is found by its id, not made twice', async () => {
    const org = new ScriptedVersOrg();
    const vm = org.addVm({ ageMs: 10_000 });
    org.faults = [{ route: 'POST /api/v1/vm/.+/commit', phase: 'after', reply: 'reset' }];
    const vers = await connect(org, { retry: { limit: 0 } });
    const made = await vers.commitVm(vm.vm_id);
    expect([...org.commits.keys()]).toEqual([made.commit_id]);
  });
});

describe('one deadline per API call', () => {
  let silent: Server | undefined;
  let client: VersClient | undefined;

  afterEach(async () => {
    client?.close();
    client = undefined;
    await new Promise<void>((resolve) => (silent === undefined ? resolve() : silent.close(() => resolve())));
    silent = undefined;
  });

  test('an API that accepts connections and never answers fails the call at its deadline; the error names the attempts and the limit, and every attempt was one connection', async () => {
    const sockets: Socket[] = [];
    silent = createServer((socket) => sockets.push(socket));
    silent.on('close', () => undefined);
    await new Promise<void>((resolve) => silent!.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    client = new VersClient(resolveProviderConfig({ apiKey: API_KEY, baseUrl: `http://127.0.0.1:${port}` }, {}), {
      retry: { limit: 10, baseDelayMs: 20, maxDelayMs: 40 },
      timeouts: { request: 300 },
      deadlines: { request: 1000 },
    });
    const error = (await client.listVms().catch((e: unknown) => e)) as Error & { code?: string; attempts?: number };
    for (const socket of sockets) socket.destroy();
    expect(error.code).toBe('TIMEOUT');
    const match = /no answer in (\d+) attempts over 1s/.exec(error.message);
    expect(match).not.toBeNull();
    const attempts = Number(match?.[1]);
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThanOrEqual(4);
    expect(error.attempts).toBe(attempts);
    expect(sockets).toHaveLength(attempts);
  });
});
