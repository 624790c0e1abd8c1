/** Milliseconds of a Go-style duration such as `90s`, `10m`, `1h30m` or `250ms` (the form schema.json allows). */
export function parseDuration(text: string): number {
  const part = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g;
  const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let consumed = 0;
  for (const match of text.matchAll(part)) {
    if (match.index !== consumed) break;
    total += Number(match[1]) * (unitMs[match[2] as string] as number);
    consumed += match[0].length;
  }
  if (consumed === 0 || consumed !== text.length) throw new RangeError(`not a duration: ${JSON.stringify(text)} (expected e.g. 90s, 10m or 1h30m)`);
  return Math.round(total);
}
