import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import * as der from './der-writer';

/**
 * The provider's TLS server certificate for go-plugin AutoMTLS: a fresh
 * self-signed EC P-256 certificate per process, shaped like go-plugin's own
 * (SAN DNS:localhost, CA:TRUE with keyCertSign, serverAuth + clientAuth), since
 * Terraform trusts exactly this certificate as root and checks the name
 * "localhost". Written with node:crypto and a small DER writer: about 1 ms,
 * against about 10 ms for spawning the openssl CLI.
 */
export interface ServerCertificate {
  certPem: string;
  keyPem: string;
  /** The raw DER of the certificate, which the handshake line carries. */
  certDer: Buffer;
}

const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  organizationName: '2.5.4.10',
  commonName: '2.5.4.3',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** How long the certificate is valid; the process lives for one Terraform phase. */
const VALIDITY_MS = 24 * 60 * 60 * 1000;
/** go-plugin backdates NotBefore by 30 s against clock skew; so do we. */
const BACKDATE_MS = 30 * 1000;

export function generateServerCertificate(now: Date = new Date()): ServerCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const signatureAlgorithm = der.sequence(der.objectIdentifier(OID.ecdsaWithSha256));
  const name = der.sequence(
    der.set(der.sequence(der.objectIdentifier(OID.organizationName), der.utf8String('HashiCorp'))),
    der.set(der.sequence(der.objectIdentifier(OID.commonName), der.utf8String('localhost'))),
  );
  const serial = randomBytes(16);
  serial[0] = ((serial[0] as number) & 0x7f) | 0x01; // positive and of full length
  const tbs = der.sequence(
    der.explicit(0, der.smallInteger(2)), // X.509 v3
    der.unsignedInteger(serial),
    signatureAlgorithm,
    name,
    der.sequence(der.time(new Date(now.getTime() - BACKDATE_MS)), der.time(new Date(now.getTime() + VALIDITY_MS))),
    name,
    spki,
    der.explicit(3, der.sequence(...extensions())),
  );
  const signature = sign('sha256', tbs, privateKey); // DER ECDSA-Sig-Value
  const certDer = der.sequence(tbs, signatureAlgorithm, der.bitString(signature));
  return {
    certDer,
    certPem: toPem('CERTIFICATE', certDer),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

function extensions(): Buffer[] {
  const extension = (oid: string, critical: boolean, value: Buffer): Buffer =>
    der.sequence(der.objectIdentifier(oid), ...(critical ? [der.boolean(true)] : []), der.octetString(value));
  // keyUsage bits: digitalSignature(0) keyEncipherment(2) keyAgreement(4) keyCertSign(5) = 1010 1100, 2 unused bits.
  const keyUsage = der.bitString(Buffer.from([0xac]), 2);
  return [
    extension(OID.subjectAltName, false, der.sequence(der.implicitPrimitive(2, Buffer.from('localhost', 'ascii')))),
    extension(OID.basicConstraints, true, der.sequence(der.boolean(true))),
    extension(OID.keyUsage, true, keyUsage),
    extension(OID.extKeyUsage, false, der.sequence(der.objectIdentifier(OID.serverAuth), der.objectIdentifier(OID.clientAuth))),
  ];
}

export function toPem(label: string, body: Buffer): string {
  const lines = body.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The DER bytes of the first PEM block with this label. */
export function pemToDer(pem: string, label = 'CERTIFICATE'): Buffer {
  const match = new RegExp(`-----BEGIN ${label}-----([\\s\\S]+?)-----END ${label}-----`).exec(pem);
  if (match === null) throw new Error(`no ${label} PEM block found`);
  return Buffer.from((match[1] as string).replace(/\s+/g, ''), 'base64');
}
