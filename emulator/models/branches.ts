import type { CommitRecord, CommitStore } from './commits';
import { NotFoundError, VersLocalApiError, InternalError } from './errors';
import type { VmStore } from './vms';

/**
 * The branch operations: a commit (for a VM source) followed by `count`
 * restores, one after another. A failure part-way reports the VMs already
 * made, in the hybrid `{"vms":[…],"error":…}` body (reference §4.1).
 */
export class Branches {
  constructor(
    private readonly vms: VmStore,
    private readonly commits: CommitStore,
  ) {}

  /** POST /vm/branch/by_vm/{id}: commit the VM (pausing it briefly unless keepPaused), then restore. */
  async byVm(vmId: string, ownerId: string, options: { count: number; keepPaused: boolean; skipWaitBoot: boolean }): Promise<string[]> {
    if (!this.vms.has(vmId)) throw new NotFoundError('parent vm not found', 'VM_NOT_FOUND').asNewVmsResponse([]);
    let commit: CommitRecord;
    try {
      commit = await this.vms.commit(vmId, ownerId, { keepPaused: options.keepPaused, skipWaitBoot: options.skipWaitBoot });
    } catch (error) {
      const wrapped = error instanceof NotFoundError ? new NotFoundError('parent vm not found', 'VM_NOT_FOUND') : error instanceof VersLocalApiError ? new InternalError(`error committing vm: ${error.message}`, error, 'COMMIT_FAILED') : error;
      throw wrapped instanceof VersLocalApiError ? wrapped.asNewVmsResponse([]) : wrapped;
    }
    return this.restoreMany(commit, ownerId, options.count);
  }

  /** POST /vm/branch/by_commit/{id}: the lookup fails with a plain error body, later failures with the hybrid one. */
  async byCommit(commitId: string, ownerId: string, count: number): Promise<string[]> {
    const commit = this.commits.getReadable(commitId, ownerId);
    return this.restoreMany(commit, ownerId, count);
  }

  /** POST /vm/{id}/branch: a live VM id branches the VM, anything else is tried as a commit id. */
  async polymorphic(id: string, ownerId: string, options: { count: number; keepPaused: boolean; skipWaitBoot: boolean }): Promise<string[]> {
    if (this.vms.has(id)) return this.byVm(id, ownerId, options);
    return this.byCommit(id, ownerId, options.count);
  }

  private async restoreMany(commit: CommitRecord, ownerId: string, count: number): Promise<string[]> {
    const created: string[] = [];
    for (let i = 0; i < count; i++) {
      try {
        created.push((await this.vms.createFromCommit(ownerId, commit, 'branch')).id);
      } catch (error) {
        if (error instanceof VersLocalApiError) throw error.asNewVmsResponse(created);
        throw error;
      }
    }
    return created;
  }
}
