import { ValidationError } from '../errors';

/** Quote one word for a POSIX shell: single quotes, with embedded `'` as `'\''`. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The remote command line that runs `command` with `bash -c`, with
 * `environment` exported first. Environment goes into the command text
 * because sshd's AcceptEnv usually drops SSH env requests.
 */
export function bashCommandLine(command: string, environment: Readonly<Record<string, string>> = {}): string {
  const exports = Object.entries(environment).map(([name, value]) => {
    if (!ENV_NAME.test(name)) throw new ValidationError(`environment.${name}`, 'must be a shell variable name (letters, digits and _, not starting with a digit)');
    if (typeof value !== 'string') throw new ValidationError(`environment.${name}`, 'must be a string');
    return `export ${name}=${shellQuote(value)}`;
  });
  const script = exports.length === 0 ? command : `${exports.join('\n')}\n${command}`;
  return `bash -c ${shellQuote(script)}`;
}
