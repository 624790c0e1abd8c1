import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { Client } from 'ssh2';
import { CancelledError, formatDuration, HostKeyMismatchError, SshError, TimeoutError, ValidationError } from '../base/errors';
import { backoffDelay, sleep } from '../base/backoff';
import { describeHostKey, type HostKeyInfo, hostKeyMatches } from './host-key';
import { type ResolvedSshConnectOptions, resolveSshConnectOptions, type SshConnectOptions, type SshTarget } from './options';
import { SshConnection } from './ssh-connection';

/**
 * Open SSH-over-TLS to a VM: TLS to the gateway (or `{vm_id}.{vm_domain}:443`)
 * with SNI `{vm_id}.{vm_domain}`, the certificate checked against the system
 * CAs plus tls_ca_file unless insecure_skip_tls_verify, then SSH as root with
 * the VM's key. While the VM boots the gateway refuses or drops connections,
 * so those failures are retried with backoff until `timeoutMs`; certificate,
 * host-key and authentication failures are not (retrying cannot fix them).
 */
export async function connectSsh(target: SshTarget, options: SshConnectOptions): Promise<SshConnection> {
  const resolved = resolveSshConnectOptions(options);
  if (typeof options.privateKey !== 'string' || options.privateKey.trim() === '') throw new ValidationError('SshConnectOptions.privateKey', 'is required (the VM key from GET /vm/{id}/ssh_key)');
  const { logger, signal } = resolved;
  const started = Date.now();
  const deadline = started + resolved.timeoutMs;
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw new CancelledError(`SSH connect to ${target.serverName}`, { operation: 'ssh connect', resource: target.vmId });
    const remaining = deadline - Date.now();
    let failure: AttemptFailure;
    try {
      return await attemptConnect(target, resolved, Math.min(resolved.attemptTimeoutMs, Math.max(1, remaining)));
    } catch (error) {
      if (!(error instanceof AttemptFailure)) throw error;
      failure = error;
    }
    if (!failure.retryable) throw failure.error;
    const elapsed = Date.now() - started;
    const delay = Math.min(backoffDelay(attempt, { baseDelayMs: resolved.retryBaseDelayMs, maxDelayMs: resolved.retryMaxDelayMs }), deadline - Date.now());
    if (delay <= 0) {
      throw new TimeoutError('ssh-connect', resolved.timeoutMs, `cannot open SSH to ${target.serverName} via ${target.host}:${target.port} after ${attempt} attempts: ${failure.error.message}`, {
        cause: failure.error,
        operation: 'ssh connect',
        resource: target.vmId,
      });
    }
    logger?.log('info', `waiting for SSH on VM ${target.vmId} (attempt ${attempt}: ${failure.error.message}; ${formatDuration(elapsed)} elapsed, retrying in ${formatDuration(delay)})`);
    await sleep(delay, signal, `SSH connect to ${target.serverName}`);
  }
}

class AttemptFailure extends Error {
  constructor(
    readonly error: Error,
    readonly retryable: boolean,
  ) {
    super(error.message);
  }
}

/** TLS error codes that mean "this certificate is not trusted for this name": permanent. */
const CERT_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME/;

