import { spawnSync } from 'node:child_process';
import { supervisedCommand } from './supervised-command';

/** Run the supervisor as sshd would (the login shell with -c), with `input` on its standard input. */
function run(commandLine: string, input: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('/bin/sh', ['-c', commandLine], { input, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the supervised command line', () => {
  test('carries neither the command nor the environment: both come on the input', () => {
    const supervised = supervisedCommand('echo "$GREETING from the script"', { GREETING: 'hello-secret-value' });
    expect(supervised.commandLine).not.toContain('hello-secret-value');
    expect(supervised.commandLine).not.toContain('from the script');
    const result = run(supervised.commandLine, supervised.input);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`hello-secret-value from the script\n${supervised.endMarker}`);
    expect(result.stderr).toBe(supervised.endMarker);
  });

  test('passes the exit status on, after the end markers', () => {
    const supervised = supervisedCommand('echo failing >&2; exit 3');
    const result = run(supervised.commandLine, supervised.input);
    expect(result.status).toBe(3);
    expect(result.stderr).toBe(`failing\n${supervised.endMarker}`);
  });

  test('runs nothing of a script that did not arrive whole', () => {
    const supervised = supervisedCommand('echo first-line-ran\necho second-line-ran');
    const cut = supervised.input.slice(0, supervised.input.indexOf('echo second'));
    const result = run(supervised.commandLine, cut);
    expect(result.status).toBe(125);
    expect(result.stdout).toBe(supervised.endMarker);
    expect(result.stderr).toContain('did not arrive whole');
  });

  test('the command reads /dev/null, not the rest of its own script', () => {
    const supervised = supervisedCommand('cat; echo after-cat');
    expect(run(supervised.commandLine, supervised.input).stdout).toBe(`after-cat\n${supervised.endMarker}`);
  });
});
