import type { Logger } from '../base/logging';
import { checkOptions, definedOnly, type OptionRules } from '../base/option-checks';
import { loadPackageSchema } from '../schema/package-schema';

/** Retry policy for API calls. Only calls that are safe to repeat are retried (see vers-client.ts). */
export interface RetryOptions {
  /** Retries after the first attempt. Default 5. 0 disables retries. */
  limit?: number;
  /** Delay before the first retry, in ms; doubles each retry, with jitter. Default 500. */
  baseDelayMs?: number;
  /** Cap of one backoff delay, in ms. Default 8000. */
  maxDelayMs?: number;
  /** A `Retry-After` longer than this (ms) is not waited for: the error surfaces instead. Default 60000. */
  maxRetryAfterMs?: number;
}

/** Per-call HTTP timeouts in ms, one per kind of call. The server itself gives up after 120 s. */
export interface Timeouts {
  /** Ordinary calls (reads, state changes, deletes, labels). Default 60000. */
  request?: number;
  /** POST /vm/new_root, which may wait for the boot. Default 180000. */
  createVm?: number;
  /** POST /vm/{id}/commit: snapshots disk and memory. Default 180000. */
  commit?: number;
  /** POST /vm/from_commit and the branch calls. Default 180000. */
  restore?: number;
  /** POST /vm/{id}/exec (the command's own run time counts). Default 180000. */
  exec?: number;
}

/**
 * One deadline per API call in ms, by the same kinds as `Timeouts`: every
 * attempt, every backoff wait and, for a create whose answer was lost, the
 * search for what it made count against it. A call that runs out fails
 * with an error that names its attempts and this limit ("no answer in 3
 * attempts over 2m"). An attempt never runs past the deadline.
 */
export interface Deadlines {
  /** Ordinary calls. Default 120000 (2 min): a silent API fails `plan` after 2 attempts instead of 6 (374 s). */
  request?: number;
  /** POST /vm/new_root and the search for its VM after a lost answer. Default 600000. */
  createVm?: number;
  /** POST /vm/{id}/commit. Default 600000. */
  commit?: number;
  /** POST /vm/from_commit and the branch calls. Default 600000. */
  restore?: number;
  /** POST /vm/{id}/exec. Default 600000. */
  exec?: number;
}

export interface ClientOptions {
  retry?: RetryOptions;
  timeouts?: Timeouts;
  deadlines?: Deadlines;
  /** Receives one `debug` line per HTTP attempt (method, path, status, time, request id); never headers. Default: none. */
  logger?: Logger;
  /** Value of the User-Agent header. Default `vers-iac/<schema.json version> (node <version>)`. */
  userAgent?: string;
}

export type ResolvedRetryOptions = Required<RetryOptions>;
export type ResolvedTimeouts = Required<Timeouts>;
export type ResolvedDeadlines = Required<Deadlines>;

export const DEFAULT_RETRY: ResolvedRetryOptions = Object.freeze({ limit: 5, baseDelayMs: 500, maxDelayMs: 8000, maxRetryAfterMs: 60_000 });
export const DEFAULT_TIMEOUTS: ResolvedTimeouts = Object.freeze({ request: 60_000, createVm: 180_000, commit: 180_000, restore: 180_000, exec: 180_000 });
export const DEFAULT_DEADLINES: ResolvedDeadlines = Object.freeze({ request: 120_000, createVm: 600_000, commit: 600_000, restore: 600_000, exec: 600_000 });

const ONE_DAY_MS = 86_400_000;

export const RETRY_RULES: OptionRules = {
  limit: { kind: 'integer', min: 0, max: 20 },
  baseDelayMs: { kind: 'integer', min: 0, max: ONE_DAY_MS },
  maxDelayMs: { kind: 'integer', min: 0, max: ONE_DAY_MS },
  maxRetryAfterMs: { kind: 'integer', min: 0, max: ONE_DAY_MS },
};

const TIMEOUT_RULES: OptionRules = {
  request: { kind: 'integer', min: 1, max: ONE_DAY_MS },
  createVm: { kind: 'integer', min: 1, max: ONE_DAY_MS },
  commit: { kind: 'integer', min: 1, max: ONE_DAY_MS },
  restore: { kind: 'integer', min: 1, max: ONE_DAY_MS },
  exec: { kind: 'integer', min: 1, max: ONE_DAY_MS },
};

const CLIENT_RULES: OptionRules = {
  retry: { kind: 'nested', rules: RETRY_RULES },
  timeouts: { kind: 'nested', rules: TIMEOUT_RULES },
  deadlines: { kind: 'nested', rules: TIMEOUT_RULES },
  logger: { kind: 'object' },
  userAgent: { kind: 'string' },
};

/** Validate (unknown keys and wrong types throw ValidationError naming the option) and apply defaults. */
export function resolveClientOptions(options: ClientOptions = {}): {
  retry: ResolvedRetryOptions;
  timeouts: ResolvedTimeouts;
  deadlines: ResolvedDeadlines;
  logger: Logger | undefined;
  userAgent: string;
} {
  checkOptions(options, CLIENT_RULES, 'ClientOptions');
  return {
    retry: { ...DEFAULT_RETRY, ...definedOnly(options.retry) },
    timeouts: { ...DEFAULT_TIMEOUTS, ...definedOnly(options.timeouts) },
    deadlines: { ...DEFAULT_DEADLINES, ...definedOnly(options.deadlines) },
    logger: options.logger,
    userAgent: options.userAgent ?? `vers-iac/${loadPackageSchema().version} (node ${process.version})`,
  };
}
