/**
 * A point in time with microsecond precision, as Postgres stores it, and the
 * two RFC 3339 renderings the real server mixes (reference §3).
 */
export class Timestamp {
  /** Microseconds since the Unix epoch (fits a double exactly until year 2255). */
  readonly epochMicros: number;

  private constructor(epochMicros: number) {
    this.epochMicros = epochMicros;
  }

  private static lastIssued = 0;

  /** Now, strictly after every timestamp issued before, so "newest first" orders are total. */
  static now(): Timestamp {
    const wallMicros = Date.now() * 1000 + Number(process.hrtime.bigint() % 1000n);
    const micros = Math.max(wallMicros, Timestamp.lastIssued + 1);
    Timestamp.lastIssued = micros;
    return new Timestamp(micros);
  }

  static fromEpochMicros(epochMicros: number): Timestamp {
    if (!Number.isSafeInteger(epochMicros)) throw new TypeError(`invalid epoch microseconds: ${epochMicros}`);
    Timestamp.lastIssued = Math.max(Timestamp.lastIssued, epochMicros);
    return new Timestamp(epochMicros);
  }

  private parts(): { date: string; time: string; fraction: string } {
    const millis = Math.floor(this.epochMicros / 1000);
    const iso = new Date(millis).toISOString(); // 2026-04-01T12:34:56.123Z
    const micros = String(this.epochMicros % 1_000_000).padStart(6, '0');
    return { date: iso.slice(0, 10), time: iso.slice(11, 19), fraction: micros };
  }

  /** chrono's serde form: `2026-04-01T12:34:56.123456Z` (VM, metadata and commit-entity fields). */
  toChronoJson(): string {
    const { date, time, fraction } = this.parts();
    return `${date}T${time}.${fraction}Z`;
  }

  /** chrono's `to_rfc3339()`: `2026-04-01T12:34:56.123456+00:00` (commit list and PATCH commit). */
  toRfc3339(): string {
    const { date, time, fraction } = this.parts();
    return `${date}T${time}.${fraction}+00:00`;
  }

  /** chrono's Display: `2026-04-01 12:34:56.123456 UTC` (used inside default commit names). */
  toDisplay(): string {
    const { date, time, fraction } = this.parts();
    return `${date} ${time}.${fraction} UTC`;
  }
}
