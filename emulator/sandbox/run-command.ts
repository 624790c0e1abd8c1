import { spawn } from 'node:child_process';

/** How one host command ended, with everything it printed. */
export interface CommandResult {
  /** Exit status, or 128 + signal number when a signal ended it (shell convention). */
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
}

export interface RunCommandOptions {
  /** Bytes written to stdin, which is then closed. Default: stdin is closed at once. */
  input?: Buffer;
  /** Kill the command with SIGKILL after this many ms. Default 30000; 0 = no limit. */
  timeoutMs?: number;
  /** Environment. Default: a minimal root environment (never the caller's). */
  env?: NodeJS.ProcessEnv;
  /** Working directory. Default: the caller's. */
  cwd?: string;
}

/** Environment of every host helper: enough for coreutils and util-linux, nothing inherited. */
export const HOST_ENV: NodeJS.ProcessEnv = Object.freeze({
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LC_ALL: 'C',
});

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };

/** Exit status in shell convention for a child's (code, signal) pair. */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal === null ? 0 : (SIGNAL_NUMBERS[signal] ?? 0));
}

/** Run a host command to completion, collecting its output; never throws for a non-zero exit. */
export function runCommand(file: string, args: readonly string[], options: RunCommandOptions = {}): Promise<CommandResult> {
  const timeoutMs = options.timeoutMs ?? 30000;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: options.env ?? HOST_ENV, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = timeoutMs > 0 ? setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs) : undefined;
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // A command that exits without reading its stdin makes our write fail with EPIPE; its exit status tells the story.
    child.stdin.on('error', () => undefined);
    child.on('error', (error) => {
      if (timer !== undefined) clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      if (timer !== undefined) clearTimeout(timer);
      resolve({ exitCode: exitStatus(code, signal), stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr), timedOut });
    });
    child.stdin.end(options.input);
  });
}

/** The last `maxChars` characters of a command's stderr, trimmed, for error messages. */
export function stderrTail(stderr: Buffer | string, maxChars = 600): string {
  const text = (typeof stderr === 'string' ? stderr : stderr.toString('utf8')).trim();
  return text.length <= maxChars ? text : `…${text.slice(text.length - maxChars)}`;
}
