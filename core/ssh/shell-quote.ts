import { ValidationError } from '../base/errors';

/** Quote one word for a POSIX shell: single quotes, with embedded `'` as `'\''`. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The bash script that runs `command` with `environment` exported first.
 * It travels to the VM on the SSH session's input (see supervised-command.ts),
 * never on a command line, so neither the values nor the command show in
 * /proc/<pid>/cmdline there; sshd's AcceptEnv usually drops SSH env requests.
 */
export function bashScript(command: string, environment: Readonly<Record<string, string>> = {}): string {
  const exports = Object.entries(environment).map(([name, value]) => {
    if (!ENV_NAME.test(name)) throw new ValidationError(`environment[${JSON.stringify(name)}]`, 'must be a shell variable name (letters, digits and _, not starting with a digit)');
    if (typeof value !== 'string' || value.includes('\u0000')) throw new ValidationError(`environment[${JSON.stringify(name)}]`, 'must be a string without NUL characters');
    return `export ${name}=${shellQuote(value)}`;
  });
  if (command.includes('\u0000')) throw new ValidationError('command', 'must not contain a NUL character');
  return exports.length === 0 ? command : `${exports.join('\n')}\n${command}`;
}
