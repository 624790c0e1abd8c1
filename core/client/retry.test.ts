import { DEFAULT_RETRY } from './options';
import { isRetryableStatus, parseRetryAfter, retryDelay } from './retry';

describe('retry policy', () => {
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
});
