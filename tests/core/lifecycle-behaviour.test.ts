import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandFailedError, HostKeyMismatchError, PartialCreateError } from '../../core/base/errors';
import type { VersProvider } from '../../core/provider';
import { functionLifecycles, resourceLifecycles } from '../../core/resources/registry';
import type { LifecycleContext, ResourceLifecycle } from '../../core/resources/types';
import type { PropertyBag } from '../../core/base/json';
import { UNKNOWN } from '../../core/base/unknown';
import { contextFor, providerFor, RecordingLogger } from '../helpers/core-context';
import { startVersLocal, type VersLocalProcess } from '../helpers/vers-local';
import { UploadReadProbe, writeBigFile } from '../helpers/big-file';

const vm = resourceLifecycles['vers:index:Vm'] as ResourceLifecycle;
const commit = resourceLifecycles['vers:index:VmCommit'] as ResourceLifecycle;
const branch = resourceLifecycles['vers:index:VmBranch'] as ResourceLifecycle;
const restore = resourceLifecycles['vers:index:VmRestore'] as ResourceLifecycle;
const provision = resourceLifecycles['vers:index:Provision'] as ResourceLifecycle;

async function checked(lifecycle: ResourceLifecycle, news: PropertyBag): Promise<PropertyBag> {
  const result = await lifecycle.check(news, undefined);
  expect(result.failures).toEqual([]);
  return result.inputs;
}

describe('replacement decisions come from diff, without calling the API', () => {
  const old: PropertyBag = { vcpuCount: 1, memSizeMib: 512, fsSizeMib: 1024, imageName: 'default', labels: {}, waitBoot: true, desiredState: 'running', state: 'running' };

  test('nothing changed is no change', async () => {
    expect(await vm.diff('id', old, { ...old })).toMatchObject({ changes: false, replaces: [] });
  });

  test('labels and desired state change in place; state is recomputed', async () => {
    const diff = await vm.diff('id', old, { ...old, labels: { a: 'b' }, desiredState: 'paused' });
    expect(diff).toMatchObject({ changes: true, replaces: [], changedKeys: ['labels', 'desiredState'] });
    expect(diff.stables).not.toContain('state');
    expect(diff.stables).toContain('ip');
  });

  test('a larger disk grows in place, a smaller one replaces', async () => {
    expect(await vm.diff('id', old, { ...old, fsSizeMib: 2048 })).toMatchObject({ replaces: [], changedKeys: ['fsSizeMib'] });
    expect(await vm.diff('id', old, { ...old, fsSizeMib: 600 })).toMatchObject({ replaces: ['fsSizeMib'] });
  });

  test('sizes and image force a new VM; an unknown value forces it too', async () => {
    expect((await vm.diff('id', old, { ...old, vcpuCount: 2 })).replaces).toEqual(['vcpuCount']);
    expect((await vm.diff('id', old, { ...old, imageName: 'other' })).replaces).toEqual(['imageName']);
    expect((await restore.diff('id', { commitId: 'a' }, { commitId: UNKNOWN })).replaces).toEqual(['commitId']);
  });

  test('a commit is retaken on vm, triggers or keep_paused, renamed in place', async () => {
    const base = { vmId: 'a', keepPaused: false, triggers: {}, name: 'n', description: '', isPublic: false, deleteOnDestroy: false };
    expect((await commit.diff('id', base, { ...base, triggers: { v: '2' } })).replaces).toEqual(['triggers']);
    expect((await commit.diff('id', base, { ...base, keepPaused: true })).replaces).toEqual(['keepPaused']);
    expect(await commit.diff('id', base, { ...base, name: 'other' })).toMatchObject({ replaces: [], changedKeys: ['name'] });
  });

  test('a provisioning run is replaced by any change that runs it again; a new timeout alone changes in place', async () => {
    const vmId = '2b6f0cc9-04a5-4b43-9c6e-7e8f6c2b1a10';
    const hostKey = 'SHA256:UhZTqQbieyOlWQ1F5yKH4jfCmDawcHqvvta4ci++CzU';
    const inputs = await checked(provision, {
      vmId,
      files: [{ content: 'one\n', destination: '/etc/one', mode: '0600' }],
      commands: ['true'],
      environment: { A: '1' },
      triggers: { t: '1' },
    });
    const outs: PropertyBag = { ...inputs, sshHostKey: hostKey };
    const file = (inputs.files as PropertyBag[])[0] as PropertyBag;
    const carry = { appliesTo: { vmId }, values: { sshHostKey: hostKey } };
    const variants: Array<[string, PropertyBag]> = [
      ['files', { files: [{ content: 'two\n', destination: '/etc/one', mode: '0600' }] }],
      ['files', { files: [{ content: 'one\n', destination: '/etc/other', mode: '0600' }] }],
      ['files', { files: [{ content: 'one\n', destination: '/etc/one', mode: '0644' }] }],
      ['commands', { commands: ['true', 'true'] }],
      ['environment', { environment: { A: '2' } }],
      ['triggers', { triggers: { t: '2' } }],
    ];
    for (const [key, change] of variants) {
      const news = await checked(provision, { vmId, files: [{ content: file.content, destination: file.destination, mode: file.mode }], commands: ['true'], environment: { A: '1' }, triggers: { t: '1' }, ...change });
      const diff = await provision.diff('run', outs, news);
      expect({ key, replaces: diff.replaces, carry: diff.carry }).toEqual({ key, replaces: [key], carry });
      expect(diff.deleteBeforeReplace).toBe(false);
    }
    // Another VM is another host key: nothing carries; nor does a VM not known yet, or a run that recorded no key.
    const moved = await provision.diff('run', outs, { ...inputs, vmId: '00000000-0000-4000-8000-000000000000' });
    expect(moved.replaces).toEqual(['vmId']);
    expect(moved.carry).toBeUndefined();
    expect((await provision.diff('run', outs, { ...inputs, vmId: UNKNOWN })).carry).toBeUndefined();
    expect((await provision.diff('run', { ...inputs }, { ...inputs, commands: ['false'] })).carry).toBeUndefined();

    const slower = await provision.diff('run', outs, { ...inputs, timeout: '1h' });
    expect(slower).toMatchObject({ changes: true, replaces: [], changedKeys: ['timeout'] });
    expect(slower.carry).toBeUndefined();
    expect(slower.stables).toContain('sshHostKey');
  });

  test('an absent optional input keeps its value (a server default is not a change)', async () => {
    const withoutName = { vmId: 'a', keepPaused: false, triggers: {}, isPublic: false, deleteOnDestroy: false };
    expect((await commit.diff('id', { ...withoutName, name: 'commit: of_vm=…' }, withoutName)).changes).toBe(false);
  });

  test('bad input is refused by check with the property and the rule', async () => {
    expect((await vm.check({ fromCommit: '2b6f0cc9-04a5-4b43-9c6e-7e8f6c2b1a10', vcpuCount: 2 }, undefined)).failures).toEqual([
      { property: 'vcpuCount', reason: "conflicts with `fromCommit`: a restored VM inherits the commit's vCPUs, memory, disk and image" },
    ]);
    expect((await provision.check({ vmId: '2b6f0cc9-04a5-4b43-9c6e-7e8f6c2b1a10', files: [{ source: '/nonexistent/x.sh', destination: '/x' }] }, undefined)).failures).toEqual([
      { property: 'files[0].source', reason: 'file not found: /nonexistent/x.sh' },
    ]);
  });
});

