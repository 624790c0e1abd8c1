import { ServerClock } from './server-clock';

/** The offset bound narrows with every sample and never excludes the true offset. */
describe('ServerClock', () => {
  const second = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toUTCString();

  test('knows nothing before the first answer: every time is uncertain', () => {
    const clock = new ServerClock();
    expect(clock.place(new Date(0).toISOString(), Date.now())).toBe('uncertain');
  });

  test('Date headers from different sub-second phases narrow the offset to the round trip, around the true offset', () => {
    const trueOffset = 437_123; // the server runs 7 min 17.123 s ahead
    const clock = new ServerClock();
    const local0 = 1_750_000_000_000;
    for (let i = 0; i < 40; i++) {
      const sentAt = local0 + i * 1037; // phases spread over the second
      const receivedAt = sentAt + 8;
      clock.observeDateHeader(second(sentAt + 4 + trueOffset), sentAt, receivedAt);
    }
    const { low, high } = clock.offsetMs;
    expect(low).toBeLessThanOrEqual(trueOffset);
    expect(high).toBeGreaterThanOrEqual(trueOffset);
    expect(high - low).toBeLessThan(250);
  });

  test('the created_at of what our own call made bounds the offset by that call’s send and receive', () => {
    const clock = new ServerClock();
    clock.observeCreatedAt('2026-04-01T12:00:10.500000Z', Date.parse('2026-04-01T12:00:00.000Z'), Date.parse('2026-04-01T12:00:00.040Z'));
    const { low, high } = clock.offsetMs;
    expect(low).toBe(10_460);
    expect(high).toBe(10_501);
  });

  test('places server times relative to a local instant: before, after, or uncertain within the bound', () => {
    const clock = new ServerClock();
    const sentAt = Date.parse('2026-04-01T12:00:00.000Z');
    clock.observeCreatedAt('2026-04-01T12:10:00.020000Z', sentAt, sentAt + 40); // server 10 min ahead, ±20 ms
    const start = sentAt + 5000;
    expect(clock.place('2026-04-01T12:10:04.900000Z', start)).toBe('before');
    expect(clock.place('2026-04-01T12:10:05.100000Z', start)).toBe('after');
    expect(clock.place('2026-04-01T12:10:05.005000Z', start)).toBe('uncertain');
  });

  test('samples that contradict each other widen the bound instead of trusting either', () => {
    const clock = new ServerClock();
    const at = 1_750_000_000_000;
    clock.observeCreatedAt(new Date(at + 1000).toISOString(), at, at + 10);
    clock.observeCreatedAt(new Date(at + 60_000 + 5000).toISOString(), at + 60_000, at + 60_010); // the clock was stepped by 4 s
    const { low, high } = clock.offsetMs;
    expect(low).toBeLessThanOrEqual(990);
    expect(high).toBeGreaterThanOrEqual(5000);
  });
});
