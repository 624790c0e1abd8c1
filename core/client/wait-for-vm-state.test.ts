import { CancelledError, NotFoundError, TimeoutError, VmStateError } from '../base/errors';
import type { Vm, VmState } from './types';
import { waitForVmState } from './wait-for-vm-state';

const VM_ID = '11111111-2222-4333-8444-555555555555';

/** A status source below the HTTP layer: replays states, then 404s when told to. */
function statuses(sequence: Array<VmState | 'gone'>): { getVmStatus: () => Promise<Vm>; calls: () => number } {
  let index = 0;
  return {
    calls: () => index,
    getVmStatus: async () => {
      const state = sequence[Math.min(index, sequence.length - 1)] as VmState | 'gone';
      index++;
      if (state === 'gone') {
        throw new NotFoundError({ method: 'GET', path: `/api/v1/vm/${VM_ID}/status`, status: 404, serverMessage: 'not found' });
      }
      return { vm_id: VM_ID, owner_id: 'o', created_at: 't', state };
    },
  };
}

describe('waitForVmState', () => {
  test('polls until the VM is running and reports progress', async () => {
    const source = statuses(['booting', 'booting', 'booting', 'running']);
    const progress: string[] = [];
    const vm = await waitForVmState(source.getVmStatus, VM_ID, 'running', { initialIntervalMs: 10, maxIntervalMs: 20, progressEveryMs: 0, onProgress: (m) => progress.push(m) });
    expect(vm.state).toBe('running');
    expect(source.calls()).toBe(4);
    expect(progress[0]).toMatch(new RegExp(`^waiting for VM ${VM_ID} to boot \\(booting, \\d+ s elapsed\\)$`));
  });

  test('backs off from the initial interval up to the cap', async () => {
    const source = statuses(['booting', 'booting', 'booting', 'booting', 'running']);
    const started = Date.now();
    await waitForVmState(source.getVmStatus, VM_ID, 'running', { initialIntervalMs: 40, maxIntervalMs: 60 });
    // 40 + 60 + 60 + 60 = 220 ms of waits.
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });

  test('fails with a TimeoutError in the boot phase', async () => {
    const error = await waitForVmState(statuses(['booting']).getVmStatus, VM_ID, 'running', { timeoutMs: 150, initialIntervalMs: 20 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ phase: 'boot', limitMs: 150 });
  });

  test('fails with VmStateError when the VM settles in another state', async () => {
    const error = await waitForVmState(statuses(['booting', 'dead']).getVmStatus, VM_ID, 'running', { initialIntervalMs: 5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VmStateError);
    expect(error).toMatchObject({ state: 'dead', expected: 'running', code: 'VM_UNEXPECTED_STATE' });
  });

  test('says the VM disappeared when it is deleted during boot', async () => {
    const error = (await waitForVmState(statuses(['booting', 'gone']).getVmStatus, VM_ID, 'running', { initialIntervalMs: 5 }).catch((e: unknown) => e)) as NotFoundError;
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.message).toContain('disappeared');
    expect(error.message).toContain('fail to boot');
  });

  test('stops when the signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(waitForVmState(statuses(['booting']).getVmStatus, VM_ID, 'running', { signal: controller.signal, initialIntervalMs: 1000 })).rejects.toBeInstanceOf(CancelledError);
  });

  test('rejects unknown options by name', async () => {
    await expect(waitForVmState(statuses(['running']).getVmStatus, VM_ID, 'running', { timeout: 5 } as never)).rejects.toThrow(/WaitForVmStateOptions\.timeout is not a known option/);
  });
});
