import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readFileSync, writeSync } from 'node:fs';
import type { LogLevel, Logger } from '../../core/base/logging';

/** Write a `mib` MiB file block by block (never `mib` MiB in memory); each MiB has its own byte pattern. */
export function writeBigFile(path: string, mib: number): void {
  const block = Buffer.alloc(1024 * 1024);
  const fd = openSync(path, 'w');
  try {
    for (let i = 0; i < mib; i++) {
      block.fill(i * 7);
      block.writeUInt32BE((i * 2654435761) >>> 0, 0);
      writeSync(fd, block);
    }
  } finally {
    closeSync(fd);
  }
}

/** SHA-256 (hex) of a file, streamed. */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

/**
 * Bytes this process has read so far through read-like system calls, from
 * files, pipes and sockets alike (`rchar` of /proc/self/io). Unlike RSS it
 * does not depend on when the garbage collector runs, so it shows exactly
 * whether an upload reads its source ahead of what it has sent.
 */
export function bytesReadByProcess(): number {
  const match = /^rchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
  if (match === null) throw new Error('/proc/self/io has no rchar line');
  return Number(match[1]);
}

/**
 * A logger for a provisioning run that, at each `uploaded X of Y MiB` line,
 * notes how many bytes the process has read beyond `readsPerSentByte` × X
 * since it was made.
 */
export class UploadReadProbe implements Logger {
  readonly progressLines: string[] = [];
  /** Largest excess of bytes read over `readsPerSentByte` × bytes sent, at any progress line. */
  worstReadAheadBytes = Number.NEGATIVE_INFINITY;
  private readonly readAtStart = bytesReadByProcess();

  constructor(private readonly readsPerSentByte: number) {}

  log(_level: LogLevel, message: string): void {
    const progress = /^uploaded ([\d.]+) of [\d.]+ MiB/.exec(message);
    if (progress === null) return;
    this.progressLines.push(message);
    const sentBytes = Number(progress[1]) * 1024 * 1024;
    this.worstReadAheadBytes = Math.max(this.worstReadAheadBytes, this.bytesRead() - this.readsPerSentByte * sentBytes);
  }

  /** Bytes read by the process since the probe was made. */
  bytesRead(): number {
    return bytesReadByProcess() - this.readAtStart;
  }
}
