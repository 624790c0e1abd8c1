import { durationRangeFailure, parseDuration } from './duration';

test('durations in the schema form are parsed to milliseconds', () => {
  expect(parseDuration('90s')).toBe(90_000);
  expect(parseDuration('10m')).toBe(600_000);
  expect(parseDuration('1h30m')).toBe(5_400_000);
  expect(parseDuration('250ms')).toBe(250);
  expect(parseDuration('1.5s')).toBe(1500);
});

test('anything else is refused', () => {
  expect(() => parseDuration('10')).toThrow(/not a duration/);
  expect(() => parseDuration('10m junk')).toThrow(/not a duration/);
  expect(() => parseDuration('')).toThrow(/not a duration/);
});

test('a range is judged on the exact value and said in the units of the range', () => {
  const range = { minimum: '1s', maximum: '24h' };
  expect(durationRangeFailure('1s', range)).toBeUndefined();
  expect(durationRangeFailure('24h', range)).toBeUndefined();
  expect(durationRangeFailure('999.6ms', range)).toBe('must be between 1s and 24h');
  expect(durationRangeFailure('24h0.001s', range)).toBe('must be between 1s and 24h');
  expect(durationRangeFailure('soon', range)).toBeUndefined();
});
