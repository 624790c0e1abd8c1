import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { repoRoot } from '../../core/base/repo-root';
import * as vers from '../../sdk/nodejs';
import { startVersLocal, type VersLocalProcess } from '../helpers/vers-local';
import { MiniEngine, type ResourceState } from './mini-engine';
import { rollGoldenPipeline } from './rolling-pipeline';
import { PluginHarness, isSecret, partialFailureOf, type Props } from './plugin-harness';

/**
 * `vers.dynamic.*` end to end: a program (under `pulumi.runtime.setMocks`)
 * registers the dynamic resources, which serializes their provider into the
 * `__provider` input; then the dynamic-provider host that ships in
 * @pulumi/pulumi (`cmd/dynamic-provider`, what `pulumi-resource-pulumi-nodejs`
 * runs) rebuilds that provider from the text and drives the core against
 * vers-local, as `pulumi up` would.
 */

const FAKE_KEY = `11111111-2222-4333-8444-555555555555${'c'.repeat(64)}`;
const HOST = require.resolve('@pulumi/pulumi/cmd/dynamic-provider');

interface Registration {
  type: string;
  name: string;
  inputs: Props;
}

/** Run a program under mocks and return what it registered (with each dynamic resource's `__provider`). */
async function registrationsOf(program: () => pulumi.Resource[]): Promise<Registration[]> {
  const registered: Registration[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs as Props });
        return { id: `${args.name}-id`, state: args.inputs as Record<string, unknown> };
      },
      call: () => ({}),
    },
    'vers-dynamic',
    'test',
    false,
  );
  const resources = program();
  await Promise.all(resources.map((resource) => new Promise((resolve) => (resource as pulumi.CustomResource).id.apply(resolve))));
  return registered;
}

function providerTextOf(registrations: Registration[], type: string): string {
  const found = registrations.find((registration) => registration.type === type);
  if (found === undefined) throw new Error(`nothing of type ${type} was registered`);
  return found.inputs.__provider as string;
}

