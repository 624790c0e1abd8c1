import { decodeCarryPrivate, encodeCarryPrivate } from './replacement-carry';

describe('a replacement carry as Terraform private data', () => {
  const carry = { appliesTo: { vmId: '2b6f0cc9-04a5-4b43-9c6e-7e8f6c2b1a10' }, values: { sshHostKey: 'SHA256:UhZTqQbieyOlWQ1F5yKH4jfCmDawcHqvvta4ci++CzU' } };

  test('round-trips as small versioned JSON', () => {
    const bytes = encodeCarryPrivate(carry);
    expect(JSON.parse(bytes.toString('utf8'))).toEqual({ format: 'vers-replacement-carry', version: 1, ...carry });
    expect(decodeCarryPrivate(bytes)).toEqual(carry);
    expect(bytes.length).toBeLessThan(256);
  });

  test('any other private data is no carry: empty, another format or version, not JSON', () => {
    expect(decodeCarryPrivate(undefined)).toBeUndefined();
    expect(decodeCarryPrivate(Buffer.alloc(0))).toBeUndefined();
    expect(decodeCarryPrivate(Buffer.from('{"format":"vers-replacement-carry","version":2,"appliesTo":{},"values":{}}'))).toBeUndefined();
    expect(decodeCarryPrivate(Buffer.from('{"schema_version":"1"}'))).toBeUndefined();
    expect(decodeCarryPrivate(Buffer.from('{not json'))).toBeUndefined();
    expect(decodeCarryPrivate(Buffer.from([0x81, 0xa1, 0x61]))).toBeUndefined();
    expect(decodeCarryPrivate(Buffer.from('{"format":"vers-replacement-carry","version":1,"appliesTo":[],"values":{}}'))).toBeUndefined();
  });
});
