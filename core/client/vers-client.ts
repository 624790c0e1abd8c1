import { randomUUID } from 'node:crypto';
import type { ResolvedProviderConfig } from '../settings';
import { ApiError, CancelledError, CreateOutcomeUnknownError, NotFoundError, ValidationError } from '../base/errors';
import { type ClientOptions, resolveClientOptions } from './options';
import { checkObject, parseArray, parseObject } from './parse-response';
import { type CallSpec, type RawResponse, type RecoveryContext, RequestRunner } from './request-runner';
import type {
  CommitInfo,
  FromCommitVmRequest,
  ListCommitsResponse,
  OrchestratorVersion,
  UpdateCommitRequest,
  ValidateKeyResponse,
  Vm,
  VmCommitEntity,
  VmCommitResponse,
  VmCreateConfig,
  VmDeleteResponse,
  VmExecRequest,
  VmExecResponse,
  VmMetadata,
  VmSshKeyResponse,
  VmUpdateState,
} from './types';
import { IMPORT_OR_DELETE, LostCreateRecovery, readUntilDeadline } from './lost-create-recovery';
import { REQUEST_TOKEN_LABEL } from './request-token';
import { ServerClock } from './server-clock';
import { waitForVmState } from './wait-for-vm-state';

export { REQUEST_TOKEN_LABEL, requestTokenFor, withoutRequestToken } from './request-token';

export interface CallOptions {
  /** Aborting cancels the call, including retry waits (CancelledError). */
  signal?: AbortSignal;
  /** End no later than this (local epoch ms), even if the call's own deadline is later. */
  deadlineAt?: number;
}

export interface CreateRootVmOptions extends CallOptions {
  /** The create's request token, which the VM carries from creation (request-token.ts). Default: a fresh random token. */
  requestToken?: string;
  /** Ask the server to answer only once the VM has booted (query wait_boot). Default false. */
  waitBoot?: boolean;
}

export interface SkipWaitBootOptions extends CallOptions {
  /** Fail at once instead of waiting when the VM is still booting. Default false (server default). */
  skipWaitBoot?: boolean;
}

export interface CommitVmOptions extends SkipWaitBootOptions {
  /** Leave the VM paused after the snapshot. Default false: the server resumes it (even if it was paused). */
  keepPaused?: boolean;
  /** The commit id to use; default a fresh UUID v4 chosen here, so a retried commit is recognisable. */
  commitId?: string;
  name?: string;
  description?: string;
}

export interface BranchOptions extends SkipWaitBootOptions {
  /** How many VMs to create (1–255). Default 1. */
  count?: number;
  /** Leave the source VM paused afterwards (VM sources only). Default false. */
  keepPaused?: boolean;
}

export interface ListCommitsOptions extends CallOptions {
  /** Page size, 1–100. Default 50 (server default). */
  limit?: number;
  /** Commits to skip. Default 0. */
  offset?: number;
}

export interface DeleteResult {
  /** True when the VM or commit was already gone: delete is idempotent. */
  alreadyDeleted: boolean;
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const VM_FIELDS = { vm_id: 'string', owner_id: 'string', created_at: 'string', state: 'string' } as const;
const COMMIT_FIELDS = { commit_id: 'string', owner_id: 'string', name: 'string', created_at: 'string', is_public: 'boolean' } as const;
const COMMIT_ENTITY_FIELDS = { id: 'string', owner_id: 'string', name: 'string', created_at: 'string', is_public: 'boolean' } as const;

/** The Vers REST client (/api/v1). One per configured provider; `close()` frees its keep-alive sockets. */
export class VersClient {
  private readonly runner: RequestRunner;
  /** The server's clock as answers bound it (lost-answer recovery compares creation times with it). */
  private readonly clock = new ServerClock();
  private readonly lostCreates: LostCreateRecovery;
  /** Commits this client asked for by id: a branch's commit is never one of them (see branchByVm). */
  private readonly commitsMadeHere = new Set<string>();
  /** VMs and commits this client made, with the local send/receive times of the call: their created_at calibrates the clock. */
  private readonly creationWindows = new Map<string, { sentAt: number; receivedAt: number }>();
  private readonly logger: ClientLogger | undefined;

