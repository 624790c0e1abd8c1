import type { CtyType } from './cty-type';
import { CtyDynamic, CtyUnknown, type CtyValue } from './cty-value';

/**
 * The cty type of a plain value, for values of `dynamic` attributes that
 * come from the core as JSON: arrays become tuples and objects become
 * objects, as cty's JSON decoder infers them (go-cty json.ImpliedType).
 */
export function inferCtyType(value: CtyValue): CtyType {
  if (value instanceof CtyDynamic) return value.type;
  if (value === null || value instanceof CtyUnknown) return 'dynamic';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return ['tuple', value.map(inferCtyType)];
  const attributes: Record<string, CtyType> = {};
  for (const [name, element] of Object.entries(value)) attributes[name] = inferCtyType(element);
  return ['object', attributes];
}
