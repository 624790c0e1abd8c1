import { backoffDelay, sleep } from '../base/backoff';
import { CancelledError, CreateOutcomeUnknownError, formatDuration, NotFoundError } from '../base/errors';
import type { Logger } from '../base/logging';
import type { RecoveryContext } from './request-runner';
import { REQUEST_TOKEN_LABEL } from './request-token';
import { isTransientFailure } from './retry';
import type { PlaceInTime, ServerClock } from './server-clock';
import type { Vm, VmMetadata } from './types';

/**
 * Recognising the VM of a restore or a branch whose answer was lost.
 * `from_commit` and `branch/by_vm` take no label, idempotency key or
 * client-chosen id, so the VM a lost attempt made is found by elimination.
 * A VM is a candidate only if it matches the request (its parent commit,
 * or a commit Vers took of the source VM) and if none of these rule it out:
 * - it certainly existed before the call started: its server-side
 *   `created_at` (or its branch commit's) is earlier than the call's start
 *   by the server's clock, which `ServerClock` bounds from answers;
 * - it carries a request token (`vers.sh/request-token`): it belongs to
 *   another create call, of this run or an earlier one;
 * - a call of this client returned or adopted it (claimed).
 * The other creates of this client in flight settle first, new ones wait
 * while a recovery decides, and recoveries take turns.
 *
 * Lost calls of this client that asked for the same thing (same commit,
 * same source VM) form a group: their VMs are interchangeable, fresh and
 * unlabelled. A call adopts the oldest candidate when there are no more
 * candidates than lost calls in its group; when there are more, some VM is
 * not this process's and nothing tells which: nothing is adopted, nothing
 * is sent again, and the error names every candidate (CreateOutcomeUnknownError).
 *
 * The window that remains: another process, in the same seconds, makes a
 * VM of the same source and has not labelled it yet, while this call's lost
 * attempt made nothing (a 500 before the VM existed) — that VM is taken for
 * this call's. See docs/architecture.md.
 */
export interface LostCreateRecoveryApi {
  listVms(options: RecoveryReadOptions): Promise<Vm[]>;
  getVmMetadata(vmId: string, options: RecoveryReadOptions): Promise<VmMetadata>;
}

/** What a read made on behalf of a recovery passes on: the call's signal and deadline. */
export interface RecoveryReadOptions {
  signal?: AbortSignal;
  deadlineAt?: number;
}

/** Runs a read, retrying transient failures until the call's deadline. */
export type RetryingRead = <R>(what: string, read: (options: RecoveryReadOptions) => Promise<R>) => Promise<R>;

/** What a wrapped create makes, and how to recognise it. */
export interface RecoverableCreate<T> {
  /** Creates with the same key ask for the same thing (the same commit, the same source VM): what they make is interchangeable. */
  key: string;
  /** What the call asked for, for messages: `a VM restored from commit …`. */
  describe: string;
  /** Whether a candidate VM matches the request; `place` tells where a server time lies relative to the call's start. */
  matches(metadata: VmMetadata, place: (serverTime: string) => PlaceInTime, read: RetryingRead): Promise<boolean>;
  /** The VM ids a successful answer returned (claimed: never adopted by another recovery). */
  vmIdsOf(result: T): string[];
  /** The answer to give when the lost attempt's VM was found. */
  resultFor(vmId: string): T;
}

interface LostCall {
  key: string;
  startedAt: number;
}

/** Waits between failed reads of a recovery. */
const READ_RETRY = { baseDelayMs: 250, maxDelayMs: 4000 } as const;

/** How to keep or remove a VM that no state records. */
export const IMPORT_OR_DELETE =
  'keep it with `terraform import <address> <vm id>` (Terraform) or `pulumi import <type token> <name> <vm id>` (Pulumi), or delete it (DELETE /api/v1/vm/<vm id>), before the next apply';

/**
 * Runs `read` until it succeeds, retrying transient failures (no answer,
 * 408, 429, 5xx) until the deadline of the call it serves. The last
 * failure is thrown when time runs out or the failure is not transient.
 */
export async function readUntilDeadline<R>(read: (options: RecoveryReadOptions) => Promise<R>, context: Pick<RecoveryContext, 'deadlineAt' | 'signal'>): Promise<R> {
  const options: RecoveryReadOptions = { deadlineAt: context.deadlineAt, ...(context.signal === undefined ? {} : { signal: context.signal }) };
  for (let attempt = 1; ; attempt++) {
    try {
      return await read(options);
    } catch (error) {
      if (!isTransientFailure(error)) throw error;
      const wait = backoffDelay(attempt, READ_RETRY);
      if (Date.now() + wait >= context.deadlineAt) throw error;
      await sleep(wait, context.signal, 'looking for the result of a create');
    }
  }
}

export class LostCreateRecovery {
  /** VMs some call of this client returned or adopted: never candidates. */
  private readonly claimed = new Set<string>();
  /** Creates that may be making a VM right now (sent, or about to be sent again). */
  private pending = 0;
  private pendingSettled: Array<() => void> = [];
  private turn: Promise<unknown> = Promise.resolve();
  /** Closed while a recovery decides: new creates wait, so none makes a VM it could take. */
  private gate: Promise<void> | undefined;
  /** Calls whose answer was lost and whose recovery has not decided yet. */
  private readonly lost = new Set<LostCall>();

  constructor(
    private readonly api: LostCreateRecoveryApi,
    private readonly clock: ServerClock,
    private readonly logger: Logger | undefined,
  ) {}

  /** VMs a call of this client returned: never taken for another call's. */
  claim(vmIds: Iterable<string>): void {
    for (const vmId of vmIds) this.claimed.add(vmId);
  }

