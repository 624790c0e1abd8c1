import { startVersLocal, type VersLocalProcess } from '../helpers/vers-local';
import { terraformSuite } from './harness/reliability-workspace';
import { formatSeed, runSoakSeed, SOAK_VERS_LOCAL_ARGS, type SeedReport } from './harness/soak';

/**
 * The randomized lost-answer soak (issue 10, harness/soak.ts), seeds run
 * in parallel lanes, one vers-local each. `make test` runs 20 seeds;
 * `make soak SEEDS=200` runs more; SOAK_SEED_LIST=7,42 replays given seeds.
 *
 *   SOAK_SEEDS       how many seeds (default 20), starting at SOAK_FIRST_SEED (default 1)
 *   SOAK_SEED_LIST   comma-separated seeds to run instead
 *   SOAK_LANES       vers-local instances working at once (default 2)
 */

const suite = terraformSuite('tests/reliability/soak.test.ts');

function seedsToRun(env: NodeJS.ProcessEnv): number[] {
  if (env.SOAK_SEED_LIST !== undefined && env.SOAK_SEED_LIST.trim() !== '') return env.SOAK_SEED_LIST.split(',').map((seed) => Number(seed.trim()));
  const count = Number(env.SOAK_SEEDS ?? 20);
  const first = Number(env.SOAK_FIRST_SEED ?? 1);
  return Array.from({ length: count }, (_, index) => first + index);
}

const seeds = seedsToRun(process.env);
const lanes = Math.max(1, Math.min(Number(process.env.SOAK_LANES ?? 2), seeds.length));

suite(`the lost-answer soak: ${seeds.length} seeds of 50% lost create answers at -parallelism=30`, () => {
  const locals: VersLocalProcess[] = [];

  beforeAll(async () => {
    for (let lane = 0; lane < lanes; lane++) locals.push(await startVersLocal({ args: SOAK_VERS_LOCAL_ARGS }));
  });

  afterAll(async () => {
    for (const local of locals) await local.stop();
  });

  test('every seed converges with each VM in exactly one resource, none orphaned or shared, no duplicate commit, and destroy leaves nothing', async () => {
    const queue = [...seeds];
    const reports: SeedReport[] = [];
    const started = Date.now();
    await Promise.all(
      locals.map(async (local) => {
        for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
          const report = await runSoakSeed(local, seed);
          reports.push(report);
          process.stderr.write(`soak ${formatSeed(report)}\n`);
        }
      }),
    );
    reports.sort((a, b) => a.seed - b.seed);
    const total = (key: keyof Omit<SeedReport, 'seed' | 'problems' | 'ms'>): number => reports.reduce((sum, report) => sum + report[key], 0);
    const failed = reports.filter((report) => report.problems.length > 0).map((report) => report.seed);
    process.stderr.write(
      `soak totals: seeds=${reports.length} applies=${total('applies')} vms=${total('vmsMade')} faults=${total('faultsInjected')} adopted=${total('adopted')} ` +
        `refused=${total('refusedAsAmbiguous')} orphans=${total('orphans')} shared=${total('shared')} duplicateCommits=${total('duplicateCommits')} ` +
        `left=${total('leftAfterDestroy')} in ${Math.round((Date.now() - started) / 1000)}s` +
        `${failed.length === 0 ? '' : `; FAILED seeds (replay with SOAK_SEED_LIST=${failed.join(',')}): ${failed.join(', ')}`}\n`,
    );
    expect(reports.filter((report) => report.problems.length > 0).map(formatSeed)).toEqual([]);
    // Faults really happened, and some lost answers were recovered.
    expect(total('faultsInjected')).toBeGreaterThan(reports.length * 3);
    expect(total('adopted')).toBeGreaterThan(0);
  }, 3_600_000);
});
