import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startVersLocal, type VersLocalProcess } from '../helpers/vers-local';
import { MiniEngine, type ResourceState } from './mini-engine';
import { rollGoldenPipeline } from './rolling-pipeline';
import { PluginHarness, UNKNOWN_VALUE, isSecret, partialFailureOf, secret, urnOf, type Props } from './plugin-harness';

/**
 * pulumi-resource-vers driven the way the Pulumi engine drives it (a fake
 * Engine service receives its logs), against vers-local: provider config,
 * each resource through preview, create, read, diffs, update and delete,
 * both functions, check failures, partial failures and cancellation.
 */

const VM = 'vers:index:Vm';
const PROVISION = 'vers:index:Provision';
const COMMIT = 'vers:index:VmCommit';
const RESTORE = 'vers:index:VmRestore';
const BRANCH = 'vers:index:VmBranch';

function stackConfig(local: VersLocalProcess): Props {
  const ready = local.ready;
  return { apiKey: secret(ready.api_key), baseUrl: ready.base_url, vmDomain: ready.vm_domain, sshGateway: ready.ssh_gateway, tlsCaFile: ready.tls_ca_file, version: '0.1.0' };
}

function plain(value: unknown): unknown {
  return isSecret(value) ? value.value : value;
}

describe('the Pulumi engine protocol against vers-local', () => {
  let local: VersLocalProcess;
  let plugin: PluginHarness;
  let engine: MiniEngine;
  let workDir: string;

  beforeAll(async () => {
    local = await startVersLocal();
    plugin = await PluginHarness.start();
    engine = new MiniEngine(plugin);
    workDir = mkdtempSync(join(tmpdir(), 'vers-pulumi-'));
    await plugin.handshake();
    const checked = await plugin.checkConfig(stackConfig(local));
    expect(checked.failures).toEqual([]);
    await plugin.configure(checked.inputs);
  });

  afterAll(async () => {
    await plugin?.close();
    rmSync(workDir, { recursive: true, force: true });
    await local?.stop();
  });

  afterEach(() => {
    // Nothing secret ever reaches the engine's log or stderr.
    const everything = `${plugin.stderr}\n${plugin.logs.map((entry) => entry.message).join('\n')}`;
    expect(everything).not.toContain(local.ready.api_key);
    expect(everything).not.toContain('PRIVATE KEY');
    expect(plugin.stdoutAfterPort).toBe('');
  });

  test('CheckConfig returns the API key as a secret and reports bad settings with their property names', async () => {
    const good = await plugin.checkConfig(stackConfig(local));
    expect(good.failures).toEqual([]);
    expect(good.inputs.apiKey).toEqual(secret(local.ready.api_key));
    const plainKey = await plugin.checkConfig({ ...stackConfig(local), apiKey: local.ready.api_key });
    expect(isSecret(plainKey.inputs.apiKey)).toBe(true);

    const bad = await plugin.checkConfig({ baseUrl: 'ftp://example.com', insecureSkipTlsVerify: 'sometimes', vmDomian: 'x' });
    expect(bad.failures).toEqual([
      { property: 'insecureSkipTlsVerify', reason: 'must be a boolean' },
      { property: 'vmDomian', reason: expect.stringContaining('is not a vers configuration key') },
    ]);
    const badUrl = await plugin.checkConfig({ baseUrl: 'ftp://example.com' });
    expect(badUrl.failures).toEqual([{ property: 'baseUrl', reason: expect.stringContaining('http or https') }]);
    const badKey = await plugin.checkConfig({ apiKey: secret('short-and-wrong') });
    expect(badKey.failures).toEqual([{ property: 'apiKey', reason: expect.stringContaining('malformed') }]);
    // The rejected key is echoed back only as the secret it came in as, never in a message.
    expect(badKey.inputs.apiKey).toEqual(secret('short-and-wrong'));
    expect(JSON.stringify(badKey.failures)).not.toContain('short-and-wrong');
  });

  test('DiffConfig calls a new setting an in-place change of the provider, never a replacement', async () => {
    const same = await plugin.diffConfig(stackConfig(local), stackConfig(local));
    expect(same.changes).toBe('none');
    const moved = await plugin.diffConfig(stackConfig(local), { ...stackConfig(local), baseUrl: 'https://api.vers.sh' });
    expect(moved).toMatchObject({ changes: 'some', replaces: [], diffs: ['baseUrl'], detailedDiff: { baseUrl: { kind: 'update' } } });
  });

  test('Configure answers that the plugin takes secrets and supports previews', async () => {
    const response = await plugin.configure(stackConfig(local));
    expect(response).toMatchObject({ acceptsecrets: true, supportspreview: true, acceptresources: false, acceptoutputs: false });
  });

  test('bad resource inputs come back as check failures with property paths and the rule broken', async () => {
    const vm = await plugin.check(VM, 'bad', { vcpuCount: 0, labels: { ok: 'yes' } });
    expect(vm.failures).toEqual([{ property: 'vcpuCount', reason: expect.stringMatching(/1/) }]);
    const conflict = await plugin.check(VM, 'bad', { fromCommit: '00000000-0000-4000-8000-000000000000', memSizeMib: 1024 });
    expect(conflict.failures).toEqual([{ property: 'memSizeMib', reason: expect.stringContaining('conflicts with `fromCommit`') }]);
    const provision = await plugin.check(PROVISION, 'bad', {
      vmId: 'not-a-uuid',
      files: [{ content: 'x', destination: '/etc/x' }, { content: 'y', destination: 'relative/path' }],
    });
    expect(provision.failures).toEqual(
      expect.arrayContaining([
        { property: 'vmId', reason: expect.stringContaining('UUID') },
        { property: 'files[1].destination', reason: expect.stringContaining('absolute path') },
      ]),
    );
    const missing = await plugin.check(RESTORE, 'bad', {});
    expect(missing.failures).toEqual([{ property: 'commitId', reason: expect.any(String) }]);
  });

  test('a Vm goes through preview, create, refresh, no-op, in-place and replacing diffs, update and delete', async () => {
    const news = { vcpuCount: 1, memSizeMib: 512, labels: { team: 'infra' } };
    const checked = await plugin.check(VM, 'solo', news);
    expect(checked.failures).toEqual([]);
    expect(checked.inputs).toEqual({ ...news, fsSizeMib: 1024, imageName: 'default', waitBoot: true });

    const preview = await plugin.create(VM, 'solo', checked.inputs, { preview: true });
    expect(preview.id).toBe('');
    expect(preview.properties).toMatchObject({ ...checked.inputs, state: UNKNOWN_VALUE, ip: UNKNOWN_VALUE, sshPrivateKey: secret(UNKNOWN_VALUE) });
    expect((await local.api('GET', '/vms')).json<unknown[]>()).toHaveLength(0);

    const created = await plugin.create(VM, 'solo', checked.inputs);
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.properties).toMatchObject({ state: 'running', labels: { team: 'infra' }, sshHost: `${created.id}.${local.ready.vm_domain}` });
    expect(isSecret(created.properties.sshPrivateKey)).toBe(true);
    expect(String(plain(created.properties.sshPrivateKey))).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
    expect(plugin.logs).toEqual(expect.arrayContaining([{ severity: 1, urn: urnOf(VM, 'solo'), message: expect.stringContaining(`VM ${created.id}`) }]));
    let state: ResourceState = { type: VM, name: 'solo', id: created.id, inputs: checked.inputs, outputs: created.properties };

    const refreshed = await engine.refresh(state);
    expect(refreshed?.outputs).toEqual(state.outputs);
    expect(refreshed?.inputs).toEqual(state.inputs);

    const same = await engine.register(VM, 'solo', news, state);
    expect(same.step).toBe('same');

    const relabel = await plugin.diff(VM, 'solo', state.id, state.outputs, { ...checked.inputs, labels: { team: 'platform' } });
    expect(relabel).toMatchObject({ changes: 'some', replaces: [], diffs: ['labels'], detailedDiff: { labels: { kind: 'update', inputDiff: true } } });
    expect(relabel.stables).toEqual(expect.arrayContaining(['sshPrivateKey', 'ip', 'createdAt']));

    const resize = await plugin.diff(VM, 'solo', state.id, state.outputs, { ...checked.inputs, vcpuCount: 2 });
    expect(resize).toMatchObject({ changes: 'some', replaces: ['vcpuCount'], detailedDiff: { vcpuCount: { kind: 'update-replace' } } });
    const ignored = await plugin.diff(VM, 'solo', state.id, state.outputs, { ...checked.inputs, vcpuCount: 2 }, { ignoreChanges: ['vcpuCount'] });
    expect(ignored).toMatchObject({ changes: 'none', replaces: [] });

    const planned = await plugin.update(VM, 'solo', state.id, state.outputs, { ...checked.inputs, labels: { team: 'platform' }, desiredState: 'paused' }, { preview: true });
    expect(planned).toMatchObject({ labels: { team: 'platform' }, desiredState: 'paused', ip: plain(state.outputs.ip), state: UNKNOWN_VALUE });
    expect((await local.api('GET', `/vm/${state.id}/status`)).json<{ state: string }>().state).toBe('running');

    const updated = await engine.register(VM, 'solo', { ...news, labels: { team: 'platform' }, desiredState: 'paused' }, state);
    expect(updated.step).toBe('update');
    expect(updated.state.outputs).toMatchObject({ labels: { team: 'platform' }, desiredState: 'paused', state: 'paused' });
    expect(isSecret(updated.state.outputs.sshPrivateKey)).toBe(true);
    const status = (await local.api('GET', `/vm/${state.id}/status`)).json<{ state: string; labels: Record<string, string> }>();
    expect(status).toMatchObject({ state: 'paused', labels: { team: 'platform' } });
    state = updated.state;

    const replaced = await engine.register(VM, 'solo', { ...news, labels: { team: 'platform' }, vcpuCount: 2 }, state);
    expect(replaced.step).toBe('replace');
    expect(replaced.state.id).not.toBe(state.id);
    expect((await local.api('GET', `/vm/${state.id}/status`)).status).toBe(404);
    state = replaced.state;

    await engine.destroy(state);
    expect((await local.api('GET', `/vm/${state.id}/status`)).status).toBe(404);
    expect(await engine.refresh(state)).toBeUndefined();
    await engine.destroy(state);
  });

  test('an imported Vm is read by id alone: the state comes from Vers, the key as a secret, and inputs from what Vers reports', async () => {
    const made = await local.api('POST', '/vm/new_root', { json: { vm_config: { vcpu_count: 1, mem_size_mib: 512, fs_size_mib: 1024, labels: { owner: 'ops' } } } });
    const vmId = made.json<{ vm_id: string }>().vm_id;
    try {
      for (let tries = 0; (await local.api('GET', `/vm/${vmId}/status`)).json<{ state: string }>().state !== 'running' && tries < 100; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const read = await plugin.read(VM, 'adopted', vmId);
      expect(read.id).toBe(vmId);
      expect(read.properties).toMatchObject({ sshHost: `${vmId}.${local.ready.vm_domain}`, ip: expect.any(String) });
      expect(isSecret(read.properties.sshPrivateKey)).toBe(true);
      // Sizes and image are not readable from the Vers API, so they are not claimed as inputs.
      expect(read.inputs).toEqual({ labels: { owner: 'ops' }, desiredState: 'running' });
      const checked = await plugin.check(VM, 'adopted', read.inputs, read.inputs);
      expect(checked.failures).toEqual([]);
      const diff = await plugin.diff(VM, 'adopted', vmId, read.properties, checked.inputs);
      expect(diff.replaces).toEqual([]);
      // `pulumi import` with the program's own sizes plans clean: what Vers cannot report is adopted.
      const program = await plugin.check(VM, 'adopted', { vcpuCount: 1, memSizeMib: 512, fsSizeMib: 1024, labels: { owner: 'ops' } }, read.inputs);
      expect(program.failures).toEqual([]);
      const importDiff = await plugin.diff(VM, 'adopted', vmId, read.properties, program.inputs);
      expect(importDiff.changes).toBe('none');
    } finally {
      await plugin.delete(VM, 'adopted', vmId, {});
    }
  });

  test('the golden pipeline: Vm, Provision, VmCommit, VmRestore workers, a VmBranch, both functions, updates, replacements and teardown', async () => {
    const script = join(workDir, 'bootstrap.sh');
    writeFileSync(script, '#!/bin/bash\nset -e\nmkdir -p /opt/golden\necho golden > /opt/golden/marker\necho bootstrap done\n');

    const golden = (await engine.register(VM, 'golden', { labels: { role: 'golden' } })).state;
    const provisionNews = {
      vmId: golden.id,
      files: [{ source: script, destination: '/tmp/bootstrap.sh', mode: '0755' }],
      commands: ['bash /tmp/bootstrap.sh'],
      environment: { TOKEN: secret('swordfish') },
    };
    const provisionPreview = await engine.register(PROVISION, 'bootstrap', provisionNews, undefined, { preview: true });
    expect(provisionPreview.state.outputs).toMatchObject({ vmId: golden.id, sshHostKey: UNKNOWN_VALUE, environment: secret({ TOKEN: 'swordfish' }) });
    let provision = (await engine.register(PROVISION, 'bootstrap', provisionNews)).state;
    expect(provision.outputs.sshHostKey).toMatch(/^SHA256:/);
    expect(provision.outputs.environment).toEqual(secret({ TOKEN: 'swordfish' }));
    // A file's hash can give a short secret content away: each file's hash is secret in outputs and in the recorded inputs, the rest of the file is not.
    const inputFile = (provision.inputs.files as Props[])[0];
    const outputFile = (provision.outputs.files as Props[])[0];
    expect(isSecret(inputFile?.sha256)).toBe(true);
    expect(isSecret(outputFile?.sha256)).toBe(true);
    expect(outputFile?.destination).toBe('/tmp/bootstrap.sh');
    expect(plain(inputFile?.sha256)).toMatch(/^[0-9a-f]{64}$/);
    expect(plain(outputFile?.sha256)).toBe(plain(inputFile?.sha256));
    expect(plugin.logs.some((entry) => entry.urn === urnOf(PROVISION, 'bootstrap') && entry.message.includes('bootstrap done'))).toBe(true);

    expect((await engine.register(PROVISION, 'bootstrap', provisionNews, provision)).step).toBe('same');
    writeFileSync(script, '#!/bin/bash\nset -e\nmkdir -p /opt/golden\necho golden-v2 > /opt/golden/marker\n');
    const reprovision = await engine.register(PROVISION, 'bootstrap', provisionNews, provision);
    expect(reprovision.step).toBe('replace');
    expect(reprovision.diff).toMatchObject({ diffs: ['files'], replaces: ['files'], detailedDiff: { files: { kind: 'update-replace' } } });
    expect(reprovision.state.id).not.toBe(provision.id);
    expect(reprovision.state.outputs.environment).toEqual(secret({ TOKEN: 'swordfish' }));
    provision = reprovision.state;
    const marker = await local.ssh(golden.id, 'cat /opt/golden/marker', { privateKey: String(plain(golden.outputs.sshPrivateKey)) });
    expect(marker.stdout.trim()).toBe('golden-v2');

    const commitNews = { vmId: golden.id, name: 'golden', keepPaused: true };
    let commit = (await engine.register(COMMIT, 'golden', commitNews)).state;
    expect(commit.outputs).toMatchObject({ commitId: commit.id, vmId: golden.id, name: 'golden' });
    const renamed = await engine.register(COMMIT, 'golden', { ...commitNews, name: 'golden-v2', description: 'bootstrapped' }, commit);
    expect(renamed.step).toBe('update');
    expect(renamed.state.id).toBe(commit.id);
    commit = renamed.state;
    const commitReplace = await plugin.diff(COMMIT, 'golden', commit.id, commit.outputs, { ...commit.inputs, vmId: '00000000-0000-4000-8000-000000000000' });
    expect(commitReplace.replaces).toEqual(['vmId']);

    const found = await plugin.invoke('vers:index:getCommit', { commitId: commit.id });
    expect(found.failures).toEqual([]);
    expect(found.result).toMatchObject({ commitId: commit.id, name: 'golden-v2', description: 'bootstrapped', parentVmId: golden.id });
    const badLookup = await plugin.invoke('vers:index:getCommit', { commitId: 'nope' });
    expect(badLookup.failures).toEqual([{ property: 'commitId', reason: expect.stringContaining('UUID') }]);

    const workers: ResourceState[] = [];
    for (const name of ['worker-0', 'worker-1']) {
      workers.push((await engine.register(RESTORE, name, { commitId: commit.id, labels: { role: 'worker' } })).state);
    }
    for (const worker of workers) {
      expect(worker.outputs).toMatchObject({ state: 'running', commitId: commit.id, parentCommitId: commit.id });
      expect(isSecret(worker.outputs.sshPrivateKey)).toBe(true);
      const run = await local.ssh(worker.id, 'cat /opt/golden/marker', { privateKey: String(plain(worker.outputs.sshPrivateKey)) });
      expect(run.stdout.trim()).toBe('golden-v2');
    }
    const relabelled = await engine.register(RESTORE, 'worker-0', { commitId: commit.id, labels: { role: 'worker', shard: '0' } }, workers[0]);
    expect(relabelled.step).toBe('update');
    workers[0] = relabelled.state;
    const restoreReplace = await plugin.diff(RESTORE, 'worker-1', workers[1]!.id, workers[1]!.outputs, { ...workers[1]!.inputs, commitId: '00000000-0000-4000-8000-000000000000' });
    expect(restoreReplace).toMatchObject({ replaces: ['commitId'], detailedDiff: { commitId: { kind: 'update-replace' } } });

    let branch = (await engine.register(BRANCH, 'branch', { sourceVmId: workers[0]!.id, labels: { role: 'branch' } })).state;
    expect(branch.outputs).toMatchObject({ sourceVmId: workers[0]!.id, state: 'running' });
    expect(isSecret(branch.outputs.sshPrivateKey)).toBe(true);
    const pausedBranch = await engine.register(BRANCH, 'branch', { sourceVmId: workers[0]!.id, labels: { role: 'branch' }, desiredState: 'paused' }, branch);
    expect(pausedBranch.step).toBe('update');
    expect(pausedBranch.state.outputs).toMatchObject({ state: 'paused' });
    branch = pausedBranch.state;
    const branchReplace = await plugin.diff(BRANCH, 'branch', branch.id, branch.outputs, { ...branch.inputs, sourceVmId: workers[1]!.id });
    expect(branchReplace.replaces).toEqual(['sourceVmId']);

    const listed = await plugin.invoke('vers:index:getVms', { labels: { role: 'worker' } });
    expect(listed.failures).toEqual([]);
    expect((listed.result.vms as Props[]).map((vm) => vm.vmId).sort()).toEqual(workers.map((worker) => worker.id).sort());
    // Each item says how to reach the VM and where it came from, as the VM resources do.
    for (const worker of workers) {
      expect((listed.result.vms as Props[]).find((vm) => vm.vmId === worker.id)).toMatchObject({
        ip: plain(worker.outputs.ip),
        sshHost: plain(worker.outputs.sshHost),
        parentCommitId: commit.id,
      });
    }

    const provisionMove = await engine.register(PROVISION, 'bootstrap', { ...provisionNews, vmId: workers[1]!.id }, provision);
    expect(provisionMove.step).toBe('replace');
    provision = provisionMove.state;

    for (const state of [provision, branch, ...workers, commit, golden]) await engine.destroy(state);
    const left = await plugin.invoke('vers:index:getVms', {});
    expect(left.result.vms).toEqual([]);
  });

  test('the golden pipeline rolls on an edited script: the Provision is replaced (new id, host key carried), the commit its trigger follows and the workers too', async () => {
    await rollGoldenPipeline({ engine, local, workDir, type: (name) => `vers:index:${name}`, inputs: (_name, props) => props });
  });

  test('a create that fails once the VM exists comes back as a partial failure carrying the VM id and outputs', async () => {
    expect((await local.admin('PUT', '/faults', { json: { routes: [{ route: 'PATCH /api/v1/vm/*', error500: 1 }] } })).status).toBeLessThan(300);
    let error: unknown;
    try {
      const checked = await plugin.check(VM, 'half', { desiredState: 'paused' });
      error = await plugin.create(VM, 'half', checked.inputs).catch((caught: unknown) => caught);
    } finally {
      await local.admin('PUT', '/faults', { json: { routes: [] } });
    }
    expect(error).toMatchObject({ details: expect.stringContaining('HTTP 500') });
    const partial = partialFailureOf(error);
    expect(partial?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(partial?.reasons[0]).toContain('PARTIAL_CREATE');
    expect(isSecret(partial?.properties.sshPrivateKey) || partial?.properties.sshPrivateKey === undefined).toBe(true);
    expect((await local.api('GET', `/vm/${partial?.id}/status`)).status).toBe(200);
    await plugin.delete(VM, 'half', partial?.id as string, partial?.properties ?? {});
    expect((await local.api('GET', `/vm/${partial?.id}/status`)).status).toBe(404);
  });
});

describe('Cancel from the engine', () => {
  let local: VersLocalProcess;
  let plugin: PluginHarness;

  beforeAll(async () => {
    local = await startVersLocal();
    plugin = await PluginHarness.start();
    await plugin.configure(stackConfig(local));
  });

  afterAll(async () => {
    await plugin?.close();
    await local?.stop();
  });

  test('aborts a running provisioning command, and the create fails as cancelled', async () => {
    const vm = await plugin.create(VM, 'target', (await plugin.check(VM, 'target', {})).inputs);
    try {
      const checked = await plugin.check(PROVISION, 'slow', { vmId: vm.id, commands: ['echo started; sleep 60'] });
      const started = Date.now();
      const running = plugin.create(PROVISION, 'slow', checked.inputs).catch((caught: unknown) => caught);
      while (!plugin.logs.some((entry) => entry.message.includes('started')) && Date.now() - started < 30_000) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await plugin.cancel();
      const error = await running;
      expect(error).toMatchObject({ code: 1, details: expect.stringContaining('CANCELLED') });
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      await local.api('DELETE', `/vm/${vm.id}`);
    }
  });
});

describe('provider configuration from the engine’s other sources', () => {
  let local: VersLocalProcess;

  beforeAll(async () => {
    local = await startVersLocal();
  });

  afterAll(async () => {
    await local?.stop();
  });

  test('Configure with empty args takes the key from variables and the rest from PULUMI_CONFIG', async () => {
    const ready = local.ready;
    const plugin = await PluginHarness.start({
      env: { PULUMI_CONFIG: JSON.stringify({ 'vers:baseUrl': ready.base_url, 'vers:vmDomain': ready.vm_domain, 'vers:sshGateway': ready.ssh_gateway, 'vers:tlsCaFile': ready.tls_ca_file }) },
    });
    try {
      await plugin.configure({}, { 'vers:config:apiKey': ready.api_key });
      const listed = await plugin.invoke('vers:index:getVms', {});
      expect(listed).toEqual({ result: { vms: [] }, failures: [] });
    } finally {
      await plugin.close();
    }
  });

  test('without Configure (config unknown in a preview) calls use PULUMI_CONFIG and VERS_* environment variables', async () => {
    const ready = local.ready;
    const plugin = await PluginHarness.start({
      env: { PULUMI_CONFIG: JSON.stringify({ baseUrl: ready.base_url, vmDomain: ready.vm_domain }), VERS_API_KEY: ready.api_key, VERS_SSH_GATEWAY: ready.ssh_gateway, VERS_CA_FILE: ready.tls_ca_file },
    });
    try {
      const listed = await plugin.invoke('vers:index:getVms', { labels: { none: 'such' } });
      expect(listed).toEqual({ result: { vms: [] }, failures: [] });
    } finally {
      await plugin.close();
    }
  });

  test('a wrong API key fails the call with an authentication status that names the setting, without the key', async () => {
    const ready = local.ready;
    const wrongKey = `${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}${'a'.repeat(64)}`;
    const plugin = await PluginHarness.start();
    try {
      await plugin.configure({ apiKey: secret(wrongKey), baseUrl: ready.base_url, vmDomain: ready.vm_domain, sshGateway: ready.ssh_gateway, tlsCaFile: ready.tls_ca_file });
      const error = await plugin.invoke('vers:index:getVms', {}).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 16, details: expect.stringContaining('AUTH_FAILED') });
      expect(JSON.stringify(error)).not.toContain('a'.repeat(64));
    } finally {
      await plugin.close();
    }
  });
});
