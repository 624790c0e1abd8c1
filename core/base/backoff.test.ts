import { backoffDelay, sleep } from './backoff';
import { CancelledError } from './errors';

describe('backoff', () => {
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

  test('sleep rejects with CancelledError as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 20);
    await expect(sleep(10_000, controller.signal)).rejects.toBeInstanceOf(CancelledError);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
