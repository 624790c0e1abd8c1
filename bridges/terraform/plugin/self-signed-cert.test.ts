import { X509Certificate } from 'node:crypto';
import { generateServerCertificate, pemToDer } from './self-signed-cert';

describe('the provider server certificate', () => {
  test('is a self-signed CA certificate for localhost that Go would accept as its own root', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const certificate = generateServerCertificate(now);
    const x509 = new X509Certificate(certificate.certPem);
    expect(x509.subjectAltName).toBe('DNS:localhost');
    expect(x509.ca).toBe(true);
    expect(x509.checkHost('localhost')).toBe('localhost');
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(x509.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
    expect(new Date(x509.validFrom).getTime()).toBe(now.getTime() - 30_000);
    expect(new Date(x509.validTo).getTime()).toBeGreaterThan(now.getTime());
    expect(x509.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(pemToDer(certificate.certPem).equals(certificate.certDer)).toBe(true);
  });

  test('is new for every process', () => {
    expect(generateServerCertificate().certDer.equals(generateServerCertificate().certDer)).toBe(false);
  });
});
