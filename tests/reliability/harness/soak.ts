import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VersLocalProcess } from '../../helpers/vers-local';
import { diagnostics } from './diagnostics';
import { APPLY, DESTROY, liveVmIds, PROVIDER_HEADER, ReliabilityWorkspace } from './reliability-workspace';
import { vmHistory } from './vm-history';

/**
 * One seed of the randomized lost-answer soak (issue 10): a small graph —
 * 1 root VM, 2 commits of it, 6 restores (3 per commit), 3 branches of the
 * root — applied by the real terraform at -parallelism=30 while vers-local
 * loses the answer of half of the creates after making what they asked for
 * (500, 408 or a reset). It is applied in two stages (3 restores and 1
 * branch, then all), so the second run's lost answers have VMs of the same
 * commits and source made by an earlier run around them, which no process
 * memory can tell apart. Each stage's apply is repeated until it succeeds; then every VM
 * alive must be in the state exactly once and carry the labels of the
 * resource that holds it, each commit resource must have made exactly one
 * commit, and destroy must leave no VM and no commit of the configuration.
 */

export const SOAK_CONFIG = `${PROVIDER_HEADER}
provider "vers" {}

variable "restores" {
  type = number
}

variable "branches" {
  type = number
}

resource "vers_vm" "root" {
  labels = { role = "root" }
}

resource "vers_vm_commit" "c" {
  count             = 2
  vm_id             = vers_vm.root.id
  name              = "soak-c\${count.index}"
  delete_on_destroy = true
}

resource "vers_vm_restore" "r" {
  count     = var.restores
  commit_id = vers_vm_commit.c[count.index % 2].commit_id
  labels    = { role = "r", index = tostring(count.index) }
}

resource "vers_vm_branch" "b" {
  count        = var.branches
  source_vm_id = vers_vm.root.id
  labels       = { role = "b", index = tostring(count.index) }
}
`;

/** Half of the creates lose their answer after Vers made what they asked for. */
export function soakFaults(seed: number): object {
  const lose = { error500: 0.2, error408: 0.1, connectionReset: 0.2, phase: 'after' };
  return {
    seed,
    routes: [
      { route: 'POST /api/v1/vm/new_root', ...lose },
      { route: 'POST /api/v1/vm/from_commit', ...lose },
      { route: 'POST /api/v1/vm/branch/by_vm/{vm_id}', ...lose },
      { route: 'POST /api/v1/vm/{vm_id}/commit', ...lose },
    ],
  };
}

/** vers-local flags for the soak: instant boots, and quotas that fit every VM a seed may make. */
export const SOAK_VERS_LOCAL_ARGS = ['--boot-delay-ms', '0', '--vcpu-quota', '256', '--memory-quota-mib', '262144'];

/** Applies allowed per stage before it counts as not converging. */
export const MAX_APPLIES = 6;

/** The two stages: part of the graph, then all of it. */
const STAGES = [
  ['-var', 'restores=3', '-var', 'branches=1'],
  ['-var', 'restores=6', '-var', 'branches=3'],
] as const;
const FULL = STAGES[1];

export interface SeedReport {
  seed: number;
  applies: number;
  vmsMade: number;
  faultsInjected: number;
  adopted: number;
  refusedAsAmbiguous: number;
  orphans: number;
  shared: number;
  duplicateCommits: number;
  leftAfterDestroy: number;
  /** Wall time of the seed's terraform runs, ms: applies, the empty-plan check, destroy. */
  ms: { apply: number; plan: number; destroy: number };
  /** Everything wrong, one line each; empty when the seed passed. */
  problems: string[];
}

interface StatsRoutes {
  routes: Record<string, { count: number; faults: Record<string, number> }>;
}

const VM_ROLES: Record<string, string> = { vers_vm: 'root', vers_vm_restore: 'r', vers_vm_branch: 'b' };

