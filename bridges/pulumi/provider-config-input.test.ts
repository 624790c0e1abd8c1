import { UNKNOWN } from '../../core/base/unknown';
import {
  configFromProperties,
  configPropertyOf,
  firstSetWins,
  propertiesFromPulumiConfigEnv,
  propertiesFromVariables,
} from './provider-config-input';

describe('Pulumi provider configuration sources', () => {
  test('provider inputs become the core config input; the engine-added version is not configuration', () => {
    const result = configFromProperties({ baseUrl: 'https://127.0.0.1:9443', insecureSkipTlsVerify: true, version: '0.1.0' });
    expect(result).toEqual({ input: { baseUrl: 'https://127.0.0.1:9443', insecureSkipTlsVerify: true }, failures: [], unknownKeys: [] });
  });

  test('booleans JSON-encoded by SDK Provider classes are accepted', () => {
    expect(configFromProperties({ insecureSkipTlsVerify: 'true' }).input).toEqual({ insecureSkipTlsVerify: true });
    expect(configFromProperties({ insecureSkipTlsVerify: 'false' }).input).toEqual({ insecureSkipTlsVerify: false });
  });

  test('a misspelt key and a wrongly typed value are failures that name the property', () => {
    const result = configFromProperties({ baseURL: 'x', insecureSkipTlsVerify: 'maybe', sshGateway: 8443 });
    expect(result.failures).toEqual([
      { property: 'baseURL', reason: expect.stringContaining('is not a vers configuration key; known keys: apiKey, baseUrl') },
      { property: 'insecureSkipTlsVerify', reason: 'must be a boolean' },
      { property: 'sshGateway', reason: 'must be a string' },
    ]);
  });

  test('unknown values (preview) are left out and reported', () => {
    expect(configFromProperties({ apiKey: UNKNOWN, baseUrl: 'https://x' })).toEqual({ input: { baseUrl: 'https://x' }, failures: [], unknownKeys: ['apiKey'] });
  });

  test('Configure variables are keyed vers:config:<key>; other packages are ignored', () => {
    expect(propertiesFromVariables([['vers:config:baseUrl', 'https://a'], ['aws:config:region', 'x'], ['vers:config:insecureSkipTlsVerify', 'true']])).toEqual({
      baseUrl: 'https://a',
      insecureSkipTlsVerify: 'true',
    });
  });

  test('PULUMI_CONFIG is read with or without the namespace, and garbage counts as no config', () => {
    expect(propertiesFromPulumiConfigEnv('{"baseUrl":"https://a","vers:vmDomain":"vm.local","other:x":"y"}')).toEqual({ baseUrl: 'https://a', vmDomain: 'vm.local' });
    expect(propertiesFromPulumiConfigEnv('not json')).toEqual({});
    expect(propertiesFromPulumiConfigEnv(undefined)).toEqual({});
  });

  test('the first source that sets a key wins, and empty strings do not count as set', () => {
    expect(firstSetWins({ baseUrl: '' }, { baseUrl: 'https://b', vmDomain: 'v' }, { vmDomain: 'w' })).toEqual({ baseUrl: 'https://b', vmDomain: 'v' });
  });

  test('snake_case ConfigError options map to the camelCase property', () => {
    expect(configPropertyOf('insecure_skip_tls_verify')).toBe('insecureSkipTlsVerify');
    expect(configPropertyOf('apiKey')).toBe('apiKey');
  });
});
