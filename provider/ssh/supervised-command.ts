import { bashCommandLine, shellQuote } from './shell-quote';

/**
 * The remote command line for one provisioning command: `command` runs (with
 * `environment`, via `bash -c`) in its own session and process group, and a
 * watcher kills that whole group when the SSH channel's stdin reaches EOF.
 * That is how a cancelled or timed-out run stops what it started: sshd gives
 * a command without a terminal no signal when its session goes away, and it
 * ignores "signal" channel requests. The command's own stdin is /dev/null, so
 * the caller must leave the channel's stdin open while the command runs.
 */
export function supervisedCommandLine(command: string, environment: Readonly<Record<string, string>> = {}): string {
  const supervisor = [
    'exec 3<&0',
    `setsid ${bashCommandLine(command, environment)} </dev/null 3<&- &`,
    'child=$!',
    // Background jobs get /dev/null as stdin unless redirected: read the channel through fd 3.
    '{ cat <&3 >/dev/null 2>&1; kill -KILL -- "-$child" 2>/dev/null; } >/dev/null 2>&1 &',
    'watcher=$!',
    'exec 3<&-',
    'wait "$child"',
    'status=$?',
    'kill "$watcher" 2>/dev/null',
    'exit "$status"',
  ].join('\n');
  return `bash -c ${shellQuote(supervisor)}`;
}
