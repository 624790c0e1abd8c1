import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { generateServerCertificate } from '../../bridges/terraform/plugin/self-signed-cert';
import { startProvider, type ProviderProcess } from './harness/provider-process';
import { NULL_VALUE, TF_UNKNOWN, dynamic, dynamicValue, objectOf, readValue, refinedUnknownString, type BlockMessage } from './harness/wire-values';

/**
 * The bridge at the gRPC level, with a harness playing Terraform core: the
 * go-plugin handshake and mutual TLS, the generated schema, unknown values,
 * Shutdown and StopProvider. Resource behaviour here comes from the fixture
 * lifecycle (tests/tfbridge/fixtures), which exists only to drive the
 * protocol: it proves nothing about Vers resources.
 */

const FIXTURE_PROVIDER = join(__dirname, 'fixtures', 'fixture-provider-main.js');
const REAL_PROVIDER = join(__dirname, '..', '..', 'bridges', 'terraform', 'main.js');

interface Diagnostic {
  severity: string;
  summary: string;
  detail: string;
  attribute?: { steps: Array<Record<string, unknown>> } | null;
}

interface AttributeMessage {
  name: string;
  type: Buffer;
  required: boolean;
  optional: boolean;
  computed: boolean;
  sensitive: boolean;
}

type SchemaBlock = Omit<BlockMessage, 'attributes'> & { attributes: AttributeMessage[] };

interface SchemaResponse {
  provider: { block: SchemaBlock };
  resource_schemas: Record<string, { block: SchemaBlock }>;
  data_source_schemas: Record<string, { block: BlockMessage }>;
  server_capabilities: { plan_destroy: boolean; get_provider_schema_optional: boolean };
  diagnostics: Diagnostic[];
}

let workDir: string;
const started: ProviderProcess[] = [];

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'tfbridge-protocol-'));
});

