import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createSandboxDriver, type Sandbox, type SandboxDriver, type SandboxSpec } from '../../emulator/sandbox';
import { makeRuntimeDir, type RuntimeDir } from '../helpers/runtime-dir';
import { sandboxLeftovers } from '../helpers/sandbox-leftovers';
import { generateVmKeys, type VmKeys } from '../helpers/ssh-recipe';
import { isAlive } from '../helpers/vers-local';

let runtime: RuntimeDir;
let stateDir: string;
let keys: VmKeys;
let driver: SandboxDriver;
const cgroupPrefix = `vers-test-sandbox-${process.pid}`;
const createdVmIds: string[] = [];

function spec(overrides: Partial<SandboxSpec> = {}): SandboxSpec {
  const vmId = overrides.vmId ?? randomUUID();
  createdVmIds.push(vmId);
  return { vmId, layers: [], fsSizeMib: 256, memSizeMib: 512, vcpuCount: 1, authorizedKey: keys.authorizedKey, hostKeyOpenSsh: keys.hostKeyOpenSsh, ...overrides };
}

/** Run a shell command in the VM and return its stdout; fail the test on a non-zero exit. */
async function sh(vm: Sandbox, script: string): Promise<string> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const result = await vm.exec({ command: ['/bin/sh', '-c', script] }, (stream, chunk) => (stream === 'stdout' ? out : err).push(chunk));
  if (result.exitCode !== 0) throw new Error(`"${script}" exited ${result.exitCode}: ${Buffer.concat(err).toString()}`);
  return Buffer.concat(out).toString('utf8');
}

beforeAll(() => {
  runtime = makeRuntimeDir('sandbox');
  stateDir = join(runtime.path, 'state');
  keys = generateVmKeys(runtime.path, 'vm');
  driver = createSandboxDriver({ stateDir, cgroupPrefix });
});

afterAll(async () => {
  await driver.shutdown();
  const leftovers = sandboxLeftovers({ marks: [cgroupPrefix, ...createdVmIds], paths: createdVmIds.map((id) => join(stateDir, 'vms', id)) });
  runtime.remove();
  expect(leftovers).toEqual([]);
});