  constructor(
    readonly config: ResolvedProviderConfig,
    options: ClientOptions = {},
  ) {
    const resolved = resolveClientOptions(options);
    this.logger = resolved.logger;
    this.runner = new RequestRunner(config, resolved.retry, resolved.timeouts, resolved.deadlines, resolved.logger, resolved.userAgent, this.clock);
    this.lostCreates = new LostCreateRecovery(
      { listVms: (readOptions) => this.listVms(readOptions), getVmMetadata: (vmId, readOptions) => this.getVmMetadata(vmId, readOptions) },
      this.clock,
      resolved.logger,
    );
  }

  close(): void {
    this.runner.close();
  }

  // ----- VMs -----

  /**
   * POST /vm/new_root. Retried safely: the VM carries the call's request
   * token from creation, so after a lost answer the VM list shows whether
   * the attempt made it. When the list cannot be read until the call's
   * deadline, the error names the token to look for.
   */
  async createRootVm(vmConfig: VmCreateConfig, options: CreateRootVmOptions = {}): Promise<{ vm_id: string }> {
    const token = options.requestToken ?? randomUUID();
    const waitBoot = options.waitBoot ?? false;
    const body = { vm_config: { ...vmConfig, labels: { ...(vmConfig.labels ?? {}), [REQUEST_TOKEN_LABEL]: token } } };
    const created = await this.call({
      operation: 'createRootVm',
      method: 'POST',
      path: '/vm/new_root',
      query: { wait_boot: waitBoot },
      body,
      timeout: 'createVm',
      kind: 'create',
      signal: options.signal,
      deadlineAt: options.deadlineAt,
      parse: (response) => ({ vm_id: parseVmId(response, 'new_root response') }),
      onAnswered: this.madeHere((result: { vm_id: string }) => result.vm_id),
      recover: async (context) => {
        let vms: Vm[];
        try {
          vms = await readUntilDeadline((readOptions) => this.listVms(readOptions), context);
        } catch (error) {
          if (error instanceof CancelledError) throw error;
          this.warn(`lost answer: cannot tell whether Vers made the root VM with label ${REQUEST_TOKEN_LABEL}=${token}: ${messageOf(error)}`);
          throw new CreateOutcomeUnknownError(
            `the answer to POST /vm/new_root was lost and the VM list could not be read until the call's deadline, so a VM may have been made: ` +
              `look for the VM with label ${REQUEST_TOKEN_LABEL}=${token} (GET /api/v1/vms) and ${IMPORT_OR_DELETE}, which would otherwise make a second one (last error: ${messageOf(error)})`,
            { requestToken: token, operation: 'createRootVm', cause: error },
          );
        }
        const found = vms.find((vm) => vm.labels?.[REQUEST_TOKEN_LABEL] === token);
        if (found === undefined) return undefined;
        this.warn(`lost answer: adopted VM ${found.vm_id} as the new root VM (it carries this call's request token)`);
        if (waitBoot && found.state === 'booting') await waitForVmState((id, call) => this.getVmStatus(id, call), found.vm_id, 'running', { signal: options.signal });
        return { vm_id: found.vm_id };
      },
    });
    this.lostCreates.claim([created.vm_id]);
    return created;
  }

