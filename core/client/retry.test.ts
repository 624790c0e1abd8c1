import { CancelledError } from '../base/errors';
import { DEFAULT_RETRY } from './options';
import { backoffDelay, isRetryableStatus, parseRetryAfter, retryDelay, sleep } from './retry';

describe('retry policy', () => {
  test('backoff doubles per retry, stays within [step/2, step] and is capped', () => {
    const options = { baseDelayMs: 500, maxDelayMs: 8000 };
    expect(backoffDelay(1, options, () => 0)).toBe(250);
    expect(backoffDelay(1, options, () => 1)).toBe(500);
    expect(backoffDelay(2, options, () => 1)).toBe(1000);
    expect(backoffDelay(3, options, () => 0.5)).toBe(1500);
    expect(backoffDelay(10, options, () => 1)).toBe(8000);
    expect(backoffDelay(10, options, () => 0)).toBe(4000);
  });

  test('jitter spreads delays', () => {
    const seen = new Set(Array.from({ length: 50 }, () => backoffDelay(3, { baseDelayMs: 500, maxDelayMs: 8000 })));
    expect(seen.size).toBeGreaterThan(10);
  });

  test('Retry-After accepts delta seconds and HTTP dates', () => {
    const now = Date.parse('2026-04-01T12:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Wed, 01 Apr 2026 12:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Wed, 01 Apr 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  test('retryDelay stops at the limit and refuses overlong Retry-After', () => {
    expect(retryDelay(DEFAULT_RETRY.limit + 1, undefined, DEFAULT_RETRY)).toBeUndefined();
    expect(retryDelay(1, 2000, DEFAULT_RETRY)).toBe(2000);
    expect(retryDelay(1, DEFAULT_RETRY.maxRetryAfterMs + 1, DEFAULT_RETRY)).toBeUndefined();
    expect(retryDelay(1, undefined, { ...DEFAULT_RETRY, limit: 0 })).toBeUndefined();
  });

  test('408, 429 and 5xx are retryable; other statuses are not', () => {
    expect([408, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 409, 422].some(isRetryableStatus)).toBe(false);
  });

  test('sleep rejects with CancelledError as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 20);
    await expect(sleep(10_000, controller.signal)).rejects.toBeInstanceOf(CancelledError);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
