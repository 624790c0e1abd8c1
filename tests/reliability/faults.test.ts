import { startVersLocal, type VersLocalProcess } from '../helpers/vers-local';
import type { TerraformResult } from '../tfbridge/harness/terraform-cli';
import { diagnostics } from './harness/diagnostics';
import { APPLY, DESTROY, liveVmIds, PROVIDER_HEADER, ReliabilityWorkspace, terraformSuite } from './harness/reliability-workspace';
import { auditHistory, goldenAddressOf, vmHistory } from './harness/vm-history';

/**
 * The golden-image example through terraform while vers-local fails 20% of
 * the API calls (seeded): 500, 503, 408, 429 and connection resets. In the
 * `before` round the fault replaces the request; in the `after` round every
 * mutating call runs and then loses its answer — the case in which a retry
 * would create a duplicate. Apply may need a second run (a failed create is
 * retried by the next apply, as Terraform intends); destroy must finish; and
 * vers-local's history must show no VM left, none never tracked by the
 * state, and never two VMs at once for one resource instance.
 */

const suite = terraformSuite('tests/reliability/faults.test.ts');

/** 20% of the calls in total, spread over every kind of fault. */
const FAULT_MIX = { error500: 0.05, error503: 0.04, error408: 0.03, error429: 0.04, connectionReset: 0.04, retryAfterSeconds: 1 };

const FAULT_PLANS = {
  before: { seed: 6001, routes: [{ route: '*', ...FAULT_MIX, phase: 'before' }] },
  after: {
    seed: 6002,
    routes: [
      // A restore has nothing that marks the VM it made, so its lost answers have their own test below (as a branch's).
      { route: 'POST /api/v1/vm/from_commit', ...FAULT_MIX, phase: 'before' },
      { route: 'POST *', ...FAULT_MIX, phase: 'after' },
      { route: 'PATCH *', ...FAULT_MIX, phase: 'after' },
      { route: 'DELETE *', ...FAULT_MIX, phase: 'after' },
      { route: '*', ...FAULT_MIX, phase: 'before' },
    ],
  },
} as const;

/** Terraform runs allowed per step: the first, and one more where a create failed and Terraform retries it. */
const RUNS_ALLOWED = 2;

interface RouteStats {
  count: number;
  faults: Record<string, number>;
}

