/** Order statistics for benchmark runs: medians, and the median of per-pair ratios. */

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** ours[i] / baseline[i] for each alternated pair (run i of both). */
export function pairRatios(ours: readonly number[], baseline: readonly number[]): number[] {
  if (ours.length !== baseline.length) throw new Error(`unpaired runs: ${ours.length} ours, ${baseline.length} baseline`);
  return ours.map((value, i) => value / (baseline[i] as number));
}

/** Rounded for reports: 3 significant digits below 10, else 1 decimal. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  return Math.abs(value) < 10 ? Number(value.toPrecision(3)) : Math.round(value * 10) / 10;
}
