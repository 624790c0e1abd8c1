import { CtyTypeError, type CtyType } from './cty-type';
import { CtyDynamic, CtyUnknown, UNKNOWN, isUnknown } from './cty-value';
import { decodeMsgpackValue, encodeMsgpackValue } from './msgpack-codec';

/** Bytes from the reference's captures of Terraform v1.11.4 (terraform-plugin-protocol.md §3.1). */
const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('the msgpack codec for cty values', () => {
  test('decodes and re-encodes the provider config object Terraform sent', () => {
    const type: CtyType = ['object', { endpoint: 'string' }];
    const bytes = hex('81 a8 656e64706f696e74 a8 687474703a2f2f78');
    expect(decodeMsgpackValue(bytes, type)).toEqual({ endpoint: 'http://x' });
    expect(toHex(encodeMsgpackValue({ endpoint: 'http://x' }, type))).toBe(toHex(bytes));
  });

  test('decodes a dynamic value as [type JSON, value] and writes the same bytes back', () => {
    const bytes = hex('92 c4 19 5b226f626a656374222c7b226b223a226e756d626572227d5d 81 a1 6b 01');
    const value = decodeMsgpackValue(bytes, 'dynamic');
    expect(value).toBeInstanceOf(CtyDynamic);
    expect((value as CtyDynamic).type).toEqual(['object', { k: 'number' }]);
    expect((value as CtyDynamic).value).toEqual({ k: 1 });
    expect(toHex(encodeMsgpackValue(value, 'dynamic'))).toBe(toHex(bytes));
  });

  test('infers the type of a plain value written to a dynamic attribute', () => {
    const bytes = encodeMsgpackValue({ k: 1 }, 'dynamic');
    expect(toHex(bytes)).toBe(toHex(hex('92 c4 19 5b226f626a656374222c7b226b223a226e756d626572227d5d 81 a1 6b 01')));
  });

  test('reads the plain unknown d4 00 00 and writes unknowns only in that form', () => {
    expect(isUnknown(decodeMsgpackValue(hex('d4 00 00'), 'string'))).toBe(true);
    expect(toHex(encodeMsgpackValue(UNKNOWN, 'string'))).toBe('d40000');
    expect(toHex(encodeMsgpackValue(new CtyUnknown({ stringPrefix: 'pre-' }), 'string'))).toBe('d40000');
  });

  test('reads refined unknowns (extension 12) with their refinements', () => {
    const prefixed = decodeMsgpackValue(hex('c7 09 0c 82 01 c2 02 a4 7072652d'), 'string');
    expect(prefixed).toBeInstanceOf(CtyUnknown);
    expect((prefixed as CtyUnknown).refinements).toEqual({ nullable: false, stringPrefix: 'pre-' });
    const notNull = decodeMsgpackValue(hex('c7 03 0c 81 01 c2'), 'number');
    expect((notNull as CtyUnknown).refinements).toEqual({ nullable: false });
  });

  test('treats any other extension as a plain unknown', () => {
    expect(isUnknown(decodeMsgpackValue(hex('d4 05 00'), 'bool'))).toBe(true);
  });

  test('reads null objects and empty DynamicValues as null', () => {
    expect(decodeMsgpackValue(hex('c0'), ['object', { a: 'string' }])).toBeNull();
    expect(decodeMsgpackValue(new Uint8Array(0), ['object', { a: 'string' }])).toBeNull();
  });

  test('writes every object attribute, sorted, with null for unset ones', () => {
    const type: CtyType = ['object', { zeta: 'string', alpha: 'number', mid: ['list', 'bool'] }];
    // 83 a5 alpha 01, a3 mid c0, a4 zeta a1 78
    expect(toHex(encodeMsgpackValue({ zeta: 'x', alpha: 1 }, type))).toBe('83a5616c70686101a36d6964c0a47a657461a178');
  });

  test('writes integers compactly and fractions as float64, and reads decimal strings as numbers', () => {
    expect(toHex(encodeMsgpackValue(3, 'number'))).toBe('03');
    expect(toHex(encodeMsgpackValue(1.5, 'number'))).toBe('cb3ff8000000000000');
    expect(decodeMsgpackValue(encodeMsgpackValue(2 ** 40, 'number'), 'number')).toBe(2 ** 40);
    expect(decodeMsgpackValue(hex('a3 313233'), 'number')).toBe(123);
  });

  test('round-trips lists, sets, maps, tuples and nested objects', () => {
    const type: CtyType = ['object', { list: ['list', 'string'], set: ['set', 'number'], map: ['map', ['object', { n: 'number' }]], tuple: ['tuple', ['string', 'bool']] }];
    const value = { list: ['a', 'b'], set: [1, 2], map: { x: { n: 1 }, y: { n: null } }, tuple: ['t', true] };
    expect(decodeMsgpackValue(encodeMsgpackValue(value, type), type)).toEqual(value);
  });

  test('names the path of a value that does not match its type', () => {
    const type: CtyType = ['object', { part: ['list', ['object', { size: 'number' }]] }];
    const bytes = encodeMsgpackValue({ part: [{ size: 1 }] }, type);
    expect(() => decodeMsgpackValue(bytes, ['object', { part: ['list', ['object', { size: 'bool' }]] }])).toThrow(
      new CtyTypeError('part[0].size: expected a bool, got number'),
    );
  });

  test('rejects attributes the type does not have, as go-cty does', () => {
    const bytes = encodeMsgpackValue({ a: 'x', b: 'y' }, ['object', { a: 'string', b: 'string' }]);
    expect(() => decodeMsgpackValue(bytes, ['object', { a: 'string' }])).toThrow(/unsupported attribute "b"/);
  });
});