export async function runSoakSeed(local: VersLocalProcess, seed: number): Promise<SeedReport> {
  await local.admin('POST', '/reset');
  let logPath = '';
  const workspace = new ReliabilityWorkspace(local, {
    env: (dir) => {
      logPath = join(dir, 'provider.log');
      return { TF_LOG_PROVIDER: 'WARN', TF_LOG_PATH: logPath };
    },
  });
  const problems: string[] = [];
  try {
    workspace.writeConfig(SOAK_CONFIG);
    const put = await local.admin('PUT', '/faults', { json: soakFaults(seed) });
    if (put.status !== 200) throw new Error(`PUT /faults answered ${put.status}: ${put.text}`);
    const ms = { apply: 0, plan: 0, destroy: 0 };
    const timed = async <R>(step: keyof typeof ms, run: () => Promise<R>): Promise<R> => {
      const started = Date.now();
      try {
        return await run();
      } finally {
        ms[step] += Date.now() - started;
      }
    };
    let applies = 0;
    let converged = false;
    const failures: string[] = [];
    for (const stage of STAGES) {
      converged = false;
      for (let run = 1; !converged && run <= MAX_APPLIES; run++) {
        applies += 1;
        const result = await timed('apply', () => workspace.run([...APPLY, '-parallelism=30', ...stage], 300_000));
        converged = result.code === 0;
        if (!converged) failures.push(...diagnostics(result.output));
      }
      if (!converged) break;
    }
    const stats = (await local.admin('GET', '/stats')).json<StatsRoutes>().routes;
    await local.admin('PUT', '/faults', { json: {} });
    const faultsInjected = Object.values(stats).reduce((sum, route) => sum + Object.values(route.faults).reduce((a, b) => a + b, 0), 0);
    if (!converged) problems.push(`a stage's apply did not succeed in ${MAX_APPLIES} runs: ${failures.slice(-3).join(' | ')}`);

    // Every VM alive is in the state, once, and carries the labels of the resource that holds it.
    const history = await vmHistory(local);
    const live = new Set(await liveVmIds(local));
    const holders = new Map<string, string[]>();
    for (const instance of workspace.instances()) {
      const type = instance.address.split('.')[0] as string;
      if (VM_ROLES[type] === undefined) continue;
      holders.set(instance.id, [...(holders.get(instance.id) ?? []), instance.address]);
      const vm = history.find((entry) => entry.vm_id === instance.id);
      const index = /\[(\d+)\]$/.exec(instance.address)?.[1];
      if (vm === undefined || vm.state === 'deleted') problems.push(`${instance.address} holds ${instance.id}, which does not exist`);
      else if (vm.labels.role !== VM_ROLES[type] || vm.labels.index !== index) problems.push(`${instance.address} holds ${instance.id}, labelled ${JSON.stringify(vm.labels)}`);
    }
    const shared = [...holders].filter(([, addresses]) => addresses.length > 1);
    for (const [id, addresses] of shared) problems.push(`VM ${id} is shared by ${addresses.join(', ')}`);
    const orphans = [...live].filter((id) => !holders.has(id));
    for (const id of orphans) problems.push(`VM ${id} is alive and in no state (${JSON.stringify(history.find((vm) => vm.vm_id === id)?.labels)})`);

    // Each commit resource made one commit, the one its state holds.
    const named = await commitsNamedSoak(local);
    let duplicateCommits = 0;
    for (const index of [0, 1]) {
      const ids = named.filter((commit) => commit.name === `soak-c${index}`).map((commit) => commit.commit_id);
      const inState = workspace.instances().find((instance) => instance.address === `vers_vm_commit.c[${index}]`)?.id;
      duplicateCommits += Math.max(0, ids.length - 1);
      if (ids.length !== 1 || (converged && ids[0] !== inState)) problems.push(`commit soak-c${index}: ${ids.length} made (${ids.join(', ')}), state holds ${inState ?? 'none'}`);
    }
    if (converged && (await timed('plan', () => workspace.run(['plan', '-detailed-exitcode', '-no-color', '-parallelism=30', ...FULL]))).code !== 0) {
      problems.push('the plan after a successful apply is not empty');
    }

    const destroyed = await timed('destroy', () => workspace.run([...DESTROY, '-parallelism=30', ...FULL], 300_000));
    if (destroyed.code !== 0) problems.push(`destroy failed: ${diagnostics(destroyed.output).join(' | ')}`);
    const leftVms = await liveVmIds(local);
    const leftCommits = await commitsNamedSoak(local);
    for (const id of leftVms) problems.push(`VM ${id} is left after destroy`);
    for (const commit of leftCommits) problems.push(`commit ${commit.commit_id} (${commit.name}) is left after destroy`);
    // Whatever a failed seed left, the next seed starts from nothing (reset) — so it cannot hide a leak of this one.

    const log = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
    return {
      seed,
      applies,
      vmsMade: history.length,
      faultsInjected,
      adopted: countLines(log, /\[WARN\].*lost answer: adopted/),
      refusedAsAmbiguous: countLines(log, /\[WARN\].*lost answer: not adopting/),
      orphans: orphans.length,
      shared: shared.length,
      duplicateCommits,
      leftAfterDestroy: leftVms.length + leftCommits.length,
      ms,
      problems,
    };
  } finally {
    workspace.dispose();
  }
}

async function commitsNamedSoak(local: VersLocalProcess): Promise<Array<{ commit_id: string; name: string }>> {
  const page = (await local.api('GET', '/commits?limit=100')).json<{ commits: Array<{ commit_id: string; name: string }> }>();
  return page.commits.filter((commit) => commit.name.startsWith('soak-'));
}

function countLines(text: string, pattern: RegExp): number {
  return text.split('\n').filter((line) => pattern.test(line)).length;
}

/** One line per seed, for the soak's report. */
export function formatSeed(report: SeedReport): string {
  return (
    `seed ${report.seed}: applies=${report.applies} vms=${report.vmsMade} faults=${report.faultsInjected} adopted=${report.adopted} ` +
    `refused=${report.refusedAsAmbiguous} orphans=${report.orphans} shared=${report.shared} duplicateCommits=${report.duplicateCommits} ` +
    `left=${report.leftAfterDestroy} (apply ${report.ms.apply} ms, plan ${report.ms.plan} ms, destroy ${report.ms.destroy} ms)${report.problems.length === 0 ? '' : ` FAILED: ${report.problems.join('; ')}`}`
  );
}
