import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, createReadStream, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { connect as tlsConnect } from 'node:tls';
import { sha256File, writeBigFile } from '../tests/helpers/big-file';
import { startVersLocal, type VersLocalProcess } from '../tests/helpers/vers-local';
import { integerFlag, runMain } from './lib/args';
import { machineInfo } from './lib/machine';
import type { ProvisionAnswer, ProvisionJob } from './lib/provision-worker';
import { alternate, compared, printReport, saveReport, series, single, type BenchmarkReport } from './lib/report';

/**
 * Benchmarks 1 and 5, provisioning transport and memory, against one
 * vers-local VM:
 *
 *   W1  20 short commands + 200 files of 4 KiB
 *   W2  one 256 MiB file
 *   W3  one command printing 50 MiB to stdout (100-byte lines)
 *
 * Incumbent: one `ssh` process per command and per file, through
 * `-o ProxyCommand="openssl s_client -quiet -connect GATEWAY -servername %h"`,
 * files piped into `ssh … 'cat > path'`; for W2 also `scp` through the same
 * ProxyCommand, and a raw TLS loopback copy (node TLS client → TLS server
 * process on 127.0.0.1 writing to disk) as the practical limit.
 * Ours: the core's Provision `create` (one SSH-over-TLS connection, SFTP,
 * streamed output) in a separate provider-like process (bench/lib/provision-worker.ts),
 * timed inside that process (a provider process is already running when
 * Terraform applies), a fresh one per workload; its peak RSS (VmHWM, reset
 * per job) is benchmark 5.
 * Every run is checked afterwards (file count and sizes, SHA-256 for W2,
 * byte counts for W3) and its files removed.
 * `node dist/bench/provision-transport.js [--rounds N]` (default 5).
 */

const W1_COMMANDS = 20;
const W1_FILES = 200;
const W1_FILE_BYTES = 4096;
const W2_MIB = 256;
const W3_BYTES = 50 * 1024 * 1024;
/** 99 characters + newline: W3 prints 100-byte lines. */
const W3_LINE = 'x'.repeat(99);
const W3_COMMAND = `yes ${W3_LINE} | head -c ${W3_BYTES}`;

interface Context {
  local: VersLocalProcess;
  vmId: string;
  keyFile: string;
  w1Files: string[];
  bigFile: string;
  bigSha256: string;
  sinkDir: string;
  sink: { port: number; certPem: string };
  worker: Worker;
}

function elapsedMs(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e6;
}

/** Run a process to its end, counting (not keeping) stdout; stdin from a file or nothing. */
function runProcess(command: string, args: readonly string[], stdinFile?: string): Promise<{ code: number | null; stdoutBytes: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const stdinFd = stdinFile === undefined ? 'ignore' : openSync(stdinFile, 'r');
    // Own process group, so the ProxyCommand dies with ssh.
    const child = spawn(command, args, { stdio: [stdinFd, 'pipe', 'pipe'], detached: true });
    if (typeof stdinFd === 'number') closeSync(stdinFd);
    let stdoutBytes = 0;
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdoutBytes += chunk.length));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
    child.once('error', reject);
    child.once('close', (code) => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // The group is gone already.
      }
      resolve({ code, stdoutBytes, stderr });
    });
  });
}

function proxyArgs(ctx: Context): string[] {
  return [
    '-i', ctx.keyFile,
    '-o', 'StrictHostKeyChecking=no',
    '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'LogLevel=ERROR',
    '-o', 'BatchMode=yes',
    '-o', `ProxyCommand=openssl s_client -quiet -connect ${ctx.local.ready.ssh_gateway} -servername %h`,
  ];
}

function host(ctx: Context): string {
  return `${ctx.vmId}.${ctx.local.ready.vm_domain}`;
}

async function incumbentSsh(ctx: Context, remoteCommand: string, stdinFile?: string): Promise<number> {
  const result = await runProcess('ssh', [...proxyArgs(ctx), `root@${host(ctx)}`, remoteCommand], stdinFile);
  if (result.code !== 0) throw new Error(`ssh ${remoteCommand} exited ${result.code}: ${result.stderr}`);
  return result.stdoutBytes;
}

/** A provider-like process running Provision jobs (bench/lib/provision-worker.ts). */
class Worker {
  private readonly lines: Interface;
  private readonly pending: Array<(answer: ProvisionAnswer) => void> = [];
  private stderr = '';
  readonly exited: Promise<void>;

