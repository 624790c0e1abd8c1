import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, lstat, mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import { waitFor } from './cgroup-fs';
import type { CgroupHost, TaskCgroup, VmCgroup } from './cgroup-types';
import { SandboxError, SandboxFileError, SandboxHostError, SandboxStateError, SandboxValidationError } from './errors';
import type { HostBinaries } from './host-binaries';
import type { ResolvedSandboxDriverOptions } from './options';
import { identify, isRunning, type ProcessIdentity } from './process-identity';
import { exitStatus, HOST_ENV, runCommand, stderrTail } from './run-command';
import { validateExecRequest, validateSpec, validateVmPath } from './spec-validation';
import { SshSessionStream } from './ssh-session-stream';
import { installScriptFiles } from './script-files';
import { sshdInetdCommand } from './sshd-config';
import type { ExecRequest, ExecResult, ExecStream, Sandbox, SandboxSpec } from './types';
import { freshDirsFor, relativeLowerDirs, vmDirectory } from './vm-layout';
import { ENTER_VM_SCRIPT, EXEC_IN_VM_SCRIPT, FILE_STATUS, READ_FILE_SCRIPT, WRITE_FILE_SCRIPT } from './vm-scripts';

const MIB = 1024 * 1024;
/** readFile refuses files larger than this (a device like /dev/zero never ends). */
const MAX_READ_BYTES = 512 * MIB;
/** File operations are bounded; exec is bounded only by its own timeoutSecs. */
const FILE_OPERATION_TIMEOUT_MS = 120000;
/** How long exec waits for the output pipes after the command exited (background children may hold them). */
const OUTPUT_DRAIN_MS = 250;
const TEARDOWN_TIMEOUT_MS = 10000;

/** The environment every command in a VM starts from (exec requests add to it inside the VM). */
const VM_BASE_ENV: NodeJS.ProcessEnv = Object.freeze({
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  USER: 'root',
  LOGNAME: 'root',
});

/** What every sandbox of one driver shares. */
export interface SandboxHost {
  options: ResolvedSandboxDriverOptions;
  binaries: HostBinaries;
  cgroups: CgroupHost;
}

type SandboxState = 'running' | 'paused' | 'exited' | 'destroyed';

interface InVmRun {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
  /** The output limit was hit and the command was killed. */
  overflowed: boolean;
}

interface InVmRunOptions {
  input?: Buffer;
  timeoutMs: number;
  onOutput?: (stream: ExecStream, chunk: Buffer) => void;
  /** Keep output in memory (false when it is only streamed). */
  collect: boolean;
  maxOutputBytes?: number;
}

