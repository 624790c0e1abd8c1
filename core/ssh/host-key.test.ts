import { utils, type ParsedKey } from 'ssh2';
import { describeHostKey, hostKeyMatches } from './host-key';
import { generateEd25519 } from '../../tests/helpers/ssh-over-tls-server';

describe('host keys', () => {
  const key = utils.parseKey(generateEd25519().public) as ParsedKey;
  const other = utils.parseKey(generateEd25519().public) as ParsedKey;
  const seen = describeHostKey(key.getPublicSSH());

  test('are described by algorithm, SHA256 fingerprint without padding, and public key line', () => {
    expect(seen.algorithm).toBe('ssh-ed25519');
    expect(seen.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(seen.publicKey).toBe(`ssh-ed25519 ${key.getPublicSSH().toString('base64')}`);
  });

  test('match by fingerprint (with or without padding) or by public key line, and only the same key', () => {
    expect(hostKeyMatches(seen.fingerprint, seen)).toBe(true);
    expect(hostKeyMatches(`${seen.fingerprint}=`, seen)).toBe(true);
    expect(hostKeyMatches(`${seen.publicKey} root@vm`, seen)).toBe(true);
    const otherSeen = describeHostKey(other.getPublicSSH());
    expect(hostKeyMatches(otherSeen.fingerprint, seen)).toBe(false);
    expect(hostKeyMatches(otherSeen.publicKey, seen)).toBe(false);
  });
});
