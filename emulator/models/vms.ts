import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecRequest, ExecResult, ExecStream, Sandbox, SandboxDriver, SandboxSpec } from '../sandbox/types';
import type { CommitRecord, CommitStore, CommitVmConfig } from './commits';
import { SandboxValidationError } from '../sandbox/errors';
import { BadRequestError, ForbiddenError, InternalError, NodeRefusedError, NotFoundError, QuotaExceededError, VersLocalApiError } from './errors';
import { IpAllocator } from './ip-allocator';
import { SerialQueue } from './serial-queue';
import { Timestamp } from './timestamp';
import { generateVmKeys, type VmKeys } from './vm-keys';

/** VM states as the API reports them (`sleeping` and `dead` are never produced by vers-local). */
export type VmState = 'booting' | 'running' | 'paused' | 'sleeping' | 'dead';

/** Per-VM maxima (the server's dev config) and the org quota (migration defaults). */
export interface VmLimits {
  maxVcpuPerVm: number;
  maxMemMibPerVm: number;
  maxFsMibPerVm: number;
  orgVcpuQuota: number;
  orgMemMibQuota: number;
}

/** Server-side defaults of a new root VM (chelsea config, reference §4.1). */
export const VM_DEFAULTS: Readonly<CommitVmConfig> = { vcpuCount: 1, memSizeMib: 512, fsSizeMib: 1024, imageName: 'default', kernelName: 'default.bin' };

/** First and one-past-last `ssh_port` (dev config `chelsea_vm_ssh_port_start/end`). */
const SSH_PORT_START = 28000;
const SSH_PORT_END = 28128;

/** How a VM came to be, for the admin history. */
export type VmOrigin = 'new_root' | 'from_commit' | 'branch';

/** One VM as vers-local tracks it. */
export interface VmRecord {
  readonly id: string;
  readonly ownerId: string;
  readonly createdAt: Timestamp;
  deletedAt: Timestamp | null;
  state: Exclude<VmState, 'sleeping'>;
  readonly origin: VmOrigin;
  config: CommitVmConfig;
  labels: Record<string, string>;
  readonly ip: string;
  readonly parentCommitId: string | null;
  readonly grandparentVmId: string | null;
  readonly keys: VmKeys;
  readonly sshPort: number;
  /** Commit ids of the read-only layers under the VM's writable layer, newest first. */
  readonly layerChain: readonly string[];
  /** The VM's latest commit: the next commit's grandparent_commit_id. */
  lastCommitId: string | null;
  sandbox: Sandbox | undefined;
  /** Settles when boot ends: resolves once running, rejects (with an API error) if the VM failed and was deleted. */
  boot: Promise<void>;
  /** Date.now() when the VM became ready. */
  readySince: number | undefined;
  bootFailed: boolean;
  readonly queue: SerialQueue;
}

/** Requested resources of a new root VM; absent or null fields take the server defaults. */
export interface NewRootConfig {
  vcpuCount?: number | null;
  memSizeMib?: number | null;
  fsSizeMib?: number | null;
  imageName?: string | null;
  kernelName?: string | null;
  labels?: Record<string, string> | null;
}

/** Optional metadata of `POST /vm/{id}/commit`. */
export interface CommitOptions {
  keepPaused: boolean;
  skipWaitBoot: boolean;
  commitId?: string;
  name?: string | null;
  description?: string | null;
}

/** Run-time fault hooks the store consults (emulator/faults.ts provides them). */
export interface VmFaultHooks {
  /** True if the root VM now booting should fail its boot. */
  bootFails(): boolean;
  /** How long sshd takes to start after the VM is ready, in ms. */
  sshdStartDelayMs(): number;
}

export interface VmStoreOptions {
  driver: SandboxDriver;
  commits: CommitStore;
  limits: VmLimits;
  /** Time a new root VM spends `booting` after its sandbox runs, in ms. */
  bootDelayMs: number;
  faults: VmFaultHooks;
  log: (message: string) => void;
}

/**
 * VMs: ids, states, quotas, keys, lineage, and the sandboxes behind them. No
 * HTTP here; errors are VersLocalApiError subclasses with the server's
 * messages (reference §2, §4.1, §5).
 */
export class VmStore {
  private readonly live = new Map<string, VmRecord>();
  private readonly history: VmRecord[] = [];
  private readonly ips = new IpAllocator();
  private readonly stopping = new AbortController();

  constructor(private readonly options: VmStoreOptions) {}