function attemptConnect(target: SshTarget, options: ResolvedSshConnectOptions, attemptTimeoutMs: number): Promise<SshConnection> {
  return new Promise<SshConnection>((resolve, reject) => {
    const { signal, logger } = options;
    let socket: TLSSocket | undefined;
    let client: Client | undefined;
    let settled = false;
    let seenKey: HostKeyInfo | undefined;
    let mismatch: HostKeyMismatchError | undefined;
    const context = { operation: 'ssh connect', resource: target.vmId };

    const fail = (error: Error, retryable: boolean): void => {
      if (settled) return;
      settled = true;
      cleanup();
      client?.end();
      socket?.destroy();
      reject(new AttemptFailure(error, retryable));
    };
    const onAbort = (): void => fail(new CancelledError(`SSH connect to ${target.serverName}`, context), false);
    const timer = setTimeout(() => fail(new SshError(`no SSH session within ${formatDuration(attemptTimeoutMs)}`, context), true), attemptTimeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    socket = tlsConnect({
      host: target.host,
      port: target.port,
      servername: target.serverName,
      ...(target.ca === undefined ? {} : { ca: target.ca }),
      rejectUnauthorized: !target.insecureSkipTlsVerify,
      minVersion: 'TLSv1.2',
    });
    const onSocketError = (error: NodeJS.ErrnoException): void => {
      const code = error.code ?? '';
      if (CERT_ERROR.test(code)) {
        fail(
          new SshError(
            `the TLS certificate of the SSH gateway ${target.host}:${target.port} is not trusted for ${target.serverName} (${code}: ${error.message}); ` +
              'set tls_ca_file (VERS_CA_FILE) to the CA that signed it, or insecure_skip_tls_verify for debugging',
            { ...context, cause: error },
          ),
          false,
        );
      } else {
        fail(new SshError(`TLS connection to ${target.host}:${target.port} failed: ${error.message}`, { ...context, cause: error }), code !== 'ENOTFOUND');
      }
    };
    const onSocketClose = (): void => fail(new SshError(`the gateway closed the connection before SSH started`, context), true);
    socket.on('error', onSocketError);
    socket.once('close', onSocketClose);
    socket.once('secureConnect', () => {
      if (settled || socket === undefined) return;
      logger?.log('debug', `TLS to ${target.host}:${target.port} (SNI ${target.serverName}) established; starting SSH`);
      client = new Client();
      const onClientError = (error: Error & { level?: string }): void => {
        if (mismatch !== undefined) return fail(mismatch, false);
        if (error.level === 'client-authentication') {
          return fail(new SshError(`VM ${target.vmId} refused the SSH key for user ${options.username}: ${error.message}; the key from GET /vm/{id}/ssh_key may belong to another VM`, { ...context, cause: error }), false);
        }
        if (/privateKey|private key|Cannot parse/i.test(error.message)) {
          return fail(new SshError(`the VM's SSH private key cannot be used: ${error.message}`, context), false);
        }
        fail(new SshError(`SSH handshake with ${target.serverName} failed: ${error.message}`, { ...context, cause: error }), true);
      };
      const onClientClose = (): void => {
        if (mismatch !== undefined) fail(mismatch, false);
        else fail(new SshError('the connection closed during the SSH handshake', context), true);
      };
      client.on('error', onClientError);
      client.on('close', onClientClose);
      client.on('ready', () => {
        if (settled || socket === undefined || client === undefined || seenKey === undefined) return;
        settled = true;
        cleanup();
        // The connection owns these sockets from here on; ssh2's own listeners stay.
        client.off('error', onClientError);
        client.off('close', onClientClose);
        socket.off('close', onSocketClose);
        socket.off('error', onSocketError);
        socket.on('error', () => undefined);
        resolve(new SshConnection(client, socket, seenKey, target.serverName));
      });
      try {
        client.connect({
          sock: socket,
          username: options.username,
          privateKey: options.privateKey,
          readyTimeout: attemptTimeoutMs,
          keepaliveInterval: options.keepaliveIntervalMs,
          keepaliveCountMax: options.keepaliveCountMax,
          hostVerifier: (key: Buffer) => {
            seenKey = describeHostKey(key);
            if (options.expectedHostKey !== undefined && !hostKeyMatches(options.expectedHostKey, seenKey)) {
              mismatch = new HostKeyMismatchError(target.serverName, options.expectedHostKey, seenKey.fingerprint, context);
              return false;
            }
            return true;
          },
        });
      } catch (error) {
        // ssh2 throws synchronously on an unparseable private key; never include the key itself.
        fail(new SshError(`the VM's SSH private key cannot be used: ${error instanceof Error ? error.message : String(error)}`, context), false);
      }
    });
  });
}
