import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RpcStat } from '../bridges/terraform/plugin/rpc-stats';
import { startVersLocal, type VersLocalProcess } from '../tests/helpers/vers-local';
import type { TerraformWorkspace } from '../tests/tfbridge/harness/terraform-cli';
import { integerFlag, runMain } from './lib/args';
import { machineInfo } from './lib/machine';
import { alternate, compared, printReport, saveReport, series, single, type BenchmarkReport } from './lib/report';
import { median } from './lib/stats';
import { destroyAndDispose, goldenConfig, terraformOk, terraformWorkspace } from './lib/terraform-env';

/**
 * Benchmark 3, plan at scale: `terraform plan` of a 500-worker
 * vers_vm_restore swarm against an applied golden VM and commit.
 *
 *   ours      plan with 500 vers_vm_restore (commit_id from the applied commit)
 *   baseline  the same plan with 500 built-in `terraform_data` resources
 *             instead: Terraform's own cost for 500 resources, no plugin
 *
 * The provider's CPU per PlanResourceChange comes from its own accounting
 * (VERS_TF_RPC_STATS_FILE, bridges/terraform/plugin/rpc-stats.ts: process CPU from the
 * handler's start to its response). Target < 1 ms. Also reported: every
 * provider process's whole CPU time during the plan divided by the workers
 * (gRPC and msgpack work, start-up and GC included).
 * `node dist/bench/plan-scale.js [--rounds N] [--workers N]` (defaults 5, 500).
 */

const CONFIG = `${goldenConfig('  wait_boot = true')}
variable "data_workers" {
  type    = number
  default = 0
}

resource "vers_vm_restore" "worker" {
  count     = var.workers
  commit_id = vers_vm_commit.golden.commit_id
  labels    = { role = "worker", index = tostring(count.index) }
}

resource "terraform_data" "worker" {
  count = var.data_workers
  input = { commit_id = vers_vm_commit.golden.commit_id, index = tostring(count.index) }
}
`;

function readStats(file: string): RpcStat[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as RpcStat);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const rounds = integerFlag(argv, '--rounds', 5, 1, 50);
  const workers = integerFlag(argv, '--workers', 500, 1, 5000);
  const machine = machineInfo();
  let local: VersLocalProcess | undefined;
  let workspace: TerraformWorkspace | undefined;
  let applied = false;
  try {
    local = await startVersLocal();
    const ws = terraformWorkspace(local, {});
    workspace = ws;
    const statsFile = join(ws.dir, 'rpc-stats.jsonl');
    ws.writeConfig(CONFIG);
    applied = true;
    await terraformOk(ws, ['apply', '-auto-approve', '-input=false', '-no-color']);

    const perCallCpuMs: number[] = [];
    const maxCallCpuMs: number[] = [];
    const processCpuPerWorkerMs: number[] = [];
    const planCalls: number[] = [];
    const plan = (vars: string[]): Promise<number> => terraformOk(ws, ['plan', '-input=false', '-no-color', '-lock=false', ...vars.flatMap((v) => ['-var', v])]);
    const ours = async (): Promise<number> => {
      rmSync(statsFile, { force: true });
      process.env.VERS_TF_RPC_STATS_FILE = statsFile;
      let ms: number;
      try {
        ms = await plan([`workers=${workers}`, 'data_workers=0']);
      } finally {
        delete process.env.VERS_TF_RPC_STATS_FILE;
      }
      const stats = readStats(statsFile);
      const calls = stats.filter((s) => s.rpc === 'PlanResourceChange' && s.type === 'vers_vm_restore').map((s) => s.cpuUs / 1000);
      if (calls.length < workers) throw new Error(`expected ≥ ${workers} PlanResourceChange calls for vers_vm_restore, the provider recorded ${calls.length}`);
      perCallCpuMs.push(median(calls));
      maxCallCpuMs.push(Math.max(...calls));
      planCalls.push(calls.length);
      const processCpuMs = stats.filter((s) => s.rpc === 'process').reduce((sum, s) => sum + s.cpuUs / 1000, 0);
      processCpuPerWorkerMs.push(processCpuMs / workers);
      return ms;
    };
    const baseline = (): Promise<number> => plan(['workers=0', `data_workers=${workers}`]);
    const runs = await alternate(rounds, { baseline, ours }, (name, round, value) => void process.stdout.write(`  round ${round + 1}/${rounds} ${name}: ${value.toFixed(0)} ms\n`));

    const report: BenchmarkReport = {
      name: 'plan-scale',
      title: '3. Plan at scale',
      scenario: `\`terraform plan\` of ${workers} vers_vm_restore workers against an applied golden VM and commit (vers-local), alternated with the same plan of ${workers} built-in terraform_data resources (Terraform alone, no plugin). Provider CPU per PlanResourceChange from the provider's own accounting (VERS_TF_RPC_STATS_FILE: process CPU from handler start to response).`,
      settings: { rounds, workers, parallelism: 10, refresh: true, planCallsPerRun: planCalls[0] ?? 0 },
      machine,
      figures: [
        single('plan_cpu_per_call', 'Provider CPU per PlanResourceChange (median call; median over runs)', series('provider', 'ms', perCallCpuMs), { of: 'ours', atMost: 1, text: '< 1 ms' }, `slowest call per run: median ${series('', '', maxCallCpuMs).median} ms`),
        single('plan_process_cpu_per_worker', 'All provider processes\' CPU during the plan ÷ workers (gRPC, msgpack, start-up, GC included)', series('provider', 'ms', processCpuPerWorkerMs), undefined, 'informational: an upper bound'),
        compared('plan_wall', `terraform plan wall time, ${workers} workers`, series(`${workers} × vers_vm_restore`, 'ms', runs.ours), series(`${workers} × terraform_data`, 'ms', runs.baseline), undefined, 'informational: the ratio is what our provider adds to Terraform\'s own work'),
      ],
    };
    printReport(report);
    saveReport(report);
  } finally {
    await destroyAndDispose(workspace, applied);
    if (local !== undefined) await local.stop();
  }
}

runMain('plan-scale', main);
