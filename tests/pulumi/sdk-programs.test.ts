import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import * as terraform from '@pulumi/terraform';
import * as ts from 'typescript';
import { repoRoot } from '../../core/base/repo-root';
import * as vers from '../../sdk/nodejs';
import { startVersLocal, type VersLocalProcess } from '../helpers/vers-local';
import { MiniEngine } from './mini-engine';
import { PluginMocks } from './mock-engine';
import { PluginHarness, isSecret, secret, type Props } from './plugin-harness';

/**
 * Pulumi programs written against the SDK (the two examples, and small
 * inline ones) run under `pulumi.runtime.setMocks`, with every registration
 * and invoke forwarded to the real pulumi-resource-vers plugin, which talks
 * to vers-local. This checks the SDK's argument mapping, secrets and
 * outputs with the provider's real answers.
 */

type Exports = Record<string, unknown>;

/** Compile an example's index.ts and run it as the Pulumi language host would, with `@hdr/vers` = this SDK. */
function runExample(name: string): Exports {
  const file = join(repoRoot(), 'examples', name, 'index.ts');
  const js = ts.transpileModule(readFileSync(file, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: file,
  }).outputText;
  const modules: Record<string, unknown> = { '@hdr/vers': vers, '@pulumi/pulumi': pulumi, '@pulumi/terraform': terraform };
  const load = (id: string): unknown => modules[id] ?? require(id);
  const module = { exports: {} as Exports };
  new Function('exports', 'require', 'module', '__filename', '__dirname', js)(module.exports, load, module, file, dirname(file));
  return module.exports;
}

/** The value of an Output (or Input) once it is known. */
function known<T>(value: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => {
    pulumi.output(value).apply((plain) => {
      resolve(plain as T);
    });
  });
}

/** Whether an Output ends up known (false for preview unknowns). */
async function isKnown(value: pulumi.Output<unknown>): Promise<boolean> {
  return (value as unknown as { isKnown: Promise<boolean> }).isKnown;
}

function stackConfig(local: VersLocalProcess): Props {
  const ready = local.ready;
  return { apiKey: secret(ready.api_key), baseUrl: ready.base_url, vmDomain: ready.vm_domain, sshGateway: ready.ssh_gateway, tlsCaFile: ready.tls_ca_file };
}

