import { ReplacementCarryStore, carryAppliesTo, checkedInputsScope } from './carry-store';

const VM_A = '2b6f0cc9-04a5-4b43-9c6e-7e8f6c2b1a10';
const VM_B = '00000000-0000-4000-8000-000000000000';
const carryFor = (vmId: string, key: string) => ({ appliesTo: { vmId }, values: { sshHostKey: key } });

describe('replacement carries held between a diff (or destroy) and the create', () => {
  test('a create takes the carry whose appliesTo its inputs match, once', () => {
    const store = new ReplacementCarryStore();
    store.hold('vers_provision', carryFor(VM_A, 'SHA256:a'));
    store.hold('vers_provision', carryFor(VM_B, 'SHA256:b'));
    expect(store.take('vers_provision', { vmId: VM_B, commands: ['true'] })).toEqual({ sshHostKey: 'SHA256:b' });
    expect(store.take('vers_provision', { vmId: VM_B })).toBeUndefined();
    expect(store.take('other-scope', { vmId: VM_A })).toBeUndefined();
    expect(store.size).toBe(1);
    expect(store.take('vers_provision', { vmId: VM_A })).toEqual({ sshHostKey: 'SHA256:a' });
    expect(store.size).toBe(0);
  });

  test('a create on another VM takes nothing; a newer diff of the same resource releases what the older one held', () => {
    const store = new ReplacementCarryStore();
    store.hold('urn:a', carryFor(VM_A, 'SHA256:a'));
    expect(store.take('urn:a', { vmId: VM_B })).toBeUndefined();
    store.release('urn:a');
    expect(store.take('urn:a', { vmId: VM_A })).toBeUndefined();
  });

  test('appliesTo compares JSON values structurally', () => {
    const carry = { appliesTo: { vmId: VM_A, labels: { a: '1', b: '2' } }, values: {} };
    expect(carryAppliesTo(carry, { vmId: VM_A, labels: { b: '2', a: '1' } })).toBe(true);
    expect(carryAppliesTo(carry, { vmId: VM_A, labels: { a: '1' } })).toBe(false);
    expect(carryAppliesTo(carry, { labels: { a: '1', b: '2' } })).toBe(false);
  });

  test('the checked-inputs scope ignores key order, differs with any value and with the token, and holds no value in clear', () => {
    const scope = checkedInputsScope('vers:index:Provision', { vmId: VM_A, environment: { TOKEN: 'swordfish', A: '1' } });
    expect(checkedInputsScope('vers:index:Provision', { environment: { A: '1', TOKEN: 'swordfish' }, vmId: VM_A })).toBe(scope);
    expect(checkedInputsScope('vers:index:Provision', { vmId: VM_A, environment: { TOKEN: 'swordfisH', A: '1' } })).not.toBe(scope);
    expect(checkedInputsScope('vers:index:Vm', { vmId: VM_A, environment: { TOKEN: 'swordfish', A: '1' } })).not.toBe(scope);
    expect(scope).not.toContain('swordfish');
    expect(scope).toMatch(/^vers:index:Provision [0-9a-f]{64}$/);
  });
});
