import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { redact, requireApiKey, requireVmDomain, resolveProviderConfig, trustedCertificates } from './settings';
import { ConfigError } from './base/errors';
import { makeTestPki, type TestPki } from '../tests/helpers/test-pki';

const KEY_ID = '0b3c1f6e-2a4d-4c8e-9f10-1234567890ab';
const SECRET = 'a1b2c3d4'.repeat(8);
const API_KEY = `${KEY_ID}${SECRET}`;

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveProviderConfig', () => {
  test('defaults to the production API and derives vm.vers.sh', () => {
    const config = resolveProviderConfig({}, {});
    expect(config.baseUrl).toBe('https://api.vers.sh/api/v1');
    expect(config.apiOrigin).toBe('https://api.vers.sh');
    expect(config.vmDomain).toBe('vm.vers.sh');
    expect(config.apiKey).toBeUndefined();
    expect(config.insecureSkipTlsVerify).toBe(false);
  });

  test.each([
    ['https://api.staging.vers.sh', 'https://api.staging.vers.sh/api/v1', 'vm.staging.vers.sh'],
    ['https://api.staging.vers.sh/', 'https://api.staging.vers.sh/api/v1', 'vm.staging.vers.sh'],
    ['https://api.staging.vers.sh/api/v1', 'https://api.staging.vers.sh/api/v1', 'vm.staging.vers.sh'],
    ['https://api.staging.vers.sh/api/v1//', 'https://api.staging.vers.sh/api/v1', 'vm.staging.vers.sh'],
    ['http://127.0.0.1:8080/api/v1', 'http://127.0.0.1:8080/api/v1', undefined],
    ['http://localhost:8080', 'http://localhost:8080/api/v1', undefined],
  ])('base_url %s becomes %s with vm domain %s', (input, baseUrl, vmDomain) => {
    const config = resolveProviderConfig({ baseUrl: input }, {});
    expect(config.baseUrl).toBe(baseUrl);
    expect(config.vmDomain).toBe(vmDomain);
  });

  test('arguments win over VERS_* variables, which fill what is unset', () => {
    const env = { VERS_API_KEY: API_KEY, VERS_BASE_URL: 'https://api.example.com', VERS_SSH_GATEWAY: '127.0.0.1:8443', VERS_VM_DOMAIN: 'vm.local.test', VERS_INSECURE_SKIP_TLS_VERIFY: 'true' };
    const config = resolveProviderConfig({ baseUrl: 'http://127.0.0.1:9000' }, env);
    expect(config.apiKey).toBe(API_KEY);
    expect(config.baseUrl).toBe('http://127.0.0.1:9000/api/v1');
    expect(config.sshGateway).toEqual({ host: '127.0.0.1', port: 8443 });
    expect(config.vmDomain).toBe('vm.local.test');
    expect(config.insecureSkipTlsVerify).toBe(true);
  });

  test('a non-http base_url is a ConfigError naming base_url', () => {
    const error = configError(() => resolveProviderConfig({ baseUrl: 'ftp://api.vers.sh' }, {}));
    expect(error.option).toBe('base_url');
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('http or https');
  });

  test('a base_url with credentials is refused without echoing them', () => {
    const error = configError(() => resolveProviderConfig({ baseUrl: 'https://user:hunter2@api.vers.sh' }, {}));
    expect(error.option).toBe('base_url');
    expect(error.message).not.toContain('hunter2');
  });

  test('a malformed API key is a ConfigError that never prints the key', () => {
    const bad = `${API_KEY}x`;
    const error = configError(() => resolveProviderConfig({ apiKey: bad }, {}));
    expect(error.option).toBe('api_key');
    expect(error.message).toContain('101 characters');
    expect(error.message).not.toContain(SECRET);
    expect(error.message).not.toContain(KEY_ID);
    expect(() => resolveProviderConfig({}, { VERS_API_KEY: 'z'.repeat(100) })).toThrow(ConfigError);
  });

  test('requireApiKey explains how to set the key', () => {
    expect(() => requireApiKey(resolveProviderConfig({}, {}))).toThrow(/VERS_API_KEY/);
    expect(requireApiKey(resolveProviderConfig({ apiKey: API_KEY }, {}))).toBe(API_KEY);
  });

  test('requireVmDomain asks for vm_domain when the API host is an address', () => {
    const error = configError(() => requireVmDomain(resolveProviderConfig({ baseUrl: 'http://127.0.0.1:8080' }, {})));
    expect(error.option).toBe('vm_domain');
    expect(error.message).toContain('VERS_VM_DOMAIN');
  });

  test.each(['127.0.0.1', 'host:', 'host:0', 'host:70000', ':22', 'a b:22'])('ssh_gateway %s is refused', (gateway) => {
    expect(configError(() => resolveProviderConfig({ sshGateway: gateway }, {})).option).toBe('ssh_gateway');
  });

  test('ssh_gateway accepts host names and bracketed IPv6', () => {
    expect(resolveProviderConfig({ sshGateway: 'gw.example.com:443' }, {}).sshGateway).toEqual({ host: 'gw.example.com', port: 443 });
    expect(resolveProviderConfig({ sshGateway: '[::1]:8443' }, {}).sshGateway).toEqual({ host: '::1', port: 8443 });
  });

  test('an invalid vm_domain and an invalid boolean are refused by name', () => {
    expect(configError(() => resolveProviderConfig({ vmDomain: 'not a domain' }, {})).option).toBe('vm_domain');
    expect(configError(() => resolveProviderConfig({}, { VERS_INSECURE_SKIP_TLS_VERIFY: 'maybe' })).option).toBe('insecure_skip_tls_verify');
  });

  test('unknown configuration keys are refused', () => {
    expect(configError(() => resolveProviderConfig({ apiKy: API_KEY } as never, {})).option).toBe('apiKy');
  });

  describe('tls_ca_file', () => {
    // Made in beforeAll, not at collection, so a run that filters these tests out (-t) leaves no temp dir.
    let dir: string;
    let pki: TestPki;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'vers-config-'));
      pki = makeTestPki(['localhost']);
    });
    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
      pki.cleanup();
    });

    test('a readable PEM CA is loaded and appended to the system CAs', () => {
      const config = resolveProviderConfig({}, { VERS_CA_FILE: pki.caFile });
      expect(config.tlsCaPem).toBe(pki.caPem);
      const cas = trustedCertificates(config) ?? [];
      expect(cas).toHaveLength(rootCertificates.length + 1);
      expect(cas[cas.length - 1]).toBe(pki.caPem);
    });

    test('without a CA file the default trust store is used', () => {
      expect(trustedCertificates(resolveProviderConfig({}, {}))).toBeUndefined();
    });

    test('a missing file or a non-PEM file is a ConfigError naming tls_ca_file', () => {
      expect(configError(() => resolveProviderConfig({ tlsCaFile: join(dir, 'missing.pem') }, {})).option).toBe('tls_ca_file');
      const junk = join(dir, 'junk.pem');
      writeFileSync(junk, 'hello');
      expect(configError(() => resolveProviderConfig({ tlsCaFile: junk }, {})).message).toContain('not a PEM certificate');
      const broken = join(dir, 'broken.pem');
      writeFileSync(broken, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
      expect(configError(() => resolveProviderConfig({ tlsCaFile: broken }, {})).option).toBe('tls_ca_file');
      expect(configError(() => resolveProviderConfig({ tlsCaFile: dir }, {})).option).toBe('tls_ca_file');
    });
  });
});

