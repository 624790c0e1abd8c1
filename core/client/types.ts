/**
 * Wire types of the Vers REST API (/api/v1), written from the server's
 * OpenAPI spec (shared/vers-api/openapi.json, component names in brackets)
 * and the reference's §4. Field names stay in the wire's snake_case.
 * types.test.ts checks each interface against its spec schema, both ways.
 */

/** State of a VM as read (lower case) [VmState]. */
export type VmState = 'booting' | 'running' | 'paused' | 'sleeping' | 'dead';

/** State requested by PATCH /vm/{id}/state (capitalised) [VmUpdateStateEnum]. */
export type VmUpdateState = 'Paused' | 'Running';

/** A VM as listed and as returned by /status [VM]. */
export interface Vm {
  vm_id: string;
  owner_id: string;
  created_at: string;
  state: VmState;
  labels?: Record<string, string> | null;
}

/** Configuration of a new root VM; every field optional with server defaults 1 vCPU / 512 MiB / 1024 MiB [VmCreateVmConfig]. */
export interface VmCreateConfig {
  vcpu_count?: number | null;
  mem_size_mib?: number | null;
  fs_size_mib?: number | null;
  image_name?: string | null;
  kernel_name?: string | null;
  labels?: Record<string, string> | null;
}

/** Body of POST /vm/new_root [NewRootRequest]. */
export interface NewRootRequest {
  vm_config: VmCreateConfig;
}

/** Response of new_root and from_commit [NewVmResponse]. */
export interface NewVmResponse {
  vm_id: string;
}

/** Response of the branch calls [NewVmsResponse]. */
export interface NewVmsResponse {
  vms: NewVmResponse[];
}

/** Body of POST /vm/from_commit: exactly one key [FromCommitVmRequest]. */
export type FromCommitVmRequest = { commit_id: string } | { tag_name: string } | { ref: string };

/** Response of GET /vm/{id}/metadata [VmMetadataResponse]. */
export interface VmMetadata {
  vm_id: string;
  owner_id: string;
  created_at: string;
  deleted_at?: string | null;
  state: VmState;
  ip: string;
  parent_commit_id?: string | null;
  grandparent_vm_id?: string | null;
}

/** Response of DELETE /vm/{id} [VmDeleteResponse]. */
export interface VmDeleteResponse {
  vm_id: string;
}

/** Body of PATCH /vm/{id}/state [VmUpdateStateRequest]. */
export interface VmUpdateStateRequest {
  state: VmUpdateState;
}

/** Body of POST /vm/{id}/commit; blank strings are ignored by the server [VmCommitRequest]. */
export interface VmCommitRequest {
  commit_id?: string | null;
  name?: string | null;
  description?: string | null;
}

/** Response of POST /vm/{id}/commit [VmCommitResponse]. */
export interface VmCommitResponse {
  commit_id: string;
}

/** Response of GET /vm/{id}/ssh_key [VmSshKeyResponse]. `ssh_port` is metadata: clients dial 443. */
export interface VmSshKeyResponse {
  ssh_private_key: string;
  ssh_port: number;
}

/** Body of PATCH /vm/{id}/disk [VmResizeDiskRequest]. */
export interface VmResizeDiskRequest {
  fs_size_mib: number;
}

/** Body of PATCH /vm/{id}/label: replaces all labels [LabelVmRequest]. */
export interface LabelVmRequest {
  labels?: Record<string, string> | null;
}

/** Body of POST /vm/{id}/exec [VmExecRequest]. */
export interface VmExecRequest {
  command: string[];
  env?: Record<string, string> | null;
  exec_id?: string | null;
  stdin?: string | null;
  timeout_secs?: number | null;
  working_dir?: string | null;
}

/** Response of POST /vm/{id}/exec; a non-zero exit is still HTTP 200 [VmExecResponse]. */
export interface VmExecResponse {
  exit_code: number;
  stdout: string;
  stderr: string;
  exec_id?: string | null;
}

/** A commit as listed by GET /commits and returned by PATCH [CommitInfo]. */
export interface CommitInfo {
  commit_id: string;
  owner_id: string;
  name: string;
  created_at: string;
  is_public: boolean;
  description?: string | null;
  parent_vm_id?: string | null;
  grandparent_commit_id?: string | null;
}

/** Response of GET /commits (newest first) [ListCommitsResponse]. */
export interface ListCommitsResponse {
  commits: CommitInfo[];
  total: number;
  limit: number;
  offset: number;
}

/** Body of PATCH /commits/{id}; `is_public` is required [UpdateCommitRequest]. */
export interface UpdateCommitRequest {
  is_public: boolean;
  name?: string | null;
  description?: string | null;
}

/** One element of GET /vm/commits/{id}/parents — note `id`, not `commit_id` [VmCommitEntity]. */
export interface VmCommitEntity {
  id: string;
  owner_id: string;
  name: string;
  created_at: string;
  is_public: boolean;
  description?: string | null;
  parent_vm_id?: string | null;
  grandparent_commit_id?: string | null;
}

/** Response of POST /keys/validate [ValidateKeyResponse]. */
export interface ValidateKeyResponse {
  valid: boolean;
  message: string;
}

/** Response of GET /system/version [OrchestratorVersion]. */
export interface OrchestratorVersion {
  executable_name: string;
  workspace_version: string;
  git_hash: string;
}

/** JSON error body of most failures [ErrorResponse]. */
export interface ErrorResponse {
  success?: boolean;
  error?: string;
}