describe('lifecycles against vers-local', () => {
  let local: VersLocalProcess;
  let provider: VersProvider;
  let ctx: LifecycleContext;
  let workDir: string;
  const logger = new RecordingLogger();
  let base: { id: string; outs: PropertyBag };

  beforeAll(async () => {
    local = await startVersLocal();
    provider = providerFor(local.ready);
    ctx = contextFor(provider, logger);
    workDir = mkdtempSync(join(tmpdir(), 'vers-lifecycle-'));
    base = await vm.create(await checked(vm, { labels: { suite: 'behaviour' } }), ctx);
  });

  afterAll(async () => {
    provider?.close();
    await local?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  test('labels, desired state and disk size are updated in place, and read sees them', async () => {
    let outs = base.outs;
    const news = await checked(vm, { labels: { suite: 'behaviour', tier: 'gold' }, desiredState: 'paused', fsSizeMib: 1536 });
    outs = await vm.update(base.id, outs, news, ctx);
    expect(outs).toMatchObject({ labels: { suite: 'behaviour', tier: 'gold' }, state: 'paused', desiredState: 'paused', fsSizeMib: 1536 });
    const status = (await local.api('GET', `/vm/${base.id}/status`)).json<{ state: string; labels: Record<string, string> }>();
    expect(status).toMatchObject({ state: 'paused', labels: { suite: 'behaviour', tier: 'gold' } });
    outs = await vm.update(base.id, outs, { ...news, desiredState: 'running' }, ctx);
    expect(outs.state).toBe('running');
    // The grown disk takes a file larger than the original 1024 MiB would have left room for? Check the size is real.
    const df = await local.ssh(base.id, "df -m / | awk 'NR==2 {print $2}'", { privateKey: outs.sshPrivateKey as string });
    expect(Number(df.stdout.trim())).toBeGreaterThanOrEqual(1500);
    base = { id: base.id, outs };
  });

  test('a VM paused behind the configuration\'s back is drift when a desired state is configured, and not when none is', async () => {
    await local.api('PATCH', `/vm/${base.id}/state`, { json: { state: 'Paused' } });
    const read = await vm.read(base.id, base.outs, ctx);
    expect(read?.outs).toMatchObject({ state: 'paused', desiredState: 'paused' });
    const unset = await vm.diff(base.id, read!.outs, await checked(vm, { labels: { suite: 'behaviour', tier: 'gold' }, fsSizeMib: 1536 }));
    expect(unset.changes).toBe(false);
    const running = await checked(vm, { labels: { suite: 'behaviour', tier: 'gold' }, fsSizeMib: 1536, desiredState: 'running' });
    expect((await vm.diff(base.id, read!.outs, running)).changedKeys).toEqual(['desiredState']);
    expect(await vm.update(base.id, read!.outs, running, ctx)).toMatchObject({ state: 'running', desiredState: 'running' });
  });

  test('provisioning resumes a paused VM (as a commit with keepPaused leaves it)', async () => {
    await local.api('PATCH', `/vm/${base.id}/state`, { json: { state: 'Paused' } });
    await provision.create(await checked(provision, { vmId: base.id, commands: ['true'] }), ctx);
    expect((await local.api('GET', `/vm/${base.id}/status`)).json<{ state: string }>().state).toBe('running');
  });

  test('a run replacing one on a VM that a keepPaused commit left paused resumes the VM first, with the pin carried', async () => {
    const first = await provision.create(await checked(provision, { vmId: base.id, files: [{ content: 'v1\n', destination: '/etc/paused-run' }] }), ctx);
    const image = await commit.create(await checked(commit, { vmId: base.id, keepPaused: true }), ctx);
    expect((await local.api('GET', `/vm/${base.id}/status`)).json<{ state: string }>().state).toBe('paused');

    const news = await checked(provision, { vmId: base.id, files: [{ content: 'v2\n', destination: '/etc/paused-run' }] });
    const diff = await provision.diff(first.id, first.outs, news);
    expect(diff.replaces).toEqual(['files']);
    const seen = logger.lines.length;
    const second = await provision.create(news, ctx, diff.carry?.values);
    expect(second.outs.sshHostKey).toBe(first.outs.sshHostKey);
    const lines = logger.lines.slice(seen).map((line) => line.message);
    expect(lines).toContain(`VM ${base.id}: this run replaces one that recorded host key ${String(first.outs.sshHostKey)}; expecting the same key`);
    expect(lines).toContain(`VM ${base.id} is paused; resuming it to provision`);
    expect((await local.api('GET', `/vm/${base.id}/status`)).json<{ state: string }>().state).toBe('running');
    expect((await local.ssh(base.id, 'cat /etc/paused-run', { privateKey: base.outs.sshPrivateKey as string })).stdout).toBe('v2\n');
    await provision.delete(first.id, first.outs, ctx);
    await commit.delete(image.id, { ...image.outs, deleteOnDestroy: true }, ctx);
  });

  test('a commit is renamed in place, and getCommit reports it with its ancestry', async () => {
    const created = await commit.create(await checked(commit, { vmId: base.id }), ctx);
    expect(created.outs.name).toMatch(/^commit: of_vm=/);
    const second = await commit.create(await checked(commit, { vmId: base.id, name: 'second' }), ctx);
    expect(second.outs.parentCommitId).toBe(created.id);
    const renamed = await commit.update(second.id, second.outs, await checked(commit, { vmId: base.id, name: 'renamed', description: 'why', isPublic: true }), ctx);
    expect(renamed).toMatchObject({ name: 'renamed', description: 'why', isPublic: true });
    const info = await functionLifecycles['vers:index:getCommit']!.invoke({ commitId: second.id }, ctx);
    expect(info).toMatchObject({ commitId: second.id, name: 'renamed', description: 'why', isPublic: true, parentVmId: base.id });
    expect((info.ancestry as PropertyBag[]).map((entry) => entry.commitId)).toEqual([created.id]);
    // Deleting a commit that VMs came from is refused with advice; without deleteOnDestroy it is kept.
    const worker = await restore.create(await checked(restore, { commitId: second.id }), ctx);
    // The refusal names the VMs that still use the commit (issue 10: an orphan the message did not name blocked destroy).
    const refusal = (await commit.delete(second.id, { ...renamed, deleteOnDestroy: true }, ctx).catch((error: unknown) => error)) as Error;
    expect(refusal.message).toMatch(/delete the VMs restored or branched from this commit first/);
    expect(refusal.message).toContain(worker.id);
    await commit.delete(second.id, renamed, ctx);
    expect((await commit.read(second.id, renamed, ctx))?.id).toBe(second.id);
    await restore.delete(worker.id, worker.outs, ctx);
  });

  test('a branch is a new running VM whose parent is the commit branching made', async () => {
    const branched = await branch.create(await checked(branch, { sourceVmId: base.id, labels: { kind: 'branch' } }), ctx);
    expect(branched.outs).toMatchObject({ state: 'running', sourceVmId: base.id, labels: { kind: 'branch' } });
    expect(branched.outs.commitId).toBe(branched.outs.parentCommitId);
    const imported = await branch.read(branched.id, undefined, ctx);
    expect(imported?.outs).toMatchObject({ sourceVmId: base.id, commitId: branched.outs.commitId });
    const listed = await functionLifecycles['vers:index:getVms']!.invoke({ labels: { kind: 'branch' } }, ctx);
    expect((listed.vms as PropertyBag[]).map((entry) => entry.vmId)).toEqual([branched.id]);
    await branch.delete(branched.id, branched.outs, ctx);
    await branch.delete(branched.id, branched.outs, ctx); // idempotent
  });

  test('a VM deleted out of band reads as gone, and so does its provisioning', async () => {
    const doomed = await vm.create(await checked(vm, {}), ctx);
    const done = await provision.create(await checked(provision, { vmId: doomed.id, commands: ['true'] }), ctx);
    await local.api('DELETE', `/vm/${doomed.id}`);
    expect(await vm.read(doomed.id, doomed.outs, ctx)).toBeUndefined();
    expect(await provision.read(done.id, done.outs, ctx)).toBeUndefined();
    await vm.delete(doomed.id, doomed.outs, ctx); // already gone: still succeeds
  });

  test('a failing command is reported with its exit code and the tail of its stderr', async () => {
    const inputs = await checked(provision, { vmId: base.id, commands: ['echo first-ok', 'echo "something broke" >&2; echo "details here" >&2; exit 3', 'echo never'] });
    const failure = await provision.create(inputs, ctx).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CommandFailedError);
    const error = failure as CommandFailedError;
    expect(error.exitCode).toBe(3);
    expect(error.message).toContain('exit');
    expect(error.message).toContain('details here');
    expect(logger.text()).not.toContain('never\n');
  });

  test('a run replacing one on the same VM is a new id that insists on the recorded host key; destroying the old run changes nothing in the VM', async () => {
    const inVm = async (command: string): Promise<string> => (await local.ssh(base.id, command, { privateKey: base.outs.sshPrivateKey as string })).stdout;
    const first = await provision.create(await checked(provision, { vmId: base.id, commands: ['echo one > /tmp/run'] }), ctx);
    const secondInputs = await checked(provision, { vmId: base.id, commands: ['echo two > /tmp/run'] });
    const diff = await provision.diff(first.id, first.outs, secondInputs);
    expect(diff.carry).toEqual({ appliesTo: { vmId: base.id }, values: { sshHostKey: first.outs.sshHostKey } });
    const seen = logger.lines.length;
    const second = await provision.create(secondInputs, ctx, diff.carry?.values);
    expect(second.id).not.toBe(first.id);
    expect(second.outs.sshHostKey).toBe(first.outs.sshHostKey);
    // The old run goes after the new one ran (either order is a replacement's): the VM keeps what the new run did.
    await provision.delete(first.id, first.outs, ctx);
    const lines = logger.lines.slice(seen).map((line) => line.message);
    expect(lines).toContain(`VM ${base.id}: this run replaces one that recorded host key ${String(first.outs.sshHostKey)}; expecting the same key`);
    expect(lines).toContain(`provisioning ${first.id} of VM ${base.id} forgotten (nothing in the VM is undone)`);
    expect(await inVm('cat /tmp/run')).toBe('two\n');

    // A recorded key the VM does not present: the replacing run refuses to connect, and runs nothing.
    const forged = { ...second.outs, sshHostKey: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' };
    const thirdInputs = await checked(provision, { vmId: base.id, commands: ['echo three > /tmp/run'] });
    const forgedDiff = await provision.diff(second.id, forged, thirdInputs);
    await expect(provision.create(thirdInputs, ctx, forgedDiff.carry?.values)).rejects.toBeInstanceOf(HostKeyMismatchError);
    expect(await inVm('cat /tmp/run')).toBe('two\n');
  });

  test('a new timeout alone updates the run in place and runs nothing', async () => {
    const first = await provision.create(await checked(provision, { vmId: base.id, commands: ['date +%s%N >> /tmp/timeout-runs'] }), ctx);
    const news = await checked(provision, { vmId: base.id, commands: ['date +%s%N >> /tmp/timeout-runs'], timeout: '20m' });
    expect((await provision.diff(first.id, first.outs, news)).replaces).toEqual([]);
    expect(await provision.update(first.id, first.outs, news, ctx)).toEqual({ ...first.outs, timeout: '20m' });
    const runs = await local.ssh(base.id, 'wc -l < /tmp/timeout-runs', { privateKey: base.outs.sshPrivateKey as string });
    expect(runs.stdout.trim()).toBe('1');
  });

  test('editing a source file changes its hash, so the provisioning diff replaces the run without triggers', async () => {
    const script = join(workDir, 'setup.sh');
    writeFileSync(script, 'echo v1\n');
    const first = await checked(provision, { vmId: base.id, files: [{ source: script, destination: '/tmp/setup.sh' }] });
    writeFileSync(script, 'echo v2\n');
    const second = await checked(provision, { vmId: base.id, files: [{ source: script, destination: '/tmp/setup.sh' }] });
    expect(await provision.diff('id', first, second)).toMatchObject({ changedKeys: ['files'], replaces: ['files'] });
  });

  test('a 160 MiB file is uploaded by streaming: read from disk only as fast as it is sent, with progress in the log', async () => {
    const big = join(workDir, 'big.bin');
    writeBigFile(big, 160);
    const inputs = await checked(provision, { vmId: base.id, files: [{ source: big, destination: '/tmp/big.bin' }] });
    // sshd runs in vers-local's sandbox, so this process reads each byte once, from the file.
    const probe = new UploadReadProbe(1);
    await provision.create(inputs, contextFor(provider, probe));
    expect(probe.progressLines).toHaveLength(9);
    expect(probe.progressLines[0]).toMatch(/^uploaded 16\.\d of 160\.0 MiB to \/tmp\/big\.bin \(10%\)$/);
    // The measure sees the whole file go through, so a source read whole before sending would be 144 MiB ahead at 10%.
    expect(probe.bytesRead()).toBeGreaterThanOrEqual(160 * 1024 * 1024);
    // Only what is in flight is read ahead (16 parallel writes of 255 KiB), never the file.
    expect(probe.worstReadAheadBytes).toBeLessThan(16 * 1024 * 1024);
    const run = await local.ssh(base.id, 'stat -c %s /tmp/big.bin', { privateKey: base.outs.sshPrivateKey as string });
    expect(run.stdout.trim()).toBe(String(160 * 1024 * 1024));
    console.log(`160 MiB upload: read at most ${(probe.worstReadAheadBytes / (1024 * 1024)).toFixed(1)} MiB ahead of what was sent`);
  });

  test('a VM whose boot fails is reported as deleted by Vers, not as partial state', async () => {
    expect((await local.admin('PUT', '/faults', { json: { bootFailureRate: 1 } })).status).toBeLessThan(300);
    try {
      const error = await vm.create(await checked(vm, {}), ctx).catch((caught: unknown) => caught);
      // Vers deletes a VM whose boot failed, so nothing is left to record: the error says so.
      expect(error).not.toBeInstanceOf(PartialCreateError);
      expect(String(error)).toMatch(/no longer exists after its creation/);
    } finally {
      await local.admin('PUT', '/faults', { json: { bootFailureRate: 0 } });
    }
  });

  test('a create that fails once the VM exists reports the VM id and outputs as partial state', async () => {
    const rule = { route: 'PATCH /api/v1/vm/*', error500: 1 };
    expect((await local.admin('PUT', '/faults', { json: { routes: [rule] } })).status).toBeLessThan(300);
    let error: unknown;
    try {
      error = await vm.create(await checked(vm, { desiredState: 'paused' }), ctx).catch((caught: unknown) => caught);
    } finally {
      await local.admin('PUT', '/faults', { json: { routes: [] } });
    }
    expect(error).toBeInstanceOf(PartialCreateError);
    const partial = error as PartialCreateError;
    expect(partial.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(partial.message).toContain('HTTP 500');
    const status = await local.api('GET', `/vm/${partial.id}/status`);
    expect(status.status).toBe(200);
    await vm.delete(partial.id, partial.outs, ctx);
  });
});
