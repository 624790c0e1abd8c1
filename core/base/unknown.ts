import type { JsonValue } from './json';

/**
 * The value of a property that is not known yet (a plan or preview, before
 * the resource it comes from exists). Pulumi's wire sentinel for unknowns, so
 * the Pulumi plugin passes it through and the Terraform bridge maps msgpack
 * unknowns to it. The core never sends it to the API.
 */
export const UNKNOWN = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';

export function isUnknown(value: JsonValue | undefined): boolean {
  return value === UNKNOWN;
}

/** True when the value or anything inside it is unknown. */
export function containsUnknown(value: JsonValue | undefined): boolean {
  if (isUnknown(value)) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value !== null && typeof value === 'object') return Object.values(value).some(containsUnknown);
  return false;
}