describe('redact', () => {
  const config = resolveProviderConfig({ apiKey: API_KEY }, {});

  test('removes the configured key, its secret half, bearer tokens, private keys and URL credentials', () => {
    const text = [
      `key=${API_KEY}`,
      `secret=${SECRET}`,
      'Authorization: Bearer abcdefghijklmnopqrstuvwxyz',
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----',
      'https://bob:pw@example.com/x',
    ].join('\n');
    const out = redact(text, config);
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain('abcdefghijklmnop');
    expect(out).not.toContain('b3BlbnNzaC1rZXktdjEAAAAA');
    expect(out).not.toContain('bob:pw');
    expect(out).toContain('https://example.com/x');
  });

  test('leaves ordinary text alone', () => {
    expect(redact('Invalid bearer token for vm 1234', config)).toBe('Invalid bearer token for vm 1234');
    expect(redact('nothing secret', ['s3cret-value'])).toBe('nothing secret');
    expect(redact('a s3cret-value b', ['s3cret-value'])).toBe('a [REDACTED] b');
  });
});

describe('boot timeout', () => {
  test('defaults to five minutes, comes from boot_timeout or VERS_BOOT_TIMEOUT, and must be a duration', () => {
    expect(resolveProviderConfig({}, {}).bootTimeoutMs).toBe(300_000);
    expect(resolveProviderConfig({ bootTimeout: '90s' }, {}).bootTimeoutMs).toBe(90_000);
    expect(resolveProviderConfig({}, { VERS_BOOT_TIMEOUT: '2m' }).bootTimeoutMs).toBe(120_000);
    expect(() => resolveProviderConfig({ bootTimeout: 'soon' }, {})).toThrow(/boot_timeout must be a positive duration/);
  });
});

