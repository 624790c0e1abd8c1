/** Milliseconds of a Go-style duration such as `90s`, `10m`, `1h30m` or `250ms` (the form schema.json allows), unrounded. */
export function durationMs(text: string): number {
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
  return total;
}

/** Whole milliseconds of a duration (see `durationMs`). */
export function parseDuration(text: string): number {
  return Math.round(durationMs(text));
}

/** The bounds schema.json puts on a duration property (`language.jsonSchema.durationRange`), in the user's units. */
export interface DurationRange {
  minimum: string;
  maximum: string;
}

/** The rule `text` breaks, in the user's units (`must be between 1s and 24h`), or undefined. Text that is no duration is another rule's business. */
export function durationRangeFailure(text: string, range: DurationRange): string | undefined {
  let ms: number;
  try {
    ms = durationMs(text);
  } catch {
    return undefined;
  }
  return ms < durationMs(range.minimum) || ms > durationMs(range.maximum) ? `must be between ${range.minimum} and ${range.maximum}` : undefined;
}
