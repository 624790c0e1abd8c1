import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway CA and a server certificate it signed, made with the openssl CLI. */
export interface TestPki {
  dir: string;
  caFile: string;
  caPem: string;
  certPem: string;
  keyPem: string;
  /** Remove the temp directory. */
  cleanup(): void;
}

/**
 * Make a CA and a server certificate for `dnsNames` (wildcards allowed) and
 * 127.0.0.1, in a fresh temp dir. Tests use it for TLS servers the client
 * must verify.
 */
export function makeTestPki(dnsNames: readonly string[], commonName = 'vers test CA'): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'vers-pki-'));
  const run = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', `/CN=${commonName}`]);
  run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${dnsNames[0] ?? 'localhost'}`]);
  const altNames = [...dnsNames.map((name) => `DNS:${name}`), 'IP:127.0.0.1'].join(',');
  writeFileSync(join(dir, 'ext.cnf'), `subjectAltName=${altNames}\nextendedKeyUsage=serverAuth\n`);
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf']);
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    certPem: readFileSync(join(dir, 'server.pem'), 'utf8'),
    keyPem: readFileSync(join(dir, 'server.key'), 'utf8'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
