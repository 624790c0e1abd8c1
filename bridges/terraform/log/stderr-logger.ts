import type { Logger, LogLevel } from '../../../core/base/logging';
import { SecretRedactor } from '../../../core/base/redaction';

/**
 * Logging for a Terraform provider process. Terraform reads the provider's
 * stderr line by line and files `[LEVEL] …` lines under that level of its own
 * log (TF_LOG / TF_LOG_PROVIDER); stdout is reserved for the go-plugin
 * handshake, so nothing here ever writes to it.
 */

export type BridgeLogLevel = 'trace' | LogLevel;

const RANK: Record<BridgeLogLevel | 'off', number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, off: 5 };

/** The threshold from TF_LOG_PROVIDER, else TF_LOG (as Terraform reads them); `warn` when unset. */
export function logThresholdFromEnv(env: NodeJS.ProcessEnv = process.env): BridgeLogLevel | 'off' {
  const raw = (env.TF_LOG_PROVIDER ?? env.TF_LOG ?? '').trim().toLowerCase();
  if (raw === '') return 'warn';
  if (raw === 'json') return 'trace';
  if (raw in RANK) return raw as BridgeLogLevel | 'off';
  return 'trace'; // Terraform treats any other non-empty value as TRACE.
}

export interface StderrLoggerOptions {
  /** Lowest level written. Default: from TF_LOG_PROVIDER / TF_LOG. */
  threshold?: BridgeLogLevel | 'off';
  /** Blanks secrets out of every line. Default: a fresh redactor. */
  redactor?: SecretRedactor;
  /** Where lines go. Default: process.stderr. */
  write?: (line: string) => void;
}

export class StderrLogger implements Logger {
  readonly redactor: SecretRedactor;
  private readonly threshold: number;
  private readonly write: (line: string) => void;

  constructor(options: StderrLoggerOptions = {}) {
    this.threshold = RANK[options.threshold ?? logThresholdFromEnv()];
    this.redactor = options.redactor ?? new SecretRedactor();
    this.write = options.write ?? ((line) => process.stderr.write(line));
  }

  enabled(level: BridgeLogLevel): boolean {
    return RANK[level] >= this.threshold;
  }

  log(level: BridgeLogLevel, message: string): void {
    if (!this.enabled(level)) return;
    const text = this.redactor.redact(message).replace(/\r?\n/g, '\n    ');
    this.write(`[${level.toUpperCase()}] terraform-provider-vers: ${text}\n`);
  }

  trace(message: string): void {
    this.log('trace', message);
  }
}
