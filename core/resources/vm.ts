import { info, providerOf } from '../provider';
import { checkResource, isSet } from './check';
import { diffResource } from './diff';
import type { CheckFailure } from '../base/check-failure';
import type { PropertyBag } from '../base/json';
import type { ResourceLifecycle } from './types';
import { isUnknown } from '../base/unknown';
import { stringMap } from './string-map';
import { announceNewVm, deleteVm, readVm, settleNewVm, startVmCreate, updateVmInPlace, vmVolatileOutputs } from './vm-common';

/**
 * `vers:index:Vm` / `vers_vm`: a new root VM, or a VM restored from
 * `fromCommit`. Sizes, image and `fromCommit` force replacement, except a
 * larger disk, which grows in place; labels and desired state change in place.
 */

const TOKEN = 'vers:index:Vm';

/** The Vers API's defaults for a new root VM, written into the inputs so plans show real values. */
const ROOT_DEFAULTS = { vcpuCount: 1, memSizeMib: 512, fsSizeMib: 1024, imageName: 'default' } as const;
/** What a restored VM inherits from its commit, so it cannot be set alongside `fromCommit`. */
const INHERITED = ['vcpuCount', 'memSizeMib', 'fsSizeMib', 'imageName'] as const;
/** Inputs the Vers API does not report, so an imported VM cannot know them. */
const UNREPORTED = [...INHERITED, 'waitBoot'] as const;

function crossFieldRules(inputs: PropertyBag): CheckFailure[] {
  if (!isSet(inputs.fromCommit)) return [];
  return INHERITED.filter((key) => isSet(inputs[key])).map((key) => ({
    property: key,
    reason: "conflicts with `fromCommit`: a restored VM inherits the commit's vCPUs, memory, disk and image",
  }));
}

function isSmallerDisk(oldValue: unknown, newValue: unknown): boolean {
  return typeof oldValue === 'number' && typeof newValue === 'number' && newValue < oldValue;
}

export const vm: ResourceLifecycle = {
  token: TOKEN,

  async check(news) {
    const result = checkResource(TOKEN, news, crossFieldRules);
    if (!isSet(result.inputs.fromCommit)) {
      for (const [key, value] of Object.entries(ROOT_DEFAULTS)) result.inputs[key] ??= value;
    }
    return result;
  },

  async diff(_id, olds, news) {
    return diffResource(TOKEN, olds, news, {
      // A disk only grows: a smaller (or not yet known) size needs a new VM.
      extraReplaces: (key, oldValue, newValue) =>
        key === 'fsSizeMib' && oldValue !== undefined && (isUnknown(newValue) || isSmallerDisk(oldValue, newValue)),
      volatileOutputs: vmVolatileOutputs,
      unreported: UNREPORTED,
    });
  },

  async create(inputs, ctx) {
    const provider = providerOf(ctx);
    const labels = stringMap(inputs.labels);
    const waitBoot = inputs.waitBoot !== false;
    if (typeof inputs.fromCommit === 'string') {
      const what = `restored from commit ${inputs.fromCommit}`;
      const { requestToken, leftBehind } = await startVmCreate(ctx, TOKEN, what);
      let vmId = leftBehind;
      if (vmId === undefined) {
        info(ctx, `restoring a VM from commit ${inputs.fromCommit}`);
        ({ vm_id: vmId } = await provider.client.restoreFromCommit(inputs.fromCommit, { signal: ctx.signal }));
        announceNewVm(ctx, TOKEN, vmId, what);
      }
      const outs = await settleNewVm(vmId, inputs, ctx, { waitBoot, requestToken, labelledAtCreation: false, knownOuts: {} });
      return { id: vmId, outs };
    }
    const { requestToken, leftBehind } = await startVmCreate(ctx, TOKEN, 'a root VM');
    let vmId = leftBehind;
    if (vmId === undefined) {
      info(ctx, `creating a root VM (${String(inputs.vcpuCount)} vCPU, ${String(inputs.memSizeMib)} MiB memory, ${String(inputs.fsSizeMib)} MiB disk)`);
      ({ vm_id: vmId } = await provider.client.createRootVm(
        {
          vcpu_count: inputs.vcpuCount as number,
          mem_size_mib: inputs.memSizeMib as number,
          fs_size_mib: inputs.fsSizeMib as number,
          image_name: inputs.imageName as string,
          labels,
        },
        { signal: ctx.signal, requestToken },
      ));
      announceNewVm(ctx, TOKEN, vmId, 'a root VM');
    }
    // A VM left by an interrupted create carries the labels of that create's inputs: label it again.
    const outs = await settleNewVm(vmId, inputs, ctx, { waitBoot, requestToken, labelledAtCreation: leftBehind === undefined, knownOuts: {} });
    return { id: vmId, outs };
  },

  async read(id, olds, ctx) {
    const result = await readVm(id, olds, ctx);
    // Import: a VM with a parent commit was restored from it.
    if (result !== undefined && olds === undefined && result.outs.parentCommitId !== '') result.outs.fromCommit = result.outs.parentCommitId ?? '';
    return result;
  },

  async update(id, olds, news, ctx) {
    const { changedKeys } = await this.diff(id, olds, news);
    if (changedKeys.includes('fsSizeMib') && typeof news.fsSizeMib === 'number') {
      await providerOf(ctx).client.resizeDisk(id, news.fsSizeMib, { signal: ctx.signal });
      info(ctx, `VM ${id}: disk grown to ${news.fsSizeMib} MiB`);
    }
    return updateVmInPlace(id, olds, news, ctx, changedKeys);
  },

  async delete(id, _olds, ctx) {
    await deleteVm(id, ctx);
  },
};