afterEach(async () => {
  for (const provider of started.splice(0)) {
    provider.kill();
    await provider.exited;
  }
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

async function fixtureProvider(options: { protocolVersions?: string } = {}): Promise<ProviderProcess> {
  const provider = await startProvider({
    command: process.execPath,
    args: [FIXTURE_PROVIDER],
    env: { FIXTURE_STORE: join(workDir, 'store.json') },
    ...options,
  });
  started.push(provider);
  return provider;
}

async function thingBlock(provider: ProviderProcess): Promise<BlockMessage> {
  const schema = await provider.call<SchemaResponse>('GetProviderSchema');
  return schema.resource_schemas.fixture_thing!.block;
}

function stepsOf(diagnostic: Diagnostic | undefined): unknown[] {
  return (diagnostic?.attribute?.steps ?? []).map((step) => {
    const selector = (step as { selector?: string }).selector;
    return selector === undefined ? step : { [selector]: step[selector] };
  });
}

describe('the go-plugin server', () => {
  test('run by hand without the magic cookie, it explains itself on stderr and exits 1 with nothing on stdout', () => {
    const env = { ...process.env };
    delete env.TF_PLUGIN_MAGIC_COOKIE;
    const result = spawnSync(process.execPath, [FIXTURE_PROVIDER], { env: { ...env, FIXTURE_STORE: join(workDir, 'store.json') }, encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/This binary is a plugin\. These are not meant to be executed directly\./);
    expect(result.stderr).toMatch(/required_providers/);
  });

  test.each(['5,6', '6,5'])('offered protocols "%s", it prints one handshake line for protocol 6 with an unpadded certificate for localhost', async (versions) => {
    const provider = await fixtureProvider({ protocolVersions: versions });
    expect(provider.handshakeLine).toMatch(/^1\|6\|tcp\|127\.0\.0\.1:\d+\|grpc\|[A-Za-z0-9+/]{51,}\n$/);
    const certificate = new X509Certificate(provider.handshake.serverCertPem ?? '');
    expect(certificate.subjectAltName).toBe('DNS:localhost');
    expect(certificate.ca).toBe(true);
    await provider.call('GetProviderSchema');
    expect(provider.stdout()).toBe(provider.handshakeLine);
  });

  test('serves Terraform over mutual TLS and refuses a client with another certificate or none', async () => {
    const provider = await fixtureProvider();
    await expect(provider.call('GetProviderSchema')).resolves.toBeDefined();
    const rpc = (client: grpc.Client): Promise<unknown> =>
      new Promise((resolve, reject) =>
        (client as unknown as { GetProviderSchema: (request: unknown, options: grpc.CallOptions, callback: (error: Error | null, response: unknown) => void) => void }).GetProviderSchema(
          {},
          { deadline: Date.now() + 5000 },
          (error, response) => (error ? reject(error) : resolve(response)),
        ),
      );
    await expect(rpc(provider.client('provider', generateServerCertificate()))).rejects.toMatchObject({ code: 14 }); // UNAVAILABLE
    await expect(rpc(provider.client('provider', 'none'))).rejects.toMatchObject({ code: 14 });
  });

  test('answers the go-plugin health check for "plugin" and leaves unknown RPCs UNIMPLEMENTED', async () => {
    const provider = await fixtureProvider();
    await expect(provider.call('Check', { service: 'plugin' }, 'health')).resolves.toEqual({ status: 'SERVING' });
    const client = provider.client('provider') as unknown as Record<string, unknown>;
    expect(typeof client.GetResourceIdentitySchemas).toBe('undefined');
    await expect(provider.call('CallFunction', { name: 'nope', arguments: [] })).resolves.toMatchObject({ error: { text: expect.stringMatching(/no function "nope"/) } });
  });

  test('exits within a fraction of a second of GRPCController.Shutdown (Terraform SIGKILLs after 2 s)', async () => {
    const provider = await fixtureProvider();
    await provider.call('GetProviderSchema');
    const { elapsedMs, exit } = await provider.shutdown();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(elapsedMs).toBeLessThan(1000);
  });

  test('the real entry point starts quickly, serves the generated Vers schema and shuts down', async () => {
    const before = Date.now();
    const provider = await startProvider({ command: process.execPath, args: [REAL_PROVIDER] });
    started.push(provider);
    const startupMs = Date.now() - before;
    const schema = await provider.call<SchemaResponse>('GetProviderSchema');
    expect(schema.diagnostics).toEqual([]);
    expect(Object.keys(schema.resource_schemas).sort()).toEqual(['vers_provision', 'vers_vm', 'vers_vm_branch', 'vers_vm_commit', 'vers_vm_restore']);
    expect(Object.keys(schema.data_source_schemas).sort()).toEqual(['vers_commit', 'vers_vms']);
    expect(schema.provider.block.attributes.find((attribute) => attribute.name === 'api_key')?.sensitive).toBe(true);
    const provision = schema.resource_schemas.vers_provision!.block;
    expect(provision.block_types.map((nested) => [nested.type_name, nested.nesting])).toEqual([['file', 'LIST']]);
    const vm = schema.resource_schemas.vers_vm!.block.attributes;
    expect(vm.find((attribute) => attribute.name === 'ssh_private_key')).toMatchObject({ computed: true, sensitive: true });
    expect(vm.find((attribute) => attribute.name === 'labels')?.type.toString()).toBe('["map","string"]');
    expect(schema.server_capabilities).toMatchObject({ plan_destroy: false, get_provider_schema_optional: true });
    expect(await provider.shutdown()).toMatchObject({ exit: { code: 0 }, elapsedMs: expect.any(Number) });
    process.stderr.write(`tfbridge: real provider start-up to handshake ${startupMs} ms\n`);
    expect(startupMs).toBeLessThan(5000);
  });
});

describe('tfplugin6 RPCs through the bridge (fixture lifecycle)', () => {
  test('validation ignores unknown values and points check failures at Terraform attribute paths', async () => {
    const provider = await fixtureProvider();
    const block = await thingBlock(provider);
    const withUnknowns = await provider.call<{ diagnostics: Diagnostic[] }>('ValidateResourceConfig', {
      type_name: 'fixture_thing',
      config: dynamicValue(objectOf(block, { name: TF_UNKNOWN, color: refinedUnknownString('re'), part: [{ part_name: TF_UNKNOWN, size: TF_UNKNOWN }] })),
    });
    expect(withUnknowns.diagnostics).toEqual([]);

    const invalid = await provider.call<{ diagnostics: Diagnostic[] }>('ValidateResourceConfig', {
      type_name: 'fixture_thing',
      config: dynamicValue(objectOf(block, { name: 'a', part: [{ part_name: 'ok' }, { part_name: 'zero', size: 0 }] })),
    });
    expect(invalid.diagnostics).toHaveLength(1);
    expect(invalid.diagnostics[0]).toMatchObject({ severity: 'ERROR', summary: 'Invalid value for part[1].size', detail: 'part[1].size must be at least 1.' });
    expect(stepsOf(invalid.diagnostics[0])).toEqual([{ attribute_name: 'part' }, { element_key_int: 1 }, { attribute_name: 'size' }]);
  });

  test('a create plan keeps unknown config values, plans computed attributes as unknown and fills what check knows', async () => {
    const provider = await fixtureProvider();
    const block = await thingBlock(provider);
    const config = objectOf(block, { name: refinedUnknownString('thing-'), tags: { a: TF_UNKNOWN, b: 'known' }, part: [{ part_name: 'p1' }] });
    const plan = await provider.call<{ planned_state: { msgpack: Buffer }; requires_replace: unknown[]; diagnostics: Diagnostic[] }>('PlanResourceChange', {
      type_name: 'fixture_thing',
      prior_state: NULL_VALUE,
      proposed_new_state: dynamicValue(config),
      config: dynamicValue(config),
    });
    expect(plan.diagnostics).toEqual([]);
    expect(plan.requires_replace).toEqual([]);
    const planned = readValue(plan.planned_state) as Record<string, unknown>;
    expect(planned).toMatchObject({
      id: '<unknown>',
      serial: '<unknown>',
      revision: '<unknown>',
      name: '<unknown>', // sent back as a plain unknown (refinements are never sent)
      tags: { a: '<unknown>', b: 'known' },
      size: 3, // the default check filled in
      part: [{ part_name: 'p1', size: 1, digest: expect.stringMatching(/^[0-9a-f]{12}$/) }],
      secret_value: '<unknown>',
    });
  });

  test('create, read, in-place update, replacement, import and delete, with private state carried through', async () => {
    const provider = await fixtureProvider();
    await provider.call('ConfigureProvider', { terraform_version: '1.11.4', config: dynamicValue({ endpoint: 'http://x', token: null }) });
    const block = await thingBlock(provider);
    const config = objectOf(block, { name: 'alpha', tags: { env: 'dev' }, anything: dynamic('string', 'x'), part: [{ part_name: 'p1' }] });
    const plan = await provider.call<{ planned_state: { msgpack: Buffer }; planned_private: Buffer }>('PlanResourceChange', {
      type_name: 'fixture_thing',
      prior_state: NULL_VALUE,
      proposed_new_state: dynamicValue(config),
      config: dynamicValue(config),
    });
    const applied = await provider.call<{ new_state: { msgpack: Buffer }; private: Buffer; diagnostics: Diagnostic[] }>('ApplyResourceChange', {
      type_name: 'fixture_thing',
      prior_state: NULL_VALUE,
      planned_state: plan.planned_state,
      config: dynamicValue(config),
      planned_private: Buffer.from('pp1'),
    });
    expect(applied.diagnostics).toEqual([]);
    expect(applied.private.toString()).toBe('pp1');
    const state = readValue(applied.new_state) as Record<string, unknown>;
    expect(state).toMatchObject({ name: 'alpha', serial: `serial-${String(state.id)}`, revision: 0, size: 3, anything: ['"string"', 'x'], entries: [{ entry_key: 'size', entry_value: 3 }] });
    expect(JSON.stringify(state)).not.toContain('<unknown');

    const read = await provider.call<{ new_state: { msgpack: Buffer }; private: Buffer }>('ReadResource', { type_name: 'fixture_thing', current_state: applied.new_state, private: applied.private });
    expect(read.new_state.msgpack.equals(applied.new_state.msgpack)).toBe(true);
    expect(read.private.toString()).toBe('pp1');

    // In place: tags change; serial is stable, revision is recomputed.
    const updatedConfig = { ...config, tags: { env: 'prod' } };
    const proposed = { ...state, tags: { env: 'prod' }, anything: dynamic('string', 'x') };
    const updatePlan = await provider.call<{ planned_state: { msgpack: Buffer }; requires_replace: unknown[]; planned_private: Buffer }>('PlanResourceChange', {
      type_name: 'fixture_thing',
      prior_state: applied.new_state,
      proposed_new_state: dynamicValue(proposed),
      config: dynamicValue(updatedConfig),
      prior_private: Buffer.from('pp1'),
    });
    expect(updatePlan.requires_replace).toEqual([]);
    expect(updatePlan.planned_private.toString()).toBe('pp1');
    expect(readValue(updatePlan.planned_state)).toMatchObject({ id: state.id, serial: state.serial, revision: '<unknown>', tags: { env: 'prod' } });
    const updated = await provider.call<{ new_state: { msgpack: Buffer }; diagnostics: Diagnostic[] }>('ApplyResourceChange', {
      type_name: 'fixture_thing',
      prior_state: applied.new_state,
      planned_state: updatePlan.planned_state,
      config: dynamicValue(updatedConfig),
      planned_private: Buffer.from('pp1'),
    });
    expect(updated.diagnostics).toEqual([]);
    expect(readValue(updated.new_state)).toMatchObject({ id: state.id, revision: 1, tags: { env: 'prod' } });

    // A new name replaces: the path Terraform checks is `name`.
    const renamed = { ...updatedConfig, name: 'beta' };
    const replacePlan = await provider.call<{ requires_replace: Array<{ steps: unknown[] }> }>('PlanResourceChange', {
      type_name: 'fixture_thing',
      prior_state: updated.new_state,
      proposed_new_state: dynamicValue({ ...(readValue(updated.new_state) as object), name: 'beta', anything: dynamic('string', 'x') }),
      config: dynamicValue(renamed),
    });
    expect(replacePlan.requires_replace.map((path) => path.steps.map((step) => (step as { attribute_name?: string }).attribute_name))).toEqual([['name']]);

    const imported = await provider.call<{ imported_resources: Array<{ type_name: string; state: { msgpack: Buffer } }>; diagnostics: Diagnostic[] }>('ImportResourceState', {
      type_name: 'fixture_thing',
      id: String(state.id),
    });
    expect(imported.diagnostics).toEqual([]);
    expect(imported.imported_resources).toHaveLength(1);
    expect(readValue(imported.imported_resources[0]!.state)).toMatchObject({ id: state.id, name: 'alpha', revision: 1 });

    const deleted = await provider.call<{ new_state: { msgpack: Buffer }; diagnostics: Diagnostic[] }>('ApplyResourceChange', {
      type_name: 'fixture_thing',
      prior_state: updated.new_state,
      planned_state: NULL_VALUE,
      config: NULL_VALUE,
    });
    expect(deleted.diagnostics).toEqual([]);
    expect(readValue(deleted.new_state)).toBeNull();
    const gone = await provider.call<{ new_state: { msgpack: Buffer } }>('ReadResource', { type_name: 'fixture_thing', current_state: updated.new_state });
    expect(readValue(gone.new_state)).toBeNull();
    const missing = await provider.call<{ diagnostics: Diagnostic[] }>('ImportResourceState', { type_name: 'fixture_thing', id: String(state.id) });
    expect(missing.diagnostics[0]?.summary).toBe('Cannot import non-existent remote object');
  });

  test('a create that fails after the thing exists returns its state with an error, so Terraform taints it', async () => {
    const provider = await fixtureProvider();
    const block = await thingBlock(provider);
    const config = objectOf(block, { name: 'half', fail_after_create: true });
    const plan = await provider.call<{ planned_state: { msgpack: Buffer } }>('PlanResourceChange', {
      type_name: 'fixture_thing',
      prior_state: NULL_VALUE,
      proposed_new_state: dynamicValue(config),
      config: dynamicValue(config),
    });
    const applied = await provider.call<{ new_state: { msgpack: Buffer }; diagnostics: Diagnostic[] }>('ApplyResourceChange', {
      type_name: 'fixture_thing',
      prior_state: NULL_VALUE,
      planned_state: plan.planned_state,
      config: dynamicValue(config),
    });
    const state = readValue(applied.new_state) as Record<string, unknown>;
    expect(state).toMatchObject({ id: expect.stringMatching(/^thing-/), name: 'half' });
    expect(applied.diagnostics[0]).toMatchObject({ severity: 'ERROR', summary: 'Error creating fixture_thing: created but not completed' });
    expect(applied.diagnostics[0]?.detail).toMatch(/tainted/);
    expect(applied.diagnostics[0]?.detail).toMatch(/PARTIAL_CREATE/);
  });

  test('StopProvider cancels a create that is still running', async () => {
    const provider = await fixtureProvider();
    const block = await thingBlock(provider);
    const config = objectOf(block, { name: 'slow', sleep_ms: 60_000 });
    const plan = await provider.call<{ planned_state: { msgpack: Buffer } }>('PlanResourceChange', {
      type_name: 'fixture_thing',
      prior_state: NULL_VALUE,
      proposed_new_state: dynamicValue(config),
      config: dynamicValue(config),
    });
    const before = Date.now();
    const applying = provider.call<{ new_state: { msgpack: Buffer }; diagnostics: Diagnostic[] }>('ApplyResourceChange', {
      type_name: 'fixture_thing',
      prior_state: NULL_VALUE,
      planned_state: plan.planned_state,
      config: dynamicValue(config),
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expect(provider.call('StopProvider')).resolves.toEqual({ Error: '' });
    const applied = await applying;
    expect(Date.now() - before).toBeLessThan(5000);
    expect(readValue(applied.new_state)).toBeNull();
    expect(applied.diagnostics[0]).toMatchObject({ summary: 'Error creating fixture_thing' });
    expect(applied.diagnostics[0]?.detail).toMatch(/cancelled[\s\S]*CANCELLED/);
  });

  test('secrets from sensitive attributes are blanked out of diagnostics', async () => {
    const provider = await fixtureProvider();
    const secret = 'tok-4f1e9a0b7c2d';
    const configured = await provider.call<{ diagnostics: Diagnostic[] }>('ConfigureProvider', {
      terraform_version: '1.11.4',
      config: dynamicValue({ endpoint: 'http://leak.invalid', token: secret }),
    });
    expect(configured.diagnostics).toHaveLength(1);
    expect(configured.diagnostics[0]?.detail).toContain('[REDACTED]');
    expect(JSON.stringify(configured.diagnostics)).not.toContain(secret);
    expect(stepsOf(configured.diagnostics[0])).toEqual([{ attribute_name: 'token' }]);
    expect(provider.stderr()).not.toContain(secret);
  });

  test('warnings of the configuration become warning diagnostics of ConfigureProvider', async () => {
    const provider = await fixtureProvider();
    const configured = await provider.call<{ diagnostics: Diagnostic[] }>('ConfigureProvider', { terraform_version: '1.11.4', config: dynamicValue({ endpoint: 'http://warn.invalid', token: null }) });
    expect(configured.diagnostics).toEqual([expect.objectContaining({ severity: 'WARNING', summary: 'Insecure provider setting endpoint', detail: 'the endpoint warn.invalid is only for tests.' })]);
  });

  test('provider configuration is checked by the backend and unknown provider arguments are refused with a reason', async () => {
    const provider = await fixtureProvider();
    const invalid = await provider.call<{ diagnostics: Diagnostic[] }>('ValidateProviderConfig', { config: dynamicValue({ endpoint: 'ftp://x', token: null }) });
    expect(invalid.diagnostics[0]).toMatchObject({ summary: 'Invalid value for endpoint', detail: 'endpoint must start with http:// or https://.' });
    const unknown = await provider.call<{ diagnostics: Diagnostic[] }>('ConfigureProvider', { config: dynamicValue({ endpoint: TF_UNKNOWN, token: null }) });
    expect(unknown.diagnostics[0]?.summary).toBe('Provider configuration depends on values not known yet');
  });

  test('UpgradeResourceState reads indented and compact state JSON, dynamic values included, and drops removed attributes', async () => {
    const provider = await fixtureProvider();
    const stored = {
      id: 'thing-1',
      name: 'a',
      size: 3,
      removed_long_ago: 'x',
      anything: { value: { k: 1 }, type: ['object', { k: 'number' }] },
      tags: { env: 'dev' },
    };
    for (const json of [JSON.stringify(stored, null, 2), JSON.stringify(stored)]) {
      const upgraded = await provider.call<{ upgraded_state: { msgpack: Buffer }; diagnostics: Diagnostic[] }>('UpgradeResourceState', {
        type_name: 'fixture_thing',
        version: 0,
        raw_state: { json: Buffer.from(json) },
      });
      expect(upgraded.diagnostics).toEqual([]);
      const value = readValue(upgraded.upgraded_state) as Record<string, unknown>;
      expect(value).toMatchObject({ id: 'thing-1', name: 'a', size: 3, tags: { env: 'dev' }, part: [], serial: null, anything: ['["object",{"k":"number"}]', { k: 1 }] });
      expect(value).not.toHaveProperty('removed_long_ago');
    }
    const newer = await provider.call<{ diagnostics: Diagnostic[] }>('UpgradeResourceState', { type_name: 'fixture_thing', version: 7, raw_state: { json: Buffer.from('{}') } });
    expect(newer.diagnostics[0]?.summary).toBe('Resource state written by a newer provider');
  });

  test('ReadDataSource returns the configuration with the outputs, and an actionable error when nothing matches', async () => {
    const provider = await fixtureProvider();
    const block = await thingBlock(provider);
    const config = objectOf(block, { name: 'findme', size: 9 });
    const plan = await provider.call<{ planned_state: { msgpack: Buffer } }>('PlanResourceChange', { type_name: 'fixture_thing', prior_state: NULL_VALUE, proposed_new_state: dynamicValue(config), config: dynamicValue(config) });
    const created = await provider.call<{ new_state: { msgpack: Buffer } }>('ApplyResourceChange', { type_name: 'fixture_thing', prior_state: NULL_VALUE, planned_state: plan.planned_state, config: dynamicValue(config) });
    const state = readValue(created.new_state) as Record<string, unknown>;
    const found = await provider.call<{ state: { msgpack: Buffer }; diagnostics: Diagnostic[] }>('ReadDataSource', {
      type_name: 'fixture_thing',
      config: dynamicValue({ name: 'findme', serial: null, size: null }),
    });
    expect(found.diagnostics).toEqual([]);
    expect(readValue(found.state)).toEqual({ name: 'findme', serial: state.serial, size: 9 });
    const missing = await provider.call<{ diagnostics: Diagnostic[] }>('ReadDataSource', { type_name: 'fixture_thing', config: dynamicValue({ name: 'nobody', serial: null, size: null }) });
    expect(missing.diagnostics[0]).toMatchObject({ summary: 'Error reading data source fixture_thing', detail: expect.stringMatching(/create it first[\s\S]*NOT_FOUND/) });
  });
});