suite('the golden pipeline through terraform while 20% of the API calls fail', () => {
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

  /** Runs `args` until it exits 0, at most RUNS_ALLOWED times; the results of every run. */
  async function runUpTo(workspace: ReliabilityWorkspace, args: string[]): Promise<TerraformResult[]> {
    const results: TerraformResult[] = [];
    for (let run = 1; run <= RUNS_ALLOWED; run++) {
      const result = await workspace.run(args, 300_000);
      results.push(result);
      if (result.code === 0) break;
    }
    return results;
  }

  const succeeded = (results: TerraformResult[]): boolean => results.at(-1)?.code === 0;

  test.each([['before'], ['after']] as const)(
    'with faults %s the request runs, apply converges, destroy completes, and the history shows no VM left, orphaned or duplicated',
    async (phase) => {
      await local.admin('POST', '/reset');
      const put = await local.admin('PUT', '/faults', { json: FAULT_PLANS[phase] });
      expect(put.status).toBe(200);

      const workspace = new ReliabilityWorkspace(local);
      workspaces.push(workspace);
      workspace.useExample('golden-image');
      // Everything wrong is collected, so one run reports every broken guarantee at once.
      const problems: string[] = [];

      const applies = await runUpTo(workspace, APPLY);
      if (!succeeded(applies)) problems.push(`apply did not converge in ${RUNS_ALLOWED} runs; the last one failed with: ${diagnostics(applies.at(-1)?.output ?? '').join(' | ')}`);
      else {
        const instances = workspace.instances();
        const addresses = instances.map((instance) => instance.address).sort();
        const expected = ['vers_provision.golden_setup', 'vers_vm.golden_base', 'vers_vm_commit.golden', 'vers_vm_restore.worker[0]', 'vers_vm_restore.worker[1]', 'vers_vm_restore.worker[2]'];
        if (JSON.stringify(addresses) !== JSON.stringify(expected)) problems.push(`the state holds ${addresses.join(', ')}`);
        for (const instance of instances) if (instance.status !== undefined || instance.deposed) problems.push(`${instance.address} is ${instance.status ?? 'deposed'} after a successful apply`);
        // Exactly the VMs of the state exist: none made behind the state's back.
        const live = await liveVmIds(local);
        if (JSON.stringify(live) !== JSON.stringify(workspace.vmIdsInState())) problems.push(`VMs alive ${live.join(', ')} differ from the state's ${workspace.vmIdsInState().join(', ')}`);
      }

      const destroys = await runUpTo(workspace, DESTROY);
      if (!succeeded(destroys)) problems.push(`destroy did not complete in ${RUNS_ALLOWED} runs; the last one failed with: ${diagnostics(destroys.at(-1)?.output ?? '').join(' | ')}`);

      // Faults really happened, on creates as well as on reads.
      const stats = (await local.admin('GET', '/stats')).json<{ routes: Record<string, RouteStats> }>().routes;
      const faultsOf = (route: string): number => Object.values(stats[route]?.faults ?? {}).reduce((sum, n) => sum + n, 0);
      const injected = Object.keys(stats).reduce((sum, route) => sum + faultsOf(route), 0);
      const total = Object.values(stats).reduce((sum, route) => sum + route.count, 0);
      await local.admin('PUT', '/faults', { json: {} });
      const failedRuns = [...applies, ...destroys].filter((result) => result.code !== 0);
      process.stderr.write(
        `faults ${phase}: ${injected} of ${total} API calls failed; apply ran ${applies.length}×, destroy ${destroys.length}×; per route: ${JSON.stringify(
          Object.fromEntries(Object.entries(stats).map(([route, s]) => [route, `${faultsOf(route)}/${s.count}`])),
        )}\n${failedRuns.flatMap((result) => diagnostics(result.output)).join('\n')}\n`,
      );
      expect(injected).toBeGreaterThanOrEqual(Math.floor(total * 0.1));

      // Without faults, remove what the state still holds, so the audit judges only what was lost.
      if (!succeeded(destroys)) await workspace.ok(DESTROY);
      problems.push(...auditHistory(await vmHistory(local), { addressOf: goldenAddressOf, idsSeenInState: workspace.vmIdsSeenInState }));
      expect(problems).toEqual([]);
    },
    900_000,
  );

  test('a restore whose answer is lost after Vers made the VM adopts that VM: the apply succeeds with no second VM, and destroy leaves nothing', async () => {
    await local.admin('POST', '/reset');
    const workspace = new ReliabilityWorkspace(local);
    workspaces.push(workspace);
    workspace.useExample('golden-image');
    const oneWorker = ['-var', 'worker_count=1'];
    await workspace.ok([...APPLY, '-target', 'vers_vm_commit.golden', ...oneWorker]);

    // Every from_commit runs, then answers 500: the client must find the VM it made instead of
    // making another (or leaving it orphaned).
    await local.admin('PUT', '/faults', { json: { seed: 6003, routes: [{ route: 'POST /api/v1/vm/from_commit', error500: 1, phase: 'after' }] } });
    const before = (await vmHistory(local)).length;
    try {
      await workspace.ok([...APPLY, ...oneWorker]);
    } finally {
      await local.admin('PUT', '/faults', { json: {} });
    }
    expect((await vmHistory(local)).length).toBe(before + 1);
    // Every VM that exists is one the state knows.
    expect(await liveVmIds(local)).toEqual(workspace.vmIdsInState());
    await workspace.ok([...DESTROY, ...oneWorker]);
    const problems = auditHistory(await vmHistory(local), { addressOf: goldenAddressOf, idsSeenInState: workspace.vmIdsSeenInState });
    expect(problems).toEqual([]);
  }, 300_000);
  test('a branch whose answer is lost after Vers made the VM adopts that VM: the apply succeeds with no second VM, and destroy leaves nothing', async () => {
    await local.admin('POST', '/reset');
    const workspace = new ReliabilityWorkspace(local);
    workspaces.push(workspace);
    workspace.writeConfig(`${PROVIDER_HEADER}
provider "vers" {}

resource "vers_vm" "source" {
  labels = { role = "branch-source" }
}

resource "vers_vm_branch" "copy" {
  source_vm_id = vers_vm.source.id
  labels       = { role = "branch-copy" }
}
`);
    await workspace.ok([...APPLY, '-target', 'vers_vm.source']);

    // The branch runs (a commit and a VM), then answers 500: the provider must find the VM it made.
    await local.admin('PUT', '/faults', { json: { seed: 6004, routes: [{ route: 'POST /api/v1/vm/branch/by_vm/{vm_id}', error500: 1, phase: 'after' }] } });
    const before = (await vmHistory(local)).length;
    try {
      await workspace.ok(APPLY);
    } finally {
      await local.admin('PUT', '/faults', { json: {} });
    }
    expect((await vmHistory(local)).length).toBe(before + 1);
    expect(await liveVmIds(local)).toEqual(workspace.vmIdsInState());
    const branch = workspace.instances().find((instance) => instance.address === 'vers_vm_branch.copy');
    expect(branch?.status).toBeUndefined();
    await workspace.ok(DESTROY);
    const addressOf = (vm: { labels: Record<string, string> }): string | undefined =>
      vm.labels.role === 'branch-source' ? 'vers_vm.source' : vm.labels.role === 'branch-copy' ? 'vers_vm_branch.copy' : undefined;
    expect(auditHistory(await vmHistory(local), { addressOf, idsSeenInState: workspace.vmIdsSeenInState })).toEqual([]);
  }, 300_000);
});
