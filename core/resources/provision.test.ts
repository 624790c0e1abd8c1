import { provisionResource } from './provision';

const VM_ID = '2b6f0cc9-04a5-4b43-9c6e-7e8f6c2b1a10';

describe('Provision check', () => {
  test('an empty or blank command is rejected at check time, naming its index', async () => {
    const result = await provisionResource.check({ vmId: VM_ID, commands: ['echo ok', '', '   '] }, undefined);
    expect(result.failures).toEqual([
      { property: 'commands[1]', reason: 'must be a non-empty string' },
      { property: 'commands[2]', reason: 'must be a non-empty string' },
    ]);
  });

  test('non-empty commands pass', async () => {
    expect((await provisionResource.check({ vmId: VM_ID, commands: ['echo ok', 'true'] }, undefined)).failures).toEqual([]);
  });
});

describe('Provision check: what would fail at apply time is refused at plan time', () => {
  const failuresOf = async (news: Record<string, unknown>) => (await provisionResource.check({ vmId: VM_ID, ...news } as never, undefined)).failures;

  test.each([
    ['0s'],
    ['0.0001ms'],
    ['500ms'],
    ['24h0m1s'],
    ['600h'],
    ['999999h'],
  ])('timeout %s is out of range, said in user units', async (timeout) => {
    expect(await failuresOf({ timeout })).toEqual([{ property: 'timeout', reason: 'must be between 1s and 24h' }]);
  });

  test.each([['1s'], ['90s'], ['24h'], ['1h30m']])('timeout %s is fine', async (timeout) => {
    expect(await failuresOf({ timeout })).toEqual([]);
  });

  test.each([['1BAD-NAME'], ['BAD-NAME'], ['A B'], ['']])('environment key %j is not a shell variable name', async (key) => {
    expect(await failuresOf({ environment: { [key]: 'x' } })).toEqual([
      { property: `environment[${JSON.stringify(key)}]`, reason: expect.stringMatching(/must be a shell variable name/) },
    ]);
  });

  test('NUL characters are refused in environment values and commands', async () => {
    expect(await failuresOf({ environment: { A: 'x\u0000y' }, commands: ['echo a\u0000b'] })).toEqual([
      { property: 'commands[0]', reason: expect.stringMatching(/NUL/) },
      { property: 'environment["A"]', reason: expect.stringMatching(/NUL/) },
    ]);
  });

  test('a command over 128 KiB is refused', async () => {
    expect(await failuresOf({ commands: [`echo ${'x'.repeat(200_000)}`] })).toEqual([{ property: 'commands[0]', reason: expect.stringMatching(/at most 131072 characters/) }]);
  });

  test('an environment variable over the kernel limit for one variable, or an environment over 1 MiB in all, is refused', async () => {
    expect(await failuresOf({ environment: { BIG: 'x'.repeat(200_000) } })).toEqual([{ property: 'environment["BIG"]', reason: expect.stringMatching(/at most 128 KiB/) }]);
    const many = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`V${i}`, 'x'.repeat(120_000)]));
    expect(await failuresOf({ environment: many })).toEqual([{ property: 'environment', reason: expect.stringMatching(/at most 1 MiB/) }]);
  });

  test.each([['/'], ['/tmp/'], ['/root/newdir/'], ['/tmp/.'], ['/tmp/..']])('destination %s names a directory', async (destination) => {
    expect(await failuresOf({ files: [{ destination, content: 'x' }] })).toEqual([{ property: 'files[0].destination', reason: expect.stringMatching(/must be an absolute path to a file/) }]);
  });

  test.each([['07777'], ['4755'], ['04755'], ['2755'], ['1777']])('mode %s with setuid, setgid or sticky bits is refused, saying why', async (mode) => {
    expect(await failuresOf({ files: [{ destination: '/tmp/x', content: 'x', mode }] })).toEqual([{ property: 'files[0].mode', reason: expect.stringMatching(/setuid, setgid and sticky bits .* not allowed/) }]);
  });
});
