import type { CtyType } from './cty-type';

/**
 * cty values as the bridge holds them: JSON-like JavaScript values decoded
 * against a known type, plus two markers that plain JSON cannot express.
 * Lists, sets and tuples are arrays; maps and objects are plain objects (an
 * object value always carries every attribute of its type, null when unset).
 */
export type CtyValue = null | string | number | boolean | CtyUnknown | CtyDynamic | CtyValue[] | CtyObject;
export interface CtyObject {
  [attribute: string]: CtyValue;
}

/** Refinements Terraform may attach to an unknown (msgpack extension 12); decoded, never sent. */
export interface UnknownRefinements {
  /** false: the value will not be null. */
  nullable?: boolean;
  stringPrefix?: string;
  numberLowerBound?: [number, boolean];
  numberUpperBound?: [number, boolean];
  lengthLowerBound?: number;
  lengthUpperBound?: number;
}

/** A value not known until apply. */
export class CtyUnknown {
  constructor(readonly refinements: UnknownRefinements = {}) {}
}

/** The one plain unknown the bridge sends (msgpack `d4 00 00`). */
export const UNKNOWN: CtyUnknown = new CtyUnknown();

/** A value of a `dynamic` attribute: it carries its own concrete type on the wire. */
export class CtyDynamic {
  constructor(
    readonly type: CtyType,
    readonly value: CtyValue,
  ) {}
}

export function isUnknown(value: CtyValue | undefined): value is CtyUnknown {
  return value instanceof CtyUnknown;
}

/** True when the value or anything inside it is unknown. */
export function containsUnknown(value: CtyValue | undefined): boolean {
  if (value instanceof CtyUnknown) return true;
  if (value instanceof CtyDynamic) return containsUnknown(value.value);
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value !== null && typeof value === 'object') return Object.values(value).some(containsUnknown);
  return false;
}

export function isCtyObject(value: CtyValue | undefined): value is CtyObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof CtyUnknown) && !(value instanceof CtyDynamic);
}

/**
 * Whether two values hold the same data, ignoring how a dynamic value is
 * typed. An unknown equals nothing, not even another unknown: it may become
 * anything.
 */
export function sameData(a: CtyValue | undefined, b: CtyValue | undefined): boolean {
  if (a instanceof CtyDynamic) return sameData(a.value, b);
  if (b instanceof CtyDynamic) return sameData(a, b.value);
  if (a instanceof CtyUnknown || b instanceof CtyUnknown) return false;
  if (a === undefined || a === null || b === undefined || b === null) return (a ?? null) === (b ?? null);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((element, index) => sameData(element, b[index]));
  }
  if (typeof a === 'object' || typeof b === 'object') {
    if (typeof a !== 'object' || typeof b !== 'object') return false;
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) if (!sameData(a[key] ?? null, b[key] ?? null)) return false;
    return true;
  }
  return a === b;
}
