import { apiKeyNeedles, findNeedles, planOrStateWithoutSensitive, privateKeyNeedles, stateFileWithoutSensitive } from './secret-scan';

const KEY = `01234567-89ab-cdef-0123-456789abcdef${'ab'.repeat(32)}`;
const PEM_A = '-----BEGIN OPENSSH PRIVATE KEY-----\nSHAREDSHAREDSHAREDSHARED\nAAAAuniqueBodyLineOfKeyA1111\n-----END OPENSSH PRIVATE KEY-----\n';
const PEM_B = '-----BEGIN OPENSSH PRIVATE KEY-----\nSHAREDSHAREDSHAREDSHARED\nBBBBuniqueBodyLineOfKeyB2222\n-----END OPENSSH PRIVATE KEY-----\n';

describe('secret scanning for the reliability suites', () => {
  test('needles find the whole key, its secret half alone, and a single unique line of a private key, but not shared boilerplate', () => {
    const needles = [...apiKeyNeedles(KEY), ...privateKeyNeedles(new Map([['a', PEM_A], ['b', PEM_B]]))];
    expect(findNeedles('log', `token=${'ab'.repeat(32)}`, needles)).toEqual(['log: the secret half of the API key']);
    expect(findNeedles('log', 'half a key: AAAAuniqueBodyLineOfKeyA1111', needles)).toEqual(['log: line 2 of the private key of a']);
    expect(findNeedles('log', 'SHAREDSHAREDSHAREDSHARED', needles)).toEqual([]);
    expect(findNeedles('log', `${KEY}`, needles)).toEqual(['log: the API key', 'log: the secret half of the API key']);
  });

  test('show -json documents lose exactly the values their sensitive masks mark', () => {
    const plan = {
      resource_changes: [{ change: { before: null, after: { id: 'x', ssh_private_key: PEM_A, nested: [{ a: 'keep', b: KEY }] }, after_sensitive: { ssh_private_key: true, nested: [{ b: true }] } } }],
      planned_values: { outputs: { secret: { sensitive: true, value: KEY }, open: { sensitive: false, value: 'fine' } }, root_module: { resources: [{ values: { k: PEM_B }, sensitive_values: { k: true } }] } },
    };
    const text = JSON.stringify(planOrStateWithoutSensitive(plan));
    expect(text).not.toContain(KEY.slice(36));
    expect(text).not.toContain('uniqueBodyLine');
    expect(text).toContain('"a":"keep"');
    expect(text).toContain('"value":"fine"');
  });

  test('a state file loses the attributes its instances list as sensitive, and keeps the rest', () => {
    const state = {
      resources: [
        {
          instances: [
            {
              attributes: { id: 'vm', ssh_private_key: PEM_A, file: [{ content: KEY }, { content: 'open' }] },
              sensitive_attributes: [[{ type: 'get_attr', value: 'ssh_private_key' }], [{ type: 'get_attr', value: 'file' }, { type: 'index', value: { value: 0, type: 'number' } }, { type: 'get_attr', value: 'content' }]],
            },
          ],
        },
      ],
    };
    const text = JSON.stringify(stateFileWithoutSensitive(state));
    expect(text).not.toContain('uniqueBodyLine');
    expect(text).not.toContain(KEY);
    expect(text).toContain('"content":"open"');
    expect(text).toContain('"id":"vm"');
  });
});
