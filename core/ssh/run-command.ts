import { StringDecoder } from 'node:string_decoder';
import { CancelledError, SshError, TimeoutError } from '../base/errors';
import { type RedactingStream, SecretRedactor } from '../base/redaction';
import { LineSplitter, TailBuffer } from './line-splitter';
import { supervisedCommand } from './supervised-command';
import type { SshConnection } from './ssh-connection';

export interface RunCommandOptions {
  /** Exported before the command runs; sent over the session's input, never on a command line. Default none. */
  environment?: Readonly<Record<string, string>>;
  /** How messages name the command (`commands[1]`); its text never appears in them. Default `the command`. */
  name?: string;
  /** Blanks secrets from the output before anything sees it (lines, stderr tail). Default: none known. */
  redactor?: SecretRedactor;
  /** Each stdout line as it arrives. Default: dropped. */
  onStdoutLine?: (line: string) => void;
  /** Each stderr line as it arrives. Default: dropped (the tail is still kept). */
  onStderrLine?: (line: string) => void;
  /** Limit for the command, ms. Default: none. */
  timeoutMs?: number;
  /** Aborting closes the connection and rejects with CancelledError. */
  signal?: AbortSignal;
  /** Lines of stderr kept for the result. Default 20. */
  stderrTailLines?: number;
  /** Characters of stderr kept for the result. Default 4096. */
  stderrTailBytes?: number;
}

export interface CommandResult {
  /** Exit status; null when a signal ended the command (see `signal`). */
  exitCode: number | null;
  signal?: string;
  /** The last lines of stderr (bounded by stderrTailLines / stderrTailBytes), secrets blanked. */
  stderrTail: string;
}

/**
 * One output stream of a command: bytes decoded, cut at the supervisor's
 * end marker (what follows comes from a background process and is not the
 * command's), secrets blanked across chunks, then split into lines.
 */
class CommandOutput {
  private readonly decoder = new StringDecoder('utf8');
  private readonly redacting: RedactingStream;
  private held = '';
  /** The end marker arrived: the command's output is complete. */
  ended = false;

  constructor(
    private readonly endMarker: string,
    redactor: SecretRedactor,
    private readonly lines: LineSplitter,
  ) {
    this.redacting = redactor.stream((text) => lines.push(text));
  }

  push(chunk: Buffer): void {
    if (this.ended) return;
    const text = this.held + this.decoder.write(chunk);
    const at = text.indexOf(this.endMarker);
    if (at !== -1) {
      this.held = '';
      this.ended = true;
      this.redacting.push(text.slice(0, at));
      return;
    }
    // Keep back what may be the start of the marker.
    let keep = Math.min(text.length, this.endMarker.length - 1);
    while (keep > 0 && !this.endMarker.startsWith(text.slice(text.length - keep))) keep--;
    this.held = text.slice(text.length - keep);
    this.redacting.push(text.slice(0, text.length - keep));
  }

  finish(): void {
    if (!this.ended) this.redacting.push(this.held + this.decoder.end());
    this.held = '';
    this.redacting.end();
    this.lines.end();
  }
}

/**
 * Run `command` with bash over the connection (see supervised-command.ts:
 * script and environment go over the session's input), streaming output
 * line by line with secrets blanked and keeping only a bounded tail of
 * stderr. The command is done when it has exited and its output up to the
 * supervisor's end markers has arrived, even if a background process it
 * started still holds stdout/stderr; the channel is then closed. A non-zero
 * exit is a normal result here; `runProvisioning` turns it into
 * CommandFailedError. On timeout or cancellation the connection is closed:
 * an SSH channel close does not reliably stop a remote process that has no
 * terminal.
 */
export async function runCommand(connection: SshConnection, command: string, options: RunCommandOptions = {}): Promise<CommandResult> {
  const { signal, timeoutMs } = options;
  const name = options.name ?? 'the command';
  if (signal?.aborted) throw new CancelledError(name);
  const supervised = supervisedCommand(command, options.environment);
  const channel = await connection.exec(supervised.commandLine);
  const redactor = options.redactor ?? new SecretRedactor();
  const tail = new TailBuffer(options.stderrTailLines ?? 20, options.stderrTailBytes ?? 4096);
  const stdout = new CommandOutput(supervised.endMarker, redactor, new LineSplitter((line) => options.onStdoutLine?.(line)));
  const stderr = new CommandOutput(
    supervised.endMarker,
    redactor,
    new LineSplitter((line) => {
      tail.add(line);
      options.onStderrLine?.(line);
    }),
  );
  return new Promise<CommandResult>((resolve, reject) => {
    let exitCode: number | null = null;
    let exitSignal: string | undefined;
    let exited = false;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let removeCloseListener: () => void = () => undefined;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      removeCloseListener();
      if (error !== undefined) {
        // Closing ends the sshd session, on which the supervisor kills the command's group.
        connection.close();
        reject(error);
        return;
      }
      // Whatever still holds the channel (a background process) is not the command's business any more.
      channel.close();
      stdout.finish();
      stderr.finish();
      resolve({ exitCode, ...(exitSignal === undefined ? {} : { signal: exitSignal }), stderrTail: tail.toString() });
    };
    const onAbort = (): void => finish(new CancelledError(name, { operation: 'run command' }));
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => finish(new TimeoutError('command', timeoutMs, `${name} did not finish`, { operation: 'run command' })), timeoutMs);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    removeCloseListener = connection.onClose((error) => {
      finish(error ?? new SshError(`the SSH connection to ${connection.serverName} closed while ${name} was running`, { operation: 'run command' }));
    });
    // The signal may have fired while the channel was opening.
    if (signal?.aborted) {
      onAbort();
      return;
    }

    const recordExit = (code: unknown, signalName: unknown): void => {
      if (typeof code === 'number') {
        exitCode = code;
        exited = true;
      } else if (typeof signalName === 'string') {
        exitSignal = signalName.replace(/^SIG/, '');
        exited = true;
      }
    };
    const finishWhenComplete = (): void => {
      if (exited && stdout.ended && stderr.ended) finish();
    };
    channel.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      finishWhenComplete();
    });
    channel.stderr.on('data', (chunk: Buffer) => {
      stderr.push(chunk);
      finishWhenComplete();
    });
    channel.on('exit', (code: unknown, signalName: unknown) => {
      recordExit(code, signalName);
      finishWhenComplete();
    });
    channel.on('close', (code: unknown, signalName: unknown) => {
      // The exit status may have arrived in the same packet batch as the exec reply, before the
      // 'exit' listener above existed; ssh2 repeats it as the arguments of 'close'.
      if (!exited) recordExit(code, signalName);
      // A channel that closes without an exit status (sshd killed, session dropped) is a failure, not success.
      if (!exited) {
        if (connection.closed) {
          finish(new SshError(`the SSH connection to ${connection.serverName} closed while ${name} was running`, { operation: 'run command' }));
          return;
        }
        exitSignal = 'unknown (no exit status)';
      }
      finish();
    });
    // The script, then EOF; the command itself reads /dev/null.
    channel.end(supervised.input);
  });
}