  /**
   * POST /vm/from_commit with a commit id, or an explicit `{tag_name}` / `{ref}`.
   * A restore by commit id is retried after an ambiguous failure only once the
   * VM of the lost attempt is known not to exist, and adopts that VM when it
   * is certainly this call's (lost-create-recovery.ts); by tag or ref it is
   * not retried once the request may have reached the server.
   */
  async restoreFromCommit(source: string | FromCommitVmRequest, options: CallOptions = {}): Promise<{ vm_id: string }> {
    const body: FromCommitVmRequest = typeof source === 'string' ? { commit_id: checkUuid(source, 'commitId') } : source;
    const send = (recover?: (context: RecoveryContext) => Promise<{ vm_id: string } | undefined>): Promise<{ vm_id: string }> =>
      this.call({
        operation: 'restoreFromCommit',
        method: 'POST',
        path: '/vm/from_commit',
        body,
        timeout: 'restore',
        kind: 'create',
        signal: options.signal,
        deadlineAt: options.deadlineAt,
        resource: typeof source === 'string' ? source : undefined,
        parse: (response) => ({ vm_id: parseVmId(response, 'from_commit response') }),
        onAnswered: this.madeHere((result: { vm_id: string }) => result.vm_id),
        ...(recover === undefined ? {} : { recover }),
      });
    if (!('commit_id' in body)) return send();
    const commitId = body.commit_id;
    return this.lostCreates.run(
      {
        key: `restore ${commitId}`,
        describe: `a VM restored from commit ${commitId}`,
        matches: async (metadata) => metadata.parent_commit_id === commitId,
        vmIdsOf: (result) => [result.vm_id],
        resultFor: (vmId) => ({ vm_id: vmId }),
      },
      send,
    );
  }

  /** GET /vms: every VM of the organisation. */
  async listVms(options: CallOptions = {}): Promise<Vm[]> {
    const vms = await this.call({
      operation: 'listVms',
      method: 'GET',
      path: '/vms',
      timeout: 'request',
      kind: 'idempotent',
      signal: options.signal,
      deadlineAt: options.deadlineAt,
      parse: (r) => parseArray<Vm>(r, 'VM list', VM_FIELDS),
    });
    for (const vm of vms) this.sawCreatedAt(vm.vm_id, vm.created_at);
    return vms;
  }

  /** GET /vm/{id}/status. A VM that does not exist (or was deleted, or failed to boot) is a NotFoundError. */
  async getVmStatus(vmId: string, options: CallOptions = {}): Promise<Vm> {
    const vm = await this.call({ ...this.vmCall('getVmStatus', vmId, 'GET', 'status', options), parse: (r) => parseObject<Vm>(r, 'VM status', VM_FIELDS) });
    this.sawCreatedAt(vm.vm_id, vm.created_at);
    return vm;
  }

  /** GET /vm/{id}/metadata: ip, parent commit, deleted_at. */
  async getVmMetadata(vmId: string, options: CallOptions = {}): Promise<VmMetadata> {
    const metadata = await this.call({
      ...this.vmCall('getVmMetadata', vmId, 'GET', 'metadata', options),
      parse: (r) => parseObject<VmMetadata>(r, 'VM metadata', { vm_id: 'string', owner_id: 'string', created_at: 'string', state: 'string', ip: 'string' }),
    });
    this.sawCreatedAt(metadata.vm_id, metadata.created_at);
    return metadata;
  }

  /**
   * DELETE /vm/{id}. Idempotent: the server answers 403 (not 404) for a VM
   * that is already gone, so a 403 is checked against /status, and a 404
   * there counts as deleted.
   */
  async deleteVm(vmId: string, options: SkipWaitBootOptions = {}): Promise<DeleteResult> {
    try {
      await this.call({
        ...this.vmCall('deleteVm', vmId, 'DELETE', '', options),
        query: { skip_wait_boot: options.skipWaitBoot },
        parse: (r) => parseObject<VmDeleteResponse>(r, 'delete response', { vm_id: 'string' }),
      });
      return { alreadyDeleted: false };
    } catch (error) {
      if (error instanceof NotFoundError) return { alreadyDeleted: true };
      if (!(error instanceof ApiError) || error.status !== 403 || error.code !== 'API_FORBIDDEN') throw error;
      try {
        await this.getVmStatus(vmId, options);
      } catch (statusError) {
        if (statusError instanceof NotFoundError) return { alreadyDeleted: true };
      }
      throw error;
    }
  }

  /** PATCH /vm/{id}/state: pause or resume; synchronous. */
  async setVmState(vmId: string, state: VmUpdateState, options: SkipWaitBootOptions = {}): Promise<void> {
    if (state !== 'Paused' && state !== 'Running') throw new ValidationError('state', `must be "Paused" or "Running", got ${JSON.stringify(state)}`);
    await this.call({ ...this.vmCall('setVmState', vmId, 'PATCH', 'state', options), query: { skip_wait_boot: options.skipWaitBoot }, body: { state }, parse: () => undefined });
  }

