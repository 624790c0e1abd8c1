import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Empty } from 'google-protobuf/google/protobuf/empty_pb';
import type { PluginInfo } from '@pulumi/pulumi/proto/plugin_pb';
import * as pb from '@pulumi/pulumi/proto/provider_pb';
import { repoRoot } from '../../core/base/repo-root';
import { loadPackageSchema } from '../../core/schema/package-schema';
import type { TfProviderSchema } from '../../bridges/terraform/schema/tf-schema';
import { startProvider, type ProviderProcess } from '../tfbridge/harness/provider-process';
import { PluginHarness, secret, type Props } from '../pulumi/plugin-harness';
import { startVersLocal, type VersLocalProcess } from '../helpers/vers-local';
import { TempDirs, releaseArtifacts, untar, unzip } from './harness';

/**
 * The amd64 release executables, run as a user's machine runs them: no
 * `node` on PATH, no checkout (they read nothing of it), and the user's
 * NODE_OPTIONS kept away from them. The Terraform provider answers the
 * protocol with the generated schema; the Pulumi plugin reports the
 * release version and creates and deletes a VM in vers-local.
 */

const release = releaseArtifacts();
const { layout } = release;
const temp = new TempDirs();
/** What a user's shell may carry that must not matter: no node anywhere, someone's NODE_OPTIONS. */
const USER_ENV = { PATH: '/nonexistent', NODE_OPTIONS: '--require /nonexistent/preload.js', NODE_PATH: '/nonexistent' };

let terraformExecutable: string;
let pulumiExecutable: string;

beforeAll(() => {
  terraformExecutable = join(unzip(release.path(layout.terraformZip('linux_amd64')), temp.make('vers-tf-bin-')), layout.terraformExecutable);
  pulumiExecutable = join(untar(release.path(layout.pulumiTarball('linux_amd64')), temp.make('vers-pulumi-bin-')), layout.pulumiExecutable);
});

afterAll(() => temp.cleanup());

describe('terraform-provider-vers (release executable)', () => {
  let provider: ProviderProcess | undefined;

  afterEach(async () => {
    provider?.kill();
    await provider?.exited;
    provider = undefined;
  });

  test('hands Terraform its go-plugin handshake and serves the generated schema over mutual TLS, then stops on Shutdown', async () => {
    provider = await startProvider({ command: terraformExecutable, env: USER_ENV });
    expect(provider.handshake).toMatchObject({ coreVersion: 1, protocolVersion: 6, network: 'tcp' });
    expect(provider.handshake.serverCertPem).toBeDefined();
    const schema = await provider.call<{ provider: { block: { attributes: Array<{ name: string }> } }; resource_schemas: Record<string, unknown>; data_source_schemas: Record<string, unknown>; diagnostics: unknown[] }>('GetProviderSchema');
    const generated = JSON.parse(readFileSync(join(repoRoot(), 'bridges', 'terraform', 'generated', 'provider-schema.json'), 'utf8')) as TfProviderSchema;
    expect(schema.diagnostics).toEqual([]);
    expect(Object.keys(schema.resource_schemas).sort()).toEqual(Object.keys(generated.resourceSchemas).sort());
    expect(Object.keys(schema.data_source_schemas).sort()).toEqual(Object.keys(generated.dataSourceSchemas).sort());
    expect(schema.provider.block.attributes.map((attribute) => attribute.name).sort()).toEqual(generated.provider.block.attributes.map((attribute) => attribute.name).sort());
    const stopped = await provider.shutdown();
    expect(stopped.exit).toEqual({ code: 0, signal: null });
    // Nothing but the handshake on stdout.
    expect(provider.stdout()).toBe(provider.handshakeLine);
  });

  test('run by hand, without Terraform’s cookie, it says what it is and exits 1', async () => {
    const failed = await startProvider({ command: terraformExecutable, env: USER_ENV, withoutCookie: true }).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(failed?.message).toMatch(/exited \(1\) before its handshake; stderr: This binary is a plugin/);
  });
});

describe('pulumi-resource-vers (release executable)', () => {
  let local: VersLocalProcess;
  let plugin: PluginHarness;

  beforeAll(async () => {
    local = await startVersLocal();
    plugin = await PluginHarness.start({ command: [pulumiExecutable, '--logtostderr', '-v=9'], env: USER_ENV, cwd: temp.make('vers-pulumi-project-') });
  });

  afterAll(async () => {
    await plugin?.close();
    await local?.stop();
  });

  test('reports the release version and schema.json, and prints nothing but its port on stdout', async () => {
    const info = await plugin.call<PluginInfo>('getPluginInfo', new Empty());
    expect(info.getVersion()).toBe(loadPackageSchema().version);
    const schema = await plugin.call<pb.GetSchemaResponse>('getSchema', new pb.GetSchemaRequest());
    expect(schema.getSchema()).toBe(readFileSync(join(repoRoot(), 'schema.json'), 'utf8'));
    expect(plugin.stdoutAfterPort).toBe('');
  });

  test('creates a VM in vers-local and deletes it', async () => {
    const ready = local.ready;
    await plugin.configure({ apiKey: secret(ready.api_key), baseUrl: ready.base_url, vmDomain: ready.vm_domain, sshGateway: ready.ssh_gateway, tlsCaFile: ready.tls_ca_file });
    const VM = 'vers:index:Vm';
    const checked = await plugin.check(VM, 'release', { labels: { from: 'release-binary' } });
    expect(checked.failures).toEqual([]);
    const created = await plugin.create(VM, 'release', checked.inputs);
    expect((await local.api('GET', `/vm/${created.id}/status`)).status).toBe(200);
    expect(created.properties).toMatchObject({ state: 'running', labels: { from: 'release-binary' } } as Props);
    await plugin.delete(VM, 'release', created.id, created.properties, checked.inputs);
    expect((await local.api('GET', `/vm/${created.id}/status`)).status).toBe(404);
  });
});
