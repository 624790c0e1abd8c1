import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { SandboxError, SandboxValidationError } from '../sandbox/errors';
import { findHostBinary } from '../sandbox/host-binaries';
import { runCommand, stderrTail } from '../sandbox/run-command';

/** Options of ensureTlsMaterial; unknown keys and wrong types are rejected (INVALID_OPTIONS). */
export interface TlsMaterialOptions {
  /** vers-local's state directory: the CA certificate goes to `<stateDir>/ca.pem`, keys to `<stateDir>/tls/` (mode 0600). Required. */
  stateDir: string;
  /** DNS domain of VM hostnames; the certificate covers `*.vm.<domain>` and `vm.<domain>`. Default "vers.sh". */
  domain?: string;
}

/** The gateway's TLS identity and the CA that clients verify it against. */
export interface TlsMaterial {
  domain: string;
  /** `<stateDir>/ca.pem`: give this to clients that verify (curl --cacert, NODE_EXTRA_CA_CERTS, openssl -CAfile). */
  caCertPath: string;
  caCertPem: string;
  /** Server certificate for `*.vm.<domain>`, `vm.<domain>`, localhost, 127.0.0.1 and ::1, signed by the CA. */
  certPem: string;
  /** The server certificate's private key (secret; never log it). */
  keyPem: string;
}

/** Refuse to reuse a CA that expires sooner than this. */
const CA_MIN_REMAINING_SECONDS = 30 * 24 * 3600;
const DOMAIN = /^(?=.{1,200}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

function invalid(option: string, message: string): SandboxValidationError {
  return new SandboxValidationError('INVALID_OPTIONS', option, `TLS option ${option}: ${message}`);
}

function resolveOptions(options: unknown): { stateDir: string; domain: string } {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw invalid('options', 'must be an object with at least stateDir');
  const raw = options as Record<string, unknown>;
  for (const key of Object.keys(raw)) if (key !== 'stateDir' && key !== 'domain') throw invalid(key, 'unknown option (known: stateDir, domain)');
  if (typeof raw.stateDir !== 'string' || !isAbsolute(raw.stateDir)) throw invalid('stateDir', 'must be an absolute path');
  const domain = raw.domain ?? 'vers.sh';
  if (typeof domain !== 'string' || !DOMAIN.test(domain)) throw invalid('domain', `must be a lowercase DNS name such as "vers.sh", got ${JSON.stringify(domain)}`);
  return { stateDir: raw.stateDir, domain };
}

async function openssl(binary: string, args: readonly string[], cwd: string): Promise<void> {
  const result = await runCommand(binary, args, { cwd });
  if (result.exitCode !== 0) {
    throw new SandboxError('TLS_SETUP_FAILED', `openssl ${args[0]} failed (status ${result.exitCode}): ${stderrTail(result.stderr)}`, { operation: 'tls' });
  }
}

async function caIsReusable(binary: string, tlsDir: string, caCertPath: string): Promise<boolean> {
  try {
    await readFile(join(tlsDir, 'ca-key.pem'));
    await readFile(caCertPath);
  } catch {
    return false;
  }
  const result = await runCommand(binary, ['x509', '-noout', '-checkend', String(CA_MIN_REMAINING_SECONDS), '-in', caCertPath]);
  return result.exitCode === 0;
}

/**
 * Make (or reuse) vers-local's CA — EC P-256, kept in the state dir across
 * restarts — and issue a fresh server certificate for the gateway, with the
 * openssl CLI. Keys are written with mode 0600 inside a 0700 directory.
 */
export async function ensureTlsMaterial(options: TlsMaterialOptions): Promise<TlsMaterial> {
  const { stateDir, domain } = resolveOptions(options);
  const binary = findHostBinary('openssl');
  if (binary === undefined) throw new SandboxError('TLS_SETUP_FAILED', 'the openssl command is not installed (apt-get install openssl)', { operation: 'tls' });
  const tlsDir = join(stateDir, 'tls');
  const caCertPath = join(stateDir, 'ca.pem');
  await mkdir(tlsDir, { recursive: true, mode: 0o700 });
  await chmod(tlsDir, 0o700);
  const work = await mkdtemp(join(tlsDir, 'new-'));
  try {
    if (!(await caIsReusable(binary, tlsDir, caCertPath))) {
      await openssl(binary, [
        'req', '-x509', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '3650', '-sha256',
        '-subj', `/O=vers-local/CN=vers-local CA ${randomBytes(4).toString('hex')}`,
        '-addext', 'basicConstraints=critical,CA:TRUE',
        '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
        '-addext', 'subjectKeyIdentifier=hash',
      ], work);
      await chmod(join(work, 'ca-key.pem'), 0o600);
      await rename(join(work, 'ca-key.pem'), join(tlsDir, 'ca-key.pem'));
      await chmod(join(work, 'ca.pem'), 0o644);
      await rename(join(work, 'ca.pem'), caCertPath);
    }
    await writeFile(join(work, 'server.ext'), [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=DNS:*.vm.${domain},DNS:vm.${domain},DNS:localhost,IP:127.0.0.1,IP:::1`,
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      '',
    ].join('\n'));
    await openssl(binary, ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server-key.pem', '-out', 'server.csr', '-subj', `/O=vers-local/CN=*.vm.${domain}`], work);
    await openssl(binary, [
      'x509', '-req', '-in', 'server.csr', '-CA', caCertPath, '-CAkey', join(tlsDir, 'ca-key.pem'),
      '-set_serial', `0x${randomBytes(16).toString('hex')}`, '-days', '825', '-sha256', '-extfile', 'server.ext', '-out', 'server.pem',
    ], work);
    await chmod(join(work, 'server-key.pem'), 0o600);
    await rename(join(work, 'server-key.pem'), join(tlsDir, 'server-key.pem'));
    await rename(join(work, 'server.pem'), join(tlsDir, 'server.pem'));
    return {
      domain,
      caCertPath,
      caCertPem: await readFile(caCertPath, 'utf8'),
      certPem: await readFile(join(tlsDir, 'server.pem'), 'utf8'),
      keyPem: await readFile(join(tlsDir, 'server-key.pem'), 'utf8'),
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
