import { CancelledError, CommandFailedError, formatDuration, TimeoutError, ValidationError } from '../base/errors';
import { SecretRedactor } from '../base/redaction';
import type { Logger } from '../base/logging';
import { runCommand } from './run-command';
import type { SshConnection } from './ssh-connection';
import { parseFileMode, uploadFile, type UploadFileSpec } from './upload-file';

export interface ProvisioningSpec {
  /** Uploaded first, in order, over SFTP. */
  files?: readonly UploadFileSpec[];
  /** Then run in order with bash; the first non-zero exit stops the run. */
  commands?: readonly string[];
  /** Exported to every command. */
  environment?: Readonly<Record<string, string>>;
  /** Limit for the whole run, ms. Default 600000 (10 min), as schema.json's Provision `timeout`. */
  timeoutMs?: number;
  /** When the run's time started counting (epoch ms), if before this call (connecting counts too). Default now. */
  startedAt?: number;
  /**
   * Values to blank from command output, logs and errors: what schema.json
   * marks secret (environment values, file contents) and the credentials
   * involved. Default none.
   */
  secrets?: readonly string[];
}

export interface ProvisioningResult {
  filesUploaded: number;
  commandsRun: number;
  durationMs: number;
}

/** Files at least this large report their upload every 10%, so a long transfer shows it is moving. */
const PROGRESS_MIN_BYTES = 16 * 1024 * 1024;
const MIB = 1024 * 1024;

/** An onProgress callback that logs `uploaded X of Y MiB to <destination> (N%)` each time another 10% is sent. */
function uploadProgressLogger(logger: Logger, destination: string): (sentBytes: number, totalBytes: number) => void {
  let loggedTenths = 0;
  return (sentBytes, totalBytes) => {
    if (totalBytes < PROGRESS_MIN_BYTES) return;
    const tenths = Math.floor((sentBytes * 10) / totalBytes);
    if (tenths <= loggedTenths || tenths >= 10) return;
    loggedTenths = tenths;
    logger.log('info', `uploaded ${(sentBytes / MIB).toFixed(1)} of ${(totalBytes / MIB).toFixed(1)} MiB to ${destination} (${tenths * 10}%)`);
  };
}

/**
 * Apply files and commands over one connection. Output streams to the
 * logger line by line (`info`), with `secrets` blanked; a failing command
 * throws CommandFailedError naming it by position (`commands[1]`) with its
 * exit code and stderr tail. On timeout or cancellation the connection is
 * closed (which stops whatever was in flight; an upload first removes its
 * temporary file) and TimeoutError (phase `provisioning`, with the limit as
 * configured) or CancelledError is thrown.
 */
export async function runProvisioning(connection: SshConnection, spec: ProvisioningSpec, logger: Logger, signal?: AbortSignal): Promise<ProvisioningResult> {
  const files = spec.files ?? [];
  const commands = spec.commands ?? [];
  const timeoutMs = spec.timeoutMs ?? 600_000;
  files.forEach((file, index) => {
    if ((file.source === undefined) === (file.content === undefined)) throw new ValidationError(`files[${index}]`, 'needs exactly one of source and content');
    if (typeof file.destination !== 'string' || !file.destination.startsWith('/')) throw new ValidationError(`files[${index}].destination`, 'must be an absolute path (starting with /)');
    parseFileMode(file.mode, `files[${index}].mode`);
  });
  commands.forEach((command, index) => {
    if (typeof command !== 'string' || command.trim() === '') throw new ValidationError(`commands[${index}]`, 'must be a non-empty string');
  });
  const redactor = new SecretRedactor(spec.secrets ?? []);
  const startedAt = spec.startedAt ?? Date.now();

  // One controller stops the current step on timeout or on the caller's cancel.
  const stop = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stop.abort();
  }, Math.max(0, startedAt + timeoutMs - Date.now()));
  const onCallerAbort = (): void => stop.abort();
  signal?.addEventListener('abort', onCallerAbort, { once: true });
  if (signal?.aborted) stop.abort();

  const where = `VM ${connection.serverName}`;
  try {
    for (const [index, file] of files.entries()) {
      const from = file.source !== undefined ? file.source : `inline content (${Buffer.byteLength(file.content ?? '')} bytes)`;
      logger.log('info', `uploading ${from} to ${file.destination} (file ${index + 1}/${files.length}, mode ${parseFileMode(file.mode).toString(8).padStart(4, '0')})`);
      await uploadFile(connection, file, { signal: stop.signal, onProgress: uploadProgressLogger(logger, file.destination) });
    }
    for (const [index, command] of commands.entries()) {
      // By position only: the text may hold a secret nobody marked as one.
      const name = `commands[${index}]`;
      logger.log('info', `running ${name} (${index + 1} of ${commands.length}) on ${where}`);
      const result = await runCommand(connection, command, {
        ...(spec.environment === undefined ? {} : { environment: spec.environment }),
        name,
        redactor,
        onStdoutLine: (line) => logger.log('info', line),
        onStderrLine: (line) => logger.log('info', `stderr: ${line}`),
        signal: stop.signal,
      });
      if (result.exitCode !== 0) {
        throw new CommandFailedError(name, result.exitCode, result.stderrTail, { operation: 'provision', resource: connection.serverName, ...(result.signal === undefined ? {} : { signal: result.signal }) });
      }
    }
    const durationMs = Date.now() - startedAt;
    logger.log('info', `provisioned ${where}: ${files.length} file(s), ${commands.length} command(s) in ${formatDuration(durationMs)}`);
    return { filesUploaded: files.length, commandsRun: commands.length, durationMs };
  } catch (error) {
    if (error instanceof CancelledError && timedOut) {
      throw new TimeoutError('provisioning', timeoutMs, `provisioning ${where} did not finish`, { operation: 'provision', resource: connection.serverName, cause: error });
    }
    if (error instanceof CancelledError) throw new CancelledError(`provisioning ${where}`, { operation: 'provision', resource: connection.serverName, cause: error });
    throw error;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onCallerAbort);
  }
}
