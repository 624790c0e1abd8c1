import { utils } from 'ssh2';
import { generateVmKeys } from './vm-keys';

test('every generated VM key parses as a whole Ed25519 key (ssh2 alone gets about 1 in 200 wrong)', () => {
  for (let index = 0; index < 1000; index += 1) {
    const keys = generateVmKeys();
    for (const pem of [keys.sshPrivateKey, keys.hostKey]) {
      const parsed = utils.parseKey(pem);
      expect(parsed).not.toBeInstanceOf(Error);
      // string length 4 + "ssh-ed25519" 11 + length 4 + 32 key bytes
      expect((parsed as ReturnType<typeof utils.parseKey> & { getPublicSSH(): Buffer }).getPublicSSH().length).toBe(51);
    }
    expect(keys.sshPublicKey).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43}/);
  }
});
