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