  /** POST /vm/new_root: the VM starts `booting`; `waitBoot` resolves only once it runs. */
  async createRoot(ownerId: string, requested: NewRootConfig, waitBoot: boolean): Promise<VmRecord> {
    const config: CommitVmConfig = {
      vcpuCount: requested.vcpuCount ?? VM_DEFAULTS.vcpuCount,
      memSizeMib: requested.memSizeMib ?? VM_DEFAULTS.memSizeMib,
      fsSizeMib: requested.fsSizeMib ?? VM_DEFAULTS.fsSizeMib,
      imageName: requested.imageName ?? VM_DEFAULTS.imageName,
      kernelName: requested.kernelName ?? VM_DEFAULTS.kernelName,
    };
    if (config.imageName !== 'default') throw new NotFoundError(`image not found: ${config.imageName}`, 'IMAGE_NOT_FOUND');
    if (config.kernelName !== 'default.bin') throw new NotFoundError(`kernel not found: ${config.kernelName}`, 'KERNEL_NOT_FOUND');
    this.checkQuota(config);
    this.checkHardMaxima(config);
    const vm = this.register(ownerId, config, requested.labels ?? {}, 'new_root', [], null, null);
    this.boot(vm, true);
    if (waitBoot) await vm.boot;
    return vm;
  }

  /** POST /vm/from_commit and each child of a branch: restored VMs come up `running`. */
  async createFromCommit(ownerId: string, commit: CommitRecord, origin: VmOrigin): Promise<VmRecord> {
    this.checkQuota(commit.vmConfig);
    const vm = this.register(ownerId, { ...commit.vmConfig }, {}, origin, commit.layerChain, commit.id, commit.parentVmId);
    this.boot(vm, false);
    await vm.boot;
    return vm;
  }

  /** Live VMs of the caller's org (vers-local has one org). */
  list(): VmRecord[] {
    return [...this.live.values()];
  }

  /** A live VM, or 404 with the message the given endpoint uses ("not found" or "vm not found"). */
  get(vmId: string, notFoundMessage: 'not found' | 'vm not found'): VmRecord {
    const vm = this.live.get(vmId);
    if (vm === undefined) throw new NotFoundError(notFoundMessage, 'VM_NOT_FOUND');
    return vm;
  }

  /** True if a live VM has this id (the polymorphic branch endpoint asks). */
  has(vmId: string): boolean {
    return this.live.has(vmId);
  }

  /** DELETE /vm/{id}: unknown or already deleted VMs are 403, to hide existence. */
  async delete(vmId: string, skipWaitBoot: boolean): Promise<void> {
    const vm = this.live.get(vmId);
    if (vm === undefined) throw new ForbiddenError('Forbidden', 'VM_NOT_FOUND_ON_DELETE');
    try {
      await this.waitBooted(vm, skipWaitBoot);
    } catch (error) {
      if (vm.bootFailed) throw new ForbiddenError('Forbidden', 'VM_NOT_FOUND_ON_DELETE');
      throw error;
    }
    await vm.queue.run(async () => {
      if (vm.deletedAt !== null) throw new ForbiddenError('Forbidden', 'VM_NOT_FOUND_ON_DELETE');
      await this.destroy(vm);
    });
    await this.options.commits.collectGarbage(this.layersInUse());
  }

  /** PATCH /vm/{id}/state. Synchronous: when it resolves the VM is paused or running. */
  async setState(vmId: string, target: 'Paused' | 'Running', skipWaitBoot: boolean): Promise<void> {
    const vm = this.get(vmId, 'vm not found');
    await this.waitBooted(vm, skipWaitBoot);
    await vm.queue.run(async () => {
      const sandbox = this.requireSandbox(vm, 'vm not found');
      if (target === 'Paused') {
        await sandbox.pause();
        vm.state = 'paused';
      } else {
        await sandbox.resume();
        vm.state = 'running';
      }
    });
  }

