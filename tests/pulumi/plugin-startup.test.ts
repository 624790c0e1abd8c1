import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Empty } from 'google-protobuf/google/protobuf/empty_pb';
import type { PluginInfo } from '@pulumi/pulumi/proto/plugin_pb';
import * as pb from '@pulumi/pulumi/proto/provider_pb';
import { repoRoot } from '../../core/base/repo-root';
import { PluginHarness } from './plugin-harness';

describe('pulumi-resource-vers starts the way the engine expects', () => {
  let plugin: PluginHarness;

  beforeAll(async () => {
    plugin = await PluginHarness.start();
  });

  afterAll(async () => {
    await plugin.close();
  });

  test('the first stdout line is the port and nothing else is written to stdout', async () => {
    expect(plugin.port).toBeGreaterThan(0);
    await plugin.call<PluginInfo>('getPluginInfo', new Empty());
    expect(plugin.stdoutAfterPort).toBe('');
  });

  test('the handshake accepts secrets and declines resource references and output values', async () => {
    expect(await plugin.handshake()).toEqual({
      acceptSecrets: true,
      acceptResources: false,
      acceptOutputs: false,
      supportsAutonamingConfiguration: false,
    });
  });

  test('GetPluginInfo reports the package version from schema.json', async () => {
    const info = await plugin.call<PluginInfo>('getPluginInfo', new Empty());
    const schema = JSON.parse(readFileSync(join(repoRoot(), 'schema.json'), 'utf8')) as { version: string };
    expect(info.getVersion()).toBe(schema.version);
  });

  test('GetSchema serves schema.json as it is in the repository', async () => {
    const response = await plugin.call<pb.GetSchemaResponse>('getSchema', new pb.GetSchemaRequest());
    expect(response.getSchema()).toBe(readFileSync(join(repoRoot(), 'schema.json'), 'utf8'));
  });

  test('Construct is not offered and answers UNIMPLEMENTED, which the engine tolerates', async () => {
    await expect(plugin.call('construct', new pb.ConstructRequest())).rejects.toMatchObject({ code: 12 });
  });

  test('a resource type the schema does not declare is an error naming the type', async () => {
    await expect(plugin.check('vers:index:Nope', 'x', {})).rejects.toMatchObject({ details: expect.stringContaining('vers:index:Nope') });
  });
});
