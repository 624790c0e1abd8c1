import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { identify } from '../../emulator/sandbox/process-identity';
import { repoRoot } from '../../core/base/repo-root';
import { isAlive, processesMarkedBy, startVersLocal, type VersLocalProcess } from '../helpers/vers-local';

/**
 * bin/vers-local as a process: its ready line, options, HTTPS mode, a state
 * dir that outlives it, and the promise that deleting a VM or stopping
 * vers-local leaves no process, mount, cgroup or namespace behind.
 */

/** Clock ticks since boot (USER_HZ is 100 on Linux), the unit of a process's start time in /proc/<pid>/stat. */
function ticksSinceBoot(): number {
  return Math.floor(Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 100);
}

/**
 * Namespace inodes (e.g. `pid:[4026532]`) held by live processes that
 * started by `startedBy` (clock ticks since boot), with who holds them. The
 * kernel reuses a freed namespace's number at once, so a VM that another
 * test creates meanwhile may hold the same number: its processes are newer.
 */
function namespacesInUse(startedBy: number): Map<string, string> {
  const held = new Map<string, string>();
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e) && isAlive(Number(e)))) {
    const started = identify(Number(pid))?.startTime;
    if (started === undefined || Number(started) > startedBy) continue;
    for (const kind of ['pid', 'mnt', 'net', 'uts', 'ipc']) {
      try {
        held.set(readlinkSync(`/proc/${pid}/ns/${kind}`), `${pid} ${readFileSync(`/proc/${pid}/stat`, 'utf8').slice(0, 60)}`);
      } catch {
        // The process ended while we looked.
      }
    }
  }
  return held;
}

function mountsMentioning(text: string): string[] {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .filter((line) => line.includes(text));
}

async function newRoot(local: VersLocalProcess): Promise<string> {
  const res = await local.api('POST', '/vm/new_root?wait_boot=true', { json: { vm_config: {} } });
  expect(res.status).toBe(201);
  return res.json<{ vm_id: string }>().vm_id;
}

describe('one vers-local', () => {
  let local: VersLocalProcess;

  beforeAll(async () => {
    local = await startVersLocal({ args: ['--boot-delay-ms', '0'] });
  });

  afterAll(async () => {
    await local?.stop();
  });

  test('the ready line has exactly the six documented fields', () => {
    expect(Object.keys(local.ready).sort()).toEqual(['api_key', 'base_url', 'ssh_gateway', 'state_dir', 'tls_ca_file', 'vm_domain']);
    expect(local.ready.base_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1$/);
    expect(local.ready.api_key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}[0-9a-f]{64}$/);
    expect(local.ready.vm_domain).toBe('vm.vers-local.test');
    expect(local.ready.ssh_gateway).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(readFileSync(local.ready.tls_ca_file, 'utf8')).toContain('BEGIN CERTIFICATE');
    expect(existsSync(local.ready.state_dir)).toBe(true);
  });

  test('the API key never appears in the logs', async () => {
    await local.api('GET', '/vms');
    await local.api('GET', '/vms', { noAuth: true, headers: { authorization: `Bearer ${local.ready.api_key}x` } });
    expect(local.stderr()).not.toContain(local.ready.api_key.slice(36));
  });

  test('deleting a VM leaves none of its processes, mounts or namespaces behind', async () => {
    const vmId = await newRoot(local);
    expect((await local.ssh(vmId, 'sleep 300 >/dev/null 2>&1 & echo started')).stdout).toBe('started\n');
    const vmDir = join(local.ready.state_dir, 'vms', vmId);
    const processes = processesMarkedBy([vmId], vmDir);
    expect(processes.length).toBeGreaterThan(0);
    // The VM's overlay and tmpfs mounts live in its own mount namespace, which the VM's processes hold.
    const vmMounts = processes.flatMap((pid) => {
      try {
        return readFileSync(`/proc/${pid}/mounts`, 'utf8').split('\n').filter((line) => line.includes(vmId) || line.startsWith('overlay '));
      } catch {
        return [];
      }
    });
    expect(vmMounts.length).toBeGreaterThan(0);
    const vmNamespaces = new Set<string>();
    for (const pid of processes) {
      try {
        vmNamespaces.add(readlinkSync(`/proc/${pid}/ns/pid`));
        vmNamespaces.add(readlinkSync(`/proc/${pid}/ns/mnt`));
      } catch {
        // Gone already.
      }
    }

    const beforeDelete = ticksSinceBoot();
    expect((await local.api('DELETE', `/vm/${vmId}`)).status).toBe(200);

    expect(processesMarkedBy([vmId], vmDir).filter(isAlive)).toEqual([]);
    expect(mountsMentioning(vmId)).toEqual([]);
    const stillHeld = namespacesInUse(beforeDelete);
    const hostNamespaces = new Set([readlinkSync('/proc/self/ns/pid'), readlinkSync('/proc/self/ns/mnt')]);
    expect([...vmNamespaces].filter((ns) => !hostNamespaces.has(ns)).map((ns) => [ns, stillHeld.get(ns) ?? 'released'])).toEqual(
      [...vmNamespaces].filter((ns) => !hostNamespaces.has(ns)).map((ns) => [ns, 'released']),
    );
    expect(existsSync(vmDir)).toBe(false);
  });
});

