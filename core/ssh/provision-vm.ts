import { formatDuration, TimeoutError } from '../base/errors';
import type { Logger } from '../base/logging';
import { connectToVmWithKey, type VmKeySource, type VmSshOptions } from './connect-to-vm';
import type { HostKeyInfo } from './host-key';
import { type ProvisioningResult, type ProvisioningSpec, runProvisioning } from './run-provisioning';

export interface ProvisionVmOptions extends Omit<VmSshOptions, 'timeoutMs' | 'logger' | 'signal'> {
  logger: Logger;
  signal?: AbortSignal;
}

export interface ProvisionVmResult extends ProvisioningResult {
  /** The VM's host key: record `hostKey.fingerprint` and pass it as `expectedHostKey` next time. */
  hostKey: HostKeyInfo;
}

/**
 * The Provision resource's whole run: connect (waiting for SSH while the VM
 * boots), upload, run commands, close. `spec.timeoutMs` (default 10 min)
 * bounds everything, waiting for SSH included.
 */
export async function provisionVm(keys: VmKeySource, vmId: string, spec: ProvisioningSpec, options: ProvisionVmOptions): Promise<ProvisionVmResult> {
  const timeoutMs = spec.timeoutMs ?? 600_000;
  const startedAt = Date.now();
  options.logger.log('info', `connecting to VM ${vmId} over SSH-over-TLS`);
  const { connection, privateKey } = await connectToVmWithKey(keys, vmId, { ...options, timeoutMs });
  try {
    if (Date.now() - startedAt >= timeoutMs) throw new TimeoutError('provisioning', timeoutMs, `connecting to VM ${vmId} used the whole provisioning time (${formatDuration(timeoutMs)})`);
    options.logger.log('info', `connected to VM ${vmId}; host key ${connection.hostKey.fingerprint}`);
    // One limit for the whole run, reported as configured: connecting counted against it.
    const secrets = [...(spec.secrets ?? []), privateKey, keys.config.apiKey].filter((secret): secret is string => secret !== undefined);
    const result = await runProvisioning(connection, { ...spec, timeoutMs, startedAt, secrets }, options.logger, options.signal);
    return { ...result, hostKey: connection.hostKey };
  } finally {
    connection.close();
  }
}
