import { parseDuration } from './duration';

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
