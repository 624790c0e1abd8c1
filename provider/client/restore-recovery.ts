import { sleep } from './retry';
import type { Vm, VmMetadata } from './types';

/**
 * Recognising the VM of a restore whose answer was lost. `from_commit` takes
 * no label or client-chosen id, so the VM a failed attempt made is found by
 * elimination: a VM of the organisation, created since the attempt started,
 * whose parent is the commit, and that no call of this client has returned.
 * Restores of the same commit from this client settle first (their VMs are
 * then claimed), and recoveries take turns, so two lost answers never adopt
 * the same VM. A concurrent restore of the same commit by ANOTHER process in
 * the same seconds could still be mistaken for ours; that window is what a
 * platform without idempotency keys leaves.
 */
export interface RestoreRecoveryApi {
  listVms(): Promise<Vm[]>;
  getVmMetadata(vmId: string): Promise<VmMetadata>;
}

/** Clock skew allowed between this machine and the API when comparing creation times, ms. */
const CLOCK_SKEW_MS = 120_000;

export class RestoreRecovery {
  /** VMs some call of this client created and returned: never candidates. */
  private readonly claimed = new Set<string>();
  /** Restores of each commit whose request may still be creating a VM. */
  private readonly pending = new Map<string, number>();
  private turn: Promise<unknown> = Promise.resolve();

  constructor(private readonly api: RestoreRecoveryApi) {}

  /** Wrap one restore of `commitId`; `attempt(recover)` runs the request with this recovery. */
  async run<T extends { vm_id: string }>(commitId: string, attempt: (recover: () => Promise<T | undefined>) => Promise<T>): Promise<T> {
    const startedAt = Date.now();
    this.adjust(commitId, +1);
    let counted = true;
    try {
      const result = await attempt(async () => {
        this.adjust(commitId, -1);
        counted = false;
        try {
          const found = await this.inTurn(() => this.findOrphan(commitId, startedAt));
          return found === undefined ? undefined : ({ vm_id: found } as T);
        } finally {
          // The runner sends again when nothing was found: the request is pending once more.
          this.adjust(commitId, +1);
          counted = true;
        }
      });
      this.claimed.add(result.vm_id);
      return result;
    } finally {
      if (counted) this.adjust(commitId, -1);
    }
  }

  private adjust(commitId: string, delta: number): void {
    const next = (this.pending.get(commitId) ?? 0) + delta;
    if (next <= 0) this.pending.delete(commitId);
    else this.pending.set(commitId, next);
  }

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const run = this.turn.then(work, work);
    this.turn = run.catch(() => undefined);
    return run;
  }

  private async findOrphan(commitId: string, startedAt: number): Promise<string | undefined> {
    // Other restores of this commit may be about to return the VM we would otherwise take.
    for (let waited = 0; (this.pending.get(commitId) ?? 0) > 0 && waited < 120_000; waited += 100) await sleep(100);
    const vms = await this.api.listVms();
    const recent = vms
      .filter((vm) => !this.claimed.has(vm.vm_id) && Date.parse(vm.created_at) >= startedAt - CLOCK_SKEW_MS)
      .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
    for (const vm of recent) {
      const metadata = await this.api.getVmMetadata(vm.vm_id);
      if (metadata.parent_commit_id === commitId) {
        this.claimed.add(vm.vm_id);
        return vm.vm_id;
      }
    }
    return undefined;
  }
}
