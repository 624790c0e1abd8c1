import { FaultInjector, parseFaultConfig } from './faults';
import { OptionsError } from './option-errors';

describe('fault injection', () => {
  test('the same seed gives the same sequence of decisions', () => {
    const config = parseFaultConfig({ seed: 7, routes: [{ route: 'POST /api/v1/vm/new_root', error503: 0.3, connectionReset: 0.2 }] }, 1);
    const run = (): Array<string | undefined> => {
      const injector = new FaultInjector(config, 1);
      return Array.from({ length: 50 }, () => injector.decide('POST /api/v1/vm/new_root').fault);
    };
    const first = run();
    expect(run()).toEqual(first);
    expect(first.filter((f) => f === 'error503').length).toBeGreaterThan(5);
    expect(first.filter((f) => f === undefined).length).toBeGreaterThan(10);
  });

  test('rules apply only to the routes they name; a trailing * matches by prefix', () => {
    const injector = new FaultInjector(parseFaultConfig({ routes: [{ route: '* /api/v1/commits*', error500: 1 }] }, 1), 1);
    expect(injector.decide('GET /api/v1/commits').fault).toBe('error500');
    expect(injector.decide('DELETE /api/v1/commits/{commit_id}').fault).toBe('error500');
    expect(injector.decide('GET /api/v1/vms').fault).toBeUndefined();
  });

  test('unknown keys, bad probabilities and sums above 1 are rejected with the option named', () => {
    expect(() => parseFaultConfig({ rutes: [] }, 1)).toThrow(new OptionsError('unknown fault config option "rutes" (known: seed, routes, bootFailureRate, sshdStartDelayMs)'));
    expect(() => parseFaultConfig({ routes: [{ error500: 2 }] }, 1)).toThrow(/routes\[0\]\.error500 must be a number from 0 to 1/);
    expect(() => parseFaultConfig({ routes: [{ error500: 0.6, error503: 0.6 }] }, 1)).toThrow(/add up to 1.2/);
  });
});