describe('a sandbox VM', () => {
  test('runs commands as root in its own namespaces, with a fresh home and hidden state dir', async () => {
    const vm = await driver.create(spec());
    const out = await sh(vm, `id -u; hostname; cat /proc/1/cmdline | tr '\\0' ' '; echo; ls -A /root; ls -A /tmp | wc -l; ls -A ${stateDir} | wc -l; ip -o link | wc -l`);
    const [uid, hostname, init, rootEntries, tmpCount, stateCount, links] = out.trimEnd().split('\n');
    expect(uid).toBe('0');
    expect(hostname).toBe(vm.vmId);
    expect(init).toContain('vers-init');
    expect(rootEntries).toBe('.ssh');
    expect(tmpCount).toBe('0');
    expect(stateCount).toBe('0');
    expect(links).toBe('1');
    expect(readFileSync(`/proc/${vm.initPid}/status`, 'utf8')).toMatch(/^NSpid:\s+\d+\s+1$/m);
    await vm.destroy();
  });

  test('exec passes env, working directory and stdin, streams both outputs and reports the exit code', async () => {
    const vm = await driver.create(spec());
    const chunks: Array<[string, string]> = [];
    const result = await vm.exec(
      { command: ['sh', '-c', 'echo "$GREETING from $(pwd)"; cat; echo oops >&2; exit 7'], env: { GREETING: 'hello world' }, workingDir: '/usr', stdin: Buffer.from('piped in\n') },
      (stream, chunk) => chunks.push([stream, chunk.toString('utf8')]),
    );
    expect(result).toEqual({ exitCode: 7, timedOut: false });
    expect(chunks.filter(([stream]) => stream === 'stdout').map(([, text]) => text).join('')).toBe('hello world from /usr\npiped in\n');
    expect(chunks.filter(([stream]) => stream === 'stderr').map(([, text]) => text).join('')).toBe('oops\n');
    expect((await vm.exec({ command: ['no-such-program'] })).exitCode).toBe(127);
    expect((await vm.exec({ command: ['true'], workingDir: '/no/such/dir' })).exitCode).toBe(125);
    await vm.destroy();
  });

  test('exec kills the command and everything it started when timeoutSecs expires', async () => {
    const vm = await driver.create(spec());
    const started = Date.now();
    const result = await vm.exec({ command: ['sh', '-c', 'sleep 100 & sleep 100; echo never'], timeoutSecs: 1 });
    expect(result).toEqual({ exitCode: 124, timedOut: true });
    expect(Date.now() - started).toBeLessThan(10000);
    expect(await sh(vm, 'ps -e -o comm= | grep -c "^sleep" || true')).toBe('1\n'); // only init's own idle sleep
    await vm.destroy();
  });

  test('readFile and writeFile work inside the VM and fail with typed errors', async () => {
    const vm = await driver.create(spec());
    await vm.writeFile('/srv/app/config.json', Buffer.from('{"a":1}'), 0o600, true);
    expect((await vm.readFile('/srv/app/config.json')).toString()).toBe('{"a":1}');
    expect(await sh(vm, 'stat -c %a /srv/app/config.json')).toBe('600\n');
    expect(existsSync('/srv/app/config.json')).toBe(false);
    await expect(vm.readFile('/no/such/file')).rejects.toMatchObject({ code: 'FILE_NOT_FOUND', path: '/no/such/file' });
    await expect(vm.readFile('/srv')).rejects.toMatchObject({ code: 'NOT_A_FILE' });
    await expect(vm.writeFile('/nowhere/x', Buffer.from('x'), 0o644, false)).rejects.toMatchObject({ code: 'PARENT_NOT_FOUND' });
    await expect(vm.readFile('relative/path')).rejects.toMatchObject({ code: 'INVALID_PATH' });
    // An absolute symlink resolves inside the VM: writing through it never touches the host.
    const hostHostname = readFileSync('/etc/hostname', 'utf8');
    await sh(vm, 'ln -s /etc/hostname /root/link');
    await vm.writeFile('/root/link', Buffer.from('written-in-vm\n'), 0o644, false);
    expect((await vm.readFile('/etc/hostname')).toString()).toBe('written-in-vm\n');
    expect(readFileSync('/etc/hostname', 'utf8')).toBe(hostHostname);
    await vm.destroy();
  });

  test('a file written in VM A is in VM B made from its snapshot, and neither on the host nor in a fresh VM C', async () => {
    const marker = `/root/from-a-${randomUUID()}.txt`;
    const a = await driver.create(spec());
    await a.writeFile(marker, Buffer.from('made in A'), 0o644, false);
    await sh(a, 'rm -f /etc/issue.net && mkdir -p /opt/a-dir && echo a > /opt/a-dir/file');
    await a.pause();
    const layerA = join(stateDir, 'commits', randomUUID());
    await a.snapshot(layerA);
    await a.resume();

    const b = await driver.create(spec({ layers: [layerA] }));
    expect((await b.readFile(marker)).toString()).toBe('made in A');
    expect(await sh(b, 'test -e /etc/issue.net && echo present || echo gone')).toBe('gone\n');
    // B has its own writable layer over A's: a chain of two commits stacks.
    await b.writeFile('/root/from-b.txt', Buffer.from('made in B'), 0o644, false);
    await b.pause();
    const layerB = join(stateDir, 'commits', randomUUID());
    await b.snapshot(layerB);
    await b.resume();
    const d = await driver.create(spec({ layers: [layerB, layerA] }));
    expect(await sh(d, `cat ${marker} /root/from-b.txt /opt/a-dir/file`)).toBe('made in Amade in Ba\n');

    expect(existsSync(marker)).toBe(false);
    const c = await driver.create(spec());
    await expect(c.readFile(marker)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    expect(await sh(c, 'ls -A /root')).toBe('.ssh\n');
    await Promise.all([a.destroy(), b.destroy(), c.destroy(), d.destroy()]);
  });

  test('pause freezes every process of the VM and resume lets them continue', async () => {
    const vm = await driver.create(spec());
    let finished = false;
    const running = vm.exec({ command: ['sh', '-c', 'sleep 1; echo done'] }).then((result) => {
      finished = true;
      return result;
    });
    await vm.pause();
    expect(vm.paused).toBe(true);
    await vm.pause(); // idempotent
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(finished).toBe(false);
    await expect(vm.exec({ command: ['true'] })).rejects.toMatchObject({ code: 'VM_PAUSED' });
    await vm.resume();
    expect(vm.paused).toBe(false);
    expect(await running).toEqual({ exitCode: 0, timedOut: false });
    await vm.destroy();
  });

  test('resizeDisk lets a bigger file be written', async () => {
    const vm = await driver.create(spec({ fsSizeMib: 64 }));
    await expect(vm.writeFile('/root/big', Buffer.alloc(80 * 1024 * 1024), 0o644, false)).rejects.toMatchObject({ code: 'DISK_FULL' });
    await vm.resizeDisk(160);
    await vm.writeFile('/root/big', Buffer.alloc(80 * 1024 * 1024), 0o644, false);
    expect(await sh(vm, 'stat -c %s /root/big')).toBe(`${80 * 1024 * 1024}\n`);
    await vm.destroy();
  });

  test('the memory limit kills a process that exceeds it and the VM keeps running', async () => {
    const vm = await driver.create(spec({ memSizeMib: 128, fsSizeMib: 64 }));
    const hog = await vm.exec({ command: ['awk', 'BEGIN { s = "xxxxxxxx"; while (length(s) < 4000000000) s = s s; print length(s) }'] });
    expect(hog).toEqual({ exitCode: 137, timedOut: false });
    expect(await sh(vm, 'echo alive')).toBe('alive\n');
    await vm.destroy();
  });

  test('destroy removes every process, mount, cgroup and directory of the VM, SSH sessions included', async () => {
    const vm = await driver.create(spec());
    const session = await vm.openSshSession();
    const banner = await new Promise<string>((resolve) => session.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8'))));
    expect(banner).toMatch(/^SSH-2\.0-OpenSSH/);
    const vmDir = join(stateDir, 'vms', vm.vmId);
    expect(existsSync(vmDir)).toBe(true);
    await vm.destroy();
    await vm.destroy(); // idempotent
    expect(sandboxLeftovers({ pids: [vm.initPid], marks: [vm.vmId], paths: [vmDir] })).toEqual([]);
    await expect(vm.exec({ command: ['true'] })).rejects.toMatchObject({ code: 'SANDBOX_NOT_RUNNING' });
  });

  test('killing the process that owns the driver takes its VMs down with it', async () => {
    const childState = join(runtime.path, 'orphan-state');
    const childPrefix = `vers-test-orphan-${process.pid}`;
    const vmId = randomUUID();
    const program = `
      const { createSandboxDriver } = require(${JSON.stringify(require.resolve('../../emulator/sandbox'))});
      const driver = createSandboxDriver({ stateDir: ${JSON.stringify(childState)}, cgroupPrefix: ${JSON.stringify(childPrefix)} });
      driver.create(${JSON.stringify(spec({ vmId }))}).then((vm) => console.log(JSON.stringify({ initPid: vm.initPid })));
      setInterval(() => undefined, 1000);`;
    const child = spawn(process.execPath, ['-e', program], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
    const { initPid } = JSON.parse(line) as { initPid: number };
    expect(isAlive(initPid)).toBe(true);
    child.kill('SIGKILL');
    const vmDir = join(childState, 'vms', vmId);
    let leftovers: string[] = [];
    for (let attempt = 0; attempt < 50; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      leftovers = sandboxLeftovers({ pids: [initPid], marks: [childPrefix], paths: [] }).filter((item) => !item.startsWith('cgroup '));
      leftovers.push(...sandboxLeftovers({ marks: [], paths: [vmDir] }).filter((item) => item.startsWith('mount ')));
      if (leftovers.length === 0) break;
    }
    expect(leftovers).toEqual([]);
    // Cgroup directories are the one thing a SIGKILLed owner cannot remove; they are empty, so rmdir works (deepest first).
    const cgroups = sandboxLeftovers({ marks: [childPrefix, vmId], paths: [] }).filter((item) => item.startsWith('cgroup ')).map((item) => item.slice('cgroup '.length));
    for (const dir of cgroups.sort((x, y) => y.split('/').length - x.split('/').length)) rmdirSync(dir);
    expect(sandboxLeftovers({ marks: [childPrefix, vmId], paths: [] })).toEqual([]);
  });

  test('create, a 100 MiB snapshot and a create from layers are fast (measured, not asserted)', async () => {
    let started = Date.now();
    const vm = await driver.create(spec({ fsSizeMib: 512 }));
    const createMs = Date.now() - started;
    await sh(vm, 'head -c 100M /dev/urandom > /root/payload && sync');
    await vm.pause();
    started = Date.now();
    const layer = join(stateDir, 'commits', randomUUID());
    await vm.snapshot(layer);
    const snapshotMs = Date.now() - started;
    await vm.resume();
    started = Date.now();
    const restored = await driver.create(spec({ layers: [layer] }));
    const restoreMs = Date.now() - started;
    expect(await sh(restored, 'stat -c %s /root/payload')).toBe(`${100 * 1024 * 1024}\n`);
    console.log(`sandbox timings: create root VM ${createMs} ms, snapshot of 100 MiB ${snapshotMs} ms, create from layers ${restoreMs} ms`);
    expect(readdirSync(layer)).toContain('root');
    await Promise.all([vm.destroy(), restored.destroy()]);
  });
});
