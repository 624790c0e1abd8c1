import { execFileSync } from 'node:child_process';
import { bashScript, shellQuote } from './shell-quote';

describe('shell quoting', () => {
  test('plain words stay bare and everything else is single-quoted', () => {
    expect(shellQuote('abc-1.2/x')).toBe('abc-1.2/x');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });

  test('a script run by bash from its input gets the environment exactly', () => {
    const value = `a 'b' "c" $d \`e\` \\f\nline2`;
    const script = bashScript('printf "%s" "$V"', { V: value });
    expect(execFileSync('bash', ['-s'], { input: script, encoding: 'utf8' })).toBe(value);
  });

  test('a bad variable name or a NUL character is refused', () => {
    expect(() => bashScript('true', { '1X': 'a' })).toThrow(/environment\["1X"\] must be a shell variable name/);
    expect(() => bashScript('true', { X: 'a\u0000b' })).toThrow(/NUL/);
    expect(() => bashScript('echo a\u0000b')).toThrow(/NUL/);
  });
});
