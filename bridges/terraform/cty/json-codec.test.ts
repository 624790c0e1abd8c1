import type { CtyType } from './cty-type';
import { CtyDynamic, UNKNOWN } from './cty-value';
import { decodeJsonValue, encodeJsonValue } from './json-codec';

describe('the JSON codec for state values', () => {
  const type: CtyType = ['object', { dyn: 'dynamic', name: 'string', size: 'number', gone: 'string' }];

  test('reads a dynamic attribute stored as {"value", "type"} the way terraform.tfstate has it', () => {
    const value = decodeJsonValue({ dyn: { value: { k: 1 }, type: ['object', { k: 'number' }] }, name: 'a', size: 2, gone: null }, type);
    expect(value).toEqual({ dyn: new CtyDynamic(['object', { k: 'number' }], { k: 1 }), name: 'a', size: 2, gone: null });
  });

  test('reads missing attributes as null and drops attributes the schema no longer has', () => {
    expect(decodeJsonValue({ name: 'a', removed: true }, type)).toEqual({ dyn: null, name: 'a', size: null, gone: null });
  });

  test('writes dynamic values with their type, and refuses unknowns', () => {
    expect(encodeJsonValue({ dyn: ['a', true], name: null, size: 1, gone: null }, type)).toEqual({
      dyn: { value: ['a', true], type: ['tuple', ['string', 'bool']] },
      gone: null,
      name: null,
      size: 1,
    });
    expect(() => encodeJsonValue({ name: UNKNOWN }, type)).toThrow(/name: an unknown value cannot be written as JSON/);
  });
});