/** Start a VM: cgroups, the namespace holder P1, the init; resolves once init reports ready. */
export async function startSandbox(host: SandboxHost, spec: SandboxSpec, onDestroyed: () => void): Promise<Sandbox> {
  const layers = validateSpec(spec);
  const { vmId } = spec;
  const { options, binaries } = host;
  const lowerDirs = relativeLowerDirs(layers);
  if (lowerDirs === undefined) {
    throw new SandboxValidationError('INVALID_SPEC', 'layers', `sandbox spec layers: ${layers.length} layers do not fit in one overlay mount option; flatten the commit chain`, { vmId, operation: 'create' });
  }
  const vmDir = vmDirectory(options.stateDir, vmId);
  // A directory left by a crashed vers-local holds nothing (its mounts died with their namespace).
  await rm(vmDir, { recursive: true, force: true });
  await mkdir(vmDir, { recursive: true, mode: 0o700 });
  const cgroup = await host.cgroups.createVmCgroup(vmId);
  const started = Date.now();
  let p1: ChildProcessWithoutNullStreams | undefined;
  try {
    // tmpfs pages of the VM's disk are charged to the VM's memory cgroup, so the limit covers both.
    await cgroup.setLimits({ memoryBytes: (spec.memSizeMib + spec.fsSizeMib) * MIB, vcpuCount: spec.vcpuCount });
    const fresh = layers.length === 0 ? freshDirsFor(options.stateDir) : { freshDirs: [], attrRefs: [] };
    const scripts = await installScriptFiles(options.stateDir);
    const args = [
      '--pdeathsig', 'KILL', binaries.unshare, '--mount', '--propagation', 'private',
      binaries.sh, scripts.holder,
      vmDir, String(spec.fsSizeMib), vmId, lowerDirs.base, lowerDirs.lowers, fresh.freshDirs.join('\n'), fresh.attrRefs.join('\n'),
      scripts.init, scripts.sshdConfig, ...cgroup.joinFiles,
    ];
    p1 = spawn(binaries.setpriv, args, { env: HOST_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    const initPid = await waitForInit(p1, spec, options);
    options.logger(`vm ${vmId}: started in ${Date.now() - started} ms (init pid ${initPid}, P1 pid ${p1.pid})`);
    return new LinuxSandbox(host, vmId, vmDir, cgroup, p1, initPid, spec, onDestroyed);
  } catch (error) {
    await cgroup.killAll(TEARDOWN_TIMEOUT_MS).catch(() => undefined);
    if (p1 !== undefined) await waitForExit(p1, TEARDOWN_TIMEOUT_MS);
    await cgroup.remove(TEARDOWN_TIMEOUT_MS).catch((cleanupError: unknown) => options.logger(`vm ${vmId}: ${(cleanupError as Error).message}`));
    await rm(vmDir, { recursive: true, force: true });
    if (error instanceof SandboxError) throw error;
    throw new SandboxError('SANDBOX_START_FAILED', `cannot start VM ${vmId}: ${(error as Error).message}`, { vmId, operation: 'create', cause: error });
  }
}

/** Feed P1 the keys and wait for its init's `ready <pid>` line. */
function waitForInit(p1: ChildProcessWithoutNullStreams, spec: SandboxSpec, options: ResolvedSandboxDriverOptions): Promise<number> {
  const { vmId } = spec;
  return new Promise((resolve, reject) => {
    let stdoutText = '';
    let stderrText = '';
    let settled = false;
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const detail = stderrTail(stderrText);
      reject(new SandboxError('SANDBOX_START_FAILED', `cannot start VM ${vmId}: ${why}${detail === '' ? '' : `: ${detail}`}`, { vmId, operation: 'create' }));
    };
    const timer = setTimeout(() => fail(`init not ready within ${options.startTimeoutMs} ms`), options.startTimeoutMs);
    p1.stdout.on('data', (chunk: Buffer) => {
      if (settled) return;
      stdoutText += chunk.toString('utf8');
      // Only a complete line counts: a chunk may end in the middle of the pid.
      const match = /^ready (\d+)\n/m.exec(stdoutText);
      if (match === null) return;
      const pid = Number(match[1]);
      if (!isNamespaceInit(pid)) {
        fail(`process ${pid}, reported as the VM's init, is not pid 1 of its own PID namespace`);
        return;
      }
      settled = true;
      clearTimeout(timer);
      resolve(pid);
    });
    p1.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      if (!settled) stderrText = (stderrText + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim() !== '') options.logger(`vm ${vmId} setup: ${line}`);
    });
    p1.on('error', (error) => fail(`cannot run ${error.message}`));
    p1.on('exit', (code, signal) => fail(`setup exited with status ${exitStatus(code, signal)} before init was ready`));
    p1.stdin.on('error', () => undefined);
    // The init reads these from stdin: the key never appears in an argument list or the environment.
    const hostKey = spec.hostKeyOpenSsh.replace(/\r\n/g, '\n').trimEnd();
    p1.stdin.end(`${spec.authorizedKey.trim()}\n${hostKey}\nEND\n`);
  });
}

