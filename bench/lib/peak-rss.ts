import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Peak resident memory of this process, from Linux's VmHWM. `resetPeakRss`
 * writes 5 to /proc/self/clear_refs, which restarts the high-water mark at
 * the current RSS, so the peak of one job can be read on its own.
 */
export function resetPeakRss(): void {
  writeFileSync('/proc/self/clear_refs', '5');
}

/** VmHWM in MiB. */
export function peakRssMib(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  if (match === null) throw new Error('no VmHWM in /proc/self/status');
  return Number(match[1]) / 1024;
}