  constructor(private readonly child: ChildProcess) {
    this.lines = createInterface({ input: child.stdout! });
    this.lines.on('line', (line) => this.pending.shift()?.(JSON.parse(line) as ProvisionAnswer));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-4000)));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** RSS of the idle worker (core loaded), MiB. */
  idleRssMib = 0;

  static async start(local: VersLocalProcess): Promise<Worker> {
    const { ready } = local;
    const config = { apiKey: ready.api_key, baseUrl: ready.base_url, vmDomain: ready.vm_domain, sshGateway: ready.ssh_gateway, tlsCaFile: ready.tls_ca_file };
    const child = spawn(process.execPath, ['--expose-gc', join(__dirname, 'lib', 'provision-worker.js')], {
      env: { ...process.env, BENCH_PROVIDER_CONFIG: JSON.stringify(config) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const worker = new Worker(child);
    worker.idleRssMib = (await worker.next()).peakRssMib;
    return worker;
  }

  private next(): Promise<ProvisionAnswer> {
    return new Promise((resolve, reject) => {
      this.pending.push(resolve);
      void this.exited.then(() => reject(new Error(`provision worker exited: ${this.stderr}`)));
    });
  }

  async run(job: ProvisionJob): Promise<ProvisionAnswer> {
    const answer = this.next();
    this.child.stdin!.write(`${JSON.stringify(job)}\n`);
    const result = await answer;
    if (result.error !== undefined) throw new Error(`Provision ${job.id} failed: ${result.error}`);
    return result;
  }

  async stop(): Promise<void> {
    this.child.stdin!.end();
    await this.exited;
  }
}

async function vmShell(ctx: Context, script: string): Promise<string> {
  const res = await ctx.local.api('POST', `/vm/${ctx.vmId}/exec`, { json: { command: ['sh', '-c', script] } });
  const body = res.json<{ exit_code?: number; stdout?: string; stderr?: string }>();
  if (res.status !== 200 || body.exit_code !== 0) throw new Error(`VM shell ${script}: ${res.status} ${res.text}`);
  return String(body.stdout ?? '').trim();
}

/** W1 result check: every file at full size and every command's line, then clean up. */
async function checkW1(ctx: Context, dir: string): Promise<void> {
  const summary = await vmShell(ctx, `cd ${dir} && ls f-* | wc -l && cat f-* | wc -c && wc -l < steps.log && rm -rf ${dir}`);
  const expected = `${W1_FILES}\n${W1_FILES * W1_FILE_BYTES}\n${W1_COMMANDS}`;
  if (summary.replace(/[ \t]+/g, '') !== expected) throw new Error(`W1 in ${dir}: expected files/bytes/steps ${expected.replace(/\n/g, '/')}, got ${summary.replace(/\n/g, '/')}`);
}

async function checkW2(ctx: Context, path: string): Promise<void> {
  const sum = await vmShell(ctx, `sha256sum ${path} | cut -d' ' -f1 && rm -f ${path}`);
  if (sum !== ctx.bigSha256) throw new Error(`W2 ${path}: SHA-256 ${sum}, expected ${ctx.bigSha256}`);
}

function w1Commands(dir: string): string[] {
  return Array.from({ length: W1_COMMANDS }, (_, i) => (i === 0 ? `mkdir -p ${dir} && echo step-${i} >> ${dir}/steps.log` : `echo step-${i} >> ${dir}/steps.log`));
}

let runCounter = 0;
const freshDir = (name: string): string => `/bench/${name}-${runCounter++}`;

async function w1Incumbent(ctx: Context): Promise<number> {
  const dir = freshDir('w1-ssh');
  const started = process.hrtime.bigint();
  for (const command of w1Commands(dir)) await incumbentSsh(ctx, command);
  for (const [i, file] of ctx.w1Files.entries()) await incumbentSsh(ctx, `cat > ${dir}/f-${i}`, file);
  const ms = elapsedMs(started);
  await checkW1(ctx, dir);
  return ms;
}

async function w1Ours(ctx: Context): Promise<number> {
  const dir = freshDir('w1-ours');
  const answer = await ctx.worker.run({
    id: dir,
    inputs: { vmId: ctx.vmId, files: ctx.w1Files.map((source, i) => ({ source, destination: `${dir}/f-${i}` })), commands: w1Commands(dir) },
  });
  await checkW1(ctx, dir);
  return answer.createMs;
}

async function w2SshCat(ctx: Context): Promise<number> {
  const dir = freshDir('w2-ssh');
  const started = process.hrtime.bigint();
  await incumbentSsh(ctx, `mkdir -p ${dir} && cat > ${dir}/big`, ctx.bigFile);
  const ms = elapsedMs(started);
  await checkW2(ctx, `${dir}/big`);
  return ms;
}

async function w2Scp(ctx: Context): Promise<number> {
  const dir = freshDir('w2-scp');
  await vmShell(ctx, `mkdir -p ${dir}`);
  const started = process.hrtime.bigint();
  const result = await runProcess('scp', [...proxyArgs(ctx), '-q', ctx.bigFile, `root@${host(ctx)}:${dir}/big`]);
  const ms = elapsedMs(started);
  if (result.code !== 0) throw new Error(`scp exited ${result.code}: ${result.stderr}`);
  await checkW2(ctx, `${dir}/big`);
  return ms;
}

async function w2RawTls(ctx: Context): Promise<number> {
  const size = statSync(ctx.bigFile).size;
  const started = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port: ctx.sink.port, ca: ctx.sink.certPem, servername: 'localhost' }, () => {
      const header = Buffer.alloc(8);
      header.writeBigUInt64BE(BigInt(size));
      socket.write(header);
      createReadStream(ctx.bigFile).pipe(socket, { end: false });
    });
    let reply = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (reply += chunk));
    socket.once('end', () => (reply.startsWith('ok') ? resolve() : reject(new Error(`TLS sink answered ${JSON.stringify(reply)}`))));
    socket.once('error', reject);
  });
  const ms = elapsedMs(started);
  rmSync(ctx.sinkDir, { recursive: true, force: true });
  return ms;
}

