import { startVersLocal, type VersLocalProcess } from '../helpers/vers-local';
import { REQUEST_TOKEN_LABEL } from '../../core/client';
import { APPLY, DESTROY, liveVmIds, PROVIDER_HEADER, ReliabilityWorkspace, terraformSuite, waitUntil } from './harness/reliability-workspace';
import { auditHistory, vmHistory, type HistoryVm } from './harness/vm-history';

/**
 * Issue 10, Why 1 and 2, through the real terraform against vers-local:
 * a create whose answer is lost must adopt the VM it made — never a VM an
 * earlier run made for another resource — and a recovery that cannot list
 * VMs must keep trying instead of leaving a VM that no state records.
 */

const suite = terraformSuite('tests/reliability/lost-answers.test.ts');

const byRole = (vm: HistoryVm): string | undefined => {
  const { role, index } = vm.labels;
  if (role === undefined) return undefined;
  return index === undefined ? role : `${role}[${index}]`;
};

suite('lost answers of creates through terraform', () => {
  let local: VersLocalProcess;
  const workspaces: ReliabilityWorkspace[] = [];

  beforeAll(async () => {
    local = await startVersLocal();
  });

  afterAll(async () => {
    for (const workspace of workspaces) workspace.dispose();
    const report = await local?.stop();
    expect(report?.exitCode ?? 0).toBe(0);
  });

  async function fresh(hcl: string): Promise<ReliabilityWorkspace> {
    await local.admin('POST', '/reset');
    const workspace = new ReliabilityWorkspace(local);
    workspaces.push(workspace);
    workspace.writeConfig(`${PROVIDER_HEADER}\nprovider "vers" {}\n${hcl}`);
    return workspace;
  }

  async function withFaults<T>(faults: object, run: () => Promise<T>): Promise<T> {
    await local.admin('PUT', '/faults', { json: faults });
    try {
      return await run();
    } finally {
      await local.admin('PUT', '/faults', { json: {} });
    }
  }

  const idOf = (workspace: ReliabilityWorkspace, address: string): string | undefined => workspace.instances().find((instance) => instance.address === address)?.id;

  test('a second restore of a commit whose answer is lost adopts the VM Vers made for it, not the first restore’s VM: distinct VMs, none untracked, the plan settles, and shrinking the count keeps the first', async () => {
    const workspace = await fresh(`
variable "workers" {
  type    = number
  default = 1
}

resource "vers_vm" "golden" {
  labels = { role = "golden" }
}

resource "vers_vm_commit" "golden" {
  vm_id             = vers_vm.golden.id
  delete_on_destroy = true
}

resource "vers_vm_restore" "w" {
  count     = var.workers
  commit_id = vers_vm_commit.golden.commit_id
  labels    = { role = "w", index = tostring(count.index) }
}
`);
    await workspace.ok(APPLY);
    const first = idOf(workspace, 'vers_vm_restore.w[0]');
    const before = (await vmHistory(local)).length;

    await withFaults({ seed: 1001, routes: [{ route: 'POST /api/v1/vm/from_commit', error500: 1, phase: 'after' }] }, () => workspace.ok([...APPLY, '-var', 'workers=2']));
    expect(idOf(workspace, 'vers_vm_restore.w[0]')).toBe(first);
    expect(idOf(workspace, 'vers_vm_restore.w[1]')).not.toBe(first);
    expect((await vmHistory(local)).length).toBe(before + 1);
    expect(await liveVmIds(local)).toEqual(workspace.vmIdsInState());
    expect((await workspace.run(['plan', '-detailed-exitcode', '-no-color', '-var', 'workers=2'])).code).toBe(0);

    await workspace.ok([...APPLY, '-var', 'workers=1']);
    expect(idOf(workspace, 'vers_vm_restore.w[0]')).toBe(first);
    expect(await liveVmIds(local)).toEqual(workspace.vmIdsInState());
    expect(await liveVmIds(local)).toContain(first);

    await workspace.ok([...DESTROY, '-var', 'workers=1']);
    expect(auditHistory(await vmHistory(local), { addressOf: byRole, idsSeenInState: workspace.vmIdsSeenInState })).toEqual([]);
  }, 300_000);

  test('a branch whose answer is lost adopts its own VM, not the VM an earlier run restored from a commit of the same source', async () => {
    const workspace = await fresh(`
variable "branches" {
  type    = number
  default = 0
}

resource "vers_vm" "source" {
  labels = { role = "source" }
}

resource "vers_vm_commit" "snap" {
  vm_id             = vers_vm.source.id
  delete_on_destroy = true
}

resource "vers_vm_restore" "copy" {
  commit_id = vers_vm_commit.snap.commit_id
  labels    = { role = "copy" }
}

resource "vers_vm_branch" "b" {
  count        = var.branches
  source_vm_id = vers_vm.source.id
  labels       = { role = "b", index = tostring(count.index) }
}
`);
    await workspace.ok(APPLY);
    const copy = idOf(workspace, 'vers_vm_restore.copy');
    const before = (await vmHistory(local)).length;

    await withFaults({ seed: 1002, routes: [{ route: 'POST /api/v1/vm/branch/by_vm/{vm_id}', error500: 1, phase: 'after' }] }, () =>
      workspace.ok([...APPLY, '-var', 'branches=1']),
    );
    expect(idOf(workspace, 'vers_vm_restore.copy')).toBe(copy);
    expect(idOf(workspace, 'vers_vm_branch.b[0]')).not.toBe(copy);
    expect((await vmHistory(local)).length).toBe(before + 1);
    expect(await liveVmIds(local)).toEqual(workspace.vmIdsInState());
    expect((await workspace.run(['plan', '-detailed-exitcode', '-no-color', '-var', 'branches=1'])).code).toBe(0);

    await workspace.ok([...DESTROY, '-var', 'branches=1']);
    expect(auditHistory(await vmHistory(local), { addressOf: byRole, idsSeenInState: workspace.vmIdsSeenInState })).toEqual([]);
  }, 300_000);

  test('a root VM whose answer is lost while GET /vms answers 503: the recovery keeps trying instead of failing, and adopts the VM once the list answers', async () => {
    const workspace = await fresh(`
resource "vers_vm" "solo" {
  labels = { role = "solo" }
}
`);
    await local.admin('PUT', '/faults', {
      json: {
        seed: 1003,
        routes: [
          { route: 'POST /api/v1/vm/new_root', error500: 1, phase: 'after' },
          { route: 'GET /api/v1/vms', error503: 1, retryAfterSeconds: 0 },
        ],
      },
    });
    const running = workspace.start(APPLY);
    let finished = false;
    void running.done.then(() => (finished = true));
    const failedLists = async (): Promise<number> => {
      const stats = (await local.admin('GET', '/stats')).json<{ routes: Record<string, { faults: Record<string, number> }> }>().routes;
      return stats['GET /api/v1/vms']?.faults.error503 ?? 0;
    };
    try {
      // More failed lists than one listVms call retries: only a recovery that keeps trying gets here.
      await waitUntil('the recovery to fail to list VMs 8 times', async () => finished || (await failedLists()) >= 8, 120_000, 100);
    } finally {
      await local.admin('PUT', '/faults', { json: {} });
    }
    const result = await running.done;
    expect(result.output).toContain('Apply complete!');
    expect(result.code).toBe(0);
    const history = await vmHistory(local);
    expect(history).toHaveLength(1);
    expect(history[0]?.labels[REQUEST_TOKEN_LABEL]).toBeDefined();
    expect(workspace.vmIdsInState()).toEqual([history[0]?.vm_id]);
    expect((await workspace.run(['plan', '-detailed-exitcode', '-no-color'])).code).toBe(0);
    await workspace.ok(DESTROY);
    expect(auditHistory(await vmHistory(local), { addressOf: byRole, idsSeenInState: workspace.vmIdsSeenInState })).toEqual([]);
  }, 300_000);
});
