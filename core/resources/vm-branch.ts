import { ApiError, PartialCreateError } from '../base/errors';
import { info, providerOf } from '../provider';
import type { ResourceLifecycle } from './types';
import { announceNewVm, readVm, settleNewVm, startVmCreate, vmResourceParts } from './vm-common';

/**
 * `vers:index:VmBranch` / `vers_vm_branch`: a new VM branched from a running
 * VM. Vers commits the source (pausing it briefly, or leaving it paused with
 * `keepPaused`) and starts the new VM from that commit, which becomes the
 * new VM's parent and this resource's `commitId`.
 */

const TOKEN = 'vers:index:VmBranch';

export const vmBranch: ResourceLifecycle = {
  token: TOKEN,

  // keepPaused only mattered when branching; an imported branch cannot know it.
  ...vmResourceParts(TOKEN, ['keepPaused']),

  async create(inputs, ctx) {
    const sourceVmId = inputs.sourceVmId as string;
    const what = `branched from VM ${sourceVmId}`;
    const { requestToken, leftBehind } = await startVmCreate(ctx, TOKEN, what);
    let vmId = leftBehind;
    if (vmId === undefined) {
      info(ctx, `branching VM ${sourceVmId}`);
      let vmIds: string[];
      try {
        vmIds = await providerOf(ctx).client.branchByVm(sourceVmId, { keepPaused: inputs.keepPaused === true, count: 1, signal: ctx.signal });
      } catch (error) {
        // A failed branch call may still have made the VM: record it rather than lose it.
        const made = error instanceof ApiError ? error.partialVmIds[0] : undefined;
        if (made !== undefined) {
          announceNewVm(ctx, TOKEN, made, what);
          throw new PartialCreateError(made, { ...inputs, commitId: '' }, error, { resource: made, operation: 'branch' });
        }
        throw error;
      }
      vmId = vmIds[0];
      if (vmId === undefined) throw new ApiError({ method: 'POST', path: `/vm/branch/by_vm/${sourceVmId}`, status: 201, serverMessage: 'the branch response listed no VM' });
      announceNewVm(ctx, TOKEN, vmId, what);
    }
    const outs = await settleNewVm(vmId, inputs, ctx, { waitBoot: true, requestToken, labelledAtCreation: false, knownOuts: {} });
    return { id: vmId, outs: { ...outs, commitId: outs.parentCommitId ?? '' } };
  },

  async read(id, olds, ctx) {
    const result = await readVm(id, olds, ctx);
    if (result !== undefined) {
      result.outs.commitId = result.outs.parentCommitId ?? '';
      if (typeof result.outs.sourceVmId !== 'string') {
        // Import: the branch commit was taken from the source VM.
        const metadata = await providerOf(ctx).client.getVmMetadata(id, { signal: ctx.signal });
        result.outs.sourceVmId = metadata.grandparent_vm_id ?? '';
      }
    }
    return result;
  },
};
