import { backoffDelay } from '../base/backoff';
import { ApiError, NetworkError, TimeoutError } from '../base/errors';
import type { ResolvedRetryOptions } from './options';

/**
 * Parse `Retry-After` (delta seconds or an HTTP date) into ms from `now`.
 * Undefined when absent or unparseable; never negative.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** The delay before retry `retryNumber` (1-based): the server's Retry-After when given, else backoff. Undefined = do not retry. */
export function retryDelay(retryNumber: number, retryAfterMs: number | undefined, options: ResolvedRetryOptions): number | undefined {
  if (retryNumber > options.limit) return undefined;
  if (retryAfterMs !== undefined) return retryAfterMs > options.maxRetryAfterMs ? undefined : retryAfterMs;
  return backoffDelay(retryNumber, options);
}

/** Connection-level error codes after which a SAFE call may be repeated. */
export const RETRYABLE_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ECONNABORTED',
]);

/**
 * Codes that prove the request never left this machine, so even a
 * non-idempotent create may be re-sent: the connection was refused or the
 * name did not resolve.
 */
export const NOT_SENT_NETWORK_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

/** HTTP statuses worth retrying for safe calls. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/** A failure that a later attempt of the same read may not meet: no answer, a dropped connection, 408, 429 or 5xx. */
export function isTransientFailure(error: unknown): boolean {
  if (error instanceof NetworkError || error instanceof TimeoutError) return true;
  return error instanceof ApiError && isRetryableStatus(error.status);
}
