import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../../core/base/repo-root';
import { coreBackend } from '../core-backend';
import { StderrLogger } from '../log/stderr-logger';
import { ProviderService } from '../provider-service';
import type { NameMap } from '../schema/name-map';
import type { TfProviderSchema } from '../schema/tf-schema';
import { descriptorPath, type ProtoDescriptor } from './proto-descriptor';
import { buildProtoDescriptor } from '../../../codegen/terraform/proto-descriptor-generate';
import { loadServiceDefinitions } from '../../../tests/tfbridge/harness/proto-definitions';
import { ProtobufCodec } from './protobuf-codec';

/**
 * The start-up codec must be indistinguishable from @grpc/proto-loader,
 * which the provider service was written against and the protocol tests'
 * client still uses: every sample goes both ways through both and must come
 * out equal.
 */

const descriptor = JSON.parse(readFileSync(descriptorPath(), 'utf8')) as ProtoDescriptor;
const codec = new ProtobufCodec(descriptor);
const definitions = loadServiceDefinitions();

type Method = { requestSerialize(v: unknown): Buffer; requestDeserialize(b: Buffer): unknown; responseSerialize(v: unknown): Buffer; responseDeserialize(b: Buffer): unknown };
function method(rpc: string): Method {
  return (definitions.provider as unknown as Record<string, Method>)[rpc] as Method;
}

function realSchemaResponse(): unknown {
  const read = <T>(name: string): T => JSON.parse(readFileSync(join(repoRoot(), 'bridges', 'terraform', 'generated', name), 'utf8')) as T;
  const service = new ProviderService({ schema: read<TfProviderSchema>('provider-schema.json'), names: read<NameMap>('name-map.json'), backend: coreBackend({}), logger: new StderrLogger({ write: () => undefined }) });
  return service.getProviderSchema();
}

const diagnostics = [
  { severity: 'ERROR', summary: 'bad', detail: 'très mauvais ✓', attribute: { steps: [{ attribute_name: 'file' }, { element_key_int: 1 }, { attribute_name: 'source' }] } },
  { severity: 'WARNING', summary: 'keys', detail: '', attribute: { steps: [{ element_key_string: 'a' }, { element_key_int: -5 }, { element_key_int: 2 ** 40 }] } },
  { severity: 'INVALID', summary: '', detail: '' },
];

describe('the start-up protobuf codec', () => {
  test('proto-descriptor.json is up to date with bridges/terraform/proto', () => {
    expect(descriptor).toEqual(JSON.parse(JSON.stringify(buildProtoDescriptor())));
  });

  test.each([
    ['GetProviderSchema', {}],
    ['PlanResourceChange', { type_name: 'vers_vm', prior_state: { msgpack: Buffer.from([0x80, 0xc0, 0xff]) }, proposed_new_state: { json: Buffer.from('{"a":1}') }, config: { msgpack: Buffer.alloc(0) }, prior_private: Buffer.from('p'), client_capabilities: { deferral_allowed: true } }],
    ['ApplyResourceChange', { type_name: 'vers_provision', planned_state: { msgpack: Buffer.from('x') } }],
    ['UpgradeResourceState', { type_name: 'vers_vm', version: 3, raw_state: { json: Buffer.from('{}'), flatmap: { 'a.#': '1', b: '' } } }],
    ['ImportResourceState', { type_name: 'vers_vm', id: 'abc' }],
    ['ConfigureProvider', { terraform_version: '1.11.4', config: { msgpack: Buffer.from([0x81]) } }],
  ])('decodes a %s request exactly as proto-loader does', (rpc, request) => {
    const bytes = method(rpc).requestSerialize(request);
    expect(codec.decode(requestTypeOf(rpc), bytes)).toEqual(method(rpc).requestDeserialize(bytes));
  });

  test.each([
    ['GetProviderSchema (the real schema)', 'GetProviderSchema', realSchemaResponse()],
    ['PlanResourceChange with diagnostics and requires_replace paths', 'PlanResourceChange', { planned_state: { msgpack: Buffer.from([1, 2, 3]) }, requires_replace: diagnostics.slice(0, 2).map((d) => d.attribute), planned_private: Buffer.alloc(0), diagnostics, legacy_type_system: false }],
    ['ValidateResourceConfig with diagnostics', 'ValidateResourceConfig', { diagnostics }],
    ['ReadResource with a null state', 'ReadResource', { new_state: null, diagnostics: [], private: Buffer.alloc(0) }],
    ['GetMetadata', 'GetMetadata', { server_capabilities: { plan_destroy: true, get_provider_schema_optional: false }, diagnostics: [], resources: [{ type_name: 'vers_vm' }], data_sources: [{ type_name: 'vers_vms' }], functions: [] }],
    ['CallFunction with an error argument', 'CallFunction', { result: { json: Buffer.from('1') }, error: { text: 'no', function_argument: 0 } }],
    ['CallFunction with an error without argument', 'CallFunction', { error: { text: 'no' } }],
  ])('encodes %s so that proto-loader reads back what it would have sent', (_name, rpc, response) => {
    const ours = codec.encode(responseTypeOf(rpc), response as Record<string, unknown>);
    const theirs = method(rpc).responseSerialize(response);
    expect(method(rpc).responseDeserialize(ours)).toEqual(method(rpc).responseDeserialize(theirs));
    // And our decoder agrees with proto-loader's on the same bytes.
    expect(codec.decode(responseTypeOf(rpc), theirs)).toEqual(method(rpc).responseDeserialize(theirs));
  });

  test('a truncated message is an error, not a partial object', () => {
    const bytes = method('ImportResourceState').requestSerialize({ type_name: 'vers_vm', id: 'abcdef' });
    expect(() => codec.decode(requestTypeOf('ImportResourceState'), bytes.subarray(0, bytes.length - 2))).toThrow(/truncated/);
  });
});

function requestTypeOf(rpc: string): string {
  return (descriptor.services['tfplugin6.Provider']?.[rpc] as { requestType: string }).requestType;
}

function responseTypeOf(rpc: string): string {
  return (descriptor.services['tfplugin6.Provider']?.[rpc] as { responseType: string }).responseType;
}
