import { startVersLocal, type VersLocalProcess } from '../tests/helpers/vers-local';
import type { TerraformWorkspace } from '../tests/tfbridge/harness/terraform-cli';
import { integerFlag, runMain } from './lib/args';
import { machineInfo } from './lib/machine';
import { alternate, compared, printReport, saveReport, series, single, type BenchmarkReport } from './lib/report';
import { median } from './lib/stats';
import { destroyAndDispose, goldenConfig, terraformOk, terraformWorkspace } from './lib/terraform-env';

/**
 * Benchmark 4, swarm apply: 50 vers_vm_restore workers from an applied golden
 * commit, `terraform apply -parallelism=10`, with vers-local adding 200 ms to
 * every API call (per-route latency fault) and quotas raised.
 *
 * Ideal = ceil(workers / parallelism) × (API calls one restore makes × 200 ms).
 * The calls per restore are counted from vers-local's request stats (an apply
 * of one worker minus a no-op apply). Each round alternates:
 *   baseline  a no-op apply (no workers): Terraform's and the provider's fixed
 *             cost (start-up, plan) under the same latency
 *   ours      the apply creating the workers
 * and then removes the workers (untimed). The swarm's own time is ours minus
 * the no-op of the same round; target ≤ 1.3 × ideal: nothing serialises
 * independent resources.
 * `node dist/bench/swarm-apply.js [--rounds N] [--workers N]` (defaults 5, 50).
 */

const LATENCY_MS = 200;
const PARALLELISM = 10;

const CONFIG = `${goldenConfig('  vcpu_count   = 1\n  mem_size_mib = 512\n  wait_boot    = true')}
resource "vers_vm_restore" "worker" {
  count     = var.workers
  commit_id = vers_vm_commit.golden.commit_id
  labels    = { role = "worker", index = tostring(count.index) }
}
`;

async function apiCallCount(local: VersLocalProcess): Promise<number> {
  const res = await local.admin('GET', '/stats');
  if (res.status !== 200) throw new Error(`stats: ${res.status} ${res.text}`);
  return res.json<{ total: number }>().total;
}

async function setLatency(local: VersLocalProcess, latencyMs: number): Promise<void> {
  const res = await local.admin('PUT', '/faults', { json: { routes: latencyMs === 0 ? [] : [{ route: '*', latencyMs }] } });
  if (res.status !== 200 && res.status !== 204) throw new Error(`faults: ${res.status} ${res.text}`);
}

async function liveWorkers(local: VersLocalProcess): Promise<number> {
  const res = await local.admin('GET', '/history');
  const vms = res.json<{ vms: Array<{ state: string; labels?: Record<string, string> }> }>().vms;
  return vms.filter((vm) => vm.state !== 'deleted' && vm.labels?.role === 'worker').length;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const rounds = integerFlag(argv, '--rounds', 5, 1, 50);
  const workers = integerFlag(argv, '--workers', 50, 1, 500);
  const machine = machineInfo();
  let local: VersLocalProcess | undefined;
  let workspace: TerraformWorkspace | undefined;
  let applied = false;
  try {
    local = await startVersLocal({ args: ['--vcpu-quota', String(workers * 2 + 8), '--memory-quota-mib', String((workers + 2) * 1024)] });
    const ws = terraformWorkspace(local);
    workspace = ws;
    ws.writeConfig(CONFIG);
    const apply = (count: number): Promise<number> =>
      terraformOk(ws, ['apply', '-auto-approve', '-input=false', '-no-color', `-parallelism=${PARALLELISM}`, '-var', `workers=${count}`]);
    applied = true;
    await apply(0);
    await setLatency(local, LATENCY_MS);

    // API calls of one restore: an apply of one worker minus a no-op apply.
    let before = await apiCallCount(local);
    await apply(0);
    const noopCalls = (await apiCallCount(local)) - before;
    before = await apiCallCount(local);
    await apply(1);
    const callsPerRestore = (await apiCallCount(local)) - before - noopCalls;
    await apply(0);
    if (callsPerRestore < 1) throw new Error(`counted ${callsPerRestore} API calls for one restore`);
    const idealMs = Math.ceil(workers / PARALLELISM) * callsPerRestore * LATENCY_MS;

    const callsPerRun: number[] = [];
    const runs = await alternate(
      rounds,
      {
        baseline: () => apply(0),
        ours: async () => {
          const start = await apiCallCount(local!);
          const ms = await apply(workers);
          callsPerRun.push((await apiCallCount(local!)) - start);
          const live = await liveWorkers(local!);
          if (live !== workers) throw new Error(`after the apply vers-local holds ${live} workers, expected ${workers}`);
          await apply(0); // remove the workers, untimed
          return ms;
        },
      },
      (name, round, value) => void process.stdout.write(`  round ${round + 1}/${rounds} ${name}: ${value.toFixed(0)} ms\n`),
    );
    const swarmOnly = runs.ours.map((ms, i) => ms - (runs.baseline[i] as number));
    const ideal = series('ideal', 'ms', swarmOnly.map(() => idealMs));
    const report: BenchmarkReport = {
      name: 'swarm-apply',
      title: '4. Swarm apply',
      scenario: `\`terraform apply -parallelism=${PARALLELISM}\` of ${workers} vers_vm_restore workers from an applied golden commit, vers-local adding ${LATENCY_MS} ms to every API call, quotas raised. One restore makes ${callsPerRestore} API calls (counted), so ideal = ceil(${workers}/${PARALLELISM}) × ${callsPerRestore} × ${LATENCY_MS} ms = ${idealMs} ms. Each round alternates a no-op apply (fixed cost: Terraform and provider start-up, plan, under the same latency) with the swarm apply; the swarm's own time is their difference.`,
      settings: { rounds, workers, parallelism: PARALLELISM, latencyMs: LATENCY_MS, callsPerRestore, noopApplyCalls: noopCalls, apiCallsPerSwarmApply: median(callsPerRun) },
      machine,
      figures: [
        compared('swarm_vs_ideal', `${workers} restores: apply minus no-op apply, against the ideal`, series('swarm apply − no-op', 'ms', swarmOnly), ideal, { of: 'ratio', atMost: 1.3, text: '≤ 1.3 × ideal' }),
        compared('swarm_apply_total', `${workers} restores: whole terraform apply, against the no-op apply`, series('swarm apply', 'ms', runs.ours), series('no-op apply', 'ms', runs.baseline), undefined, 'informational'),
        single('swarm_total_vs_ideal', 'Whole apply ÷ ideal (fixed cost included)', series('ratio', '×', runs.ours.map((ms) => ms / idealMs)), undefined, 'informational'),
      ],
    };
    printReport(report);
    saveReport(report);
  } finally {
    if (local !== undefined) await setLatency(local, 0).catch(() => undefined);
    await destroyAndDispose(workspace, applied);
    if (local !== undefined) await local.stop();
  }
}

runMain('swarm-apply', main);
