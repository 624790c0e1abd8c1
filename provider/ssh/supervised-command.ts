import { bashCommandLine, shellQuote } from './shell-quote';

/**
 * The remote command line for one provisioning command: `command` runs (with
 * `environment`, via `bash -c`) in its own session and process group, and a
 * watcher kills that whole group once the sshd process serving the session is
 * gone. That is how a cancelled or timed-out run stops what it started: the
 * client closes the connection, sshd exits, and the command dies within half
 * a second — sshd itself gives a command without a terminal no signal when
 * its session goes away, and it ignores "signal" channel requests.
 */
export function supervisedCommandLine(command: string, environment: Readonly<Record<string, string>> = {}): string {
  const supervisor = [
    `setsid ${bashCommandLine(command, environment)} </dev/null &`,
    'child=$!',
    'session=$PPID',
    '{ while kill -0 "$session" 2>/dev/null; do sleep 0.5; done; kill -KILL -- "-$child"; } </dev/null >/dev/null 2>&1 &',
    'watcher=$!',
    'wait "$child"',
    'status=$?',
    'kill "$watcher" 2>/dev/null',
    'exit "$status"',
  ].join('\n');
  return `bash -c ${shellQuote(supervisor)}`;
}
