import { validateInputs } from './input-validator';
import { UNKNOWN } from '../base/unknown';

describe('inputs validated from schema.json', () => {
  test('a valid VM passes', () => {
    expect(validateInputs('vers:index:Vm', { vcpuCount: 2, memSizeMib: 4096, fsSizeMib: 8192, labels: { a: 'b' } })).toEqual([]);
  });

  test('a negative size names the property and the lower bound', () => {
    expect(validateInputs('vers:index:Vm', { memSizeMib: -1 })).toEqual([{ property: 'memSizeMib', reason: 'must be at least 128' }]);
  });

  test('a wrong type is named in words', () => {
    expect(validateInputs('vers:index:Vm', { vcpuCount: 'two' })).toEqual([{ property: 'vcpuCount', reason: 'must be a whole number' }]);
    expect(validateInputs('vers:index:Vm', { vcpuCount: 1.5 })).toEqual([{ property: 'vcpuCount', reason: 'must be a whole number' }]);
  });

  test('a malformed commit id gets the UUID rule', () => {
    expect(validateInputs('vers:index:VmRestore', { commitId: 'abc' })).toEqual([
      { property: 'commitId', reason: 'must be a UUID (32 hex digits as 8-4-4-4-12)' },
    ]);
  });

  test('a missing required input is reported', () => {
    expect(validateInputs('vers:index:VmCommit', {})).toEqual([{ property: 'vmId', reason: 'is required' }]);
  });

  test('an unknown property is reported', () => {
    expect(validateInputs('vers:index:Vm', { cpus: 2 })).toEqual([{ property: 'cpus', reason: 'is not a known property' }]);
  });

  test('an enum value outside the list is reported with the allowed values', () => {
    expect(validateInputs('vers:index:Vm', { desiredState: 'stopped' })).toEqual([
      { property: 'desiredState', reason: 'must be one of running, paused' },
    ]);
  });

  test('a file with both source and content, or neither, breaks the exclusivity rule', () => {
    const vmId = '2b6f0cc9-04a5-4b43-9c6e-7e8f6c2b1a10';
    expect(
      validateInputs('vers:index:Provision', {
        vmId,
        files: [
          { destination: '/a', content: 'x' },
          { destination: '/b', content: 'x', source: 'y' },
          { destination: 'relative' },
        ],
      }),
    ).toEqual([
      { property: 'files[1]', reason: 'must set exactly one of `source` and `content`' },
      { property: 'files[2]', reason: 'must set exactly one of `source` and `content`' },
      { property: 'files[2].destination', reason: 'must be an absolute path to a file (starting with /, not ending with /, /. or /.., without NUL characters)' },
    ]);
  });

  test('unknown values are not judged yet, and count as present', () => {
    expect(validateInputs('vers:index:VmCommit', { vmId: UNKNOWN })).toEqual([]);
    expect(validateInputs('vers:index:Provision', { vmId: UNKNOWN, files: [{ destination: UNKNOWN, content: 'x' }] })).toEqual([]);
  });

  test('null counts as unset and computed file hashes are ignored', () => {
    const vmId = '2b6f0cc9-04a5-4b43-9c6e-7e8f6c2b1a10';
    expect(validateInputs('vers:index:Provision', { vmId, commands: null, files: [{ destination: '/a', content: 'x', sha256: 'abc' }] })).toEqual([]);
  });

  test('function inputs are validated too', () => {
    expect(validateInputs('vers:index:getCommit', {})).toEqual([{ property: 'commitId', reason: 'is required' }]);
  });
});

describe('reserved label keys', () => {
  const ID = '2b6f0cc9-04a5-4b43-9c6e-7e8f6c2b1a10';
  test.each([
    ['vers:index:Vm', {}],
    ['vers:index:VmRestore', { commitId: ID }],
    ['vers:index:VmBranch', { sourceVmId: ID }],
  ])('%s refuses labels under vers.sh/, the request token included', (token, required) => {
    expect(validateInputs(token, { ...required, labels: { 'vers.sh/request-token': 'x', 'vers.sh/other': 'y', team: 'ops' } })).toEqual([
      { property: 'labels["vers.sh/request-token"]', reason: expect.stringMatching(/reserved/) },
      { property: 'labels["vers.sh/other"]', reason: expect.stringMatching(/reserved/) },
    ]);
  });
});
