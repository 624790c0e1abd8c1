import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { VersLocalReady } from '../../emulator/server';
import { repoRoot } from '../../core/base/repo-root';
import { commandOf, descendantPids, isAlive, processesMarkedBy } from './proc-scan';
import { mountsMentioning, sandboxLeftovers } from './sandbox-leftovers';

export { descendantPids, isAlive, processesMarkedBy } from './proc-scan';

/**
 * A vers-local process for a test suite: `bin/vers-local` on ephemeral ports
 * with its own temp state dir, stopped with SIGTERM by `stop()`, which then
 * checks that nothing was left behind (processes, mounts, cgroups, files).
 *
 *   const local = await startVersLocal();
 *   afterAll(() => local.stop());
 *   const res = await local.api('GET', '/vms');
 */

/** The one JSON line vers-local prints when ready (declared by the server). */
export type { VersLocalReady } from '../../emulator/server';

export interface StartVersLocalOptions {
  /** Extra flags, e.g. `['--boot-delay-ms', '0']`. Default none. */
  args?: string[];
  /** Extra environment variables. Default none. */
  env?: Record<string, string>;
  /** How long to wait for the ready line, in ms. Default 30000. */
  readyTimeoutMs?: number;
}

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON (throws if it is not JSON). */
  json<T = unknown>(): T;
}

export interface RawRequestOptions {
  method: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** CA certificate (PEM) for https URLs. */
  ca?: string;
}