  /**
   * POST /vm/{id}/commit. The commit id is chosen here before the first
   * attempt; after an ambiguous failure the client asks whether that commit
   * exists before sending again (and before giving up), so a retry never
   * makes two commits.
   */
  async commitVm(vmId: string, options: CommitVmOptions = {}): Promise<VmCommitResponse> {
    const commitId = options.commitId === undefined ? randomUUID() : checkUuid(options.commitId, 'commitId');
    const body = { commit_id: commitId, ...(options.name === undefined ? {} : { name: options.name }), ...(options.description === undefined ? {} : { description: options.description }) };
    this.commitsMadeHere.add(commitId);
    return this.call({
      ...this.vmCall('commitVm', vmId, 'POST', 'commit', options),
      query: { keep_paused: options.keepPaused, skip_wait_boot: options.skipWaitBoot },
      body,
      timeout: 'commit',
      kind: 'create',
      parse: (r) => parseObject<VmCommitResponse>(r, 'commit response', { commit_id: 'string' }),
      onAnswered: this.madeHere((result: VmCommitResponse) => result.commit_id),
      recover: async (context) => {
        try {
          await readUntilDeadline((readOptions) => this.getCommitParents(commitId, readOptions), context);
          this.warn(`lost answer: adopted commit ${commitId} of VM ${vmId} (it has the id this call chose)`);
          return { commit_id: commitId };
        } catch (error) {
          if (error instanceof NotFoundError) return undefined;
          if (error instanceof CancelledError) throw error;
          throw new CreateOutcomeUnknownError(
            `the answer to the commit of VM ${vmId} was lost and whether commit ${commitId} exists could not be read until the call's deadline: it may have been made. ` +
              `Check GET /api/v1/vm/commits/${commitId}/parents; keep it with \`terraform import <address> ${commitId}\` or \`pulumi import vers:index:VmCommit <name> ${commitId}\`, or delete it (DELETE /api/v1/commits/${commitId}) (last error: ${messageOf(error)})`,
            { commitId, operation: 'commitVm', resource: vmId, cause: error },
          );
        }
      },
    });
  }

  /** POST /vm/{id}/branch: `id` may be a VM or a commit. Accepts `{vms:[…]}` and the legacy `{vm_id}`; returns the new VM ids. */
  async branchVm(vmOrCommitId: string, options: BranchOptions = {}): Promise<string[]> {
    return this.call({
      ...this.vmCall('branchVm', vmOrCommitId, 'POST', 'branch', options),
      query: { count: checkCount(options.count), keep_paused: options.keepPaused, skip_wait_boot: options.skipWaitBoot },
      timeout: 'restore',
      kind: 'create',
      parse: (r) => parseBranchResponse(r),
    });
  }

  /**
   * POST /vm/branch/by_vm/{id}: commits the VM (it pauses briefly) and creates
   * VMs from that commit. A branch of one VM is retried after an ambiguous
   * failure only once its VM is known not to exist, and adopts that VM when
   * it is certainly this call's: a VM whose parent commit Vers took of
   * `vmId` since the call started (lost-create-recovery.ts). The commit a
   * lost attempt made without its VM is left, as commits are.
   */
  async branchByVm(vmId: string, options: BranchOptions = {}): Promise<string[]> {
    const count = checkCount(options.count);
    const send = (recover?: (context: RecoveryContext) => Promise<string[] | undefined>): Promise<string[]> =>
      this.call({
        operation: 'branchByVm',
        method: 'POST',
        path: `/vm/branch/by_vm/${checkUuid(vmId, 'vmId')}`,
        query: { count, keep_paused: options.keepPaused, skip_wait_boot: options.skipWaitBoot },
        timeout: 'restore',
        kind: 'create',
        resource: vmId,
        signal: options.signal,
        deadlineAt: options.deadlineAt,
        parse: (r) => parseBranchResponse(r),
        onAnswered: this.madeHere((vmIds: string[]) => vmIds),
        ...(recover === undefined ? {} : { recover }),
      });
    // Several VMs of one lost answer cannot be told from other branches' VMs: not retried.
    if (count !== undefined && count !== 1) return send();
    return this.lostCreates.run(
      {
        key: `branch ${vmId}`,
        describe: `a VM branched from VM ${vmId}`,
        matches: async (metadata, place, read) => {
          if (metadata.grandparent_vm_id !== vmId || typeof metadata.parent_commit_id !== 'string') return false;
          // A restore of another commit of the same VM has the same grandparent. The branch's commit is
          // one Vers made (not one this client asked for) since the call started.
          const commitId = metadata.parent_commit_id;
          if (this.commitsMadeHere.has(commitId)) return false;
          let commit: VmCommitEntity | undefined;
          try {
            [commit] = await read(`reading commit ${commitId}`, (readOptions) => this.getCommitParents(commitId, readOptions));
          } catch (error) {
            if (error instanceof NotFoundError) return false;
            throw error;
          }
          return commit !== undefined && place(commit.created_at) !== 'before';
        },
        vmIdsOf: (vmIds) => vmIds,
        resultFor: (found) => [found],
      },
      send,
    );
  }

