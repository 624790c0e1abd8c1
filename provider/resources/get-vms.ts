import { withoutRequestToken } from '../client';
import { providerOf } from '../provider';
import { validateInputs } from '../schema/input-validator';
import type { FunctionLifecycle } from './types';
import { stringMap } from './string-map';

/** `vers:index:getVms` / data `vers_vms`: the organisation's VMs, optionally filtered by labels. */

const TOKEN = 'vers:index:getVms';

export const getVms: FunctionLifecycle = {
  token: TOKEN,

  async check(args) {
    return validateInputs(TOKEN, args);
  },

  async invoke(args, ctx) {
    const wanted = Object.entries(stringMap(args.labels));
    const vms = await providerOf(ctx).client.listVms({ signal: ctx.signal });
    return {
      vms: vms
        .map((vm) => ({ vmId: vm.vm_id, state: vm.state, createdAt: vm.created_at, labels: withoutRequestToken(vm.labels), ownerId: vm.owner_id }))
        .filter((vm) => wanted.every(([key, value]) => vm.labels[key] === value))
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.vmId.localeCompare(b.vmId)),
    };
  },
};
