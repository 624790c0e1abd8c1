import { withoutRequestToken, type Vm } from '../client';
import { NotFoundError } from '../base/errors';
import { providerOf, type VersProvider } from '../provider';
import { validateInputs } from '../schema/input-validator';
import type { FunctionLifecycle } from './types';
import type { PropertyBag } from '../base/json';
import { stringMap } from './string-map';
import { vmAddressOutputs } from './vm-common';

/**
 * `vers:index:getVms` / data `vers_vms`: the organisation's VMs, optionally
 * filtered by labels, each with what it takes to reach it (its IP, SSH host
 * and parent commit, from its metadata: the list does not carry them).
 */

const TOKEN = 'vers:index:getVms';
/** Metadata reads in flight at once. */
const METADATA_CONCURRENCY = 8;

/** One listed VM with its metadata; undefined when it was deleted since the list. */
async function summaryOf(provider: VersProvider, vm: Vm, signal: AbortSignal): Promise<PropertyBag | undefined> {
  try {
    const metadata = await provider.client.getVmMetadata(vm.vm_id, { signal });
    return {
      vmId: vm.vm_id,
      state: vm.state,
      createdAt: vm.created_at,
      labels: withoutRequestToken(vm.labels),
      ownerId: vm.owner_id,
      ...vmAddressOutputs(provider, vm.vm_id, metadata),
    };
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

export const getVms: FunctionLifecycle = {
  token: TOKEN,

  async check(args) {
    return validateInputs(TOKEN, args);
  },

  async invoke(args, ctx) {
    const provider = providerOf(ctx);
    const wanted = Object.entries(stringMap(args.labels));
    const matching = (await provider.client.listVms({ signal: ctx.signal }))
      .filter((vm) => wanted.every(([key, value]) => withoutRequestToken(vm.labels)[key] === value))
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.vm_id.localeCompare(b.vm_id));
    const summaries: Array<PropertyBag | undefined> = new Array(matching.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < matching.length) {
        const index = next++;
        summaries[index] = await summaryOf(provider, matching[index]!, ctx.signal);
      }
    };
    await Promise.all(Array.from({ length: Math.min(METADATA_CONCURRENCY, matching.length) }, worker));
    return { vms: summaries.filter((summary): summary is PropertyBag => summary !== undefined) };
  },
};