  /** POST /vm/branch/by_commit/{id}: new VMs from a commit. */
  async branchByCommit(commitId: string, options: Pick<BranchOptions, 'count' | 'signal'> = {}): Promise<string[]> {
    return this.call({
      operation: 'branchByCommit',
      method: 'POST',
      path: `/vm/branch/by_commit/${checkUuid(commitId, 'commitId')}`,
      query: { count: checkCount(options.count) },
      timeout: 'restore',
      kind: 'create',
      resource: commitId,
      signal: options.signal,
      parse: (r) => parseBranchResponse(r),
    });
  }

  /** GET /vm/{id}/ssh_key: the VM's Ed25519 private key (OpenSSH PEM). The server refuses it while the VM is paused. */
  async getSshKey(vmId: string, options: CallOptions = {}): Promise<VmSshKeyResponse> {
    return this.call({ ...this.vmCall('getSshKey', vmId, 'GET', 'ssh_key', options), parse: (r) => parseObject<VmSshKeyResponse>(r, 'ssh_key response', { ssh_private_key: 'string', ssh_port: 'number' }) });
  }

  /**
   * PATCH /vm/{id}/disk: grow the disk. Treated as a create for retries: a
   * repeat after success fails ("must be larger") and the size cannot be read back.
   */
  async resizeDisk(vmId: string, fsSizeMib: number, options: SkipWaitBootOptions = {}): Promise<void> {
    if (!Number.isInteger(fsSizeMib) || fsSizeMib <= 0) throw new ValidationError('fsSizeMib', `must be a positive integer, got ${JSON.stringify(fsSizeMib)}`);
    await this.call({
      ...this.vmCall('resizeDisk', vmId, 'PATCH', 'disk', options),
      query: { skip_wait_boot: options.skipWaitBoot },
      body: { fs_size_mib: fsSizeMib },
      kind: 'create',
      parse: () => undefined,
    });
  }

  /** PATCH /vm/{id}/label: replace all labels (null or {} removes them). */
  async setLabels(vmId: string, labels: Record<string, string> | null, options: CallOptions = {}): Promise<void> {
    await this.call({ ...this.vmCall('setLabels', vmId, 'PATCH', 'label', options), body: { labels }, parse: () => undefined });
  }

  /** POST /vm/{id}/exec: run a command through the API; a non-zero exit is a normal result. Never retried once sent. */
  async exec(vmId: string, request: VmExecRequest, options: CallOptions = {}): Promise<VmExecResponse> {
    return this.call({
      ...this.vmCall('exec', vmId, 'POST', 'exec', options),
      body: request,
      timeout: 'exec',
      kind: 'create',
      parse: (r) => parseObject<VmExecResponse>(r, 'exec response', { exit_code: 'number', stdout: 'string', stderr: 'string' }),
    });
  }

  // ----- Commits -----

