import { info, providerOf } from '../provider';
import type { ResourceLifecycle } from './types';
import { announceNewVm, readVm, settleNewVm, startVmCreate, vmResourceParts } from './vm-common';

/**
 * `vers:index:VmRestore` / `vers_vm_restore`: a new VM restored from a commit.
 * It comes up running with the commit's disk, vCPUs and memory, and its own
 * id, IP and SSH key. A new commit id restores a new VM.
 */

const TOKEN = 'vers:index:VmRestore';

export const vmRestore: ResourceLifecycle = {
  token: TOKEN,

  ...vmResourceParts(TOKEN),

  async create(inputs, ctx) {
    const commitId = inputs.commitId as string;
    const what = `restored from commit ${commitId}`;
    const { requestToken, leftBehind } = await startVmCreate(ctx, TOKEN, what);
    let vmId = leftBehind;
    if (vmId === undefined) {
      info(ctx, `restoring a VM from commit ${commitId}`);
      ({ vm_id: vmId } = await providerOf(ctx).client.restoreFromCommit(commitId, { signal: ctx.signal }));
      announceNewVm(ctx, TOKEN, vmId, what);
    }
    const outs = await settleNewVm(vmId, inputs, ctx, { waitBoot: true, requestToken, labelledAtCreation: false, knownOuts: { commitId } });
    return { id: vmId, outs };
  },

  async read(id, olds, ctx) {
    const result = await readVm(id, olds, ctx);
    // An imported VM learns its commit from the metadata.
    if (result !== undefined && typeof result.outs.commitId !== 'string') result.outs.commitId = result.outs.parentCommitId ?? '';
    return result;
  },
};
