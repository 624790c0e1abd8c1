import { CancelledError, SshError, TimeoutError } from '../errors';
import { LineSplitter, TailBuffer } from './line-splitter';
import { supervisedCommandLine } from './supervised-command';
import type { SshConnection } from './ssh-connection';

export interface RunCommandOptions {
  /** Exported before the command runs. Default none. */
  environment?: Readonly<Record<string, string>>;
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
  /** The last lines of stderr (bounded by stderrTailLines / stderrTailBytes). */
  stderrTail: string;
}

/**
 * Run `command` with `bash -c` over the connection, streaming output line
 * by line and keeping only a bounded tail of stderr. A non-zero exit is a
 * normal result here; `runProvisioning` turns it into CommandFailedError.
 * On timeout or cancellation the connection is closed: an SSH channel close
 * does not reliably stop a remote process that has no terminal.
 */
export async function runCommand(connection: SshConnection, command: string, options: RunCommandOptions = {}): Promise<CommandResult> {
  const { signal, timeoutMs } = options;
  if (signal?.aborted) throw new CancelledError(`command ${JSON.stringify(command)}`);
  const channel = await connection.exec(supervisedCommandLine(command, options.environment));
  const tail = new TailBuffer(options.stderrTailLines ?? 20, options.stderrTailBytes ?? 4096);
  const stdout = new LineSplitter((line) => options.onStdoutLine?.(line));
  const stderr = new LineSplitter((line) => {
    tail.add(line);
    options.onStderrLine?.(line);
  });
  return new Promise<CommandResult>((resolve, reject) => {
    let exitCode: number | null = null;
    let exitSignal: string | undefined;
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
      stdout.end();
      stderr.end();
      resolve({ exitCode, ...(exitSignal === undefined ? {} : { signal: exitSignal }), stderrTail: tail.toString() });
    };
    const onAbort = (): void => finish(new CancelledError(`command ${JSON.stringify(command)}`, { operation: 'run command' }));
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => finish(new TimeoutError('command', timeoutMs, `command ${JSON.stringify(command)} did not finish`, { operation: 'run command' })), timeoutMs);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    removeCloseListener = connection.onClose((error) => {
      finish(error ?? new SshError(`the SSH connection to ${connection.serverName} closed while ${JSON.stringify(command)} was running`, { operation: 'run command' }));
    });
    // The signal may have fired while the channel was opening.
    if (signal?.aborted) {
      onAbort();
      return;
    }

    // Commands get no stdin (the supervisor gives them /dev/null): EOF at once.
    channel.end();
    channel.on('data', (chunk: Buffer) => stdout.push(chunk));
    channel.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const recordExit = (code: unknown, signalName: unknown): void => {
      if (typeof code === 'number') exitCode = code;
      else if (typeof signalName === 'string') exitSignal = signalName.replace(/^SIG/, '');
    };
    channel.on('exit', recordExit);
    channel.on('close', (code: unknown, signalName: unknown) => {
      // The exit status may have arrived in the same packet batch as the exec reply, before the
      // 'exit' listener above existed; ssh2 repeats it as the arguments of 'close'.
      if (exitCode === null && exitSignal === undefined) recordExit(code, signalName);
      // A channel that closes without an exit status (sshd killed, session dropped) is a failure, not success.
      if (exitCode === null && exitSignal === undefined) {
        if (connection.closed) {
          finish(new SshError(`the SSH connection to ${connection.serverName} closed while ${JSON.stringify(command)} was running`, { operation: 'run command' }));
          return;
        }
        exitSignal = 'unknown (no exit status)';
      }
      finish();
    });
  });
}
