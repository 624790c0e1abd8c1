import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { Duplex } from 'node:stream';

/**
 * The byte stream of one SSH connection: writes go to the sshd's stdin,
 * reads come from its stdout. Ending or destroying the stream closes sshd's
 * stdin, which sshd sees as the client hanging up. sshd exiting ends the
 * readable side. Neither is an error: a VM going away ends its connections
 * the way a dropped TCP connection would, with 'end' and 'close'.
 */
export class SshSessionStream extends Duplex {
  constructor(private readonly sshd: ChildProcessWithoutNullStreams) {
    super({ allowHalfOpen: false });
    sshd.stdout.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) sshd.stdout.pause();
    });
    sshd.stdout.on('end', () => this.push(null));
    // A pipe torn down under us (VM killed) ends the session like EOF.
    sshd.stdout.on('error', () => this.push(null));
    sshd.stdin.on('error', () => undefined);
  }

  override _read(): void {
    this.sshd.stdout.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.sshd.stdin.destroyed || this.sshd.stdin.writableEnded) {
      callback();
      return;
    }
    this.sshd.stdin.write(chunk, () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.sshd.stdin.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.sshd.stdin.destroy();
    this.sshd.stdout.destroy();
    callback(error);
  }
}
