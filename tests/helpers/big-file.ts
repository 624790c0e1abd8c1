import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';

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