describe('transport safety', () => {
  test.each(['http://api.example.com', 'http://10.0.0.5:8080/api/v1', 'http://vers.internal'])('the API key is not sent over plain http to %s: a ConfigError naming base_url and the way out', (baseUrl) => {
    const error = configError(() => resolveProviderConfig({ baseUrl }, {}));
    expect(error.option).toBe('base_url');
    expect(error.message).toMatch(/plain http/);
    expect(error.message).toMatch(/allow_insecure_http/);
  });

  test.each(['http://127.0.0.1:8080', 'http://127.8.9.10', 'http://localhost:9000', 'http://[::1]:9000'])('plain http to the loopback address %s is fine and gives no warning', (baseUrl) => {
    expect(resolveProviderConfig({ baseUrl }, {}).warnings).toEqual([]);
  });

  test('allow_insecure_http (or VERS_ALLOW_INSECURE_HTTP) accepts plain http, with a warning that the key travels unencrypted', () => {
    for (const config of [resolveProviderConfig({ baseUrl: 'http://api.example.com', allowInsecureHttp: true }, {}), resolveProviderConfig({ baseUrl: 'http://api.example.com' }, { VERS_ALLOW_INSECURE_HTTP: 'true' })]) {
      expect(config.baseUrl).toBe('http://api.example.com/api/v1');
      expect(config.warnings).toEqual([{ option: 'allow_insecure_http', message: expect.stringMatching(/API key .*unencrypted.*http:\/\/api\.example\.com/) }]);
    }
  });

  test('https needs no setting and gives no warning', () => {
    expect(resolveProviderConfig({ baseUrl: 'https://api.example.com' }, {}).warnings).toEqual([]);
  });

  test('insecure_skip_tls_verify gives a warning', () => {
    expect(resolveProviderConfig({ insecureSkipTlsVerify: true }, {}).warnings).toEqual([{ option: 'insecure_skip_tls_verify', message: expect.stringMatching(/insecure_skip_tls_verify.*not verified/) }]);
    expect(resolveProviderConfig({}, { VERS_INSECURE_SKIP_TLS_VERIFY: '1' }).warnings).toHaveLength(1);
  });
});

describe('boot timeout range', () => {
  test.each(['0s', '0.5s', '25h', '999999h'])('boot_timeout %s is refused in user units', (bootTimeout) => {
    const error = configError(() => resolveProviderConfig({ bootTimeout }, {}));
    expect(error.option).toBe('boot_timeout');
    expect(error.message).toMatch(/boot_timeout must be between 1s and 24h/);
  });

  test('the bounds themselves are accepted', () => {
    expect(resolveProviderConfig({ bootTimeout: '1s' }, {}).bootTimeoutMs).toBe(1000);
    expect(resolveProviderConfig({ bootTimeout: '24h' }, {}).bootTimeoutMs).toBe(86_400_000);
  });
});