describe('vers.dynamic resources through the Pulumi dynamic-provider host, against vers-local', () => {
  let local: VersLocalProcess;
  let host: PluginHarness;
  let engine: MiniEngine;
  let registrations: Registration[];
  let projectDir: string;
  const savedKey = process.env.VERS_API_KEY;

  beforeAll(async () => {
    // A key in the program's environment must not end up in the serialized provider.
    process.env.VERS_API_KEY = FAKE_KEY;
    registrations = await registrationsOf(() => [
      new vers.dynamic.Vm('golden', { labels: { role: 'golden' } }),
      new vers.dynamic.Provision('bootstrap', { vmId: 'placeholder', commands: ['true'] }),
      new vers.dynamic.VmCommit('commit', { vmId: 'placeholder' }),
      new vers.dynamic.VmRestore('worker', { commitId: 'placeholder' }),
      new vers.dynamic.VmBranch('branch', { sourceVmId: 'placeholder' }),
    ]);
    if (savedKey === undefined) delete process.env.VERS_API_KEY;
    else process.env.VERS_API_KEY = savedKey;

    local = await startVersLocal();
    // A project directory with @hdr/vers installed, as a user's would be (the package is this checkout).
    projectDir = mkdtempSync(join(tmpdir(), 'vers-dynamic-project-'));
    mkdirSync(join(projectDir, 'node_modules', '@hdr'), { recursive: true });
    symlinkSync(repoRoot(), join(projectDir, 'node_modules', '@hdr', 'vers'));
    writeFileSync(join(projectDir, 'Pulumi.yaml'), 'name: vers-dynamic\nruntime: nodejs\n');
    host = await PluginHarness.start({
      command: [process.execPath, HOST],
      cwd: projectDir,
      env: { PULUMI_NODEJS_PROJECT: 'vers-dynamic', VERS_API_KEY: '' },
    });
    engine = new MiniEngine(host);
    const ready = local.ready;
    // Dynamic providers get the whole stack config, namespaced.
    await host.configure({
      'vers:apiKey': ready.api_key,
      'vers:baseUrl': ready.base_url,
      'vers:vmDomain': ready.vm_domain,
      'vers:sshGateway': ready.ssh_gateway,
      'vers:tlsCaFile': ready.tls_ca_file,
      'vers-dynamic:other': 'ignored',
    });
  });

  afterAll(async () => {
    await host?.close();
    await local?.stop();
    if (projectDir !== undefined) rmSync(projectDir, { recursive: true, force: true });
  });

  test('each resource registers as pulumi-nodejs:dynamic/vers:<Name> with the schema defaults applied', async () => {
    expect(registrations.map((registration) => registration.type).sort()).toEqual([
      'pulumi-nodejs:dynamic/vers:Provision',
      'pulumi-nodejs:dynamic/vers:Vm',
      'pulumi-nodejs:dynamic/vers:VmBranch',
      'pulumi-nodejs:dynamic/vers:VmCommit',
      'pulumi-nodejs:dynamic/vers:VmRestore',
    ]);
    const vm = registrations.find((registration) => registration.name === 'golden')?.inputs;
    expect(vm).toMatchObject({ labels: { role: 'golden' }, waitBoot: true });
  });

  test('the serialized provider is small, loads the core lazily and holds no secret', () => {
    for (const registration of registrations) {
      const text = registration.inputs.__provider;
      // A plain string: had a secret been captured, Pulumi would have made the whole input a secret.
      expect(typeof text).toBe('string');
      const source = text as string;
      expect(source.length).toBeLessThan(8 * 1024);
      expect(source).not.toContain(FAKE_KEY);
      expect(source).not.toContain('c'.repeat(64));
      expect(source).toContain('@hdr/vers/');
      // Nothing of the core or of @pulumi/pulumi is captured: it is required when an operation runs.
      expect(source).not.toMatch(/require\("[^"]*(registry|@pulumi\/pulumi)[^"]*"\)/);
    }
  });

  test('the host runs Vm, Provision, VmCommit, VmRestore and VmBranch through check, create, diff, update, read and delete', async () => {
    const type = (name: string): string => `pulumi-nodejs:dynamic/vers:${name}`;
    const withProvider = (name: string, props: Props): Props => ({ ...props, __provider: providerTextOf(registrations, type(name)) });

    const golden = (await engine.register(type('Vm'), 'golden', withProvider('Vm', { labels: { role: 'golden' } }))).state;
    expect(golden.id).toMatch(/^[0-9a-f-]{36}$/);
    // Inputs are echoed into the outputs, next to what only exists after create.
    expect(golden.outputs).toMatchObject({ labels: { role: 'golden' }, vcpuCount: 1, state: 'running', sshHost: `${golden.id}.${local.ready.vm_domain}` });
    expect(String(golden.outputs.sshPrivateKey)).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
    expect(golden.outputs.__provider).toBe(providerTextOf(registrations, type('Vm')));

    const provisionProps = withProvider('Provision', { vmId: golden.id, files: [{ content: 'hello\n', destination: '/etc/greeting' }], commands: ['cat /etc/greeting'] });
    let provision = (await engine.register(type('Provision'), 'bootstrap', provisionProps)).state;
    expect(provision.outputs.sshHostKey).toMatch(/^SHA256:/);
    expect((await engine.register(type('Provision'), 'bootstrap', provisionProps, provision)).step).toBe('same');
    const rerun = await engine.register(type('Provision'), 'bootstrap', { ...provisionProps, commands: ['cat /etc/greeting', 'touch /tmp/second'] }, provision);
    expect(rerun.step).toBe('replace');
    expect(rerun.diff).toMatchObject({ replaces: ['commands'], deleteBeforeReplace: false });
    expect(rerun.state.id).not.toBe(provision.id);
    provision = rerun.state;
    expect((await local.ssh(golden.id, 'ls /tmp/second', { privateKey: String(golden.outputs.sshPrivateKey) })).code).toBe(0);

    const commit = (await engine.register(type('VmCommit'), 'commit', withProvider('VmCommit', { vmId: golden.id, name: 'golden' }))).state;
    expect(commit.outputs).toMatchObject({ commitId: commit.id, name: 'golden', vmId: golden.id });

    const workerProps = withProvider('VmRestore', { commitId: commit.id, labels: { role: 'worker' } });
    let worker: ResourceState = (await engine.register(type('VmRestore'), 'worker', workerProps)).state;
    expect(worker.outputs).toMatchObject({ commitId: commit.id, parentCommitId: commit.id, state: 'running' });
    const relabel = await engine.register(type('VmRestore'), 'worker', { ...workerProps, labels: { role: 'worker', n: '1' } }, worker);
    expect(relabel.step).toBe('update');
    expect(relabel.state.outputs).toMatchObject({ commitId: commit.id, labels: { role: 'worker', n: '1' }, sshPrivateKey: worker.outputs.sshPrivateKey });
    worker = relabel.state;
    const replace = await host.diff(type('VmRestore'), 'worker', worker.id, worker.outputs, { ...worker.inputs, commitId: '00000000-0000-4000-8000-000000000000' });
    expect(replace.replaces).toEqual(['commitId']);

    const branch = (await engine.register(type('VmBranch'), 'branch', withProvider('VmBranch', { sourceVmId: worker.id }))).state;
    expect(branch.outputs).toMatchObject({ sourceVmId: worker.id, state: 'running' });

    const refreshed = await engine.refresh(worker);
    expect(refreshed?.outputs).toMatchObject({ labels: { role: 'worker', n: '1' }, __provider: workerProps.__provider });

    for (const state of [branch, worker, commit, provision, golden]) await engine.destroy(state);
    expect((await local.api('GET', '/vms')).json<unknown[]>()).toEqual([]);
    expect(await engine.refresh(golden)).toBeUndefined();
  });

  test('the golden pipeline rolls on an edited script: the Provision is replaced (new id, host key carried), the commit its trigger follows and the workers too', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'vers-dynamic-roll-'));
    try {
      await rollGoldenPipeline({
        engine,
        local,
        workDir,
        type: (name) => `pulumi-nodejs:dynamic/vers:${name}`,
        inputs: (name, props) => ({ ...props, __provider: providerTextOf(registrations, `pulumi-nodejs:dynamic/vers:${name}`) }),
      });
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  });

  test('check failures come back from the host with property paths', async () => {
    const checked = await host.check('pulumi-nodejs:dynamic/vers:Vm', 'bad', { vcpuCount: 0, __provider: providerTextOf(registrations, 'pulumi-nodejs:dynamic/vers:Vm') });
    expect(checked.failures).toEqual([{ property: 'vcpuCount', reason: expect.any(String) }]);
  });

  test('a create that fails once the VM exists is a partial failure the host reports with the VM id', async () => {
    await local.admin('PUT', '/faults', { json: { routes: [{ route: 'PATCH /api/v1/vm/*', error500: 1 }] } });
    let error: unknown;
    try {
      const props = { desiredState: 'paused', __provider: providerTextOf(registrations, 'pulumi-nodejs:dynamic/vers:Vm') };
      const checked = await host.check('pulumi-nodejs:dynamic/vers:Vm', 'half', props);
      error = await host.create('pulumi-nodejs:dynamic/vers:Vm', 'half', checked.inputs).catch((caught: unknown) => caught);
    } finally {
      await local.admin('PUT', '/faults', { json: { routes: [] } });
    }
    const partial = partialFailureOf(error);
    expect(partial?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(partial?.properties).toMatchObject({ desiredState: 'paused' });
    expect(partial?.reasons[0]).toContain('PARTIAL_CREATE');
    expect(isSecret(partial?.properties.sshPrivateKey)).toBe(false);
    await host.delete('pulumi-nodejs:dynamic/vers:Vm', 'half', partial?.id as string, { ...(partial?.properties ?? {}), __provider: providerTextOf(registrations, 'pulumi-nodejs:dynamic/vers:Vm') });
    expect((await local.api('GET', `/vm/${partial?.id}/status`)).status).toBe(404);
  });

  test('a serialized provider from another machine still finds the core through the project’s node_modules', async () => {
    const text = providerTextOf(registrations, 'pulumi-nodejs:dynamic/vers:Vm');
    const elsewhere = text.split(join(repoRoot(), '')).join('/nonexistent/checkout/');
    expect(elsewhere).not.toContain(repoRoot());
    const checked = await host.check('pulumi-nodejs:dynamic/vers:Vm', 'moved', { labels: {}, __provider: elsewhere });
    expect(checked.failures).toEqual([]);
    expect(checked.inputs).toMatchObject({ vcpuCount: 1, imageName: 'default' });
  });

  test('without an installed package (a checkout), the host finds the core at the path the program loaded it from', async () => {
    const bare = mkdtempSync(join(tmpdir(), 'vers-dynamic-bare-'));
    const other = await PluginHarness.start({ command: [process.execPath, HOST], cwd: bare, env: { PULUMI_NODEJS_PROJECT: 'vers-dynamic', VERS_API_KEY: '' } });
    try {
      await other.configure({});
      const checked = await other.check('pulumi-nodejs:dynamic/vers:Vm', 'checkout', { labels: {}, __provider: providerTextOf(registrations, 'pulumi-nodejs:dynamic/vers:Vm') });
      expect(checked.failures).toEqual([]);
      expect(checked.inputs).toMatchObject({ vcpuCount: 1, imageName: 'default' });
    } finally {
      await other.close();
      rmSync(bare, { recursive: true, force: true });
    }
  });
});