/** True when `pid` is pid 1 of a PID namespace below ours (NSpid: <host pid> … 1): never a host process. */
function isNamespaceInit(pid: number): boolean {
  try {
    const nsPids = /^NSpid:\s+(.+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]?.trim().split(/\s+/) ?? [];
    return nsPids.length >= 2 && nsPids[0] === String(pid) && nsPids[nsPids.length - 1] === '1';
  } catch {
    return false;
  }
}

/** Resolve once a child process has exited (immediately if it already has), or after `timeoutMs`. */
function waitForExit(child: ChildProcessWithoutNullStreams, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * A running VM: P1 (the holder of mount namespace A, where the VM's tmpfs
 * disk and overlays are mounted) and the VM's init (pid 1 of its own PID,
 * mount, network, UTS and IPC namespaces), all inside the VM's cgroups.
 */
class LinuxSandbox implements Sandbox {
  private state: SandboxState = 'running';
  private fsSizeMib: number;
  private readonly memSizeMib: number;
  private readonly vcpuCount: number;
  private taskCounter = 0;
  private readonly sessions = new Set<SshSessionStream>();
  /** Pause, resume and resize run one at a time. */
  private lifecycle: Promise<unknown> = Promise.resolve();
  private destroying: Promise<void> | undefined;
  /** The init's identity, to wait for its exit without being fooled by a reused pid. */
  private readonly init: ProcessIdentity | undefined;

  constructor(
    private readonly host: SandboxHost,
    readonly vmId: string,
    private readonly vmDir: string,
    private readonly cgroup: VmCgroup,
    private readonly p1: ChildProcessWithoutNullStreams,
    readonly initPid: number,
    spec: SandboxSpec,
    private readonly onDestroyed: () => void,
  ) {
    this.init = identify(initPid);
    this.fsSizeMib = spec.fsSizeMib;
    this.memSizeMib = spec.memSizeMib;
    this.vcpuCount = spec.vcpuCount;
    p1.on('exit', (code, signal) => {
      if (this.state === 'destroyed') return;
      this.state = 'exited';
      host.options.logger(`vm ${vmId}: exited unexpectedly (status ${exitStatus(code, signal)})`);
    });
  }

  get paused(): boolean {
    return this.state === 'paused';
  }

  pause(): Promise<void> {
    return this.serially('pause', async () => {
      if (this.state === 'paused') return;
      await this.cgroup.freeze();
      this.state = 'paused';
    });
  }

  resume(): Promise<void> {
    return this.serially('resume', async () => {
      if (this.state === 'running') return;
      await this.cgroup.thaw();
      this.state = 'running';
    });
  }

  async snapshot(destDir: string): Promise<void> {
    this.requireAlive('snapshot');
    const fail = (message: string, cause?: unknown): SandboxError =>
      new SandboxError('SNAPSHOT_FAILED', `snapshot of VM ${this.vmId} to ${destDir}: ${message}`, { vmId: this.vmId, operation: 'snapshot', cause });
    if (typeof destDir !== 'string' || !destDir.startsWith('/')) throw fail('the destination must be an absolute path');
    const exists = await lstat(destDir).then(() => true, () => false);
    if (exists) throw fail('the destination already exists');
    await mkdir(dirname(destDir), { recursive: true });
    // P1 is not pivoted: through its root the host sees namespace A, where the writable layer is mounted.
    // cp -a keeps whiteouts (0/0 character devices) and the trusted.overlay.* xattrs that mark opaque directories.
    const upper = `/proc/${this.p1.pid}/root${this.vmDir}/fs/upper`;
    const result = await runCommand(this.host.binaries.cp, ['-a', '--', upper, destDir], { timeoutMs: 600000 });
    if (result.exitCode !== 0) {
      await rm(destDir, { recursive: true, force: true });
      throw fail(`cp failed (status ${result.exitCode}): ${stderrTail(result.stderr)}`);
    }
    await chmod(destDir, 0o555);
  }

