import { resolveProviderConfig } from '../../core/settings';
import { AuthError, ConflictError, NetworkError, NotFoundError, ValidationError } from '../../core/base/errors';
import { loadSpecValidator } from '../helpers/spec-schemas';
import { REQUEST_TOKEN_LABEL, VersClient, withoutRequestToken } from '../../core/client/vers-client';
import { waitForVmState } from '../../core/client/wait-for-vm-state';
import { startVersLocal, type VersLocalProcess } from '../helpers/vers-local';

/**
 * The Vers client against vers-local (HTTPS with its own CA): every call the
 * core uses, responses validated against the OpenAPI spec, and the retry
 * rules under injected faults, counted on the server side.
 */

const spec = loadSpecValidator();

function expectSpec(schema: string, value: unknown): void {
  expect({ schema, errors: spec.errors(schema, value) }).toEqual({ schema, errors: [] });
}

interface RouteStats {
  count: number;
  statuses: Record<string, number>;
}

interface Fixture {
  local: VersLocalProcess;
  client: VersClient;
  /** VMs to delete after each test (the org quota is 8 vCPUs). */
  vms: string[];
}

/** One vers-local per describe block, and VMs deleted after each test. */
function useVersLocal(args: string[]): Fixture {
  const fixture = { vms: [] } as unknown as Fixture;
  beforeAll(async () => {
    fixture.local = await startVersLocal({ args: [...args, '--boot-delay-ms', '400'] });
    const ready = fixture.local.ready;
    fixture.client = new VersClient(resolveProviderConfig({ apiKey: ready.api_key, baseUrl: ready.base_url, tlsCaFile: ready.tls_ca_file, vmDomain: ready.vm_domain }, {}), {
      retry: { limit: 4, baseDelayMs: 50, maxDelayMs: 200 },
    });
  });
  afterEach(async () => {
    await fixture.local.admin('PUT', '/faults', { json: { routes: [] } });
    for (const vmId of fixture.vms.splice(0)) await fixture.client.deleteVm(vmId);
  });
  afterAll(async () => {
    fixture.client?.close();
    await fixture.local?.stop();
  });
  return fixture;
}

