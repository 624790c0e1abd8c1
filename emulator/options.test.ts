import { OptionsError } from './option-errors';
import { DEFAULT_OPTIONS, parseOptions } from './options';

const KEY = `0b7e0f5c-7c39-4f0e-9d2a-6a3f3e1c2b1a${'a'.repeat(64)}`;

describe('vers-local options', () => {
  test('no flags and no environment give the documented defaults', () => {
    expect(parseOptions([], {})).toEqual(DEFAULT_OPTIONS);
  });

  test('flags override environment variables, in both flag spellings', () => {
    const options = parseOptions(['--api-port', '8080', '--boot-delay-ms=0', '--https'], { VERS_LOCAL_API_PORT: '9090', VERS_LOCAL_VCPU_QUOTA: '16' });
    expect(options.apiPort).toBe(8080);
    expect(options.bootDelayMs).toBe(0);
    expect(options.https).toBe(true);
    expect(options.vcpuQuota).toBe(16);
  });

  test('an unknown flag is an error naming it', () => {
    expect(() => parseOptions(['--api-prot', '1'], {})).toThrow(new OptionsError('unknown flag "--api-prot" (see vers-local --help)'));
  });

  test('a malformed API key is refused without echoing it', () => {
    let message = '';
    try {
      parseOptions(['--api-key', 'secret-but-short'], {});
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/36-character UUID key id followed by 64 hex/);
    expect(message).not.toContain('secret-but-short');
    expect(parseOptions(['--api-key', KEY], {}).apiKey).toBe(KEY);
  });

  test('fault JSON is checked and takes --seed as its default seed', () => {
    expect(parseOptions(['--seed', '42', '--faults', '{"bootFailureRate":0.5}'], {}).faults).toEqual({ seed: 42, routes: [], bootFailureRate: 0.5, sshdStartDelayMs: 0 });
    expect(() => parseOptions([], { VERS_LOCAL_FAULTS: '{"bootFailureRate":"x"}' })).toThrow(/environment variable VERS_LOCAL_FAULTS: fault config "bootFailureRate"/);
  });
});
