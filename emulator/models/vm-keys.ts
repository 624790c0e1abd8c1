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

/** Fresh Ed25519 keys for a new VM (each VM, restored or branched ones too, gets new ones). */
export function generateVmKeys(): VmKeys {
  const login = utils.generateKeyPairSync('ed25519');
  const host = utils.generateKeyPairSync('ed25519');
  return { sshPrivateKey: login.private, sshPublicKey: login.public, hostKey: host.private };
}
