import { utils } from 'ssh2';

/** The key material of one VM: root's login key pair and the VM's own host key. */
export interface VmKeys {
  /** OpenSSH PEM (LF line endings), served by `GET /vm/{id}/ssh_key`. Secret: never log it. */
  sshPrivateKey: string;
  /** `ssh-ed25519 AAAA…`, installed as root's only authorized key. */
  sshPublicKey: string;
  /** The VM's SSH host key, OpenSSH private key format. Secret. */
  hostKey: string;
}

/**
 * One Ed25519 key pair in OpenSSH form. ssh2 1.17 drops leading zero bytes
 * of the 32-byte public key when it encodes it (about 1 key in 200), which
 * makes a key that neither ssh2 nor OpenSSH accepts; such a key is drawn again.
 */
export function generateEd25519KeyPair(): { private: string; public: string } {
  for (;;) {
    const pair = utils.generateKeyPairSync('ed25519');
    const parsed = utils.parseKey(pair.private);
    if (!(parsed instanceof Error) && !Array.isArray(parsed) && parsed.getPublicSSH().length === 51) return pair;
  }
}

/** Fresh Ed25519 keys for a new VM (each VM, restored or branched ones too, gets new ones). */
export function generateVmKeys(): VmKeys {
  const login = generateEd25519KeyPair();
  const host = generateEd25519KeyPair();
  return { sshPrivateKey: login.private, sshPublicKey: login.public, hostKey: host.private };
}
