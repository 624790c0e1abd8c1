import { CtyTypeError, type CtyPrimitiveType } from './cty-type';

/**
 * cty's safe conversions to a primitive type (a number or bool written as a
 * string, "3" or "true" for a number or bool), which both codecs apply to
 * values coming from the core. Anything else is a type error naming the path.
 */
export function convertPrimitive(value: unknown, type: CtyPrimitiveType, path: string): string | number | boolean {
  switch (type) {
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      break;
    case 'number':
      if (typeof value === 'number' && !Number.isNaN(value)) return value;
      if (typeof value === 'bigint') return Number(value);
      if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
      break;
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      break;
  }
  throw typeMismatch(path, `a ${type}`, value);
}

export function typeMismatch(path: string, expected: string, got: unknown): CtyTypeError {
  const kind = got === null ? 'null' : Array.isArray(got) ? 'an array' : got instanceof Uint8Array ? 'bytes' : typeof got;
  return new CtyTypeError(`${path === '' ? 'value' : path}: expected ${expected}, got ${kind}`);
}
