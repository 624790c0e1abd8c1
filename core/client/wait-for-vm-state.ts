import { sleep } from '../base/backoff';
import { formatDuration, NotFoundError, TimeoutError, VmStateError } from '../base/errors';
import { checkOptions, type OptionRules } from '../base/option-checks';
import type { Vm, VmState } from './types';

export interface WaitForVmStateOptions {
  /** Give up after this long (TimeoutError, phase `boot` when waiting for running). Default 300000 (5 min). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Receives progress lines, at most one per `progressEveryMs`. Default: none. */
  onProgress?: (message: string) => void;
  /** Minimum gap between progress lines, ms. Default 5000. */
  progressEveryMs?: number;
  /** First poll interval, ms; grows ×1.5 per poll up to `maxIntervalMs`. Default 250. */
  initialIntervalMs?: number;
  /** Poll interval cap, ms. Default 2000. */
  maxIntervalMs?: number;
}

/** One read of a VM's status (`VersClient.getVmStatus`): all the waiting needs of the API. */
export type VmStatusReader = (vmId: string, options: { signal?: AbortSignal }) => Promise<Vm>;

const RULES: OptionRules = {
  timeoutMs: { kind: 'integer', min: 1 },
  signal: { kind: 'signal' },
  onProgress: { kind: 'function' },
  progressEveryMs: { kind: 'integer', min: 0 },
  initialIntervalMs: { kind: 'integer', min: 1 },
  maxIntervalMs: { kind: 'integer', min: 1 },
};

/** States a VM passes through on its own; anything else than the target is final. */
const TRANSITIONAL: ReadonlySet<VmState> = new Set(['booting']);

/**
 * Poll the VM's status (GET /vm/{id}/status, read by `readStatus`) until the
 * VM is in `target`. Fails with TimeoutError past the limit, VmStateError
 * when the VM settles in another state (e.g. `dead`), and NotFoundError when
 * it disappears (the real server deletes a VM whose boot failed).
 */
export async function waitForVmState(readStatus: VmStatusReader, vmId: string, target: VmState, options: WaitForVmStateOptions = {}): Promise<Vm> {
  checkOptions(options, RULES, 'WaitForVmStateOptions');
  const timeoutMs = options.timeoutMs ?? 300_000;
  const maxIntervalMs = options.maxIntervalMs ?? 2000;
  const progressEveryMs = options.progressEveryMs ?? 5000;
  const phase = target === 'running' ? 'boot' : `wait for ${target}`;
  const started = Date.now();
  let interval = Math.min(options.initialIntervalMs ?? 250, maxIntervalMs);
  let lastProgress = started;
  let lastState: VmState | undefined;
  for (;;) {
    let vm: Vm;
    try {
      vm = await readStatus(vmId, options.signal === undefined ? {} : { signal: options.signal });
    } catch (error) {
      if (error instanceof NotFoundError) {
        const before = lastState === undefined ? '' : ` (last seen ${lastState})`;
        throw new NotFoundError(
          {
            method: error.method,
            path: error.path,
            status: error.status,
            serverMessage: error.serverMessage,
            resource: vmId,
            operation: `waitForVmState(${target})`,
            cause: error,
            ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
          },
          `VM ${vmId} disappeared while waiting for it to be ${target}${before}; the server deletes VMs that fail to boot. Create it again, or check the VM's image and size`,
        );
      }
      throw error;
    }
    if (vm.state === target) return vm;
    if (!TRANSITIONAL.has(vm.state)) throw new VmStateError(vmId, vm.state, target, { operation: `waitForVmState(${target})`, resource: vmId });
    lastState = vm.state;
    const elapsed = Date.now() - started;
    if (elapsed >= timeoutMs) {
      throw new TimeoutError(phase, timeoutMs, `VM ${vmId} is still ${vm.state} after ${formatDuration(elapsed)}, waiting for ${target}`, { resource: vmId, operation: `waitForVmState(${target})` });
    }
    const now = Date.now();
    if (options.onProgress !== undefined && now - lastProgress >= progressEveryMs) {
      lastProgress = now;
      options.onProgress(`waiting for VM ${vmId} to ${target === 'running' ? 'boot' : `be ${target}`} (${vm.state}, ${Math.round(elapsed / 1000)} s elapsed)`);
    }
    await sleep(Math.min(interval, timeoutMs - elapsed), options.signal, `waiting for VM ${vmId} to be ${target}`);
    interval = Math.min(maxIntervalMs, Math.round(interval * 1.5));
  }
}