  resizeDisk(fsSizeMib: number): Promise<void> {
    return this.serially('resizeDisk', async () => {
      if (!Number.isInteger(fsSizeMib) || fsSizeMib < 1) {
        throw new SandboxValidationError('INVALID_REQUEST', 'fsSizeMib', `resizeDisk: fsSizeMib must be a positive integer, got ${fsSizeMib}`, { vmId: this.vmId, operation: 'resizeDisk' });
      }
      const { nsenter, mount } = this.host.binaries;
      // Raise the memory limit first: the disk's pages count against it.
      await this.cgroup.setLimits({ memoryBytes: (this.memSizeMib + Math.max(fsSizeMib, this.fsSizeMib)) * MIB, vcpuCount: this.vcpuCount });
      const result = await runCommand(nsenter, ['-t', String(this.p1.pid), '-m', '--', mount, '-o', `remount,size=${fsSizeMib}m`, `${this.vmDir}/fs`]);
      if (result.exitCode !== 0) {
        throw new SandboxHostError('RESIZE_FAILED', `cannot resize the disk of VM ${this.vmId} to ${fsSizeMib} MiB: ${stderrTail(result.stderr)}`, { vmId: this.vmId, operation: 'resizeDisk' });
      }
      this.fsSizeMib = fsSizeMib;
      await this.cgroup.setLimits({ memoryBytes: (this.memSizeMib + fsSizeMib) * MIB, vcpuCount: this.vcpuCount });
    });
  }

  async exec(req: ExecRequest, onOutput?: (stream: ExecStream, chunk: Buffer) => void): Promise<ExecResult> {
    validateExecRequest(this.vmId, req);
    this.requireRunning('exec');
    const env = Object.entries(req.env ?? {}).map(([name, value]) => `${name}=${value}`);
    const argv = ['/bin/sh', '-c', EXEC_IN_VM_SCRIPT, 'vers-exec', req.workingDir ?? '', String(env.length), ...env, ...req.command];
    const timeoutMs = req.timeoutSecs === undefined || req.timeoutSecs === 0 ? 0 : Math.ceil(req.timeoutSecs * 1000);
    const run = await this.runInVm('exec', argv, { input: req.stdin, timeoutMs, onOutput, collect: false });
    if (run.timedOut) return { exitCode: 124, timedOut: true };
    return { exitCode: run.exitCode, timedOut: false };
  }

  async readFile(path: string): Promise<Buffer> {
    validateVmPath(this.vmId, 'readFile', path);
    this.requireRunning('readFile');
    const run = await this.runInVm('readFile', ['/bin/sh', '-c', READ_FILE_SCRIPT, 'vers-read', path], {
      timeoutMs: FILE_OPERATION_TIMEOUT_MS,
      collect: true,
      maxOutputBytes: MAX_READ_BYTES,
    });
    if (run.exitCode === 0 && !run.timedOut && !run.overflowed) return run.stdout;
    throw this.fileError('readFile', path, run);
  }

