import { resourceSpec } from '../schema/package-schema';
import type { DiffResult } from './types';
import type { JsonValue, PropertyBag } from '../base/json';
import { containsUnknown } from '../base/unknown';

/**
 * The one diff rule set of the core, driven by schema.json:
 * - a property absent from the checked new inputs keeps its value (no change);
 * - an unknown new value is a change;
 * - a change of a property declared `replaceOnChanges` forces a replacement,
 *   except when the old value was never known (an imported resource), where
 *   replacing would destroy what the user just adopted;
 * - resource-specific rules add replacements (`extraReplaces`) and name the
 *   outputs an in-place change recomputes (`volatileOutputs`);
 * - inputs the Vers API cannot report (`unreported`, such as a VM's sizes)
 *   are absent after an import; an absent old value of those is adopted
 *   from the configuration, not a change (so imports plan clean).
 */
export interface DiffRules {
  /** Extra replacement rules for changed properties, e.g. a smaller disk. */
  extraReplaces?: (key: string, oldValue: JsonValue | undefined, newValue: JsonValue) => boolean;
  /** Outputs that an in-place update of these keys recomputes. */
  volatileOutputs?: (changedKeys: readonly string[]) => string[];
  deleteBeforeReplace?: boolean;
  /** Inputs no API call reports back; absent only after an import. */
  unreported?: readonly string[];
}

export function diffResource(token: string, olds: PropertyBag, news: PropertyBag, rules: DiffRules = {}): DiffResult {
  const spec = resourceSpec(token);
  const changedKeys: string[] = [];
  const replaces: string[] = [];
  const adopted: string[] = [];
  for (const [key, property] of Object.entries(spec.inputProperties)) {
    const newValue = news[key];
    if (newValue === undefined || newValue === null) continue;
    const oldValue = olds[key];
    if ((oldValue === undefined || oldValue === null) && rules.unreported?.includes(key) === true) {
      adopted.push(key);
      continue;
    }
    const unknown = containsUnknown(newValue);
    if (!unknown && oldValue !== undefined && jsonEqual(oldValue, newValue)) continue;
    changedKeys.push(key);
    const oldKnown = oldValue !== undefined && oldValue !== null;
    if (property.replaceOnChanges === true && (oldKnown || unknown)) replaces.push(key);
    else if (rules.extraReplaces?.(key, oldValue, newValue) === true) replaces.push(key);
  }
  const allOutputs = Object.keys(spec.properties);
  let stables: string[];
  if (replaces.length > 0) {
    stables = [];
  } else {
    const volatile = new Set([...changedKeys, ...(rules.volatileOutputs?.(changedKeys) ?? [])]);
    stables = allOutputs.filter((key) => !volatile.has(key));
  }
  return {
    changes: changedKeys.length > 0,
    replaces,
    changedKeys,
    stables,
    deleteBeforeReplace: replaces.length > 0 && rules.deleteBeforeReplace === true,
    ...(adopted.length > 0 ? { adopted } : {}),
  };
}

/** Structural equality of JSON values, ignoring object key order. */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => jsonEqual(item, b[index]));
  }
  if (typeof a === 'object' && typeof b === 'object') {
    const aKeys = Object.keys(a).filter((key) => a[key] !== null);
    const bKeys = Object.keys(b).filter((key) => b[key] !== null);
    if (aKeys.length !== bKeys.length) return false;
    return aKeys.every((key) => jsonEqual(a[key], b[key]));
  }
  return false;
}
