import { ApiError, SshError } from '../base/errors';
import type { ResolvedProviderConfig } from '../settings';
import { connectSsh } from './connect-ssh';
import { type SshConnectOptions, sshTargetFor } from './options';
import type { SshConnection } from './ssh-connection';

export type VmSshOptions = Omit<SshConnectOptions, 'privateKey'>;

/**
 * What SSH needs from the API side: the provider settings (gateway, VM
 * domain, CA) and the VM's private key. The Vers client is one.
 */
export interface VmKeySource {
  readonly config: ResolvedProviderConfig;
  getSshKey(vmId: string, options: { signal?: AbortSignal }): Promise<{ ssh_private_key: string }>;
}

/**
 * Fetch the VM's SSH key from the API (held in memory only) and open
 * SSH-over-TLS to it as the provider configuration says (gateway, VM domain, CA).
 */
export async function connectToVm(keys: VmKeySource, vmId: string, options: VmSshOptions = {}): Promise<SshConnection> {
  return (await connectToVmWithKey(keys, vmId, options)).connection;
}

/** `connectToVm`, also returning the private key used (for redaction: it must never appear in output). */
export async function connectToVmWithKey(keys: VmKeySource, vmId: string, options: VmSshOptions = {}): Promise<{ connection: SshConnection; privateKey: string }> {
  const target = sshTargetFor(keys.config, vmId);
  let privateKey: string;
  try {
    privateKey = (await keys.getSshKey(vmId, options.signal === undefined ? {} : { signal: options.signal })).ssh_private_key;
  } catch (error) {
    // The node refuses the key of a paused VM; say so instead of a bare 500.
    if (error instanceof ApiError && /paused/i.test(error.serverMessage)) {
      throw new SshError(`cannot fetch the SSH key of VM ${vmId}: the VM is paused; resume it (desired_state = running) before provisioning`, { cause: error, resource: vmId, operation: 'ssh connect' });
    }
    throw error;
  }
  return { connection: await connectSsh(target, { ...options, privateKey }), privateKey };
}
