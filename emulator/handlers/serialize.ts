import type { CommitRecord } from '../models/commits';
import type { VmRecord, VmState } from '../models/vms';

/** The API's view of a VM record, commit record, … — field names and timestamp formats as the server sends them. */

/** `VM` (list and status). Labels are `{}` when empty, as the server's SQL COALESCE gives. */
export function vmJson(vm: VmRecord): { vm_id: string; owner_id: string; created_at: string; state: VmState; labels: Record<string, string> } {
  return { vm_id: vm.id, owner_id: vm.ownerId, created_at: vm.createdAt.toChronoJson(), state: vm.state, labels: { ...vm.labels } };
}

/** `VmMetadataResponse` (no labels). */
export function vmMetadataJson(vm: VmRecord): Record<string, unknown> {
  return {
    vm_id: vm.id,
    owner_id: vm.ownerId,
    created_at: vm.createdAt.toChronoJson(),
    deleted_at: vm.deletedAt?.toChronoJson() ?? null,
    state: vm.state,
    ip: vm.ip,
    parent_commit_id: vm.parentCommitId,
    grandparent_vm_id: vm.grandparentVmId,
  };
}

/** `CommitInfo` (commit lists and PATCH): `commit_id`, created_at with `+00:00`. */
export function commitInfoJson(commit: CommitRecord): Record<string, unknown> {
  return {
    commit_id: commit.id,
    parent_vm_id: commit.parentVmId,
    grandparent_commit_id: commit.grandparentCommitId,
    owner_id: commit.ownerId,
    name: commit.name,
    description: commit.description,
    created_at: commit.createdAt.toRfc3339(),
    is_public: commit.isPublic,
  };
}

/** `VmCommitEntity` (parents): `id`, created_at with `Z`. */
export function commitEntityJson(commit: CommitRecord): Record<string, unknown> {
  return {
    id: commit.id,
    parent_vm_id: commit.parentVmId,
    grandparent_commit_id: commit.grandparentCommitId,
    owner_id: commit.ownerId,
    name: commit.name,
    description: commit.description,
    created_at: commit.createdAt.toChronoJson(),
    is_public: commit.isPublic,
  };
}

/** `NewVmsResponse`. */
export function newVmsJson(vmIds: readonly string[]): { vms: Array<{ vm_id: string }> } {
  return { vms: vmIds.map((vm_id) => ({ vm_id })) };
}
