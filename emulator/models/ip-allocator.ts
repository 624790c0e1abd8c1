import { createHash } from 'node:crypto';

/**
 * Hands out VM addresses the way the real server does: an IPv6 ULA /64 per
 * account (derived from the owner id) and one host address per VM. Addresses
 * are only labels here; sandboxes do not route them.
 */
export class IpAllocator {
  private readonly nextHost = new Map<string, number>();

  allocate(ownerId: string): string {
    const digest = createHash('sha256').update(ownerId).digest();
    // fd00::/8 + 40-bit global id from the owner + subnet 0 → the account's /64.
    const prefix = [0xfd00 | digest[0]!, (digest[1]! << 8) | digest[2]!, (digest[3]! << 8) | digest[4]!, 0]
      .map((group) => group.toString(16))
      .join(':');
    const host = (this.nextHost.get(ownerId) ?? 1) + 1;
    this.nextHost.set(ownerId, host);
    return `${prefix}::${host.toString(16)}`;
  }
}