/** One HTTP request with exactly the headers given (fetch would add a Content-Type to string bodies). */
export function rawRequest(url: string, options: RawRequestOptions): Promise<HttpResult> {
  return new Promise((resolvePromise, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      target,
      { method: options.method, headers: { ...(options.headers ?? {}) }, agent: false, ...(options.ca ? { ca: options.ca } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export interface ApiCallOptions {
  /** Sent as JSON with `Content-Type: application/json`. */
  json?: unknown;
  /** Sent as is (no Content-Type unless given in headers). */
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Omit the Authorization header. */
  noAuth?: boolean;
}

/** The outcome of one `ssh` run through the gateway. */
export interface SshRun {
  /** ssh's exit code; null when it was killed (timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** What `stop()` found after the process exited. */
export interface StopReport {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  vmIds: string[];
}

export class VersLocalProcess {
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stopped = false;

  constructor(
    private readonly child: ChildProcess,
    readonly ready: VersLocalReady,
    private readonly logs: string[],
    private readonly ownsStateDir: boolean,
  ) {
    this.exited = new Promise((resolveExit) => {
      if (child.exitCode !== null || child.signalCode !== null) resolveExit({ code: child.exitCode, signal: child.signalCode });
      else child.once('exit', (code, signal) => resolveExit({ code, signal }));
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Everything vers-local wrote to stderr so far. */
  stderr(): string {
    return this.logs.join('');
  }

  /** `/api/v1`-relative call with the API key, e.g. `api('POST', '/vm/new_root', { json: { vm_config: {} } })`. */
  api(method: string, path: string, options: ApiCallOptions = {}): Promise<HttpResult> {
    return this.call(method, `${this.ready.base_url}${path}`, options);
  }

  /**
   * Run `command` in a VM with the OpenSSH client, exactly as Vers users do:
   * `ssh -o ProxyCommand="openssl s_client -quiet -connect GATEWAY -servername %h" root@{vm_id}.{vm_domain}`,
   * with the key from `GET /vm/{id}/ssh_key` (or `privateKey`) in a 0600 temp file.
   * `host` replaces `{vm_id}.{vm_domain}`, to connect to a host name as reported (an `ssh_host`).
   */
  async ssh(vmId: string, command: string, options: { timeoutMs?: number; privateKey?: string; host?: string } = {}): Promise<SshRun> {
    let key = options.privateKey;
    if (key === undefined) {
      const res = await this.api('GET', `/vm/${vmId}/ssh_key`);
      if (res.status !== 200) throw new Error(`ssh_key of ${vmId}: ${res.status} ${res.text}`);
      key = res.json<{ ssh_private_key: string }>().ssh_private_key;
    }
    const dir = mkdtempSync(join(tmpdir(), 'vers-local-ssh-'));
    const keyFile = join(dir, 'id_ed25519');
    writeFileSync(keyFile, key, { mode: 0o600 });
    const timeoutMs = options.timeoutMs ?? 30000;
    const args = [
      '-i', keyFile,
      '-o', 'StrictHostKeyChecking=no',
      '-o', 'UserKnownHostsFile=/dev/null',
      '-o', 'LogLevel=ERROR',
      '-o', 'BatchMode=yes',
      '-o', `ProxyCommand=openssl s_client -quiet -connect ${this.ready.ssh_gateway} -servername %h`,
      `root@${options.host ?? `${vmId}.${this.ready.vm_domain}`}`,
      command,
    ];
    try {
      return await new Promise<SshRun>((resolveRun, reject) => {
        // Async on purpose (the gateway may live in this process), and in its own
        // process group so a timeout also kills the openssl ProxyCommand.
        const child = spawn('ssh', args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        child.stdout.on('data', (c: Buffer) => stdout.push(c));
        child.stderr.on('data', (c: Buffer) => stderr.push(c));
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          process.kill(-child.pid!, 'SIGKILL');
        }, timeoutMs);
        child.on('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
        child.on('close', (code) => {
          clearTimeout(timer);
          if (!timedOut) {
            // ssh is gone; make sure its ProxyCommand is too.
            try {
              process.kill(-child.pid!, 'SIGKILL');
            } catch {
              // The group is already empty.
            }
          }
          resolveRun({ code: timedOut ? null : code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8'), timedOut });
        });
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Call the admin API under `/_vers-local/`, e.g. `admin('GET', '/history')`. */
  admin(method: string, path: string, options: ApiCallOptions = {}): Promise<HttpResult> {
    return this.call(method, `${this.ready.base_url.replace(/\/api\/v1$/, '')}/_vers-local${path}`, options);
  }

  private call(method: string, url: string, options: ApiCallOptions): Promise<HttpResult> {
    const headers: Record<string, string> = { ...(options.noAuth ? {} : { authorization: `Bearer ${this.ready.api_key}` }) };
    let body = options.body;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    Object.assign(headers, options.headers ?? {});
    const ca = url.startsWith('https:') ? readFileSync(this.ready.tls_ca_file, 'utf8') : undefined;
    return rawRequest(url, { method, headers, ...(body !== undefined ? { body } : {}), ...(ca ? { ca } : {}) });
  }

  /**
   * Signal (SIGTERM by default), wait for the exit, then check that
   * vers-local left nothing behind: no descendant process, no process in its
   * cgroups, no mount under its state dir, no cgroup named after it or its
   * VMs, and no temp state dir. Throws listing leftovers.
   */
  async stop(options: { signal?: 'SIGTERM' | 'SIGINT'; timeoutMs?: number } = {}): Promise<StopReport> {
    const timeoutMs = options.timeoutMs ?? 60000;
    if (this.stopped) throw new Error('vers-local was already stopped');
    this.stopped = true;
    let vmIds: string[] = [];
    try {
      const history = await this.admin('GET', '/history');
      vmIds = history.json<{ vms: Array<{ vm_id: string }> }>().vms.map((vm) => vm.vm_id);
    } catch {
      // Already dead: the leftover checks below still run.
    }
    const descendants = descendantPids(this.pid);
    this.child.kill(options.signal ?? 'SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const { code, signal } = await this.exited;
    clearTimeout(timer);

    const leftovers: string[] = [];
    if (signal === 'SIGKILL') leftovers.push(`vers-local did not exit within ${timeoutMs} ms of ${options.signal ?? 'SIGTERM'}`);
    const stateDir = this.ready.state_dir;
    for (const pid of new Set([...descendants, ...processesMarkedBy([], stateDir)])) {
      if (isAlive(pid)) leftovers.push(`process ${pid} (${commandOf(pid)})`);
    }
    // Processes in its cgroups, mounts in any namespace, cgroup dirs at any depth, VM directories.
    leftovers.push(
      ...sandboxLeftovers({
        marks: [`vers-local-${this.pid}`, ...vmIds],
        paths: vmIds.map((id) => join(stateDir, 'vms', id)),
      }),
    );
    for (const line of mountsMentioning(stateDir)) leftovers.push(`mount ${line}`);
    if (this.ownsStateDir && existsSync(stateDir)) leftovers.push(`temp state dir ${stateDir}`);
    if (leftovers.length > 0) throw new Error(`vers-local left things behind:\n  ${leftovers.join('\n  ')}\n--- stderr ---\n${this.stderr()}`);
    if (code !== 0) throw new Error(`vers-local exited with code ${code} signal ${signal}\n--- stderr ---\n${this.stderr()}`);
    return { exitCode: code, signal, vmIds };
  }
}

/** The compiled output root this helper runs from (tests run from a build directory, not dist/ necessarily). */
function compiledRoot(): string {
  // This file is <out>/tests/helpers/vers-local.js.
  return resolve(__dirname, '..', '..');
}

/** Start vers-local and wait for its ready line. */
export async function startVersLocal(options: StartVersLocalOptions = {}): Promise<VersLocalProcess> {
  const args = ['--api-port', '0', '--gateway-port', '0', ...(options.args ?? [])];
  const ownsStateDir = !args.includes('--state-dir') && options.env?.VERS_LOCAL_STATE_DIR === undefined;
  // setpriv: if the test process dies without stopping it (jest killed, a crash), vers-local
  // gets SIGTERM and removes its VMs instead of running on as an orphan.
  const child = spawn('setpriv', ['--pdeathsig', 'SIGTERM', join(repoRoot(), 'bin', 'vers-local'), ...args], {
    env: { ...process.env, VERS_LOCAL_DIST: compiledRoot(), ...(options.env ?? {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => logs.push(chunk.toString('utf8')));
  const lines = createInterface({ input: child.stdout! });
  const timeoutMs = options.readyTimeoutMs ?? 30000;
  const ready = await new Promise<VersLocalReady>((resolveReady, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`vers-local printed no ready line within ${timeoutMs} ms\n--- stderr ---\n${logs.join('')}`));
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`vers-local exited (code ${code}, signal ${signal}) before it was ready\n--- stderr ---\n${logs.join('')}`));
    });
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolveReady(JSON.parse(line) as VersLocalReady);
      } catch {
        child.kill('SIGTERM');
        reject(new Error(`vers-local's first stdout line is not JSON: ${line}`));
      }
    });
  });
  return new VersLocalProcess(child, ready, logs, ownsStateDir);
}