  /** GET /commits: one page of this key's commits, newest first. */
  async listCommits(options: ListCommitsOptions = {}): Promise<ListCommitsResponse> {
    if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit >= 1 && options.limit <= 100)) {
      throw new ValidationError('limit', `must be an integer from 1 to 100, got ${JSON.stringify(options.limit)}`);
    }
    if (options.offset !== undefined && !(Number.isInteger(options.offset) && options.offset >= 0)) {
      throw new ValidationError('offset', `must be an integer >= 0, got ${JSON.stringify(options.offset)}`);
    }
    return this.call({
      operation: 'listCommits',
      method: 'GET',
      path: '/commits',
      query: { limit: options.limit, offset: options.offset },
      timeout: 'request',
      kind: 'idempotent',
      signal: options.signal,
      parse: (r) => {
        const page = parseObject<ListCommitsResponse>(r, 'commit list', { commits: 'array', total: 'number', limit: 'number', offset: 'number' });
        page.commits.forEach((commit, index) => checkObject(r, commit, `commits[${index}]`, COMMIT_FIELDS));
        return page;
      },
    });
  }

  /** Every commit of this key, following the pages. */
  async listAllCommits(options: CallOptions = {}): Promise<CommitInfo[]> {
    const all: CommitInfo[] = [];
    for (;;) {
      const page = await this.listCommits({ ...options, limit: 100, offset: all.length });
      all.push(...page.commits);
      if (page.commits.length === 0 || all.length >= page.total) return all;
    }
  }

  /** PATCH /commits/{id}: visibility, name, description (`is_public` is required by the server). */
  async updateCommit(commitId: string, update: UpdateCommitRequest, options: CallOptions = {}): Promise<CommitInfo> {
    if (typeof update.is_public !== 'boolean') throw new ValidationError('is_public', 'is required by PATCH /commits/{id} and must be a boolean');
    return this.call({
      operation: 'updateCommit',
      method: 'PATCH',
      path: `/commits/${checkUuid(commitId, 'commitId')}`,
      body: update,
      timeout: 'request',
      kind: 'idempotent',
      resource: commitId,
      signal: options.signal,
      parse: (r) => parseObject<CommitInfo>(r, 'commit', COMMIT_FIELDS),
    });
  }

  /** DELETE /commits/{id}. Idempotent: 404 counts as deleted. A 409 (VMs still use it) is a ConflictError. */
  async deleteCommit(commitId: string, options: CallOptions = {}): Promise<DeleteResult> {
    try {
      await this.call({
        operation: 'deleteCommit',
        method: 'DELETE',
        path: `/commits/${checkUuid(commitId, 'commitId')}`,
        timeout: 'request',
        kind: 'idempotent',
        resource: commitId,
        signal: options.signal,
        parse: () => undefined,
      });
      return { alreadyDeleted: false };
    } catch (error) {
      if (error instanceof NotFoundError) return { alreadyDeleted: true };
      throw error;
    }
  }

  /** GET /vm/commits/{id}/parents: the commit itself first, then its ancestors. The way to read one commit. */
  async getCommitParents(commitId: string, options: CallOptions = {}): Promise<VmCommitEntity[]> {
    const chain = await this.call({
      operation: 'getCommitParents',
      method: 'GET',
      path: `/vm/commits/${checkUuid(commitId, 'commitId')}/parents`,
      timeout: 'request',
      kind: 'idempotent',
      resource: commitId,
      signal: options.signal,
      deadlineAt: options.deadlineAt,
      parse: (r) => parseArray<VmCommitEntity>(r, 'commit parents', COMMIT_ENTITY_FIELDS),
    });
    for (const commit of chain) this.sawCreatedAt(commit.id, commit.created_at);
    return chain;
  }

  /** The VMs whose parent commit is `commitId` (one metadata read per VM of the organisation). */
  async vmsFromCommit(commitId: string, options: CallOptions = {}): Promise<string[]> {
    const found: string[] = [];
    for (const vm of await this.listVms(options)) {
      try {
        if ((await this.getVmMetadata(vm.vm_id, options)).parent_commit_id === commitId) found.push(vm.vm_id);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
    }
    return found;
  }

  // ----- Keys and system -----

  /** POST /keys/validate. Read-only on the server, so retried like a GET. */
  async validateKey(options: CallOptions = {}): Promise<ValidateKeyResponse> {
    return this.call({
      operation: 'validateKey',
      method: 'POST',
      path: '/keys/validate',
      timeout: 'request',
      kind: 'idempotent',
      signal: options.signal,
      parse: (r) => parseObject<ValidateKeyResponse>(r, 'validate response', { valid: 'boolean', message: 'string' }),
    });
  }

  /** GET /system/version. */
  async systemVersion(options: CallOptions = {}): Promise<OrchestratorVersion> {
    return this.call({
      operation: 'systemVersion',
      method: 'GET',
      path: '/system/version',
      timeout: 'request',
      kind: 'idempotent',
      signal: options.signal,
      parse: (r) => parseObject<OrchestratorVersion>(r, 'version', { executable_name: 'string', workspace_version: 'string', git_hash: 'string' }),
    });
  }

  private call<T>(
    spec: Omit<CallSpec<T>, 'signal' | 'resource' | 'deadlineAt'> & { signal?: AbortSignal | undefined; resource?: string | undefined; deadlineAt?: number | undefined },
  ): Promise<T> {
    const { signal, resource, deadlineAt, ...rest } = spec;
    return this.runner.call<T>({ ...rest, ...(signal === undefined ? {} : { signal }), ...(resource === undefined ? {} : { resource }), ...(deadlineAt === undefined ? {} : { deadlineAt }) });
  }

  /** An `onAnswered` that remembers when the ids a create returned were made, to calibrate the clock from their created_at. */
  private madeHere<T>(idsOf: (result: T) => string | string[]): (sentAt: number, receivedAt: number, result: T) => void {
    return (sentAt, receivedAt, result) => {
      const ids = idsOf(result);
      for (const id of Array.isArray(ids) ? ids : [ids]) this.creationWindows.set(id, { sentAt, receivedAt });
    };
  }

  /** The created_at of something this client made bounds the server clock as tightly as its create call was short. */
  private sawCreatedAt(id: string, createdAt: string): void {
    const window = this.creationWindows.get(id);
    if (window === undefined) return;
    this.creationWindows.delete(id);
    this.clock.observeCreatedAt(createdAt, window.sentAt, window.receivedAt);
  }

  private warn(message: string): void {
    this.logger?.log('warn', message);
  }

  /** The common part of a `/vm/{id}/<suffix>` call: idempotent, ordinary timeout. */
  private vmCall(operation: string, vmId: string, method: CallSpec<unknown>['method'], suffix: string, options: CallOptions) {
    return {
      operation,
      method,
      path: `/vm/${checkUuid(vmId, 'vmId')}${suffix === '' ? '' : `/${suffix}`}`,
      timeout: 'request' as const,
      kind: 'idempotent' as const,
      resource: vmId,
      signal: options.signal,
      deadlineAt: options.deadlineAt,
    };
  }
}