  /**
   * POST /vm/{id}/commit: pause, snapshot the writable layer, record the
   * commit, then resume unless keepPaused — even if the VM was paused before,
   * as the server's code does.
   */
  async commit(vmId: string, ownerId: string, options: CommitOptions): Promise<CommitRecord> {
    const vm = this.get(vmId, 'vm not found');
    await this.waitBooted(vm, options.skipWaitBoot);
    return vm.queue.run(async () => {
      const sandbox = this.requireSandbox(vm, 'vm not found');
      const commits = this.options.commits;
      const commitId = await commits.reserve(options.commitId, randomUUID);
      try {
        await sandbox.pause();
        vm.state = 'paused';
        await sandbox.snapshot(commits.layerDir(commitId));
        const createdAt = Timestamp.now();
        const record: CommitRecord = {
          id: commitId,
          ownerId,
          parentVmId: vm.id,
          grandparentCommitId: vm.lastCommitId ?? vm.parentCommitId,
          name: isBlank(options.name) ? `commit: of_vm=${vm.id} timestamp=${createdAt.toDisplay()}` : options.name!,
          description: isBlank(options.description) ? null : options.description!,
          createdAt,
          isPublic: false,
          deletedAt: null,
          layerChain: [commitId, ...vm.layerChain],
          layerPurged: false,
          vmConfig: { ...vm.config },
        };
        await commits.add(record);
        vm.lastCommitId = commitId;
        return record;
      } catch (error) {
        await commits.release(commitId);
        if (error instanceof VersLocalApiError) throw error;
        throw new InternalError(`error committing vm: ${describe(error)}`, error, 'COMMIT_FAILED');
      } finally {
        if (!options.keepPaused && vm.deletedAt === null) {
          await sandbox.resume();
          vm.state = 'running';
        }
      }
    });
  }

  /** GET /vm/{id}/ssh_key: the node refuses while the VM is paused. */
  sshKey(vmId: string): { privateKey: string; port: number } {
    const vm = this.get(vmId, 'not found');
    this.refuseIfPaused(vm);
    return { privateKey: vm.keys.sshPrivateKey, port: vm.sshPort };
  }

  /** PATCH /vm/{id}/disk: strictly larger and within the per-VM maximum, else the node's 500. */
  async resizeDisk(vmId: string, fsSizeMib: number, skipWaitBoot: boolean): Promise<void> {
    const vm = this.get(vmId, 'vm not found');
    await this.waitBooted(vm, skipWaitBoot);
    await vm.queue.run(async () => {
      const sandbox = this.requireSandbox(vm, 'vm not found');
      if (fsSizeMib <= vm.config.fsSizeMib) {
        throw new NodeRefusedError(
          `vm manager error: new disk size ${fsSizeMib} MiB must be larger than the current size ${vm.config.fsSizeMib} MiB`,
          'DISK_NOT_LARGER',
        );
      }
      if (fsSizeMib > this.options.limits.maxFsMibPerVm) {
        throw new NodeRefusedError(
          `vm manager error: Requested VM violates hard maximum for volume size: ${fsSizeMib} MiB > ${this.options.limits.maxFsMibPerVm} MiB`,
          'HARD_MAXIMUM',
        );
      }
      await sandbox.resizeDisk(fsSizeMib);
      vm.config = { ...vm.config, fsSizeMib };
    });
  }

  /** PATCH /vm/{id}/label: replaces all labels (null clears them). */
  setLabels(vmId: string, labels: Record<string, string> | null): void {
    const vm = this.get(vmId, 'vm not found');
    vm.labels = { ...(labels ?? {}) };
  }

  /** POST /vm/{id}/exec[/stream]: waits for boot, refuses a paused VM. */
  async exec(vmId: string, request: ExecRequest, onOutput?: (stream: ExecStream, chunk: Buffer) => void): Promise<ExecResult> {
    const sandbox = await this.readySandbox(vmId);
    return this.nodeCall(() => sandbox.exec(request, onOutput));
  }

  /** GET /vm/{id}/files. */
  async readFile(vmId: string, path: string): Promise<Buffer> {
    const sandbox = await this.readySandbox(vmId);
    return this.nodeCall(() => sandbox.readFile(path));
  }

  /** PUT /vm/{id}/files. */
  async writeFile(vmId: string, path: string, content: Buffer, mode: number, createDirs: boolean): Promise<void> {
    const sandbox = await this.readySandbox(vmId);
    await this.nodeCall(() => sandbox.writeFile(path, content, mode, createDirs));
  }

  /**
   * The SSH gateway's resolver: the sandbox of a live VM once its sshd would
   * be up (boot finished plus the injected sshd start delay), else undefined.
   */
  async sandboxForSsh(vmId: string): Promise<Sandbox | undefined> {
    const vm = this.live.get(vmId);
    if (vm === undefined) return undefined;
    try {
      await vm.boot;
    } catch {
      return undefined;
    }
    const wait = (vm.readySince ?? Date.now()) + this.options.faults.sshdStartDelayMs() - Date.now();
    if (wait > 0) await sleep(wait, undefined, { signal: this.stopping.signal }).catch(() => undefined);
    return vm.deletedAt === null ? vm.sandbox : undefined;
  }