describe('SDK programs through the real plugin, against vers-local', () => {
  let local: VersLocalProcess;
  let plugin: PluginHarness;
  let workDir: string;

  beforeAll(async () => {
    local = await startVersLocal();
    plugin = await PluginHarness.start();
    await plugin.configure(stackConfig(local));
    workDir = mkdtempSync(join(tmpdir(), 'vers-sdk-'));
  });

  afterAll(async () => {
    await plugin?.close();
    rmSync(workDir, { recursive: true, force: true });
    await local?.stop();
  });

  test('previewing examples/pulumi-golden-image plans every resource and creates nothing', async () => {
    const mocks = new PluginMocks(plugin, { preview: true });
    await pulumi.runtime.setMocks(mocks, 'vers-golden-image', 'dev', true);
    pulumi.runtime.setConfig('vers-golden-image:workerCount', '2');
    const stack = runExample('pulumi-golden-image');
    expect(await isKnown(stack.goldenCommitId as pulumi.Output<string>)).toBe(false);
    const workerIds = stack.workerVmIds as pulumi.Output<string>[];
    expect(workerIds).toHaveLength(2);
    for (const id of workerIds) expect(await isKnown(id)).toBe(false);
    expect(mocks.registrations.map((registration) => registration.type).filter((type) => type.startsWith('vers:')).sort()).toEqual([
      'vers:index:Provision',
      'vers:index:Vm',
      'vers:index:VmCommit',
      'vers:index:VmRestore',
      'vers:index:VmRestore',
    ]);
    expect((await local.api('GET', '/vms')).json<unknown[]>()).toEqual([]);
  });

  test('examples/pulumi-golden-image builds, provisions and commits the golden VM and restores the workers from it', async () => {
    const mocks = new PluginMocks(plugin);
    await pulumi.runtime.setMocks(mocks, 'vers-golden-image', 'dev', false);
    pulumi.runtime.setConfig('vers-golden-image:workerCount', '2');
    try {
      const stack = runExample('pulumi-golden-image');
      const commitId = await known(stack.goldenCommitId as pulumi.Output<string>);
      const workerIds = await Promise.all((stack.workerVmIds as pulumi.Output<string>[]).map((id) => known(id)));
      expect(commitId).toMatch(/^[0-9a-f-]{36}$/);
      expect(workerIds).toHaveLength(2);

      const commit = mocks.registrations.find((registration) => registration.type === 'vers:index:VmCommit');
      // The commit follows the provisioning run's id.
      const provision = mocks.created.find((state) => state.type === 'vers:index:Provision');
      expect(provision?.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(commit?.inputs).toMatchObject({ name: 'golden', deleteOnDestroy: true, triggers: { provision: provision?.id } });
      for (const workerId of workerIds) {
        const metadata = (await local.api('GET', `/vm/${workerId}/metadata`)).json<{ parent_commit_id: string }>();
        expect(metadata.parent_commit_id).toBe(commitId);
        const run = await local.ssh(workerId, 'cat /opt/app/BUILD');
        expect(run.stdout).toMatch(/^golden image built /);
      }
      const golden = mocks.created.find((state) => state.type === 'vers:index:Vm');
      expect(isSecret(golden?.outputs.sshPrivateKey)).toBe(true);
    } finally {
      await mocks.destroyAll();
    }
    expect((await local.api('GET', '/vms')).json<unknown[]>()).toEqual([]);
  });

  test('resource outputs the schema marks secret reach the program as secrets', async () => {
    const mocks = new PluginMocks(plugin);
    await pulumi.runtime.setMocks(mocks, 'vers-secrets', 'dev', false);
    try {
      const vm = new vers.Vm('keyed', { labels: { purpose: 'secret-check' } });
      const key = vm.sshPrivateKey;
      expect(await known(key)).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
      expect(await pulumi.isSecret(key)).toBe(true);
      expect(await pulumi.isSecret(vm.ip)).toBe(false);
      expect(await known(vm.state)).toBe('running');
    } finally {
      await mocks.destroyAll();
    }
  });

  test('an explicit vers.Provider sends its settings to the plugin, the API key as a secret and booleans as text', async () => {
    const fresh = await PluginHarness.start();
    const mocks = new PluginMocks(fresh);
    await pulumi.runtime.setMocks(mocks, 'vers-explicit', 'dev', false);
    try {
      const ready = local.ready;
      const provider = new vers.Provider('local', {
        apiKey: ready.api_key,
        baseUrl: ready.base_url,
        vmDomain: ready.vm_domain,
        sshGateway: ready.ssh_gateway,
        tlsCaFile: ready.tls_ca_file,
        insecureSkipTlsVerify: false,
      });
      const vms = vers.getVmsOutput({ labels: { team: 'nobody' } }, { provider });
      expect(await known(vms.vms)).toEqual([]);
      const registered = mocks.registrations.find((registration) => registration.type === 'pulumi:providers:vers');
      expect(registered?.inputs.apiKey).toEqual(secret(ready.api_key));
      expect(registered?.inputs.insecureSkipTlsVerify).toBe('false');
    } finally {
      await fresh.close();
    }
  });

  test('getCommit and getVms through the SDK return the plugin’s answers, and a bad argument fails with its property', async () => {
    const engine = new MiniEngine(plugin);
    const vm = (await engine.register('vers:index:Vm', 'listed', { labels: { team: 'sdk' } })).state;
    const commit = (await engine.register('vers:index:VmCommit', 'listed', { vmId: vm.id, name: 'sdk-commit' })).state;
    try {
      await pulumi.runtime.setMocks(new PluginMocks(plugin), 'vers-functions', 'dev', false);
      const found = await vers.getCommit({ commitId: commit.id });
      expect(found).toMatchObject({ commitId: commit.id, name: 'sdk-commit', parentVmId: vm.id, ancestry: [] });
      const listed = await known(vers.getVmsOutput({ labels: { team: 'sdk' } }).vms);
      expect(listed.map((summary) => summary.vmId)).toEqual([vm.id]);
      await expect(vers.getCommit({ commitId: 'not-a-commit' })).rejects.toThrow(/commitId: must be a UUID/);
    } finally {
      await engine.destroy(commit);
      await engine.destroy(vm);
    }
  });

  test('examples/pulumi-from-terraform restores workers from the golden_commit_id output of a Terraform state', async () => {
    const engine = new MiniEngine(plugin);
    const golden = (await engine.register('vers:index:Vm', 'tf-golden', { labels: { role: 'golden' } })).state;
    const commit = (await engine.register('vers:index:VmCommit', 'tf-golden', { vmId: golden.id, name: 'terraform-golden' })).state;
    // What `terraform apply` in examples/golden-image leaves behind (tfstate version 4).
    const statePath = join(workDir, 'terraform.tfstate');
    writeFileSync(statePath, JSON.stringify({ version: 4, terraform_version: '1.9.0', serial: 3, lineage: 'test', outputs: { golden_commit_id: { value: commit.id, type: 'string' } }, resources: [] }));

    const mocks = new PluginMocks(plugin, { projectDir: join(repoRoot(), 'examples', 'pulumi-from-terraform') });
    await pulumi.runtime.setMocks(mocks, 'vers-from-terraform', 'dev', false);
    pulumi.runtime.setConfig('vers-from-terraform:terraformStatePath', statePath);
    pulumi.runtime.setConfig('vers-from-terraform:workerCount', '2');
    try {
      const stack = runExample('pulumi-from-terraform');
      expect(await known(stack.goldenCommitId as pulumi.Output<string>)).toBe(commit.id);
      expect(await known(stack.goldenCommitName as pulumi.Output<string>)).toBe('terraform-golden');
      const workerIds = await Promise.all((stack.workerVmIds as pulumi.Output<string>[]).map((id) => known(id)));
      expect(workerIds).toHaveLength(2);
      for (const workerId of workerIds) {
        const metadata = (await local.api('GET', `/vm/${workerId}/metadata`)).json<{ parent_commit_id: string }>();
        expect(metadata.parent_commit_id).toBe(commit.id);
      }
    } finally {
      await mocks.destroyAll();
      await engine.destroy(commit);
      await engine.destroy(golden);
    }
    expect((await local.api('GET', '/vms')).json<unknown[]>()).toEqual([]);
  });
});