test('SIGTERM removes running, paused and booting VMs and leaves nothing (the fixture checks processes, mounts, cgroups, temp dir)', async () => {
  const local = await startVersLocal({ args: ['--boot-delay-ms', '3000'] });
  const running = (await local.api('POST', '/vm/new_root?wait_boot=true', { json: { vm_config: {} } })).json<{ vm_id: string }>().vm_id;
  const paused = (await local.api('POST', '/vm/new_root?wait_boot=true', { json: { vm_config: {} } })).json<{ vm_id: string }>().vm_id;
  await local.api('PATCH', `/vm/${paused}/state`, { json: { state: 'Paused' } });
  const booting = (await local.api('POST', '/vm/new_root', { json: { vm_config: {} } })).json<{ vm_id: string }>().vm_id;
  expect((await local.api('GET', `/vm/${booting}/status`)).json<{ state: string }>().state).toBe('booting');
  const report = await local.stop();
  expect(report).toMatchObject({ exitCode: 0 });
  expect(report.vmIds).toEqual(expect.arrayContaining([running, paused, booting]));
});

test('SIGINT stops vers-local as cleanly as SIGTERM', async () => {
  const local = await startVersLocal({ args: ['--boot-delay-ms', '0'] });
  await newRoot(local);
  expect(await local.stop({ signal: 'SIGINT' })).toMatchObject({ exitCode: 0 });
});

test('a given state dir keeps commits and their snapshots across a restart, but not VMs', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'vers-local-kept-'));
  try {
    const apiKey = `${randomUUID()}${'0123456789abcdef'.repeat(4)}`;
    const first = await startVersLocal({ args: ['--boot-delay-ms', '0', '--state-dir', stateDir], env: { VERS_LOCAL_API_KEY: apiKey } });
    expect(first.ready.api_key).toBe(apiKey);
    expect(first.ready.state_dir).toBe(resolve(stateDir));
    const vmId = await newRoot(first);
    await first.api('POST', `/vm/${vmId}/exec`, { json: { command: ['sh', '-c', 'echo kept > /root/kept.txt'] } });
    const commitId = (await first.api('POST', `/vm/${vmId}/commit`, { json: { name: 'survivor' } })).json<{ commit_id: string }>().commit_id;
    await first.stop();
    expect(readdirSync(join(stateDir, 'vms'))).toEqual([]);

    const second = await startVersLocal({ args: ['--boot-delay-ms', '0', '--state-dir', stateDir, '--api-key', apiKey] });
    try {
      expect((await second.api('GET', '/vms')).json()).toEqual([]);
      const commits = (await second.api('GET', '/commits')).json<{ commits: Array<{ commit_id: string; name: string; parent_vm_id: string }> }>().commits;
      expect(commits).toEqual([expect.objectContaining({ commit_id: commitId, name: 'survivor', parent_vm_id: vmId })]);
      const restored = (await second.api('POST', '/vm/from_commit', { json: { commit_id: commitId } })).json<{ vm_id: string }>().vm_id;
      const cat = await second.api('POST', `/vm/${restored}/exec`, { json: { command: ['cat', '/root/kept.txt'] } });
      expect(cat.json<{ stdout: string }>().stdout).toBe('kept\n');
    } finally {
      await second.stop();
    }
    expect(existsSync(join(stateDir, 'commits', commitId, 'commit.json'))).toBe(true);
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
});

test('--https serves the API with a certificate from the CA in tls_ca_file', async () => {
  const local = await startVersLocal({ args: ['--https', '--boot-delay-ms', '0'] });
  try {
    expect(local.ready.base_url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/api\/v1$/);
    const res = await local.api('GET', '/system/version');
    expect(res.status).toBe(200);
  } finally {
    await local.stop();
  }
});

test('an unknown flag is refused with a message naming it, before anything starts', () => {
  const result = spawnSync(join(repoRoot(), 'bin', 'vers-local'), ['--api-port', '0', '--no-such-flag'], {
    env: { ...process.env, VERS_LOCAL_DIST: resolve(__dirname, '..', '..') },
    encoding: 'utf8',
    timeout: 30000,
  });
  expect(result.status).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toContain('unknown flag "--no-such-flag"');
});
