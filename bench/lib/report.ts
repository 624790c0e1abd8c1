import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../core/base/repo-root';
import { describeMachine, type MachineInfo } from './machine';
import { median, pairRatios, round } from './stats';

/**
 * Benchmark results: each script builds one BenchmarkReport, prints it,
 * merges it into bench/results.json under its name (other benchmarks' entries
 * stay) and regenerates the table between the markers in bench/README.md.
 */

/** The runs of one contender (a baseline or ours), with their median. */
export interface Series {
  name: string;
  unit: string;
  runs: number[];
  median: number;
}

/** Pass when `of` (ours/baseline median-of-pairs ratio, or ours' median) is at most `atMost`. */
export interface Target {
  of: 'ratio' | 'ours';
  atMost: number;
  /** As the issue states it, e.g. "≥ 10× faster than the incumbent". */
  text: string;
}

export interface Figure {
  id: string;
  description: string;
  ours: Series;
  baseline?: Series;
  /** ours[i] / baseline[i] for each alternated pair, and their median. */
  ratio?: { perPair: number[]; median: number };
  target?: Target;
  pass?: boolean;
  /** What the reader needs to interpret the figure (e.g. how it was measured). */
  note?: string;
}

export interface BenchmarkReport {
  name: string;
  title: string;
  scenario: string;
  settings: Record<string, string | number | boolean>;
  machine: MachineInfo;
  figures: Figure[];
}

export function series(name: string, unit: string, runs: readonly number[]): Series {
  return { name, unit, runs: runs.map(round), median: round(median(runs)) };
}

/** A figure comparing ours with a baseline run for run (alternated pairs). */
export function compared(id: string, description: string, ours: Series, baseline: Series, target?: Target, note?: string): Figure {
  // Ratios from the unrounded-equivalent rounded runs are precise enough at 3 significant digits.
  const perPair = pairRatios(ours.runs, baseline.runs);
  const figure: Figure = { id, description, ours, baseline, ratio: { perPair: perPair.map(round), median: round(median(perPair)) } };
  return finish(figure, target, note);
}

/** A figure of ours alone (e.g. peak RSS), optionally against a target. */
export function single(id: string, description: string, ours: Series, target?: Target, note?: string): Figure {
  return finish({ id, description, ours }, target, note);
}

function finish(figure: Figure, target: Target | undefined, note: string | undefined): Figure {
  if (target !== undefined) {
    const value = target.of === 'ratio' ? figure.ratio?.median : figure.ours.median;
    if (value === undefined) throw new Error(`figure ${figure.id}: a ratio target needs a baseline`);
    figure.target = target;
    figure.pass = value <= target.atMost;
  }
  if (note !== undefined) figure.note = note;
  return figure;
}

/** Runs the contenders alternately, round by round (A B A B …): each function returns one measurement. */
export async function alternate<K extends string>(rounds: number, contenders: Record<K, () => Promise<number>>, onRun?: (name: K, round: number, value: number) => void): Promise<Record<K, number[]>> {
  const names = Object.keys(contenders) as K[];
  const runs = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < rounds; round++) {
    for (const name of names) {
      const value = await contenders[name]();
      runs[name].push(value);
      onRun?.(name, round, value);
    }
  }
  return runs;
}

function formatValue(s: Series): string {
  return `${s.median} ${s.unit}`;
}

function formatTarget(figure: Figure): string {
  if (figure.target === undefined) return '—';
  const measured = figure.target.of === 'ratio' ? `ratio ${figure.ratio?.median}` : `${figure.ours.median} ${figure.ours.unit}`;
  return `${figure.target.text} (need ${figure.target.of === 'ratio' ? 'ratio' : 'value'} ≤ ${figure.target.atMost}; got ${measured})`;
}

