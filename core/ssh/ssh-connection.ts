import type { Client, ClientChannel, SFTPWrapper } from 'ssh2';
import type { TLSSocket } from 'node:tls';
import { SshError } from '../base/errors';
import type { HostKeyInfo } from './host-key';

/**
 * One authenticated SSH session to a VM, over its TLS stream. Everything a
 * provisioning run does (SFTP, commands) shares it. `close()` ends the SSH
 * session and the TLS socket; a dropped connection (keep-alive timeout,
 * gateway closing) is reported to `onClose` listeners and fails whatever is
 * running.
 */
export class SshConnection {
  private sftpSession: Promise<SFTPWrapper> | undefined;
  private closeError: SshError | undefined;
  private isClosed = false;
  private readonly closeListeners = new Set<(error: SshError | undefined) => void>();

  constructor(
    private readonly client: Client,
    private readonly socket: TLSSocket,
    /** The host key the server presented (record it in state). */
    readonly hostKey: HostKeyInfo,
    /** `{vm_id}.{vm_domain}`, for messages. */
    readonly serverName: string,
  ) {
    client.on('error', (error: Error) => {
      this.closeError ??= new SshError(`SSH connection to ${serverName} failed: ${error.message}`, { cause: error, operation: 'ssh' });
    });
    client.on('close', () => this.markClosed());
    socket.on('close', () => this.markClosed());
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Called once when the connection ends; `error` is set when it ended by failure rather than `close()`. */
  onClose(listener: (error: SshError | undefined) => void): () => void {
    if (this.isClosed) {
      listener(this.closeError);
      return () => undefined;
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** The SFTP subsystem, opened once per connection. */
  sftp(): Promise<SFTPWrapper> {
    this.sftpSession ??= new Promise<SFTPWrapper>((resolve, reject) => {
      this.assertOpen('open SFTP');
      this.client.sftp((error, sftp) => {
        if (error) {
          this.sftpSession = undefined;
          reject(new SshError(`cannot start SFTP on ${this.serverName}: ${error.message}; the VM's sshd must offer the sftp subsystem`, { cause: error, operation: 'sftp' }));
        } else resolve(sftp);
      });
    });
    return this.sftpSession;
  }

  /**
   * End the SFTP session (failing whatever it has in flight) while the
   * connection stays open; resolves once the server has closed it, so it
   * does nothing more. The next `sftp()` starts a fresh one. How an upload
   * is stopped without losing the session it needs to clean up.
   */
  async closeSftp(): Promise<void> {
    const session = this.sftpSession;
    this.sftpSession = undefined;
    const sftp = await session?.catch(() => undefined);
    if (sftp === undefined) return;
    await new Promise<void>((resolve) => {
      sftp.once('close', () => resolve());
      this.onClose(() => resolve());
      sftp.end();
    });
  }

  /** Start `command` (a shell command line for the remote login shell) on a new channel. */
  exec(command: string): Promise<ClientChannel> {
    return new Promise<ClientChannel>((resolve, reject) => {
      this.assertOpen('run a command');
      this.client.exec(command, (error, channel) => {
        if (error) reject(new SshError(`cannot start a command on ${this.serverName}: ${error.message}`, { cause: error, operation: 'exec' }));
        else resolve(channel);
      });
    });
  }

  /** End the session and the TLS socket. Idempotent. */
  close(): void {
    if (this.isClosed) return;
    this.client.end();
    this.socket.destroy();
    this.markClosed();
  }

  private assertOpen(what: string): void {
    if (this.isClosed) throw this.closeError ?? new SshError(`cannot ${what}: the SSH connection to ${this.serverName} is closed`);
  }

  private markClosed(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.socket.destroy();
    for (const listener of this.closeListeners) listener(this.closeError);
    this.closeListeners.clear();
  }
}