  /** Wrap one create; `attempt(recover)` runs the request with this recovery. */
  async run<T>(create: RecoverableCreate<T>, attempt: (recover: (context: RecoveryContext) => Promise<T | undefined>) => Promise<T>): Promise<T> {
    while (this.gate !== undefined) await this.gate;
    const call: LostCall = { key: create.key, startedAt: Date.now() };
    this.pending++;
    let counted = true;
    try {
      const result = await attempt(async (context) => {
        this.pending--;
        counted = false;
        this.wakeIfSettled();
        this.lost.add(call);
        try {
          return await this.inTurn(() => this.decide(call, create, context));
        } finally {
          this.lost.delete(call);
          // The runner sends again when nothing was found: the request is pending once more.
          this.pending++;
          counted = true;
        }
      });
      this.claim(create.vmIdsOf(result));
      return result;
    } finally {
      if (counted) {
        this.pending--;
        this.wakeIfSettled();
      }
    }
  }

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const run = this.turn.then(work, work);
    this.turn = run.catch(() => undefined);
    return run;
  }

  private wakeIfSettled(): void {
    if (this.pending > 0) return;
    const waiters = this.pendingSettled;
    this.pendingSettled = [];
    for (const wake of waiters) wake();
  }

  /** Until every other create of this client has returned or lost its answer too. */
  private async othersSettled(context: RecoveryContext): Promise<boolean> {
    if (this.pending === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const settled = await new Promise<boolean>((resolve) => {
      this.pendingSettled.push(() => resolve(true));
      timer = setTimeout(() => resolve(false), Math.max(0, context.deadlineAt - Date.now()));
    });
    clearTimeout(timer);
    return settled;
  }

  private async decide<T>(call: LostCall, create: RecoverableCreate<T>, context: RecoveryContext): Promise<T | undefined> {
    let open = (): void => undefined;
    this.gate = new Promise<void>((resolve) => (open = resolve));
    try {
      if (!(await this.othersSettled(context))) {
        throw this.unknown(create, call, `other creates of this run were still running at the call's deadline (${formatDuration(context.deadlineAt - call.startedAt)})`);
      }
      const read: RetryingRead = async (what, run) => {
        try {
          return await readUntilDeadline(run, context);
        } catch (error) {
          if (error instanceof CancelledError || error instanceof NotFoundError) throw error;
          throw this.unknown(create, call, `${what} failed until the call's deadline: ${error instanceof Error ? error.message : String(error)}`, error);
        }
      };
      const vms = await read('listing VMs', (options) => this.api.listVms(options));
      const group = [...this.lost].filter((other) => other.key === call.key);
      const since = Math.min(...group.map((other) => other.startedAt));
      const place = (serverTime: string): PlaceInTime => this.clock.place(serverTime, since);
      const { low, high } = this.clock.offsetMs;
      this.log('debug', `lost answer: looking for ${create.describe} among ${vms.length} VMs; server clock offset known within [${low}, ${high}] ms (${high - low} ms wide)`);
      const candidates: Vm[] = [];
      for (const vm of vms) {
        if (this.claimed.has(vm.vm_id) || vm.labels?.[REQUEST_TOKEN_LABEL] !== undefined) continue;
        if (place(vm.created_at) === 'before') continue;
        let metadata: VmMetadata;
        try {
          metadata = await read(`reading VM ${vm.vm_id}`, (options) => this.api.getVmMetadata(vm.vm_id, options));
        } catch (error) {
          if (error instanceof NotFoundError) continue;
          throw error;
        }
        if (await create.matches(metadata, place, read)) candidates.push(vm);
      }
      if (candidates.length === 0) {
        this.log('debug', `lost answer: no VM was made for ${create.describe}; sending it again`);
        return undefined;
      }
      const ids = candidates.sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at)).map((vm) => vm.vm_id);
      if (candidates.length > group.length) {
        this.log('warn', `lost answer: not adopting any of VMs ${ids.join(', ')} for ${create.describe}: more VMs than lost requests, so one was made by someone else`);
        throw new CreateOutcomeUnknownError(
          `the answer to the request for ${create.describe} was lost after Vers may have acted on it, and ${ids.length} VMs made since the call started could be its VM: ${ids.join(', ')}` +
            `${group.length > 1 ? ` (for ${group.length} identical requests of this run)` : ''}. None was adopted, since something else (another run or tool) made at least one of them. ` +
            `For each, ${IMPORT_OR_DELETE}`,
          { candidateVmIds: ids, operation: 'recover lost create' },
        );
      }
      const chosen = ids[0] as string;
      this.claimed.add(chosen);
      this.log(
        'warn',
        `lost answer: adopted VM ${chosen} as ${create.describe}` +
          (group.length === 1 ? ' (the one VM made for it since the call started)' : ` (one of ${ids.length} VMs made for ${group.length} identical requests of this run whose answers were lost)`),
      );
      return create.resultFor(chosen);
    } finally {
      this.gate = undefined;
      open();
    }
  }

  private unknown<T>(create: RecoverableCreate<T>, call: LostCall, why: string, cause?: unknown): CreateOutcomeUnknownError {
    this.log('warn', `lost answer: cannot tell whether Vers made ${create.describe}: ${why}`);
    return new CreateOutcomeUnknownError(
      `the answer to the request for ${create.describe} was lost and whether Vers made it cannot be told (${why}): a VM may have been made. ` +
        `Look for it (GET /api/v1/vms, created at or after ${new Date(call.startedAt).toISOString()} by this machine's clock) and ${IMPORT_OR_DELETE}, which would otherwise make a second one`,
      { operation: 'recover lost create', ...(cause === undefined ? {} : { cause }) },
    );
  }

  private log(level: 'debug' | 'warn', message: string): void {
    this.logger?.log(level, message);
  }
}
