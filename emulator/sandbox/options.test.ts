import { resolveSandboxDriverOptions } from './options';

describe('sandbox driver options', () => {
  test('defaults are applied to a minimal options object', () => {
    const resolved = resolveSandboxDriverOptions({ stateDir: '/var/lib/vers-local/' });
    expect(resolved.stateDir).toBe('/var/lib/vers-local');
    expect(resolved.cgroupPrefix).toBe(`vers-local-${process.pid}`);
    expect(resolved.startTimeoutMs).toBe(15000);
    expect(() => resolved.logger('discarded')).not.toThrow();
  });

  test('unknown keys and wrong types are rejected with an error naming the option', () => {
    expect(() => resolveSandboxDriverOptions({ stateDir: '/srv/state', stateDri: 'typo' })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS', option: 'stateDri' }));
    expect(() => resolveSandboxDriverOptions({ stateDir: 'relative/dir' })).toThrow(expect.objectContaining({ option: 'stateDir' }));
    expect(() => resolveSandboxDriverOptions({ stateDir: '/srv/a:b' })).toThrow(/must not contain/);
    expect(() => resolveSandboxDriverOptions({ stateDir: '/usr' })).toThrow(/system directory/);
    expect(() => resolveSandboxDriverOptions({ stateDir: '/srv/state', cgroupPrefix: '../escape' })).toThrow(expect.objectContaining({ option: 'cgroupPrefix' }));
    expect(() => resolveSandboxDriverOptions({ stateDir: '/srv/state', logger: 'stderr' })).toThrow(expect.objectContaining({ option: 'logger' }));
    expect(() => resolveSandboxDriverOptions({ stateDir: '/srv/state', startTimeoutMs: 1.5 })).toThrow(expect.objectContaining({ option: 'startTimeoutMs' }));
    expect(() => resolveSandboxDriverOptions(undefined)).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
  });
});
