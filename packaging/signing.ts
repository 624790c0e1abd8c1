import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The OpenPGP key that signs a release's SHA256SUMS (a detached, binary
 * signature: what Terraform verifies). `make release` generates one for the
 * build in a temporary GNUPGHOME, never the user's keyring, and removes it
 * (and the gpg-agent gpg starts there) when done; only the public key stays,
 * exported beside the signature. A real release names its key instead
 * (VERS_RELEASE_GPG_KEY=<fingerprint>, from the user's own keyring).
 */

export interface SigningKey {
  /** The long key id (16 hex digits), as the registry protocol's `key_id` gives it. */
  keyId: string;
  fingerprint: string;
  /** The public key, ASCII-armored. */
  publicKeyArmored: string;
  /** Writes `signature`: a detached binary signature of `file`. */
  sign(file: string, signature: string): void;
  /** Removes the key and stops its agent (the generated key's only). */
  dispose(): void;
}

function gpg(homedir: string | undefined, args: string[], what: string): string {
  const result = spawnSync('gpg', [...(homedir === undefined ? [] : ['--homedir', homedir]), '--batch', '--no-tty', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error !== undefined) throw new Error(`gpg ${what}: cannot run gpg (${result.error.message}); install the gnupg package`);
  if (result.status !== 0) throw new Error(`gpg ${what} failed (exit ${result.status}): ${result.stderr}`);
  return result.stdout;
}

/** Key id and fingerprint of the first key `--with-colons` lists. */
function describeKey(homedir: string | undefined, selector: string): { keyId: string; fingerprint: string } {
  const lines = gpg(homedir, ['--with-colons', '--list-keys', selector], 'listing the key').split('\n');
  const pub = lines.find((line) => line.startsWith('pub:'))?.split(':');
  const fpr = lines.find((line) => line.startsWith('fpr:'))?.split(':');
  if (pub?.[4] === undefined || fpr?.[9] === undefined) throw new Error(`gpg: no public key matches ${selector}`);
  return { keyId: pub[4], fingerprint: fpr[9] };
}

function keyIn(homedir: string | undefined, selector: string, passphraseArgs: string[], dispose: () => void): SigningKey {
  const { keyId, fingerprint } = describeKey(homedir, selector);
  return {
    keyId,
    fingerprint,
    publicKeyArmored: gpg(homedir, ['--armor', '--export', fingerprint], 'exporting the public key'),
    sign(file, signature) {
      gpg(homedir, [...passphraseArgs, '--local-user', fingerprint, '--detach-sign', '--output', signature, file], 'signing');
    },
    dispose,
  };
}

/** A new RSA 4096 signing key (what the Terraform Registry accepts) in its own temporary GNUPGHOME. */
export function generateSigningKey(userId = 'terraform-provider-vers release key, generated for one build <release@vers.invalid>'): SigningKey {
  // Short: gpg-agent's socket path must fit in sun_path.
  const homedir = mkdtempSync(join(tmpdir(), 'vers-gpg-'));
  const dispose = (): void => {
    // The agent gpg started for this home; then the home itself.
    spawnSync('gpgconf', ['--homedir', homedir, '--kill', 'all'], { stdio: 'ignore' });
    rmSync(homedir, { recursive: true, force: true });
  };
  try {
    // No passphrase: the key lives for one build and nobody could type it.
    const noPassphrase = ['--pinentry-mode', 'loopback', '--passphrase', ''];
    gpg(homedir, [...noPassphrase, '--quick-gen-key', userId, 'rsa4096', 'sign', 'never'], 'generating the signing key');
    return keyIn(homedir, userId, noPassphrase, dispose);
  } catch (error) {
    dispose();
    throw error;
  }
}

/** A key of the user's keyring, by fingerprint (a real release); nothing is removed. */
export function keyringSigningKey(fingerprint: string): SigningKey {
  // gpg asks for the passphrase through the user's pinentry, as for any signature.
  return keyIn(process.env.GNUPGHOME, fingerprint, [], () => undefined);
}