describe('VersClient against vers-local over HTTPS with its CA', () => {
  const fixture = useVersLocal(['--https']);

  test('a VM goes through create, boot, read, label, pause, commit, restore, branch, key, resize, exec and delete', async () => {
    const progress: string[] = [];
    const { vm_id: vmId } = await fixture.client.createRootVm({ vcpu_count: 1, mem_size_mib: 256, labels: { app: 'client-test' } });
    fixture.vms.push(vmId);
    expect((await fixture.client.getVmStatus(vmId)).state).toBe('booting');
    const booted = await waitForVmState((id, call) => fixture.client.getVmStatus(id, call), vmId, 'running', { timeoutMs: 60_000, progressEveryMs: 0, onProgress: (m) => progress.push(m) });
    expectSpec('VM', booted);
    expect(progress[0]).toMatch(new RegExp(`^waiting for VM ${vmId} to boot \\(booting, \\d+ s elapsed\\)$`));

    const listed = (await fixture.client.listVms()).find((vm) => vm.vm_id === vmId);
    expect(listed).toBeDefined();
    expectSpec('VM', listed);
    expect(listed?.labels?.[REQUEST_TOKEN_LABEL]).toMatch(/^[0-9a-f-]{36}$/);
    expect(withoutRequestToken(listed?.labels)).toEqual({ app: 'client-test' });

    const metadata = await fixture.client.getVmMetadata(vmId);
    expectSpec('VmMetadataResponse', metadata);
    expect(metadata.parent_commit_id ?? null).toBeNull();

    await fixture.client.setLabels(vmId, { app: 'relabelled' });
    expect((await fixture.client.getVmStatus(vmId)).labels).toEqual({ app: 'relabelled' });

    await fixture.client.setVmState(vmId, 'Paused');
    expect((await fixture.client.getVmStatus(vmId)).state).toBe('paused');
    await fixture.client.setVmState(vmId, 'Running');

    const commit = await fixture.client.commitVm(vmId, { keepPaused: true, name: 'client-test', description: 'from the client test' });
    expectSpec('VmCommitResponse', commit);
    expect((await fixture.client.getVmStatus(vmId)).state).toBe('paused');
    await fixture.client.setVmState(vmId, 'Running');

    const parents = await fixture.client.getCommitParents(commit.commit_id);
    parents.forEach((entity) => expectSpec('VmCommitEntity', entity));
    expect(parents[0]).toMatchObject({ id: commit.commit_id, name: 'client-test', parent_vm_id: vmId });

    const page = await fixture.client.listCommits({ limit: 10 });
    expectSpec('ListCommitsResponse', page);
    expect(page.commits.map((c) => c.commit_id)).toContain(commit.commit_id);
    expect((await fixture.client.listAllCommits()).map((c) => c.commit_id)).toContain(commit.commit_id);

    const updated = await fixture.client.updateCommit(commit.commit_id, { is_public: true, name: 'renamed' });
    expectSpec('CommitInfo', updated);
    expect(updated).toMatchObject({ is_public: true, name: 'renamed' });

    const restored = await fixture.client.restoreFromCommit(commit.commit_id);
    fixture.vms.push(restored.vm_id);
    expect((await fixture.client.getVmStatus(restored.vm_id)).state).toBe('running');
    expect((await fixture.client.getVmMetadata(restored.vm_id)).parent_commit_id).toBe(commit.commit_id);

    const branched = await fixture.client.branchVm(vmId, { count: 1 });
    const byCommit = await fixture.client.branchByCommit(commit.commit_id, { count: 2 });
    const byVm = await fixture.client.branchByVm(vmId);
    fixture.vms.push(...branched, ...byCommit, ...byVm);
    expect([branched.length, byCommit.length, byVm.length]).toEqual([1, 2, 1]);

    const key = await fixture.client.getSshKey(vmId);
    expectSpec('VmSshKeyResponse', key);
    expect(key.ssh_private_key).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);

    await fixture.client.resizeDisk(vmId, 2048);

    const exec = await fixture.client.exec(vmId, { command: ['bash', '-c', 'echo out; echo err >&2; exit 4'] });
    expectSpec('VmExecResponse', exec);
    expect(exec).toMatchObject({ exit_code: 4, stdout: 'out\n', stderr: 'err\n' });

    await expect(fixture.client.deleteCommit(commit.commit_id)).rejects.toBeInstanceOf(ConflictError);
    for (const child of [restored.vm_id, ...byCommit]) await fixture.client.deleteVm(child);
    await expect(fixture.client.deleteCommit(commit.commit_id)).resolves.toEqual({ alreadyDeleted: false });
    await expect(fixture.client.deleteCommit(commit.commit_id)).resolves.toEqual({ alreadyDeleted: true });

    await expect(fixture.client.deleteVm(vmId)).resolves.toEqual({ alreadyDeleted: false });
    await expect(fixture.client.deleteVm(vmId)).resolves.toEqual({ alreadyDeleted: true });
    await expect(fixture.client.getVmStatus(vmId)).rejects.toBeInstanceOf(NotFoundError);
  });

  test('key validation and the system version follow the spec', async () => {
    const validation = await fixture.client.validateKey();
    expectSpec('ValidateKeyResponse', validation);
    expect(validation.valid).toBe(true);
    expectSpec('OrchestratorVersion', await fixture.client.systemVersion());
  });

  test('a wrong key is an AuthError that does not leak the key', async () => {
    const wrongKey = `${fixture.local.ready.api_key.slice(0, 36)}${'0'.repeat(64)}`;
    const wrong = new VersClient(resolveProviderConfig({ apiKey: wrongKey, baseUrl: fixture.local.ready.base_url, tlsCaFile: fixture.local.ready.tls_ca_file }, {}));
    try {
      const error = (await wrong.listVms().catch((e: unknown) => e)) as AuthError;
      expect(error).toBeInstanceOf(AuthError);
      expect(error.message).toContain('VERS_API_KEY');
      expect(error.message).not.toContain('0'.repeat(64));
      expect(error.requestId).toMatch(/.+/);
    } finally {
      wrong.close();
    }
  });

  test('without the vers-local CA the HTTPS API is refused with a tls_ca_file hint', async () => {
    const untrusting = new VersClient(resolveProviderConfig({ apiKey: fixture.local.ready.api_key, baseUrl: fixture.local.ready.base_url }, {}), { retry: { limit: 0 } });
    try {
      await expect(untrusting.listVms()).rejects.toThrow(NetworkError);
      await expect(untrusting.listVms()).rejects.toThrow(/tls_ca_file/);
    } finally {
      untrusting.close();
    }
  });

  test('a bad id is refused locally, and the server 400 text would be typed too', async () => {
    await expect(fixture.client.getVmStatus('not-a-uuid')).rejects.toBeInstanceOf(ValidationError);
    await expect(fixture.client.deleteCommit('00000000-0000-4000-8000-000000000000')).resolves.toEqual({ alreadyDeleted: true });
  });
});

