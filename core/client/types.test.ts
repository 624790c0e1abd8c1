import { loadSpecValidator } from '../../tests/helpers/spec-schemas';
import type {
  CommitInfo,
  FromCommitVmRequest,
  ListCommitsResponse,
  NewRootRequest,
  NewVmResponse,
  NewVmsResponse,
  OrchestratorVersion,
  UpdateCommitRequest,
  ValidateKeyResponse,
  Vm,
  VmCommitEntity,
  VmCommitRequest,
  VmCommitResponse,
  VmCreateConfig,
  VmDeleteResponse,
  VmExecRequest,
  VmExecResponse,
  VmMetadata,
  VmResizeDiskRequest,
  VmSshKeyResponse,
  VmState,
  VmUpdateState,
  VmUpdateStateRequest,
  LabelVmRequest,
} from './types';

/**
 * The hand-written wire types against the spec, both ways. For each type:
 * - `full` must name every TypeScript field (Required<T>, no extras), and its
 *   keys must equal the schema's properties;
 * - `minimal` must hold exactly the TypeScript-required fields (checked by
 *   `exactlyRequired`), and its keys must equal the schema's `required`;
 * - both must validate against the schema.
 */

type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
function exactlyRequired<T>() {
  return <S extends { [K in RequiredKeys<T>]: T[K] }>(sample: S & Record<Exclude<keyof S, RequiredKeys<T>>, never>): S => sample;
}
function full<T>(sample: Required<T>): Required<T> {
  return sample;
}

const UUID_A = '11111111-2222-4333-8444-555555555555';
const UUID_B = '66666666-7777-4888-9999-aaaaaaaaaaaa';
const TIME = '2026-04-01T12:34:56.123456Z';

interface Case {
  schema: string;
  full: object;
  minimal: object;
}

const commitInfoFull = full<CommitInfo>({ commit_id: UUID_A, owner_id: UUID_B, name: 'n', created_at: '2026-04-01T12:34:56.123456+00:00', is_public: false, description: 'd', parent_vm_id: UUID_A, grandparent_commit_id: null });

const cases: Case[] = [
  { schema: 'VM', full: full<Vm>({ vm_id: UUID_A, owner_id: UUID_B, created_at: TIME, state: 'running', labels: { a: 'b' } }), minimal: exactlyRequired<Vm>()({ vm_id: UUID_A, owner_id: UUID_B, created_at: TIME, state: 'booting' }) },
  {
    schema: 'VmCreateVmConfig',
    full: full<VmCreateConfig>({ vcpu_count: 1, mem_size_mib: 512, fs_size_mib: 1024, image_name: 'default', kernel_name: 'default.bin', labels: {} }),
    minimal: exactlyRequired<VmCreateConfig>()({}),
  },
  { schema: 'NewRootRequest', full: full<NewRootRequest>({ vm_config: {} }), minimal: exactlyRequired<NewRootRequest>()({ vm_config: { vcpu_count: null } }) },
  { schema: 'NewVmResponse', full: full<NewVmResponse>({ vm_id: UUID_A }), minimal: exactlyRequired<NewVmResponse>()({ vm_id: UUID_A }) },
  { schema: 'NewVmsResponse', full: full<NewVmsResponse>({ vms: [{ vm_id: UUID_A }] }), minimal: exactlyRequired<NewVmsResponse>()({ vms: [] }) },
  {
    schema: 'VmMetadataResponse',
    full: full<VmMetadata>({ vm_id: UUID_A, owner_id: UUID_B, created_at: TIME, deleted_at: null, state: 'paused', ip: 'fd00::2', parent_commit_id: UUID_B, grandparent_vm_id: null }),
    minimal: exactlyRequired<VmMetadata>()({ vm_id: UUID_A, owner_id: UUID_B, created_at: TIME, state: 'running', ip: 'fd00::2' }),
  },
  { schema: 'VmDeleteResponse', full: full<VmDeleteResponse>({ vm_id: UUID_A }), minimal: exactlyRequired<VmDeleteResponse>()({ vm_id: UUID_A }) },
  { schema: 'VmUpdateStateRequest', full: full<VmUpdateStateRequest>({ state: 'Paused' }), minimal: exactlyRequired<VmUpdateStateRequest>()({ state: 'Running' }) },
  { schema: 'VmCommitRequest', full: full<VmCommitRequest>({ commit_id: UUID_A, name: 'n', description: null }), minimal: exactlyRequired<VmCommitRequest>()({}) },
  { schema: 'VmCommitResponse', full: full<VmCommitResponse>({ commit_id: UUID_A }), minimal: exactlyRequired<VmCommitResponse>()({ commit_id: UUID_A }) },
  {
    schema: 'VmSshKeyResponse',
    full: full<VmSshKeyResponse>({ ssh_private_key: '-----BEGIN OPENSSH PRIVATE KEY-----\n…', ssh_port: 28001 }),
    minimal: exactlyRequired<VmSshKeyResponse>()({ ssh_private_key: 'k', ssh_port: 28000 }),
  },
  { schema: 'VmResizeDiskRequest', full: full<VmResizeDiskRequest>({ fs_size_mib: 2048 }), minimal: exactlyRequired<VmResizeDiskRequest>()({ fs_size_mib: 2048 }) },
  { schema: 'LabelVmRequest', full: full<LabelVmRequest>({ labels: null }), minimal: exactlyRequired<LabelVmRequest>()({}) },
  {
    schema: 'VmExecRequest',
    full: full<VmExecRequest>({ command: ['bash', '-c', 'true'], env: { A: 'b' }, exec_id: UUID_A, stdin: '', timeout_secs: 0, working_dir: '/root' }),
    minimal: exactlyRequired<VmExecRequest>()({ command: ['true'] }),
  },
  {
    schema: 'VmExecResponse',
    full: full<VmExecResponse>({ exit_code: 1, stdout: '', stderr: 'x', exec_id: null }),
    minimal: exactlyRequired<VmExecResponse>()({ exit_code: 0, stdout: '', stderr: '' }),
  },
  {
    schema: 'CommitInfo',
    full: commitInfoFull,
    minimal: exactlyRequired<CommitInfo>()({ commit_id: UUID_A, owner_id: UUID_B, name: 'n', created_at: TIME, is_public: true }),
  },
  {
    schema: 'ListCommitsResponse',
    full: full<ListCommitsResponse>({ commits: [commitInfoFull], total: 1, limit: 50, offset: 0 }),
    minimal: exactlyRequired<ListCommitsResponse>()({ commits: [], total: 0, limit: 50, offset: 0 }),
  },
  { schema: 'UpdateCommitRequest', full: full<UpdateCommitRequest>({ is_public: true, name: 'n', description: 'd' }), minimal: exactlyRequired<UpdateCommitRequest>()({ is_public: false }) },
  {
    schema: 'VmCommitEntity',
    full: full<VmCommitEntity>({ id: UUID_A, owner_id: UUID_B, name: 'n', created_at: TIME, is_public: false, description: null, parent_vm_id: UUID_B, grandparent_commit_id: null }),
    minimal: exactlyRequired<VmCommitEntity>()({ id: UUID_A, owner_id: UUID_B, name: 'n', created_at: TIME, is_public: false }),
  },
  { schema: 'ValidateKeyResponse', full: full<ValidateKeyResponse>({ valid: true, message: 'ok' }), minimal: exactlyRequired<ValidateKeyResponse>()({ valid: false, message: 'no' }) },
  {
    schema: 'OrchestratorVersion',
    full: full<OrchestratorVersion>({ executable_name: 'orchestrator', workspace_version: '0.1.0', git_hash: 'abc' }),
    minimal: exactlyRequired<OrchestratorVersion>()({ executable_name: 'orchestrator', workspace_version: '0.1.0', git_hash: 'abc' }),
  },
];