async function w2Ours(ctx: Context, peakRss: number[]): Promise<number> {
  const dir = freshDir('w2-ours');
  const answer = await ctx.worker.run({ id: dir, inputs: { vmId: ctx.vmId, files: [{ source: ctx.bigFile, destination: `${dir}/big` }], commands: [] } });
  peakRss.push(answer.peakRssMib);
  await checkW2(ctx, `${dir}/big`);
  return answer.createMs;
}

async function w3Incumbent(ctx: Context): Promise<number> {
  const started = process.hrtime.bigint();
  const bytes = await incumbentSsh(ctx, W3_COMMAND);
  const ms = elapsedMs(started);
  if (bytes !== W3_BYTES) throw new Error(`W3 incumbent: ${bytes} bytes of stdout, expected ${W3_BYTES}`);
  return ms;
}

async function w3Ours(ctx: Context, peakRss: number[]): Promise<number> {
  const answer = await ctx.worker.run({ id: `w3-${runCounter++}`, inputs: { vmId: ctx.vmId, commands: [W3_COMMAND] } });
  // Each 100-byte output line reached the logger as a 99-character line (plus a few progress lines).
  if (answer.logLines < W3_BYTES / 100) throw new Error(`W3 ours: ${answer.logLines} log lines, expected at least ${W3_BYTES / 100}`);
  peakRss.push(answer.peakRssMib);
  return answer.createMs;
}

async function startSink(dir: string): Promise<{ child: ChildProcess; port: number; certPem: string }> {
  const child = spawn(process.execPath, [join(__dirname, 'lib', 'tls-sink.js'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`TLS sink exited (${code}) before it was ready`)));
  });
  return { child, ...(JSON.parse(line) as { port: number; certPem: string }) };
}

