import { BadRequestError, NotFoundError } from '../models/errors';
import type { HandlerContext } from './context';
import { absentable, optional, required, string, stringMap, struct, taggedEnum, u32, unitEnum, uuid } from './json-decode';
import { jsonBody, optionalJsonBody, pathUuid, queryBool, queryInteger, queryParams, type ApiRequest } from './request';
import { empty, json, type Reply } from './reply';
import { newVmsJson, vmJson, vmMetadataJson } from './serialize';

/** Handlers of the VM endpoints (reference §4.1): parse, call the models, serialise. */

const VmCreateVmConfig = struct('VmCreateVmConfig', {
  vcpu_count: absentable(optional(u32)),
  mem_size_mib: absentable(optional(u32)),
  fs_size_mib: absentable(optional(u32)),
  image_name: absentable(optional(string)),
  kernel_name: absentable(optional(string)),
  labels: absentable(optional(stringMap)),
});
const NewRootRequest = struct('NewRootRequest', { vm_config: required(VmCreateVmConfig) });
const FromCommitVmRequest = taggedEnum('FromCommitVmRequest', { commit_id: uuid, tag_name: string, ref: string });
const VmUpdateStateRequest = struct('VmUpdateStateRequest', { state: required(unitEnum('VmUpdateStateEnum', ['Paused', 'Running'] as const)) });
const VmCommitRequest = struct('VmCommitRequest', {
  commit_id: absentable(optional(uuid)),
  name: absentable(optional(string)),
  description: absentable(optional(string)),
});
const VmResizeDiskRequest = struct('VmResizeDiskRequest', { fs_size_mib: required(u32) });
const LabelVmRequest = struct('LabelVmRequest', { labels: absentable(optional(stringMap)) });

const u8Query = queryInteger(0, 255);

export async function createNewRootVm(req: ApiRequest, ctx: HandlerContext): Promise<Reply> {
  const { wait_boot } = queryParams(req, { wait_boot: queryBool });
  const { vm_config: config } = jsonBody(req, NewRootRequest);
  const vm = await ctx.vms.createRoot(
    req.ownerId,
    {
      vcpuCount: config.vcpu_count,
      memSizeMib: config.mem_size_mib,
      fsSizeMib: config.fs_size_mib,
      imageName: config.image_name,
      kernelName: config.kernel_name,
      labels: config.labels,
    },
    wait_boot ?? false,
  );
  return json(201, { vm_id: vm.id });
}

export async function restoreFromCommit(req: ApiRequest, ctx: HandlerContext): Promise<Reply> {
  const request = jsonBody(req, FromCommitVmRequest);
  switch (request.variant) {
    case 'commit_id': {
      const commit = ctx.commits.getReadable(request.value, req.ownerId);
      const vm = await ctx.vms.createFromCommit(req.ownerId, commit, 'from_commit');
      return json(201, { vm_id: vm.id });
    }
    case 'tag_name':
      throw new NotFoundError('tag not found', 'TAG_NOT_FOUND');
    case 'ref': {
      const [repo, tag, ...rest] = request.value.split(':');
      if (repo === undefined || tag === undefined || rest.length > 0 || repo === '' || tag === '') {
        throw new BadRequestError("Invalid ref format. Expected 'repo_name:tag_name'", 'INVALID_REF');
      }
      // vers-local has no repositories or tags yet.
      throw new NotFoundError('tag not found', 'TAG_NOT_FOUND');
    }
  }
}

export async function listVms(_req: ApiRequest, ctx: HandlerContext): Promise<Reply> {
  return json(200, ctx.vms.list().map(vmJson));
}

export async function vmStatus(req: ApiRequest, ctx: HandlerContext): Promise<Reply> {
  return json(200, vmJson(ctx.vms.get(pathUuid(req, 'vm_id'), 'not found')));
}

export async function vmMetadata(req: ApiRequest, ctx: HandlerContext): Promise<Reply> {
  return json(200, vmMetadataJson(ctx.vms.get(pathUuid(req, 'vm_id'), 'not found')));
}

