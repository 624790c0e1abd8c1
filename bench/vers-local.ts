import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from '../core/base/repo-root';
import { startVersLocal, type VersLocalProcess } from '../tests/helpers/vers-local';
import { machineInfo } from './lib/machine';
import { saveReport, series, single } from './lib/report';

/**
 * vers-local benchmark. Scenarios, each run several times against a local
 * vers-local with default settings (boot delay 300 ms), medians reported:
 *
 *   start             spawn bin/vers-local → its ready line           target < 2000 ms
 *   new_root          POST /vm/new_root?wait_boot=true → response     target < 1500 ms
 *   commit_100mib     POST /vm/{id}/commit of a VM with 100 MiB of
 *                     new files → response                            target < 3000 ms
 *   restore_100mib    POST /vm/from_commit of that commit → response  target < 1500 ms
 *
 * Run from the compiled output: `node dist/bench/vers-local.js [--runs N]`.
 * Prints the machine and settings with the numbers and writes
 * bench/results-vers-local.json, and its figures into bench/results.json.
 */

interface Scenario {
  name: string;
  description: string;
  targetMs: number;
  runsMs: number[];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function parseRuns(argv: readonly string[]): number {
  const i = argv.indexOf('--runs');
  if (i < 0) return 5;
  const runs = Number(argv[i + 1]);
  if (!Number.isInteger(runs) || runs < 1 || runs > 50) throw new Error(`--runs must be an integer from 1 to 50, got ${argv[i + 1]}`);
  return runs;
}

/** Spawn to ready line, then stop; vers-local's own start only (no test fixture checks in the timing). */
async function timeStart(): Promise<number> {
  const started = process.hrtime.bigint();
  const child = spawn(join(repoRoot(), 'bin', 'vers-local'), ['--api-port', '0', '--gateway-port', '0'], {
    env: { ...process.env, VERS_LOCAL_DIST: resolve(__dirname, '..') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr.on('data', (c: Buffer) => stderr.push(c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const line = await new Promise<string>((resolveLine, reject) => {
    createInterface({ input: child.stdout }).once('line', resolveLine);
    child.once('exit', () => reject(new Error(`vers-local exited before ready:\n${stderr.join('')}`)));
  });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  JSON.parse(line);
  child.kill('SIGTERM');
  const code = await exited;
  if (code !== 0) throw new Error(`vers-local exited with ${code}:\n${stderr.join('')}`);
  return elapsed;
}

async function timed<T>(call: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await call();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, value };
}

async function expectStatus(local: VersLocalProcess, method: string, path: string, body: object | undefined, status: number): Promise<Record<string, unknown>> {
  const res = await local.api(method, path, body === undefined ? {} : { json: body });
  if (res.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${res.status} ${res.text}`);
  return res.text === '' ? {} : res.json<Record<string, unknown>>();
}

async function main(): Promise<void> {
  const runs = parseRuns(process.argv.slice(2));
  const scenarios: Scenario[] = [
    { name: 'start', description: 'spawn bin/vers-local → ready line', targetMs: 2000, runsMs: [] },
    { name: 'new_root', description: 'POST /vm/new_root?wait_boot=true → 201 (VM running)', targetMs: 1500, runsMs: [] },
    { name: 'commit_100mib', description: 'POST /vm/{id}/commit of a VM holding 100 MiB of new files → 201', targetMs: 3000, runsMs: [] },
    { name: 'restore_100mib', description: 'POST /vm/from_commit of that commit → 201 (VM running)', targetMs: 1500, runsMs: [] },
  ];
  const [start, newRoot, commit, restore] = scenarios as [Scenario, Scenario, Scenario, Scenario];

  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryMib: Math.round(totalmem() / 1024 / 1024),
    kernel: release(),
    node: process.version,
  };
  process.stdout.write(`vers-local benchmark: ${runs} runs per scenario\nmachine: ${JSON.stringify(machine)}\n`);

  for (let i = 0; i < runs; i++) start.runsMs.push(await timeStart());

  const local = await startVersLocal();
  try {
    for (let i = 0; i < runs; i++) {
      const created = await timed(() => expectStatus(local, 'POST', '/vm/new_root?wait_boot=true', { vm_config: {} }, 201));
      newRoot.runsMs.push(created.ms);
      const vmId = created.value.vm_id as string;
      // 100 MiB of incompressible new files in the VM's writable layer.
      const fill = await expectStatus(local, 'POST', `/vm/${vmId}/exec`, { command: ['sh', '-c', 'mkdir -p /data && for i in 0 1 2 3; do head -c 26214400 /dev/urandom > /data/blob$i; done && sync && du -sm /data'] }, 200);
      if (fill.exit_code !== 0) throw new Error(`filling the VM failed: ${JSON.stringify(fill)}`);

      const committed = await timed(() => expectStatus(local, 'POST', `/vm/${vmId}/commit`, undefined, 201));
      commit.runsMs.push(committed.ms);
      const commitId = committed.value.commit_id as string;

      const restored = await timed(() => expectStatus(local, 'POST', '/vm/from_commit', { commit_id: commitId }, 201));
      restore.runsMs.push(restored.ms);
      const restoredId = restored.value.vm_id as string;
      const check = await expectStatus(local, 'POST', `/vm/${restoredId}/exec`, { command: ['sh', '-c', 'du -sm /data | cut -f1'] }, 200);
      if (Number(String(check.stdout).trim()) < 100) throw new Error(`the restored VM lacks the 100 MiB: ${JSON.stringify(check)}`);

      await expectStatus(local, 'DELETE', `/vm/${restoredId}`, undefined, 200);
      await expectStatus(local, 'DELETE', `/vm/${vmId}`, undefined, 200);
      await expectStatus(local, 'DELETE', `/commits/${commitId}`, undefined, 204);
    }
  } finally {
    await local.stop();
  }

  const results = scenarios.map((s) => ({
    name: s.name,
    description: s.description,
    runsMs: s.runsMs.map((ms) => Math.round(ms * 10) / 10),
    medianMs: Math.round(median(s.runsMs) * 10) / 10,
    targetMs: s.targetMs,
    withinTarget: median(s.runsMs) < s.targetMs,
  }));
  for (const r of results) {
    process.stdout.write(`${r.name.padEnd(16)} median ${String(r.medianMs).padStart(8)} ms  target < ${r.targetMs} ms  ${r.withinTarget ? 'ok' : 'SLOWER THAN TARGET'}  runs ${r.runsMs.join(', ')}\n`);
  }
  const output = { benchmark: 'vers-local', date: new Date().toISOString(), machine, settings: { runs, bootDelayMs: 300, versLocal: 'defaults' }, results };
  const file = join(repoRoot(), 'bench', 'results-vers-local.json');
  writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);
  process.stdout.write(`wrote ${file}\n`);
  saveReport({
    name: 'vers-local',
    title: 'vers-local (the emulator itself)',
    scenario: 'vers-local with default settings (boot delay 300 ms): its own start and the API calls that create, commit and restore VMs (no baseline: nothing else emulates Vers).',
    settings: output.settings,
    machine: machineInfo(),
    figures: scenarios.map((s) => single(s.name, s.description, series('vers-local', 'ms', s.runsMs), { of: 'ours', atMost: s.targetMs, text: `< ${s.targetMs} ms` })),
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
