export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Where progress and diagnostics go: the engine's log (Pulumi) or stderr (Terraform). */
export interface Logger {
  log(level: LogLevel, message: string): void;
}