export async function deleteVm(req: ApiRequest, ctx: HandlerContext): Promise<Reply> {
  const vmId = pathUuid(req, 'vm_id');
  const { skip_wait_boot } = queryParams(req, { skip_wait_boot: queryBool });
  await ctx.vms.delete(vmId, skip_wait_boot ?? false);
  return json(200, { vm_id: vmId });
}

export async function updateVmState(req: ApiRequest, ctx: HandlerContext): Promise<Reply> {
  const vmId = pathUuid(req, 'vm_id');
  const { skip_wait_boot } = queryParams(req, { skip_wait_boot: queryBool });
  const { state } = jsonBody(req, VmUpdateStateRequest);
  await ctx.vms.setState(vmId, state, skip_wait_boot ?? false);
  return empty(200);
}

export async function commitVm(req: ApiRequest, ctx: HandlerContext): Promise<Reply> {
  const vmId = pathUuid(req, 'vm_id');
  const { keep_paused, skip_wait_boot } = queryParams(req, { keep_paused: queryBool, skip_wait_boot: queryBool });
  const body = optionalJsonBody(req, VmCommitRequest);
  const commit = await ctx.vms.commit(vmId, req.ownerId, {
    keepPaused: keep_paused ?? false,
    skipWaitBoot: skip_wait_boot ?? false,
    commitId: body?.commit_id ?? undefined,
    name: body?.name,
    description: body?.description,
  });
  return json(201, { commit_id: commit.id });
}

function branchQuery(req: ApiRequest): { count: number; keepPaused: boolean; skipWaitBoot: boolean } {
  const q = queryParams(req, { count: u8Query, keep_paused: queryBool, skip_wait_boot: queryBool });
  return { count: q.count ?? 1, keepPaused: q.keep_paused ?? false, skipWaitBoot: q.skip_wait_boot ?? false };
}

export async function branchVm(req: ApiRequest, ctx: HandlerContext): Promise<Reply> {
  const id = pathUuid(req, 'vm_or_commit_id');
  const vmIds = await ctx.branches.polymorphic(id, req.ownerId, branchQuery(req));
  return json(201, newVmsJson(vmIds));
}

export async function branchByVm(req: ApiRequest, ctx: HandlerContext): Promise<Reply> {
  const vmId = pathUuid(req, 'vm_id');
  const vmIds = await ctx.branches.byVm(vmId, req.ownerId, branchQuery(req));
  return json(201, newVmsJson(vmIds));
}

export async function branchByCommit(req: ApiRequest, ctx: HandlerContext): Promise<Reply> {
  const commitId = pathUuid(req, 'commit_id');
  const { count } = queryParams(req, { count: u8Query });
  const vmIds = await ctx.branches.byCommit(commitId, req.ownerId, count ?? 1);
  return json(201, newVmsJson(vmIds));
}

/** by_tag and by_ref: vers-local has no tags yet, so every lookup is the server's hybrid 404. */
export async function branchByTag(req: ApiRequest): Promise<Reply> {
  queryParams(req, { count: u8Query });
  throw new NotFoundError('tag not found', 'TAG_NOT_FOUND').asNewVmsResponse([]);
}

export async function vmSshKey(req: ApiRequest, ctx: HandlerContext): Promise<Reply> {
  const key = ctx.vms.sshKey(pathUuid(req, 'vm_id'));
  return json(200, { ssh_private_key: key.privateKey, ssh_port: key.port });
}

export async function resizeVmDisk(req: ApiRequest, ctx: HandlerContext): Promise<Reply> {
  const vmId = pathUuid(req, 'vm_id');
  const { skip_wait_boot } = queryParams(req, { skip_wait_boot: queryBool });
  const { fs_size_mib } = jsonBody(req, VmResizeDiskRequest);
  await ctx.vms.resizeDisk(vmId, fs_size_mib, skip_wait_boot ?? false);
  return empty(200);
}

export async function labelVm(req: ApiRequest, ctx: HandlerContext): Promise<Reply> {
  const vmId = pathUuid(req, 'vm_id');
  const { labels } = jsonBody(req, LabelVmRequest);
  ctx.vms.setLabels(vmId, labels ?? null);
  return empty(200);
}
