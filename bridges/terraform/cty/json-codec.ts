import { CtyTypeError, objectAttributes, parseCtyType, type CtyType } from './cty-type';
import { CtyDynamic, CtyUnknown, type CtyObject, type CtyValue } from './cty-value';
import { convertPrimitive, typeMismatch } from './primitive';
import { inferCtyType } from './infer-type';

/**
 * cty values in JSON, as terraform.tfstate stores resource attributes and
 * as UpgradeResourceState's raw_state carries them (go-cty cty/json). Dynamic
 * values are `{"value": …, "type": …}`. Decoding is lenient in the ways state
 * upgrades need: a missing object attribute is null, an attribute the current
 * schema no longer has is dropped.
 */

export function decodeJsonValue(json: unknown, type: CtyType): CtyValue {
  return fromJson(json, type, '');
}

export function encodeJsonValue(value: CtyValue, type: CtyType): unknown {
  return toJson(value, type, '');
}

function fromJson(raw: unknown, type: CtyType, path: string): CtyValue {
  if (raw === null || raw === undefined) return null;
  if (type === 'dynamic') {
    if (!isRecord(raw) || !('type' in raw)) throw typeMismatch(path, 'a dynamic value {"value","type"}', raw);
    const concrete = parseCtyType(raw.type);
    return new CtyDynamic(concrete, fromJson(raw.value, concrete, path));
  }
  if (typeof type === 'string') return convertPrimitive(raw, type, path);
  switch (type[0]) {
    case 'list':
    case 'set':
      if (!Array.isArray(raw)) throw typeMismatch(path, `a ${type[0]}`, raw);
      return raw.map((element, index) => fromJson(element, type[1], `${path}[${index}]`));
    case 'tuple':
      if (!Array.isArray(raw) || raw.length !== type[1].length) throw typeMismatch(path, `a tuple of ${type[1].length}`, raw);
      return raw.map((element, index) => fromJson(element, type[1][index] as CtyType, `${path}[${index}]`));
    case 'map': {
      if (!isRecord(raw)) throw typeMismatch(path, 'a map', raw);
      const result: CtyObject = {};
      for (const [key, element] of Object.entries(raw)) result[key] = fromJson(element, type[1], `${path}[${JSON.stringify(key)}]`);
      return result;
    }
    case 'object': {
      if (!isRecord(raw)) throw typeMismatch(path, 'an object', raw);
      const result: CtyObject = {};
      for (const [name, attributeType] of objectAttributes(type)) {
        result[name] = fromJson(raw[name], attributeType, path === '' ? name : `${path}.${name}`);
      }
      return result;
    }
  }
}

function toJson(value: CtyValue, type: CtyType, path: string): unknown {
  if (value === null) return null;
  if (value instanceof CtyUnknown) throw new CtyTypeError(`${path === '' ? 'value' : path}: an unknown value cannot be written as JSON`);
  if (type === 'dynamic') {
    const dynamic = value instanceof CtyDynamic ? value : new CtyDynamic(inferCtyType(value), value);
    return { value: toJson(dynamic.value, dynamic.type, path), type: JSON.parse(JSON.stringify(dynamic.type)) as unknown };
  }
  if (value instanceof CtyDynamic) return toJson(value.value, type, path);
  if (typeof type === 'string') return value;
  switch (type[0]) {
    case 'list':
    case 'set':
    case 'tuple':
      if (!Array.isArray(value)) throw typeMismatch(path, `a ${type[0]}`, value);
      return value.map((element, index) => toJson(element, type[0] === 'tuple' ? (type[1][index] as CtyType) : type[1], `${path}[${index}]`));
    case 'map': {
      if (!isRecord(value)) throw typeMismatch(path, 'a map', value);
      const result: Record<string, unknown> = {};
      for (const [key, element] of Object.entries(value)) result[key] = toJson(element as CtyValue, type[1], `${path}[${JSON.stringify(key)}]`);
      return result;
    }
    case 'object': {
      if (!isRecord(value)) throw typeMismatch(path, 'an object', value);
      const result: Record<string, unknown> = {};
      for (const [name, attributeType] of objectAttributes(type)) {
        result[name] = toJson((value[name] as CtyValue | undefined) ?? null, attributeType, path === '' ? name : `${path}.${name}`);
      }
      return result;
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof CtyUnknown) && !(value instanceof CtyDynamic);
}

