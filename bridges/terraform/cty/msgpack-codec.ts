import { decode, encode, ExtData } from '@msgpack/msgpack';
import { CtyTypeError, ctyTypeJson, objectAttributes, parseCtyType, type CtyType } from './cty-type';
import { CtyDynamic, CtyUnknown, UNKNOWN, type CtyObject, type CtyValue, type UnknownRefinements } from './cty-value';
import { inferCtyType } from './infer-type';
import { convertPrimitive, typeMismatch } from './primitive';

/**
 * cty values in MessagePack, the encoding of every DynamicValue Terraform
 * sends (hashicorp/terraform docs/plugin-protocol/object-wire-format.md and
 * go-cty cty/msgpack). Values are always read and written against a known
 * type: objects carry every attribute (sorted, null when unset), dynamic
 * values are `[bin(type JSON), value]`, and unknowns are extensions.
 */

/** go-cty's extension code for an unknown with refinements. */
const REFINED_UNKNOWN_EXT = 12;
/** What go-cty and terraform-plugin-go send for an unknown: fixext1, type 0, payload 0. */
const PLAIN_UNKNOWN_EXT = new ExtData(0, new Uint8Array([0]));

export function decodeMsgpackValue(bytes: Uint8Array, type: CtyType): CtyValue {
  if (bytes.length === 0) return null; // An empty DynamicValue means null (Terraform's decodeDynamicValue).
  return fromWire(decode(bytes), type, '');
}

export function encodeMsgpackValue(value: CtyValue, type: CtyType): Uint8Array {
  return encode(toWire(value, type, ''));
}

function fromWire(raw: unknown, type: CtyType, path: string): CtyValue {
  if (raw === null || raw === undefined) return null;
  if (raw instanceof ExtData) return decodeUnknown(raw);
  if (type === 'dynamic') {
    if (!Array.isArray(raw) || raw.length !== 2) throw typeMismatch(path, 'a dynamic value [type, value]', raw);
    const [typeBytes, inner] = raw as [unknown, unknown];
    const typeText = typeBytes instanceof Uint8Array ? Buffer.from(typeBytes).toString('utf8') : String(typeBytes);
    const concrete = parseCtyType(JSON.parse(typeText));
    return new CtyDynamic(concrete, fromWire(inner, concrete, path));
  }
  if (type === 'string') {
    if (typeof raw !== 'string') throw typeMismatch(path, 'a string', raw);
    return raw;
  }
  if (type === 'number') return convertPrimitive(raw, 'number', path); // go-cty also reads decimal strings
  if (type === 'bool') {
    if (typeof raw !== 'boolean') throw typeMismatch(path, 'a bool', raw);
    return raw;
  }
  switch (type[0]) {
    case 'list':
    case 'set': {
      if (!Array.isArray(raw)) throw typeMismatch(path, `a ${type[0]}`, raw);
      return raw.map((element, index) => fromWire(element, type[1], `${path}[${index}]`));
    }
    case 'tuple': {
      if (!Array.isArray(raw) || raw.length !== type[1].length) throw typeMismatch(path, `a tuple of ${type[1].length}`, raw);
      return raw.map((element, index) => fromWire(element, type[1][index] as CtyType, `${path}[${index}]`));
    }
    case 'map': {
      if (!isPlainMap(raw)) throw typeMismatch(path, 'a map', raw);
      const result: CtyObject = {};
      for (const [key, element] of Object.entries(raw)) result[key] = fromWire(element, type[1], `${path}[${JSON.stringify(key)}]`);
      return result;
    }
    case 'object': {
      if (!isPlainMap(raw)) throw typeMismatch(path, 'an object', raw);
      const result: CtyObject = {};
      for (const [name, attributeType] of objectAttributes(type)) {
        result[name] = fromWire(raw[name], attributeType, path === '' ? name : `${path}.${name}`);
      }
      for (const name of Object.keys(raw)) {
        if (!(name in type[1])) throw new CtyTypeError(`${path === '' ? 'value' : path}: unsupported attribute ${JSON.stringify(name)}`);
      }
      return result;
    }
  }
}

