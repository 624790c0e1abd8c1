import { REQUEST_TOKEN_LABEL } from '../../../core/client';
import type { VersLocalProcess } from '../../helpers/vers-local';

/**
 * vers-local's record of every VM it ever created (`GET /_vers-local/history`)
 * and the audit the reliability suites run on it: nothing left alive, no VM
 * that no Terraform state ever knew (an orphan), no two VMs alive at once for
 * one resource instance (a duplicate made by a retry).
 */

export interface HistoryVm {
  vm_id: string;
  origin: string;
  labels: Record<string, string>;
  /** `deleted` once gone. */
  state: string;
  created_at: string;
  deleted_at: string | null;
  parent_commit_id: string | null;
  boot_failed: boolean;
}

export async function vmHistory(local: VersLocalProcess): Promise<HistoryVm[]> {
  const res = await local.admin('GET', '/history');
  if (res.status !== 200) throw new Error(`GET /_vers-local/history answered ${res.status}: ${res.text}`);
  return res.json<{ vms: HistoryVm[] }>().vms;
}

/** Maps a VM to the resource instance it was made for (from the labels the configuration sets), or undefined. */
export type AddressOf = (vm: HistoryVm) => string | undefined;

/** The golden-image example's labels: `role = golden-base` and `role = worker, index = i`. */
export const goldenAddressOf: AddressOf = (vm) => {
  if (vm.labels.role === 'golden-base') return 'vers_vm.golden_base';
  if (vm.labels.role === 'worker' && vm.labels.index !== undefined) return `vers_vm_restore.worker[${vm.labels.index}]`;
  return undefined;
};

export interface AuditOptions {
  addressOf: AddressOf;
  /** Every VM id any Terraform state recorded during the scenario (tainted ones included). */
  idsSeenInState: ReadonlySet<string>;
  /** VMs that may still exist (the scenario keeps them). Default: none may. */
  mayBeAlive?: ReadonlySet<string>;
}

/** What is wrong with the history, one line each; empty when nothing was lost or duplicated. */
export function auditHistory(history: readonly HistoryVm[], options: AuditOptions): string[] {
  const problems: string[] = [];
  const describe = (vm: HistoryVm): string =>
    `${vm.vm_id} (${vm.origin}, labels ${JSON.stringify(vm.labels)}, created ${vm.created_at}, deleted ${vm.deleted_at ?? 'never'}${vm.boot_failed ? ', boot failed' : ''})`;
  for (const vm of history) {
    if (vm.state !== 'deleted' && !(options.mayBeAlive?.has(vm.vm_id) ?? false)) problems.push(`still alive: ${describe(vm)}`);
    // A VM whose boot failed is cleaned up by Vers itself; anything else must have been tracked.
    if (!vm.boot_failed && options.addressOf(vm) === undefined && !options.idsSeenInState.has(vm.vm_id)) {
      problems.push(`orphan (no configured labels, never in any Terraform state): ${describe(vm)}`);
    }
  }
  // One create call carries one request token: two VMs with it are a retried create that was not recognised.
  const byToken = groupBy(history, (vm) => vm.labels[REQUEST_TOKEN_LABEL]);
  for (const [token, vms] of byToken) if (vms.length > 1) problems.push(`${vms.length} VMs from one create call (request token ${token}): ${vms.map(describe).join('; ')}`);
  // Replacements are sequential (destroy, then create); two VMs alive at once for one instance are a duplicate.
  const byAddress = groupBy(
    history.filter((vm) => !vm.boot_failed),
    (vm) => options.addressOf(vm),
  );
  for (const [address, vms] of byAddress) {
    const sorted = [...vms].sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
    for (let i = 1; i < sorted.length; i++) {
      const previous = sorted[i - 1] as HistoryVm;
      const current = sorted[i] as HistoryVm;
      const previousEnd = previous.deleted_at === null ? Infinity : Date.parse(previous.deleted_at);
      if (previousEnd > Date.parse(current.created_at)) problems.push(`two VMs alive at once for ${address}: ${describe(previous)} and ${describe(current)}`);
    }
  }
  return problems;
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string | undefined): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    if (key === undefined) continue;
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  return groups;
}
