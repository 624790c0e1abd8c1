import { createHash } from 'node:crypto';

/** The SSH host key a server presented, in the forms users and state files use. */
export interface HostKeyInfo {
  /** OpenSSH-style fingerprint, `SHA256:` + unpadded base64 of the key blob's SHA-256 (as `ssh-keygen -l` prints). */
  fingerprint: string;
  /** Key algorithm, e.g. `ssh-ed25519`. */
  algorithm: string;
  /** `known_hosts`-style public key line: `<algorithm> <base64 blob>`. */
  publicKey: string;
}

/** Describe a raw SSH public key blob (RFC 4253 §6.6 encoding: string algorithm, then key data). */
export function describeHostKey(blob: Buffer): HostKeyInfo {
  const fingerprint = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
  let algorithm = 'unknown';
  if (blob.length >= 4) {
    const length = blob.readUInt32BE(0);
    if (length > 0 && length <= 64 && blob.length >= 4 + length) algorithm = blob.subarray(4, 4 + length).toString('latin1');
  }
  return { fingerprint, algorithm, publicKey: `${algorithm} ${blob.toString('base64')}` };
}

/**
 * Whether `seen` is the key `expected` names. `expected` may be a
 * `SHA256:` fingerprint (padding optional) or an `<algorithm> <base64>` line.
 */
export function hostKeyMatches(expected: string, seen: HostKeyInfo): boolean {
  const wanted = expected.trim();
  if (/^SHA256:/i.test(wanted)) return wanted.slice('SHA256:'.length).replace(/=+$/, '') === seen.fingerprint.slice('SHA256:'.length);
  const [algorithm, base64] = wanted.split(/\s+/);
  return algorithm === seen.algorithm && base64 !== undefined && Buffer.from(base64, 'base64').equals(Buffer.from(seen.publicKey.split(' ')[1] ?? '', 'base64'));
}
