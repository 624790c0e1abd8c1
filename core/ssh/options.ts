import { type ResolvedProviderConfig, requireVmDomain, trustedCertificates } from '../settings';
import type { Logger } from '../base/logging';
import { checkOptions, definedOnly, type OptionRules } from '../base/option-checks';

/** Where and how to open the TLS stream that carries SSH to one VM. */
export interface SshTarget {
  vmId: string;
  /** TLS SNI and certificate name: `{vm_id}.{vm_domain}`. */
  serverName: string;
  /** TCP address dialled: the ssh_gateway, else `{serverName}:443`. */
  host: string;
  port: number;
  /** CA list (system CAs + tls_ca_file) or undefined for Node's default. */
  ca: string[] | undefined;
  insecureSkipTlsVerify: boolean;
}

/** The target for `vmId` from the provider configuration. Needs a VM domain (ConfigError otherwise). */
export function sshTargetFor(config: ResolvedProviderConfig, vmId: string): SshTarget {
  const serverName = `${vmId.toLowerCase()}.${requireVmDomain(config)}`;
  return {
    vmId,
    serverName,
    host: config.sshGateway?.host ?? serverName,
    port: config.sshGateway?.port ?? 443,
    ca: trustedCertificates(config),
    insecureSkipTlsVerify: config.insecureSkipTlsVerify,
  };
}

export interface SshConnectOptions {
  /** The VM's private key (OpenSSH PEM from GET /vm/{id}/ssh_key). Kept in memory only, never logged or written. */
  privateKey: string;
  /** Host key recorded earlier: `SHA256:` fingerprint or `<algorithm> <base64>`. A different key fails with HostKeyMismatchError. Default: accept and report the first key seen. */
  expectedHostKey?: string;
  /** SSH user. Default `root`. */
  username?: string;
  /** Limit for connecting, retries included (the VM may still be booting), ms. Default 120000. */
  timeoutMs?: number;
  /** Limit for one attempt (TLS + SSH handshake + auth), ms. Default 20000. */
  attemptTimeoutMs?: number;
  /** First delay between attempts, ms; doubles up to `retryMaxDelayMs`. Default 500. */
  retryBaseDelayMs?: number;
  /** Cap of the delay between attempts, ms. Default 5000. */
  retryMaxDelayMs?: number;
  /** SSH keep-alive interval, ms; 0 disables. Default 10000. */
  keepaliveIntervalMs?: number;
  /** Unanswered keep-alives before the connection is dropped. Default 6. */
  keepaliveCountMax?: number;
  /** Progress lines (attempts, waits) at `info`; protocol details at `debug`. Default: none. */
  logger?: Logger;
  /** Aborting closes the sockets and rejects with CancelledError. */
  signal?: AbortSignal;
}

export type ResolvedSshConnectOptions = Required<Omit<SshConnectOptions, 'expectedHostKey' | 'logger' | 'signal'>> & Pick<SshConnectOptions, 'expectedHostKey' | 'logger' | 'signal'>;

export const DEFAULT_SSH_CONNECT = Object.freeze({
  username: 'root',
  timeoutMs: 120_000,
  attemptTimeoutMs: 20_000,
  retryBaseDelayMs: 500,
  retryMaxDelayMs: 5000,
  keepaliveIntervalMs: 10_000,
  keepaliveCountMax: 6,
});

const ONE_DAY_MS = 86_400_000;
const RULES: OptionRules = {
  privateKey: { kind: 'string' },
  expectedHostKey: { kind: 'string' },
  username: { kind: 'string' },
  timeoutMs: { kind: 'integer', min: 1, max: ONE_DAY_MS },
  attemptTimeoutMs: { kind: 'integer', min: 1, max: ONE_DAY_MS },
  retryBaseDelayMs: { kind: 'integer', min: 0, max: ONE_DAY_MS },
  retryMaxDelayMs: { kind: 'integer', min: 0, max: ONE_DAY_MS },
  keepaliveIntervalMs: { kind: 'integer', min: 0, max: ONE_DAY_MS },
  keepaliveCountMax: { kind: 'integer', min: 1, max: 1000 },
  logger: { kind: 'object' },
  signal: { kind: 'signal' },
};

export function resolveSshConnectOptions(options: SshConnectOptions): ResolvedSshConnectOptions {
  checkOptions(options, RULES, 'SshConnectOptions');
  return { ...DEFAULT_SSH_CONNECT, ...definedOnly(options) } as ResolvedSshConnectOptions;
}