export function printReport(report: BenchmarkReport): void {
  const lines = [`${report.title}`, `machine: ${describeMachine(report.machine)}`, `settings: ${JSON.stringify(report.settings)}`];
  for (const figure of report.figures) {
    const verdict = figure.pass === undefined ? '' : figure.pass ? '  PASS' : '  MISS';
    const base = figure.baseline === undefined ? '' : `  ${figure.baseline.name} ${formatValue(figure.baseline)}  ratio ${figure.ratio?.median}`;
    lines.push(`  ${figure.id.padEnd(22)} ours ${formatValue(figure.ours)}${base}${verdict}`);
    if (figure.target !== undefined) lines.push(`  ${''.padEnd(22)} target: ${formatTarget(figure)}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

const RESULTS_FILE = (): string => join(repoRoot(), 'bench', 'results.json');
const README_FILE = (): string => join(repoRoot(), 'bench', 'README.md');
const BEGIN = '<!-- BEGIN GENERATED RESULTS (bench/lib/report.ts; do not edit by hand) -->';
const END = '<!-- END GENERATED RESULTS -->';

interface ResultsFile {
  description: string;
  benchmarks: Record<string, BenchmarkReport>;
}

export function readResults(): ResultsFile {
  const file = RESULTS_FILE();
  if (!existsSync(file)) return { description: 'make bench: every figure with its target; see bench/README.md', benchmarks: {} };
  return JSON.parse(readFileSync(file, 'utf8')) as ResultsFile;
}

/** Merge this report into bench/results.json and regenerate the README table. */
export function saveReport(report: BenchmarkReport): void {
  const results = readResults();
  results.benchmarks[report.name] = report;
  writeFileSync(RESULTS_FILE(), `${JSON.stringify(results, null, 2)}\n`);
  writeReadmeTable(results);
  process.stdout.write(`wrote bench/results.json and the table in bench/README.md\n`);
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The benchmarks in the issue's order (titles start with their number). */
function ordered(results: ResultsFile): BenchmarkReport[] {
  return Object.values(results.benchmarks).sort((a, b) => a.title.localeCompare(b.title));
}

/** One line per target: the closing note's "every figure next to its target". */
export function targetSummary(results: ResultsFile): string {
  const out = ['### Every target', '', '| Benchmark | Figure | Measured | Target | Result |', '| --- | --- | --- | --- | --- |'];
  for (const report of ordered(results)) {
    for (const figure of report.figures) {
      if (figure.target === undefined) continue;
      const measured = figure.target.of === 'ratio' ? `ratio ${figure.ratio?.median} (${figure.ours.median} vs ${figure.baseline?.median} ${figure.ours.unit})` : `${figure.ours.median} ${figure.ours.unit}`;
      out.push(`| ${escapeCell(report.title)} | ${escapeCell(figure.description)} | ${escapeCell(measured)} | ${escapeCell(`${figure.target.text} (≤ ${figure.target.atMost}${figure.target.of === 'ratio' ? '' : ` ${figure.ours.unit}`})`)} | ${figure.pass ? '**pass**' : '**miss**'} |`);
    }
  }
  out.push('');
  return out.join('\n');
}

export function markdownTable(results: ResultsFile): string {
  const out: string[] = [targetSummary(results)];
  for (const report of ordered(results)) {
    out.push(`### ${report.title}`, '', `${report.scenario}`, '', `Machine: ${describeMachine(report.machine)}.  `, `Settings: \`${JSON.stringify(report.settings)}\``, '');
    out.push('| Figure | Baseline (median) | Ours (median) | Ratio ours/baseline (median of pairs) | Target | Result |', '| --- | --- | --- | --- | --- | --- |');
    for (const figure of report.figures) {
      const baseline = figure.baseline === undefined ? '—' : `${figure.baseline.name}: ${formatValue(figure.baseline)}`;
      const ratio = figure.ratio === undefined ? '—' : `${figure.ratio.median}`;
      const target = figure.target === undefined ? '—' : `${figure.target.text} (≤ ${figure.target.atMost}${figure.target.of === 'ratio' ? '' : ` ${figure.ours.unit}`})`;
      const result = figure.pass === undefined ? 'info' : figure.pass ? '**pass**' : '**miss**';
      const description = figure.note === undefined ? figure.description : `${figure.description} — ${figure.note}`;
      out.push(`| ${escapeCell(description)} | ${escapeCell(baseline)} | ${escapeCell(`${figure.ours.name}: ${formatValue(figure.ours)}`)} | ${ratio} | ${escapeCell(target)} | ${result} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

function writeReadmeTable(results: ResultsFile): void {
  const file = README_FILE();
  const text = existsSync(file) ? readFileSync(file, 'utf8') : `# Benchmarks\n\n${BEGIN}\n${END}\n`;
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  const table = `${BEGIN}\n\n${markdownTable(results)}\n${END}`;
  const updated = begin >= 0 && end > begin ? `${text.slice(0, begin)}${table}${text.slice(end + END.length)}` : `${text.trimEnd()}\n\n## Results\n\n${table}\n`;
  writeFileSync(file, updated);
}
