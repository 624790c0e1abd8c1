import { execFileSync } from 'node:child_process';
import { bashCommandLine, shellQuote } from './shell-quote';

describe('shell quoting', () => {
  test('plain words stay bare and everything else is single-quoted', () => {
    expect(shellQuote('abc-1.2/x')).toBe('abc-1.2/x');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });

  test('a command line survives a real login shell with the environment exported', () => {
    const value = `a 'b' "c" $d \`e\` \\f\nline2`;
    const line = bashCommandLine('printf "%s" "$V"', { V: value });
    // sshd hands the line to the user's shell with -c, exactly like this.
    expect(execFileSync('/bin/sh', ['-c', line], { encoding: 'utf8' })).toBe(value);
  });

  test('a bad variable name is refused', () => {
    expect(() => bashCommandLine('true', { '1X': 'a' })).toThrow(/environment\.1X must be a shell variable name/);
  });
});
