import { randomBytes } from 'node:crypto';
import { bashScript, shellQuote } from './shell-quote';

/** How one provisioning command is started: what sshd runs, what goes to its input, and how its end shows. */
export interface SupervisedCommand {
  /** The command line for sshd: fixed text and a random nonce, nothing from the user. */
  commandLine: string;
  /** Written to the session's input, then EOF: the environment exports and the command, then a check line. */
  input: string;
  /** Printed on stdout and on stderr once the command has exited: everything before it is the command's output. */
  endMarker: string;
}

/**
 * A supervisor started by sshd reads the script (environment exports and
 * the command) from its input, so neither appears on any command line in
 * the VM, and refuses to run it unless it arrived whole (it must end with
 * the nonce line). It runs the script with bash in its own session and
 * process group, fed through a here-string on fd 3 (a pipe, or for a large
 * script a temporary file bash removes at once), with /dev/null as input.
 *
 * A watcher kills that whole group once the sshd process serving the
 * session is gone: that is how a cancelled or timed-out run stops what it
 * started (sshd gives a command without a terminal no signal when its
 * session goes away, and ignores "signal" channel requests).
 *
 * When the command exits, the supervisor prints the end marker on stdout
 * and stderr and exits with its status. A background process the command
 * left holding stdout/stderr keeps sshd from sending EOF, so the client
 * takes exit status plus both markers as the end, not EOF; the process
 * keeps running.
 */
export function supervisedCommand(command: string, environment: Readonly<Record<string, string>> = {}): SupervisedCommand {
  const nonce = randomBytes(16).toString('hex');
  const endMarker = `<<vers:command-end:${nonce}>>`;
  const supervisor = [
    `end=${shellQuote(endMarker)}`,
    `check=${shellQuote(`#${nonce}`)}`,
    'script=$(cat; printf x)',
    'script=${script%x}',
    'case $script in',
    `  *"$check"$'\\n') ;;`,
    `  *) echo 'vers: the command did not arrive whole over SSH; it was not run' >&2; printf %s "$end"; printf %s "$end" >&2; exit 125 ;;`,
    'esac',
    'setsid bash /dev/fd/3 3<<<"$script" </dev/null &',
    'child=$!',
    'unset script',
    'session=$PPID',
    '{ while kill -0 "$session" 2>/dev/null; do sleep 0.5; done; kill -KILL -- "-$child"; } </dev/null >/dev/null 2>&1 &',
    'watcher=$!',
    'wait "$child"',
    'status=$?',
    'kill "$watcher" 2>/dev/null',
    'printf %s "$end"',
    'printf %s "$end" >&2',
    'exit "$status"',
  ].join('\n');
  // The script closes fd 3 (bash reads it through a descriptor of its own), so the command's children do not hold it.
  const input = `exec 3<&-\n${bashScript(command, environment)}\n#${nonce}\n`;
  return { commandLine: `bash -c ${shellQuote(supervisor)}`, input, endMarker };
}
