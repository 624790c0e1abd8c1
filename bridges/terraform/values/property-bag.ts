import type { JsonValue, PropertyBag } from '../../../core/base/json';
import { UNKNOWN as UNKNOWN_SENTINEL } from '../../../core/base/unknown';
import { isObjectType, type CtyType } from '../cty/cty-type';
import { CtyDynamic, CtyUnknown, UNKNOWN, isCtyObject, type CtyObject, type CtyValue } from '../cty/cty-value';
import { inferCtyType } from '../cty/infer-type';
import { propertyOf, type FieldNames } from '../schema/name-map';
import type { TfBlock } from '../schema/tf-schema';

/**
 * Terraform objects ↔ the core's property bags. Terraform sends every
 * attribute (null when unset) in snake_case with nested blocks as lists of
 * objects; the core takes camelCase bags where unset means absent. Unknowns
 * become the core's unknown sentinel and back. The resource `id` attribute is
 * not a property: callers pass it separately.
 */

export interface ToBagOptions {
  /** Terraform attribute names to leave out (the `id` of a managed resource). */
  skip?: ReadonlySet<string>;
}

/** A Terraform object of `block` as the core's camelCase property bag. */
export function toPropertyBag(value: CtyObject, block: TfBlock, names: FieldNames, options: ToBagOptions = {}): PropertyBag {
  const bag: PropertyBag = {};
  for (const attribute of block.attributes) {
    if (options.skip?.has(attribute.name)) continue;
    const converted = toJson(value[attribute.name] ?? null, attribute.type, names[attribute.name]?.attributes);
    if (converted !== null) bag[propertyOf(names, attribute.name)] = converted;
  }
  for (const nested of block.blockTypes) {
    const element = value[nested.typeName] ?? null;
    const nestedNames = names[nested.typeName]?.attributes ?? {};
    const property = propertyOf(names, nested.typeName);
    if (element === null) continue;
    if (element instanceof CtyUnknown) {
      bag[property] = UNKNOWN_SENTINEL;
    } else if (nested.nesting === 'SINGLE' || nested.nesting === 'GROUP') {
      if (isCtyObject(element)) bag[property] = toPropertyBag(element, nested.block, nestedNames);
    } else if (nested.nesting === 'MAP') {
      if (isCtyObject(element)) {
        const map: PropertyBag = {};
        for (const [key, item] of Object.entries(element)) map[key] = blockElementToJson(item, nested.block, nestedNames);
        bag[property] = map;
      }
    } else if (Array.isArray(element) && element.length > 0) {
      bag[property] = element.map((item) => blockElementToJson(item, nested.block, nestedNames));
    }
  }
  return bag;
}

function blockElementToJson(item: CtyValue, block: TfBlock, names: FieldNames): JsonValue {
  if (item instanceof CtyUnknown) return UNKNOWN_SENTINEL;
  return isCtyObject(item) ? toPropertyBag(item, block, names) : null;
}

/** One cty value as JSON for the core: unknown → sentinel, object attributes renamed, nulls inside objects dropped. */
export function toJson(value: CtyValue, type: CtyType, names: FieldNames | undefined): JsonValue {
  if (value === null) return null;
  if (value instanceof CtyUnknown) return UNKNOWN_SENTINEL;
  if (value instanceof CtyDynamic) return toJson(value.value, value.type, names);
  if (Array.isArray(value)) {
    return value.map((element, index) => toJson(element, elementType(type, index), names));
  }
  if (typeof value === 'object') {
    const result: { [key: string]: JsonValue } = {};
    if (isObjectType(type)) {
      for (const [name, attributeType] of Object.entries(type[1])) {
        const converted = toJson(value[name] ?? null, attributeType, names?.[name]?.attributes);
        if (converted !== null) result[propertyOf(names, name)] = converted;
      }
    } else {
      // A map (keys are user data) or a dynamic object: keys kept as they are.
      for (const [key, element] of Object.entries(value)) result[key] = toJson(element, elementType(type, key), names);
    }
    return result;
  }
  return value;
}

/**
 * The input aliases (second spellings, `files` for `file` blocks) that a
 * Terraform object of `block` uses: those set (not null) in it.
 */
export function aliasesInUse(value: CtyObject | null | undefined, names: FieldNames): Set<string> {
  const inUse = new Set<string>();
  if (value === null || value === undefined) return inUse;
  for (const [terraformName, field] of Object.entries(names)) {
    if (field.aliasOf !== undefined && (value[terraformName] ?? null) !== null) inUse.add(terraformName);
  }
  return inUse;
}

/** A property set in two spellings at once: the alias and the primary name it stands for. */
export interface AliasConflict {
  alias: string;
  primary: string;
  /** Whether the primary spelling is a nested block (`file { }`). */
  primaryIsBlock: boolean;
}

