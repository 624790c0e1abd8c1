import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, symlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { releaseDirectory, releaseLayout, type ReleaseLayout } from '../../packaging/layout';
import { NODE_RUNTIME_VERSION, NODE_RUNTIMES, hostPlatform, type NodeRuntime, type Platform } from '../../packaging/node-runtime';
import { repoRoot } from '../../core/base/repo-root';

/**
 * What the release suites share: the artifacts `make release` wrote (they
 * fail, saying so, when it has not run), unpacking, Terraform's h1: hash,
 * a look inside ELF executables, terraform with an environment of our
 * choosing (a PATH without node), and temporary directories that go away.
 */

export interface ReleaseArtifacts {
  dir: string;
  layout: ReleaseLayout;
  path(name: string): string;
}

/** dist/release/ as `make release` wrote it for schema.json's version. */
export function releaseArtifacts(): ReleaseArtifacts {
  const dir = releaseDirectory();
  const layout = releaseLayout();
  if (!existsSync(join(dir, layout.sha256sums))) {
    throw new Error(`${dir} holds no release of version ${layout.version}: run \`make release\` (make test does it first)`);
  }
  return { dir, layout, path: (name) => join(dir, name) };
}

/** Temporary directories removed by `cleanup()` (call it in afterAll/afterEach). */
export class TempDirs {
  private readonly dirs: string[] = [];