function decodeUnknown(ext: ExtData): CtyUnknown {
  // go-cty: an extension of at most one byte is a plain unknown whatever its code.
  const data = typeof ext.data === 'function' ? ext.data(0) : ext.data;
  if (ext.type !== REFINED_UNKNOWN_EXT || data.length <= 1) return UNKNOWN;
  const refinements: UnknownRefinements = {};
  const payload: unknown = decode(data);
  if (payload instanceof Map || isPlainMap(payload)) {
    const entries: Array<[unknown, unknown]> = payload instanceof Map ? [...payload.entries()] : Object.entries(payload);
    for (const [key, value] of entries) {
      switch (Number(key)) {
        case 1:
          if (typeof value === 'boolean') refinements.nullable = value;
          break;
        case 2:
          if (typeof value === 'string') refinements.stringPrefix = value;
          break;
        case 3:
          if (Array.isArray(value)) refinements.numberLowerBound = [Number(value[0]), Boolean(value[1])];
          break;
        case 4:
          if (Array.isArray(value)) refinements.numberUpperBound = [Number(value[0]), Boolean(value[1])];
          break;
        case 5:
          refinements.lengthLowerBound = Number(value);
          break;
        case 6:
          refinements.lengthUpperBound = Number(value);
          break;
        default:
          break; // Unknown refinement keys are ignored, as go-cty does.
      }
    }
  }
  return new CtyUnknown(refinements);
}

function toWire(value: CtyValue, type: CtyType, path: string): unknown {
  if (value === null) return null;
  if (value instanceof CtyUnknown) return PLAIN_UNKNOWN_EXT; // Refinements are never sent.
  if (type === 'dynamic') {
    const dynamic = value instanceof CtyDynamic ? value : new CtyDynamic(inferCtyType(value), value);
    if (dynamic.value === null) return null;
    if (dynamic.value instanceof CtyUnknown) return PLAIN_UNKNOWN_EXT;
    return [Buffer.from(ctyTypeJson(dynamic.type), 'utf8'), toWire(dynamic.value, dynamic.type, path)];
  }
  if (value instanceof CtyDynamic) return toWire(value.value, type, path);
  if (typeof type === 'string') return convertPrimitive(value, type, path);
  switch (type[0]) {
    case 'list':
    case 'set':
      if (!Array.isArray(value)) throw typeMismatch(path, `a ${type[0]}`, value);
      return value.map((element, index) => toWire(element, type[1], `${path}[${index}]`));
    case 'tuple':
      if (!Array.isArray(value) || value.length !== type[1].length) throw typeMismatch(path, `a tuple of ${type[1].length}`, value);
      return value.map((element, index) => toWire(element, type[1][index] as CtyType, `${path}[${index}]`));
    case 'map': {
      if (!isPlainMap(value)) throw typeMismatch(path, 'a map', value);
      const result: Record<string, unknown> = {};
      for (const key of Object.keys(value).sort()) result[key] = toWire(value[key] as CtyValue, type[1], `${path}[${JSON.stringify(key)}]`);
      return result;
    }
    case 'object': {
      if (!isPlainMap(value)) throw typeMismatch(path, 'an object', value);
      for (const name of Object.keys(value)) {
        if (!(name in type[1])) throw new CtyTypeError(`${path === '' ? 'value' : path}: unsupported attribute ${JSON.stringify(name)}`);
      }
      const result: Record<string, unknown> = {};
      for (const [name, attributeType] of objectAttributes(type)) {
        result[name] = toWire(value[name] ?? null, attributeType, path === '' ? name : `${path}.${name}`);
      }
      return result;
    }
  }
}

function isPlainMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array) && !(value instanceof ExtData) && !(value instanceof CtyUnknown) && !(value instanceof CtyDynamic) && !(value instanceof Map);
}

