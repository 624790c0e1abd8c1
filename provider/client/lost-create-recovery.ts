import { sleep } from './retry';
import type { Vm, VmMetadata } from './types';

/**
 * Recognising the VM of a restore or a branch whose answer was lost.
 * `from_commit` and `branch/by_vm` take no label or client-chosen id, so the
 * VM a failed attempt made is found by elimination: a VM of the
 * organisation, created since the attempt started, that matches the request
 * (its parent commit, or the VM its parent commit was taken from) and that
 * no call of this client has returned. The other creations of this client in
 * flight settle first (their VMs are then claimed), and
 * recoveries take turns, so two lost answers never adopt the same VM. A
 * concurrent restore or branch of the same source by ANOTHER process in the
 * same seconds could still be mistaken for ours; that window is what a
 * platform without idempotency keys leaves.
 */
export interface LostCreateRecoveryApi {
  listVms(): Promise<Vm[]>;
  getVmMetadata(vmId: string): Promise<VmMetadata>;
}

/** What a wrapped create makes, and how to recognise it. */
export interface RecoverableCreate<T> {
  /** Whether a candidate VM (unclaimed, created since the attempt started) is the one this create made. */
  matches(metadata: VmMetadata, startedAt: number): Promise<boolean>;
  /** The VM ids a successful answer returned (claimed: never adopted by another recovery). */
  vmIdsOf(result: T): string[];
  /** The answer to give when the lost attempt's VM was found. */
  resultFor(vmId: string): T;
}

/** Clock skew allowed between this machine and the API when comparing creation times, ms. */
export const CLOCK_SKEW_MS = 120_000;

export class LostCreateRecovery {
  /** VMs some call of this client created and returned: never candidates. */
  private readonly claimed = new Set<string>();
  /** Creations whose request may still be making a VM. */
  private pending = 0;
  private turn: Promise<unknown> = Promise.resolve();

  constructor(private readonly api: LostCreateRecoveryApi) {}

  /** Wrap one create; `attempt(recover)` runs the request with this recovery. */
  async run<T>(create: RecoverableCreate<T>, attempt: (recover: () => Promise<T | undefined>) => Promise<T>): Promise<T> {
    const startedAt = Date.now();
    this.pending++;
    let counted = true;
    try {
      const result = await attempt(async () => {
        this.pending--;
        counted = false;
        try {
          const found = await this.inTurn(() => this.findOrphan(create, startedAt));
          return found === undefined ? undefined : create.resultFor(found);
        } finally {
          // The runner sends again when nothing was found: the request is pending once more.
          this.pending++;
          counted = true;
        }
      });
      for (const vmId of create.vmIdsOf(result)) this.claimed.add(vmId);
      return result;
    } finally {
      if (counted) this.pending--;
    }
  }

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const run = this.turn.then(work, work);
    this.turn = run.catch(() => undefined);
    return run;
  }

  private async findOrphan<T>(create: RecoverableCreate<T>, startedAt: number): Promise<string | undefined> {
    // Other creations may be about to return the VM we would otherwise take (a restore of a fresh
    // commit of a VM looks like a branch of it), so all of them settle first.
    for (let waited = 0; this.pending > 0 && waited < 120_000; waited += 100) await sleep(100);
    const vms = await this.api.listVms();
    const recent = vms
      .filter((vm) => !this.claimed.has(vm.vm_id) && Date.parse(vm.created_at) >= startedAt - CLOCK_SKEW_MS)
      .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
    for (const vm of recent) {
      if (await create.matches(await this.api.getVmMetadata(vm.vm_id), startedAt)) {
        this.claimed.add(vm.vm_id);
        return vm.vm_id;
      }
    }
    return undefined;
  }
}