  make(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  cleanup(): void {
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

export function unzip(zip: string, into: string): string {
  mkdirSync(into, { recursive: true });
  execFileSync('unzip', ['-q', '-o', zip, '-d', into]);
  return into;
}

export function untar(tarball: string, into: string): string {
  mkdirSync(into, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', into]);
  return into;
}

/** `name  size  mode` of each entry of a zip, as unzip -Z reports it (mode string first). */
export function zipEntries(zip: string): Array<{ name: string; mode: string }> {
  return execFileSync('unzip', ['-Z', zip], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => /^[-dl][rwx-]{9}/.test(line))
    .map((line) => ({ mode: line.slice(0, 10), name: line.trim().split(/\s+/).pop() as string }));
}

/** Terraform's `h1:` hash of an unpacked provider package (Go's dirhash.Hash1 over the files). */
export function terraformH1(dir: string): string {
  const names: string[] = [];
  const walk = (relative: string): void => {
    for (const entry of readdirSync(join(dir, relative), { withFileTypes: true })) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else names.push(path);
    }
  };
  walk('');
  const summary = names
    .sort()
    .map((name) => `${createHash('sha256').update(readFileSync(join(dir, name))).digest('hex')}  ${name}\n`)
    .join('');
  return `h1:${createHash('sha256').update(summary).digest('base64')}`;
}

export function sha256Hex(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** The SHA256SUMS file as a map name → hex. */
export function parseSha256Sums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const match = /^([0-9a-f]{64}) {2}(\S+)$/.exec(line);
    if (match === null) throw new Error(`not a SHA256SUMS line: ${line}`);
    sums.set(match[2] as string, match[1] as string);
  }
  return sums;
}

export interface ElfFacts {
  /** 64-bit little-endian. */
  elf64le: boolean;
  /** e_machine: 62 x86-64, 183 AArch64. */
  machine: number;
  /** Name and contents of every note in PT_NOTE segments. */
  notes: Array<{ name: string; desc: Buffer }>;
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  readSync(fd, buffer, 0, length, position);
  return buffer;
}

/** The ELF header's class, byte order and machine, and the notes of its PT_NOTE segments (where postject puts a SEA blob). */
export function elfFacts(file: string): ElfFacts {
  const fd = openSync(file, 'r');
  try {
    const header = readAt(fd, 0, 64);
    if (header.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${file} is not an ELF file`);
    const elf64le = header[4] === 2 && header[5] === 1;
    if (!elf64le) return { elf64le, machine: header.readUInt16LE(18), notes: [] };
    const machine = header.readUInt16LE(18);
    const phoff = Number(header.readBigUInt64LE(0x20));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    const notes: ElfFacts['notes'] = [];
    const size = fstatSync(fd).size;
    for (let i = 0; i < phnum; i++) {
      const ph = readAt(fd, phoff + i * phentsize, phentsize);
      if (ph.readUInt32LE(0) !== 4) continue; // PT_NOTE
      const offset = Number(ph.readBigUInt64LE(8));
      const filesz = Number(ph.readBigUInt64LE(32));
      if (offset + filesz > size) throw new Error(`${file}: a PT_NOTE segment runs past the end of the file`);
      const segment = readAt(fd, offset, filesz);
      let at = 0;
      const align4 = (n: number): number => (n + 3) & ~3;
      while (at + 12 <= segment.length) {
        const namesz = segment.readUInt32LE(at);
        const descsz = segment.readUInt32LE(at + 4);
        const nameStart = at + 12;
        const descStart = nameStart + align4(namesz);
        const name = segment.subarray(nameStart, nameStart + namesz).toString('latin1').replace(/\0+$/, '');
        notes.push({ name, desc: Buffer.from(segment.subarray(descStart, descStart + descsz)) });
        at = descStart + align4(descsz);
      }
    }
    return { elf64le, machine, notes };
  } finally {
    closeSync(fd);
  }
}

/** Whether the file contains `needle` (read in chunks: executables are 100+ MiB). */
export function fileContains(file: string, needle: string): boolean {
  const pattern = Buffer.from(needle, 'latin1');
  const fd = openSync(file, 'r');
  try {
    const chunk = Buffer.alloc(8 << 20);
    let carry = Buffer.alloc(0);
    let position = 0;
    for (;;) {
      const read = readSync(fd, chunk, 0, chunk.length, position);
      if (read === 0) return false;
      const window = Buffer.concat([carry, chunk.subarray(0, read)]);
      if (window.includes(pattern)) return true;
      carry = Buffer.from(window.subarray(Math.max(0, window.length - pattern.length + 1)));
      position += read;
    }
  } finally {
    closeSync(fd);
  }
}

/** The pinned Node runtime of this machine as `make release` unpacked it (.build/node-runtimes). */
export function pinnedNodeRuntime(): NodeRuntime {
  const platform = hostPlatform() as Platform;
  const dir = join(repoRoot(), '.build', 'node-runtimes', `${NODE_RUNTIMES[platform].npmPackage}-${NODE_RUNTIME_VERSION}`);
  const runtime = { platform, version: NODE_RUNTIME_VERSION, executable: join(dir, 'bin', 'node'), license: join(dir, 'LICENSE') };
  if (!existsSync(runtime.executable)) throw new Error(`${runtime.executable} is missing: run \`make release\``);
  return runtime;
}

/** A directory for PATH holding only `terraform` (a link to the real one): no node, nothing else. */
export function pathWithOnlyTerraform(terraform: string, temp: TempDirs): string {
  const bin = temp.make('vers-release-path-');
  symlinkSync(terraform, join(bin, 'terraform'));
  for (const name of readdirSync(bin)) if (name !== 'terraform') throw new Error(`unexpected ${name} in ${bin}`);
  return bin;
}

export interface CommandResult {
  code: number | null;
  output: string;
}

/**
 * Runs a command with exactly `env` (nothing inherited): what a user's
 * shell with only these variables would run. `prefix` wraps it (unshare).
 */
export function runWithEnv(command: string, args: string[], options: { cwd: string; env: Record<string, string>; timeoutMs?: number }): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} ran longer than ${options.timeoutMs ?? 120_000} ms:\n${output}`));
    }, options.timeoutMs ?? 120_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The platform names of this release (linux_amd64, linux_arm64). */
export function releasedPlatforms(): Platform[] {
  return Object.keys(NODE_RUNTIMES) as Platform[];
}

export function isExecutableFile(file: string): boolean {
  return (statSync(file).mode & 0o111) === 0o111;
}