async function main(): Promise<void> {
  const rounds = integerFlag(process.argv.slice(2), '--rounds', 5, 1, 50);
  const machine = machineInfo();
  const work = mkdtempSync(join(tmpdir(), 'vers-bench-transport-'));
  const sinkDir = join(work, 'sink');
  let local: VersLocalProcess | undefined;
  let worker: Worker | undefined;
  let sink: Awaited<ReturnType<typeof startSink>> | undefined;
  try {
    const w1Files = Array.from({ length: W1_FILES }, (_, i) => {
      const path = join(work, `file-${i}`);
      writeFileSync(path, randomBytes(W1_FILE_BYTES));
      return path;
    });
    const bigFile = join(work, 'big');
    writeBigFile(bigFile, W2_MIB);
    const bigSha256 = await sha256File(bigFile);

    local = await startVersLocal();
    const created = await local.api('POST', '/vm/new_root?wait_boot=true', { json: { vm_config: { mem_size_mib: 1024, fs_size_mib: 4096 } } });
    if (created.status !== 201) throw new Error(`new_root: ${created.status} ${created.text}`);
    const vmId = created.json<{ vm_id: string }>().vm_id;
    const key = await local.api('GET', `/vm/${vmId}/ssh_key`);
    const keyFile = join(work, 'id_ed25519');
    writeFileSync(keyFile, key.json<{ ssh_private_key: string }>().ssh_private_key, { mode: 0o600 });
    worker = await Worker.start(local);
    sink = await startSink(sinkDir);
    const ctx: Context = { local, vmId, keyFile, w1Files, bigFile, bigSha256, sinkDir, sink: { port: sink.port, certPem: sink.certPem }, worker };
    // A fresh provider-like process per workload (as Terraform starts one per phase), so one
    // workload's heap does not inflate the next one's peak RSS.
    const freshWorker = async (): Promise<void> => {
      await worker?.stop();
      worker = undefined;
      worker = await Worker.start(ctx.local);
      ctx.worker = worker;
    };
    const rawTls = async (): Promise<number> => {
      mkdirSync(sinkDir, { recursive: true });
      return w2RawTls(ctx);
    };

    const log = (name: string, round: number, value: number): void => void process.stdout.write(`  round ${round + 1}/${rounds} ${name}: ${value.toFixed(1)} ms\n`);
    // Warm-up: one of each path (file cache, sshd, the worker's first connection).
    await w1Ours(ctx);
    await incumbentSsh(ctx, 'true');
    const w1 = await alternate(rounds, { incumbent: () => w1Incumbent(ctx), ours: () => w1Ours(ctx) }, log);
    await freshWorker();
    const w2Rss: number[] = [];
    const w2 = await alternate(rounds, { sshCat: () => w2SshCat(ctx), scp: () => w2Scp(ctx), rawTls, ours: () => w2Ours(ctx, w2Rss) }, log);
    await freshWorker();
    const w3Rss: number[] = [];
    const w3 = await alternate(rounds, { incumbent: () => w3Incumbent(ctx), ours: () => w3Ours(ctx, w3Rss) }, log);

    const w2Ours_ = series('Provision (SFTP)', 'ms', w2.ours);
    const mibps = (runs: number[]): number[] => runs.map((ms) => W2_MIB / (ms / 1000));
    const report: BenchmarkReport = {
      name: 'provision-transport',
      title: '1 and 5. Provisioning transport and provider memory',
      scenario:
        'One vers-local VM. W1: 20 short commands + 200 files of 4 KiB; W2: one 256 MiB file; W3: one command printing 50 MiB (100-byte lines). Incumbent: one `ssh` process per command and per file through `ProxyCommand="openssl s_client -quiet -connect GATEWAY -servername %h"`, files via `ssh … \'cat > path\'`; `scp` through the same ProxyCommand; raw TLS loopback copy to a separate node TLS server process writing to disk. Ours: the core\'s Provision create in a separate provider-like process (a fresh one per workload), timed inside it; peak RSS = that process\'s VmHWM during the job (reset before each job).',
      settings: { rounds, idleProviderRssMib: Math.round(ctx.worker.idleRssMib * 10) / 10, warmup: 'one Provision W1 and one ssh before timing', w1: `${W1_COMMANDS} commands + ${W1_FILES} × ${W1_FILE_BYTES} B`, w2Mib: W2_MIB, w3Bytes: W3_BYTES, vmConfig: 'mem_size_mib 1024, fs_size_mib 4096' },
      machine,
      figures: [
        compared('w1_vs_incumbent', 'W1: 20 commands + 200 × 4 KiB files', series('Provision', 'ms', w1.ours), series('ssh per step', 'ms', w1.incumbent), { of: 'ratio', atMost: 0.1, text: '≥ 10× faster than the incumbent' }),
        compared('w2_vs_ssh_cat', 'W2: 256 MiB file vs ssh … cat', w2Ours_, series('ssh cat >', 'ms', w2.sshCat)),
        compared('w2_vs_scp', 'W2: 256 MiB file vs scp', w2Ours_, series('scp', 'ms', w2.scp), { of: 'ratio', atMost: 1.0, text: 'at least as fast as scp' }),
        compared('w2_vs_raw_tls', 'W2: 256 MiB file vs raw TLS loopback copy', w2Ours_, series('raw TLS', 'ms', w2.rawTls), { of: 'ratio', atMost: 2.0, text: 'within 2× of raw TLS' }),
        single('w2_throughput', 'W2 throughput (ours)', series('Provision (SFTP)', 'MiB/s', mibps(w2.ours)), undefined, `scp ${series('', '', mibps(w2.scp)).median} MiB/s, raw TLS ${series('', '', mibps(w2.rawTls)).median} MiB/s`),
        compared('w3_vs_incumbent', 'W3: one command printing 50 MiB', series('Provision', 'ms', w3.ours), series('ssh', 'ms', w3.incumbent)),
        single('w2_peak_rss', 'Memory: provider-process peak RSS during W2', series('provider process', 'MiB', w2Rss), { of: 'ours', atMost: 150, text: '< 150 MiB' }),
        single('w3_peak_rss', 'Memory: provider-process peak RSS during W3 (50 MiB of output not buffered)', series('provider process', 'MiB', w3Rss), { of: 'ours', atMost: 150, text: '< 150 MiB' }),
      ],
    };
    printReport(report);
    saveReport(report);
  } finally {
    await worker?.stop();
    if (sink !== undefined) {
      sink.child.kill('SIGTERM');
      await new Promise((resolve) => sink!.child.once('exit', resolve));
    }
    if (local !== undefined) await local.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

runMain('provision-transport', main);