const ALL_VM_STATES = ['booting', 'running', 'paused', 'sleeping', 'dead'] as const satisfies readonly VmState[];
const ALL_UPDATE_STATES = ['Paused', 'Running'] as const satisfies readonly VmUpdateState[];
// Compile-time exhaustiveness: these lines fail to type-check if a union member is missing from the lists.
const noMissingVmState: Exclude<VmState, (typeof ALL_VM_STATES)[number]> extends never ? true : never = true;
const noMissingUpdateState: Exclude<VmUpdateState, (typeof ALL_UPDATE_STATES)[number]> extends never ? true : never = true;

describe('wire types match the OpenAPI spec', () => {
  const spec = loadSpecValidator();

  test.each(cases.map((c) => [c.schema, c] as const))('%s has the same fields, the same required fields, and valid samples', (_name, c) => {
    const schema = spec.schema(c.schema);
    expect(Object.keys(c.full).sort()).toEqual(Object.keys(schema.properties ?? {}).sort());
    expect(Object.keys(c.minimal).sort()).toEqual([...(schema.required ?? [])].sort());
    expect(spec.errors(c.schema, c.full)).toEqual([]);
    expect(spec.errors(c.schema, c.minimal)).toEqual([]);
  });

  test('the validator does reject a wrong sample', () => {
    expect(spec.errors('VM', { vm_id: UUID_A, owner_id: UUID_B, created_at: TIME, state: 'Running' })).not.toEqual([]);
    expect(spec.errors('VmCommitEntity', { commit_id: UUID_A })).not.toEqual([]);
  });

  test('the state enums are exactly the spec enums', () => {
    expect(noMissingVmState && noMissingUpdateState).toBe(true);
    expect([...ALL_VM_STATES].sort()).toEqual([...(spec.schema('VmState').enum as string[])].sort());
    expect([...ALL_UPDATE_STATES].sort()).toEqual([...(spec.schema('VmUpdateStateEnum').enum as string[])].sort());
  });

  test('each from_commit body shape is one of the spec alternatives', () => {
    const bodies: FromCommitVmRequest[] = [{ commit_id: UUID_A }, { tag_name: 'stable' }, { ref: 'repo:tag' }];
    for (const body of bodies) expect(spec.errors('FromCommitVmRequest', body)).toEqual([]);
    expect(spec.schema('FromCommitVmRequest').oneOf?.map((alt) => alt.required?.[0]).sort()).toEqual(['commit_id', 'ref', 'tag_name']);
  });
});