type ClientLogger = NonNullable<ClientOptions['logger']>;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function checkUuid(value: string, name: string): string {
  if (typeof value !== 'string' || !UUID.test(value)) throw new ValidationError(name, `must be a UUID (8-4-4-4-12 hex digits), got ${JSON.stringify(value)}`);
  return value.toLowerCase();
}

function checkCount(count: number | undefined): number | undefined {
  if (count !== undefined && !(Number.isInteger(count) && count >= 1 && count <= 255)) throw new ValidationError('count', `must be an integer from 1 to 255, got ${JSON.stringify(count)}`);
  return count;
}

function parseVmId(response: RawResponse, what: string): string {
  return parseObject<{ vm_id: string }>(response, what, { vm_id: 'string' }).vm_id;
}

/** `{vms:[{vm_id}…]}`, or the legacy single `{vm_id}`. */
function parseBranchResponse(response: RawResponse): string[] {
  const body = parseObject<{ vms?: unknown; vm_id?: unknown }>(response, 'branch response', {});
  if (Array.isArray(body.vms)) {
    body.vms.forEach((vm, index) => checkObject(response, vm, `branch response vms[${index}]`, { vm_id: 'string' }));
    return (body.vms as Array<{ vm_id: string }>).map((vm) => vm.vm_id);
  }
  checkObject(response, body, 'branch response', { vm_id: 'string' });
  return [body.vm_id as string];
}