/** Properties that a configuration sets through both of their spellings (known values only: Terraform validates again once they are). */
export function aliasConflicts(config: CtyObject, block: TfBlock, names: FieldNames): AliasConflict[] {
  const conflicts: AliasConflict[] = [];
  for (const [alias, field] of Object.entries(names)) {
    if (field.aliasOf === undefined) continue;
    const aliasValue = config[alias] ?? null;
    const primaryValue = config[field.aliasOf] ?? null;
    const primaryIsBlock = block.blockTypes.some((nested) => nested.typeName === field.aliasOf);
    const primarySet = primaryIsBlock ? Array.isArray(primaryValue) && primaryValue.length > 0 : primaryValue !== null && !(primaryValue instanceof CtyUnknown);
    if (aliasValue !== null && !(aliasValue instanceof CtyUnknown) && primarySet) conflicts.push({ alias, primary: field.aliasOf, primaryIsBlock });
  }
  return conflicts;
}

/**
 * A property bag from the core as a Terraform object of `block`: every
 * attribute present, blocks as lists. A property with an input alias is
 * written in the spelling `aliasesInUse` names (the other one left empty).
 */
export function fromPropertyBag(
  bag: PropertyBag,
  block: TfBlock,
  names: FieldNames,
  id?: { attribute: string; value: string },
  inUse: ReadonlySet<string> = new Set(),
): CtyObject {
  const result: CtyObject = {};
  const spelledElsewhere = (terraformName: string): boolean => {
    const field = names[terraformName];
    if (field?.aliasOf !== undefined) return !inUse.has(terraformName);
    return [...inUse].some((alias) => names[alias]?.aliasOf === terraformName);
  };
  for (const attribute of block.attributes) {
    if (id !== undefined && attribute.name === id.attribute) {
      result[attribute.name] = id.value;
      continue;
    }
    // An alias of an output (computed only) repeats the value; an input alias is one spelling or the other.
    const outputOnly = attribute.computed === true && attribute.optional !== true && attribute.required !== true;
    result[attribute.name] = !outputOnly && spelledElsewhere(attribute.name) ? null : fromJson(bag[propertyOf(names, attribute.name)], attribute.type, names[attribute.name]?.attributes);
  }
  for (const nested of block.blockTypes) {
    const raw = spelledElsewhere(nested.typeName) ? undefined : bag[propertyOf(names, nested.typeName)];
    const nestedNames = names[nested.typeName]?.attributes ?? {};
    const element = (item: JsonValue | undefined): CtyValue => {
      if (item === UNKNOWN_SENTINEL) return UNKNOWN;
      return item !== null && item !== undefined && typeof item === 'object' && !Array.isArray(item)
        ? fromPropertyBag(item, nested.block, nestedNames)
        : null;
    };
    if (raw === UNKNOWN_SENTINEL) {
      result[nested.typeName] = UNKNOWN;
    } else if (nested.nesting === 'SINGLE' || nested.nesting === 'GROUP') {
      result[nested.typeName] = element(raw);
    } else if (nested.nesting === 'MAP') {
      const map: CtyObject = {};
      if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) for (const [key, item] of Object.entries(raw)) map[key] = element(item);
      result[nested.typeName] = map;
    } else {
      // An absent list or set of blocks is empty, never null (Terraform rejects null).
      result[nested.typeName] = Array.isArray(raw) ? raw.map(element).filter((item) => item !== null) : [];
    }
  }
  return result;
}

/** One JSON value from the core as a cty value of `type`. */
export function fromJson(value: JsonValue | undefined, type: CtyType, names: FieldNames | undefined): CtyValue {
  if (value === undefined || value === null) return null;
  if (value === UNKNOWN_SENTINEL) return UNKNOWN;
  if (type === 'dynamic') {
    const plain = fromJson(value, inferCtyType(value as CtyValue), undefined);
    return new CtyDynamic(inferCtyType(plain), plain);
  }
  if (Array.isArray(value)) return value.map((element, index) => fromJson(element, elementType(type, index), names));
  if (typeof value === 'object') {
    const result: CtyObject = {};
    if (isObjectType(type)) {
      for (const [name, attributeType] of Object.entries(type[1])) {
        result[name] = fromJson(value[propertyOf(names, name)], attributeType, names?.[name]?.attributes);
      }
    } else {
      for (const [key, element] of Object.entries(value)) result[key] = fromJson(element, elementType(type, key), names);
    }
    return result;
  }
  return coercePrimitive(value, type);
}

/** cty's safe primitive conversions, so `"3"` for a number attribute compares equal to 3. */
function coercePrimitive(value: string | number | boolean, type: CtyType): CtyValue {
  if (type === 'number' && typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  if (type === 'string' && typeof value !== 'string') return String(value);
  if (type === 'bool' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

/** The type of one element (list/set/map element, tuple position, object attribute) of a collection type. */
function elementType(type: CtyType, key: number | string): CtyType {
  if (typeof type === 'string') return 'dynamic';
  switch (type[0]) {
    case 'list':
    case 'set':
    case 'map':
      return type[1];
    case 'tuple':
      return typeof key === 'number' ? (type[1][key] ?? 'dynamic') : 'dynamic';
    case 'object':
      return type[1][String(key)] ?? 'dynamic';
  }
}