// Plain HTTP: vers-local's injected connection resets become 500s under --https (TLS sockets cannot be reset).
describe('VersClient against vers-local under injected faults', () => {
  const fixture = useVersLocal([]);

  async function setFaults(config: object): Promise<void> {
    const res = await fixture.local.admin('PUT', '/faults', { json: config });
    expect(res.status).toBe(200);
  }

  async function routeStats(route: string): Promise<RouteStats> {
    const stats = (await fixture.local.admin('GET', '/stats')).json<{ routes: Record<string, RouteStats> }>();
    return stats.routes[route] ?? { count: 0, statuses: {} };
  }

  test('GETs ride out 503s and resets', async () => {
    await setFaults({ seed: 7, routes: [{ route: 'GET /api/v1/vms', error503: 0.2, connectionReset: 0.15, retryAfterSeconds: 0 }] });
    for (let i = 0; i < 8; i++) await expect(fixture.client.listVms()).resolves.toEqual(expect.any(Array));
    const stats = await routeStats('GET /api/v1/vms');
    expect(stats.statuses['200']).toBe(8);
    expect(stats.statuses['503']).toBeGreaterThan(0);
    expect(stats.statuses.reset).toBeGreaterThan(0);
  });

  test('a root VM whose response was lost is adopted, never created twice', async () => {
    await setFaults({ routes: [{ route: 'POST /api/v1/vm/new_root', connectionReset: 1, phase: 'after' }] });
    const before = (await routeStats('POST /api/v1/vm/new_root')).count;
    const { vm_id: vmId } = await fixture.client.createRootVm({ labels: { case: 'adopted' } }, { waitBoot: true });
    fixture.vms.push(vmId);
    expect((await routeStats('POST /api/v1/vm/new_root')).count - before).toBe(1);
    const history = (await fixture.local.admin('GET', '/history')).json<{ vms: Array<{ vm_id: string; labels: Record<string, string> }> }>();
    const adopted = history.vms.filter((vm) => vm.labels.case === 'adopted');
    expect(adopted.map((vm) => vm.vm_id)).toEqual([vmId]);
    // waitBoot was asked for: the adopted VM is returned only once running.
    expect((await fixture.client.getVmStatus(vmId)).state).toBe('running');
  });

  test('a commit whose response was a 500 is found by its id, never made twice', async () => {
    const { vm_id: vmId } = await fixture.client.createRootVm({}, { waitBoot: true });
    fixture.vms.push(vmId);
    await setFaults({ routes: [{ route: 'POST /api/v1/vm/{vm_id}/commit', error500: 1, phase: 'after' }] });
    const commitsBefore = (await fixture.client.listAllCommits()).length;
    const { commit_id: commitId } = await fixture.client.commitVm(vmId);
    await setFaults({ routes: [] });
    const commits = await fixture.client.listAllCommits();
    expect(commits).toHaveLength(commitsBefore + 1);
    expect(commits.map((c) => c.commit_id)).toContain(commitId);
    expect((await routeStats('POST /api/v1/vm/{vm_id}/commit')).statuses['500']).toBe(1);
  });

  test('a restore whose answer was lost after reaching the server adopts the VM it made instead of sending again', async () => {
    const { vm_id: vmId } = await fixture.client.createRootVm({}, { waitBoot: true });
    fixture.vms.push(vmId);
    const { commit_id: commitId } = await fixture.client.commitVm(vmId);
    await setFaults({ routes: [{ route: 'POST /api/v1/vm/from_commit', error500: 1, phase: 'after' }] });
    const before = (await routeStats('POST /api/v1/vm/from_commit')).count;
    const restored = await fixture.client.restoreFromCommit(commitId);
    fixture.vms.push(restored.vm_id);
    expect((await routeStats('POST /api/v1/vm/from_commit')).count - before).toBe(1);
    expect((await fixture.client.getVmMetadata(restored.vm_id)).parent_commit_id).toBe(commitId);
    // The one VM the failed call made is the one returned; there is no second one.
    expect((await fixture.client.listVms()).map((vm) => vm.vm_id).sort()).toEqual([vmId, restored.vm_id].sort());
  });

  test('parallel restores of one commit whose answers are all lost each adopt a different VM', async () => {
    const { vm_id: vmId } = await fixture.client.createRootVm({}, { waitBoot: true });
    fixture.vms.push(vmId);
    const { commit_id: commitId } = await fixture.client.commitVm(vmId);
    await setFaults({ routes: [{ route: 'POST /api/v1/vm/from_commit', error500: 1, phase: 'after' }] });
    const restored = await Promise.all([1, 2, 3].map(() => fixture.client.restoreFromCommit(commitId)));
    for (const vm of restored) fixture.vms.push(vm.vm_id);
    expect(new Set(restored.map((vm) => vm.vm_id)).size).toBe(3);
    expect((await fixture.client.listVms()).filter((vm) => vm.vm_id !== vmId)).toHaveLength(3);
  });

  test('a branch whose answer was lost adopts the VM it made; a restore of a commit of the same VM losing its answer alongside keeps its own', async () => {
    const { vm_id: vmId } = await fixture.client.createRootVm({}, { waitBoot: true });
    fixture.vms.push(vmId);
    const { commit_id: commitId } = await fixture.client.commitVm(vmId);
    await setFaults({
      routes: [
        { route: 'POST /api/v1/vm/branch/by_vm/{vm_id}', error500: 1, phase: 'after' },
        { route: 'POST /api/v1/vm/from_commit', error500: 1, phase: 'after' },
      ],
    });
    const branchesBefore = (await routeStats('POST /api/v1/vm/branch/by_vm/{vm_id}')).count;
    // Both new VMs descend from vmId; the restore's is created first, so only the commit tells them apart.
    const restoring = fixture.client.restoreFromCommit(commitId);
    const branching = new Promise((resolve) => setTimeout(resolve, 50)).then(() => fixture.client.branchByVm(vmId, { count: 1 }));
    const [restored, branched] = await Promise.all([restoring, branching]);
    fixture.vms.push(restored.vm_id, ...branched);
    expect(branched).toHaveLength(1);
    expect((await routeStats('POST /api/v1/vm/branch/by_vm/{vm_id}')).count - branchesBefore).toBe(1);
    const branchMetadata = await fixture.client.getVmMetadata(branched[0] as string);
    expect(branchMetadata.grandparent_vm_id).toBe(vmId);
    expect(branchMetadata.parent_commit_id).not.toBe(commitId);
    expect((await fixture.client.getVmMetadata(restored.vm_id)).parent_commit_id).toBe(commitId);
    // The two VMs the failed calls made are the ones returned; there is no third.
    expect((await fixture.client.listVms()).map((vm) => vm.vm_id).sort()).toEqual([vmId, restored.vm_id, branched[0]].sort());
  });

  test('a branch of several VMs whose answer was lost is not sent again: the error stands', async () => {
    const { vm_id: vmId } = await fixture.client.createRootVm({}, { waitBoot: true });
    fixture.vms.push(vmId);
    await setFaults({ routes: [{ route: 'POST /api/v1/vm/branch/by_vm/{vm_id}', error500: 1, phase: 'after' }] });
    const before = (await routeStats('POST /api/v1/vm/branch/by_vm/{vm_id}')).count;
    await expect(fixture.client.branchByVm(vmId, { count: 2 })).rejects.toMatchObject({ status: 500 });
    expect((await routeStats('POST /api/v1/vm/branch/by_vm/{vm_id}')).count - before).toBe(1);
    await setFaults({ routes: [] });
    for (const vm of await fixture.client.listVms()) if (vm.vm_id !== vmId) fixture.vms.push(vm.vm_id);
  });

  test('a restore refused with 429 before running is retried', async () => {
    const { vm_id: vmId } = await fixture.client.createRootVm({}, { waitBoot: true });
    fixture.vms.push(vmId);
    const { commit_id: commitId } = await fixture.client.commitVm(vmId);
    await setFaults({ seed: 3, routes: [{ route: 'POST /api/v1/vm/from_commit', error429: 0.5, retryAfterSeconds: 0 }] });
    const restored = await fixture.client.restoreFromCommit(commitId);
    fixture.vms.push(restored.vm_id);
    expect((await fixture.client.getVmStatus(restored.vm_id)).state).toBe('running');
  });

  test('a VM that fails to boot is reported as gone while waiting', async () => {
    await setFaults({ bootFailureRate: 1 });
    const { vm_id: vmId } = await fixture.client.createRootVm({});
    const error = (await waitForVmState((id, call) => fixture.client.getVmStatus(id, call), vmId, 'running', { timeoutMs: 30_000 }).catch((e: unknown) => e)) as NotFoundError;
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toContain('disappeared');
    await setFaults({ bootFailureRate: 0 });
    await expect(fixture.client.deleteVm(vmId)).resolves.toEqual({ alreadyDeleted: true });
  });
});