  /** Number of live VMs created from a commit (blocks its deletion). */
  activeVmsFromCommit(commitId: string): number {
    return this.list().filter((vm) => vm.parentCommitId === commitId).length;
  }

  /** Commit ids whose layers live VMs stack on. */
  layersInUse(): Set<string> {
    return new Set(this.list().flatMap((vm) => vm.layerChain));
  }

  /** Every VM ever created in this run, oldest first (admin history). */
  allEver(): readonly VmRecord[] {
    return this.history;
  }

  /** Destroy every VM (admin reset and shutdown); history is kept unless `forgetHistory`. */
  async destroyAll(forgetHistory: boolean): Promise<void> {
    // Every VM gets its turn even if another one fails to go; the failures are reported together.
    const results = await Promise.allSettled(
      this.list().map(async (vm) => {
        await vm.boot.catch(() => undefined);
        await vm.queue.run(() => this.destroy(vm));
      }),
    );
    if (forgetHistory) this.history.length = 0;
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => describe(r.reason));
    if (failures.length > 0) throw new InternalError(`destroying VMs failed: ${failures.join('; ')}`, undefined, 'SANDBOX_DESTROY_FAILED');
  }

  /** Stop for good: cut boot delays and sshd waits short, then destroy every VM and the driver's leftovers. */
  async shutdown(): Promise<void> {
    this.stopping.abort();
    try {
      await this.destroyAll(false);
    } finally {
      await this.options.driver.shutdown();
    }
  }

  private register(
    ownerId: string,
    config: CommitVmConfig,
    labels: Record<string, string>,
    origin: VmOrigin,
    layerChain: readonly string[],
    parentCommitId: string | null,
    grandparentVmId: string | null,
  ): VmRecord {
    const vm: VmRecord = {
      id: randomUUID(),
      ownerId,
      createdAt: Timestamp.now(),
      deletedAt: null,
      state: 'booting',
      origin,
      config,
      labels: { ...labels },
      ip: this.ips.allocate(ownerId),
      parentCommitId,
      grandparentVmId,
      keys: generateVmKeys(),
      sshPort: this.freeSshPort(),
      layerChain,
      lastCommitId: null,
      sandbox: undefined,
      boot: Promise.resolve(),
      readySince: undefined,
      bootFailed: false,
      queue: new SerialQueue(),
    };
    this.live.set(vm.id, vm);
    this.history.push(vm);
    return vm;
  }

  /** Start the sandbox in the background; root VMs then "boot" for bootDelayMs and may fail by injection. */
  private boot(vm: VmRecord, isRoot: boolean): void {
    const spec: SandboxSpec = {
      vmId: vm.id,
      layers: this.options.commits.layerDirs(vm.layerChain),
      fsSizeMib: vm.config.fsSizeMib,
      memSizeMib: vm.config.memSizeMib,
      vcpuCount: vm.config.vcpuCount,
      authorizedKey: vm.keys.sshPublicKey,
      hostKeyOpenSsh: vm.keys.hostKey,
    };
    vm.boot = (async () => {
      try {
        vm.sandbox = await this.options.driver.create(spec);
      } catch (error) {
        this.options.log(`vm ${vm.id}: sandbox failed to start: ${describe(error)}`);
        await this.failBoot(vm);
        throw new InternalError(`failed to provision VM on node: ${describe(error)}`, error, 'SANDBOX_START_FAILED');
      }
      if (isRoot) {
        if (this.options.bootDelayMs > 0) await sleep(this.options.bootDelayMs, undefined, { signal: this.stopping.signal }).catch(() => undefined);
        if (this.options.faults.bootFails()) {
          this.options.log(`vm ${vm.id}: injected boot failure`);
          await this.failBoot(vm);
          throw new InternalError(`VM ${vm.id} failed to boot`, undefined, 'BOOT_FAILED');
        }
      }
      if (vm.deletedAt === null) {
        vm.state = 'running';
        vm.readySince = Date.now();
      }
    })();
    // Callers that do not wait (new_root without wait_boot) must not cause an unhandled rejection.
    vm.boot.catch(() => undefined);
  }

  /** The server cleans a VM that failed to boot up and marks it deleted. */
  private async failBoot(vm: VmRecord): Promise<void> {
    vm.bootFailed = true;
    await this.destroy(vm);
  }

  private async destroy(vm: VmRecord): Promise<void> {
    if (vm.deletedAt !== null) return;
    vm.deletedAt = Timestamp.now();
    vm.state = 'dead';
    this.live.delete(vm.id);
    const sandbox = vm.sandbox;
    vm.sandbox = undefined;
    if (sandbox !== undefined) {
      try {
        await sandbox.destroy();
      } catch (error) {
        this.options.log(`vm ${vm.id}: destroying the sandbox failed: ${describe(error)}`);
        throw new InternalError(`failed to delete VM on node: ${describe(error)}`, error, 'SANDBOX_DESTROY_FAILED');
      }
    }
  }

  /** Default: wait for a booting VM. skip_wait_boot: the node's immediate refusal. */
  private async waitBooted(vm: VmRecord, skipWaitBoot: boolean): Promise<void> {
    if (vm.state === 'booting' && skipWaitBoot) {
      throw new NodeRefusedError(`VM ${vm.id} is not finished booting. Try again shortly.`, 'VM_BOOTING');
    }
    await vm.boot;
  }

  /** The sandbox an exec or file call runs in: waits for boot (always), refuses a paused VM. */
  async readySandbox(vmId: string): Promise<Sandbox> {
    const vm = this.get(vmId, 'not found');
    await vm.boot;
    this.refuseIfPaused(vm);
    return this.requireSandbox(vm, 'not found');
  }

  private requireSandbox(vm: VmRecord, notFoundMessage: 'not found' | 'vm not found'): Sandbox {
    if (vm.deletedAt !== null || vm.sandbox === undefined) throw new NotFoundError(notFoundMessage, 'VM_NOT_FOUND');
    return vm.sandbox;
  }

  private refuseIfPaused(vm: VmRecord): void {
    if (vm.state === 'paused') throw new NodeRefusedError(`cannot perform operation: VM ${vm.id} is paused`, 'VM_PAUSED');
  }

  /** Sandbox failures inside a VM surface as the node's wrapped 500; malformed requests (bad path, env name) as 400. */
  private async nodeCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof VersLocalApiError) throw error;
      if (error instanceof SandboxValidationError) throw new BadRequestError(error.message, 'INVALID_REQUEST');
      throw new NodeRefusedError(describe(error), 'NODE_OPERATION_FAILED', error);
    }
  }

  private checkQuota(config: CommitVmConfig): void {
    const { orgVcpuQuota, orgMemMibQuota } = this.options.limits;
    let vcpus = 0;
    let memory = 0;
    for (const vm of this.live.values()) {
      vcpus += vm.config.vcpuCount;
      memory += vm.config.memSizeMib;
    }
    if (vcpus + config.vcpuCount > orgVcpuQuota) {
      throw new QuotaExceededError(`vCPU limit exceeded: this VM requires ${config.vcpuCount} vCPUs, but org is using ${vcpus}/${orgVcpuQuota} vCPUs`);
    }
    if (memory + config.memSizeMib > orgMemMibQuota) {
      throw new QuotaExceededError(`Memory limit exceeded: this VM requires ${config.memSizeMib} MiB, but org is using ${memory}/${orgMemMibQuota} MiB`);
    }
  }

  private checkHardMaxima(config: CommitVmConfig): void {
    const { maxVcpuPerVm, maxMemMibPerVm, maxFsMibPerVm } = this.options.limits;
    const violations: string[] = [];
    if (config.vcpuCount > maxVcpuPerVm) violations.push(`vcpu_count: ${config.vcpuCount} > ${maxVcpuPerVm}`);
    if (config.memSizeMib > maxMemMibPerVm) violations.push(`mem_size_mib: ${config.memSizeMib} > ${maxMemMibPerVm}`);
    if (config.fsSizeMib > maxFsMibPerVm) violations.push(`fs_size_mib: ${config.fsSizeMib} > ${maxFsMibPerVm}`);
    if (violations.length > 0) {
      throw new InternalError(
        `failed to provision VM on node: 500: ${JSON.stringify({ error: `Requested VM violates hard maximum for ${violations.join(', ')}` })}`,
        undefined,
        'HARD_MAXIMUM',
      );
    }
  }

  private freeSshPort(): number {
    const taken = new Set([...this.live.values()].map((vm) => vm.sshPort));
    for (let port = SSH_PORT_START; port < SSH_PORT_END; port++) if (!taken.has(port)) return port;
    // More live VMs than ports: the field is metadata only (clients dial 443), so share.
    return SSH_PORT_START + (this.history.length % (SSH_PORT_END - SSH_PORT_START));
  }
}

function isBlank(value: string | null | undefined): boolean {
  return value === undefined || value === null || value.trim() === '';
}

/** An error's message without its stack, for wire messages and logs. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