  async writeFile(path: string, content: Buffer, mode: number, createDirs: boolean): Promise<void> {
    validateVmPath(this.vmId, 'writeFile', path);
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
      throw new SandboxValidationError('INVALID_REQUEST', 'mode', `writeFile: mode must be an integer from 0 to 0o7777, got ${mode}`, { vmId: this.vmId, operation: 'writeFile' });
    }
    if (!Buffer.isBuffer(content)) throw new SandboxValidationError('INVALID_REQUEST', 'content', 'writeFile: content must be a Buffer', { vmId: this.vmId, operation: 'writeFile' });
    this.requireRunning('writeFile');
    const argv = ['/bin/sh', '-c', WRITE_FILE_SCRIPT, 'vers-write', path, mode.toString(8), createDirs ? '1' : '0'];
    const run = await this.runInVm('writeFile', argv, { input: content, timeoutMs: FILE_OPERATION_TIMEOUT_MS, collect: true });
    if (run.exitCode !== 0 || run.timedOut) throw this.fileError('writeFile', path, run);
  }

  async openSshSession(): Promise<Duplex> {
    this.requireAlive('openSshSession');
    const { binaries, options } = this.host;
    const child = this.spawnInVm(this.cgroup.joinFiles, sshdInetdCommand(binaries.sshd, 'INFO'));
    const session = new SshSessionStream(child);
    this.sessions.add(session);
    session.once('close', () => this.sessions.delete(session));
    child.on('exit', (code, signal) => options.logger(`vm ${this.vmId} sshd[${child.pid}]: exited with status ${exitStatus(code, signal)}`));
    child.stderr.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') options.logger(`vm ${this.vmId} sshd[${child.pid}]: ${line.trim()}`);
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error) => {
        session.destroy();
        reject(new SandboxError('SSH_SESSION_FAILED', `cannot start sshd in VM ${this.vmId}: ${error.message}`, { vmId: this.vmId, operation: 'openSshSession', cause: error }));
      });
    });
    return session;
  }

  destroy(): Promise<void> {
    if (this.destroying === undefined) this.destroying = this.teardown().finally(this.onDestroyed);
    return this.destroying;
  }

  private async teardown(): Promise<void> {
    this.state = 'destroyed';
    for (const session of this.sessions) session.destroy();
    const problems: string[] = [];
    // Every process of the VM (P1, init, sshds, exec'd commands) is in its cgroup: kill them all at once.
    await this.cgroup.killAll(TEARDOWN_TIMEOUT_MS).catch((error: unknown) => problems.push((error as Error).message));
    await waitForExit(this.p1, TEARDOWN_TIMEOUT_MS);
    if (this.init !== undefined) {
      const init = this.init;
      if (!(await waitFor(async () => !isRunning(init), TEARDOWN_TIMEOUT_MS))) problems.push(`init ${init.pid} still runs`);
    }
    await this.cgroup.remove(TEARDOWN_TIMEOUT_MS).catch((error: unknown) => problems.push((error as Error).message));
    await rm(this.vmDir, { recursive: true, force: true }).catch((error: unknown) => problems.push((error as Error).message));
    if (problems.length > 0) {
      throw new SandboxError('DESTROY_FAILED', `destroying VM ${this.vmId} left something behind: ${problems.join('; ')}`, { vmId: this.vmId, operation: 'destroy' });
    }
    this.host.options.logger(`vm ${this.vmId}: destroyed`);
  }

  private serially<T>(operation: string, action: () => Promise<T>): Promise<T> {
    const next = this.lifecycle.then(() => {
      this.requireAlive(operation);
      return action();
    });
    this.lifecycle = next.catch(() => undefined);
    return next;
  }

  private requireAlive(operation: string): void {
    if (this.state === 'destroyed' || this.state === 'exited') throw new SandboxStateError('SANDBOX_NOT_RUNNING', this.vmId, operation);
  }

  private requireRunning(operation: string): void {
    this.requireAlive(operation);
    if (this.state === 'paused') throw new SandboxStateError('VM_PAUSED', this.vmId, operation);
  }

  /** Spawn `argv` inside the VM, its host-side wrapper already in the given cgroups. */
  private spawnInVm(joinFiles: readonly string[], argv: readonly string[]): ChildProcessWithoutNullStreams {
    const { sh, setpriv, nsenter } = this.host.binaries;
    // nsenter trusts the pid: never let a dead init's pid, reused by another process, pick the namespaces.
    if (this.init === undefined || !isRunning(this.init)) {
      this.state = this.state === 'destroyed' ? 'destroyed' : 'exited';
      throw new SandboxStateError('SANDBOX_NOT_RUNNING', this.vmId, 'enter the VM');
    }
    const args = ['-c', ENTER_VM_SCRIPT, 'vers-enter', String(this.initPid), setpriv, nsenter, String(joinFiles.length), ...joinFiles, ...argv];
    return spawn(sh, args, { env: VM_BASE_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
  }

  /** Run a command in the VM in a task cgroup of its own, so a timeout kills everything it started. */
  private async runInVm(operation: string, argv: readonly string[], options: InVmRunOptions): Promise<InVmRun> {
    const task = await this.cgroup.createTaskGroup(`task-${++this.taskCounter}`).catch((error: unknown) => {
      this.requireAlive(operation);
      throw error;
    });
    try {
      return await this.collectRun(this.spawnInVm(task.joinFiles, argv), task, options);
    } finally {
      await task.removeIfEmpty();
      this.requireAlive(operation);
    }
  }

  private collectRun(child: ChildProcessWithoutNullStreams, task: TaskCgroup, options: InVmRunOptions): Promise<InVmRun> {
    return new Promise((resolve, reject) => {
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let outputBytes = 0;
      let timedOut = false;
      let overflowed = false;
      let exit: number | undefined;
      let finished = false;
      let drainTimer: NodeJS.Timeout | undefined;
      const killTask = (): void => {
        void task.kill();
      };
      const timer = options.timeoutMs > 0 ? setTimeout(() => { timedOut = true; killTask(); }, options.timeoutMs) : undefined;
      const finish = (): void => {
        if (finished || exit === undefined) return;
        finished = true;
        if (timer !== undefined) clearTimeout(timer);
        clearTimeout(drainTimer);
        child.stdout.destroy();
        child.stderr.destroy();
        resolve({ exitCode: exit, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr), timedOut, overflowed });
      };
      const onData = (stream: ExecStream, chunks: Buffer[]) => (chunk: Buffer): void => {
        outputBytes += chunk.length;
        if (options.maxOutputBytes !== undefined && outputBytes > options.maxOutputBytes) {
          if (!overflowed) {
            overflowed = true;
            killTask();
          }
          return;
        }
        if (options.collect) chunks.push(chunk);
        options.onOutput?.(stream, chunk);
      };
      child.stdout.on('data', onData('stdout', stdout));
      child.stderr.on('data', onData('stderr', stderr));
      child.on('error', (error) => {
        if (timer !== undefined) clearTimeout(timer);
        reject(new SandboxError('EXEC_FAILED', `cannot run a command in VM ${this.vmId}: ${error.message}`, { vmId: this.vmId, cause: error }));
      });
      child.on('exit', (code, signal) => {
        exit = exitStatus(code, signal);
        // Background children of the command may keep the pipes open: do not wait for them for long.
        drainTimer = setTimeout(finish, OUTPUT_DRAIN_MS);
      });
      child.on('close', finish);
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    });
  }

  private fileError(operation: 'readFile' | 'writeFile', path: string, run: InVmRun): SandboxError {
    const context = { vmId: this.vmId, operation };
    const detail = stderrTail(run.stderr);
    if (run.timedOut) return new SandboxFileError('FILE_OPERATION_FAILED', path, `${operation} ${path}: no result within ${FILE_OPERATION_TIMEOUT_MS} ms`, context);
    if (run.overflowed) return new SandboxFileError('FILE_OPERATION_FAILED', path, `${operation} ${path}: larger than ${MAX_READ_BYTES} bytes`, context);
    if (run.exitCode === FILE_STATUS.NOT_FOUND) {
      return operation === 'readFile'
        ? new SandboxFileError('FILE_NOT_FOUND', path, `readFile ${path}: no such file in VM ${this.vmId}`, context)
        : new SandboxFileError('PARENT_NOT_FOUND', path, `writeFile ${path}: the parent directory does not exist in VM ${this.vmId} (set createDirs to make it)`, context);
    }
    if (run.exitCode === FILE_STATUS.IS_DIRECTORY) return new SandboxFileError('NOT_A_FILE', path, `${operation} ${path}: is a directory`, context);
    if (/No space left on device/.test(detail)) return new SandboxFileError('DISK_FULL', path, `${operation} ${path}: the VM's disk is full (${this.fsSizeMib} MiB)`, context);
    return new SandboxFileError('FILE_OPERATION_FAILED', path, `${operation} ${path} failed (status ${run.exitCode})${detail === '' ? '' : `: ${detail}`}`, context);
  }
}

