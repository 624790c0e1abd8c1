import type { CtyType } from '../cty/cty-type';
import { CtyUnknown, UNKNOWN, containsUnknown, isCtyObject, sameData, type CtyObject, type CtyValue } from '../cty/cty-value';
import { nestedAttributeBlock, type TfBlock } from '../schema/tf-schema';

/**
 * How the bridge turns the core's answers into the objects Terraform checks
 * (terraform-plugin-protocol.md §5.3): a plan must keep every configured
 * value, and a result must keep every known planned value. Only computed
 * attributes whose configuration is null are the provider's to fill.
 */

/** What happens to a computed attribute the configuration leaves null. */
export type ComputedFate = 'keep' | 'unknown';

/**
 * The planned object: `proposed` (config, plus prior values of computed
 * attributes) with each computed, unconfigured attribute set from the core's
 * checked inputs when it has a known value there, else kept or made unknown
 * as `fateOf` says for its top-level attribute.
 */
export function planComputedAttributes(
  block: TfBlock,
  config: CtyObject,
  proposed: CtyObject,
  checked: CtyObject | undefined,
  fateOf: (attribute: string) => ComputedFate,
): CtyObject {
  const planned: CtyObject = { ...proposed };
  for (const attribute of block.attributes) {
    const nestedBlock = nestedAttributeBlock(attribute);
    if (nestedBlock !== undefined && (config[attribute.name] ?? null) !== null) {
      // A configured nested attribute (`files = [{ … }]`): its objects' computed attributes, like a block's.
      planned[attribute.name] = planNestedItems(nestedBlock, config[attribute.name], proposed[attribute.name], checked?.[attribute.name], fateOf(attribute.name)) ?? (proposed[attribute.name] ?? null);
      continue;
    }
    if (!attribute.computed || (config[attribute.name] ?? null) !== null) continue;
    const fate = fateOf(attribute.name);
    const fromCheck = checked?.[attribute.name];
    // What the core says stays, stays as recorded: an input it filled (a default) but does not count
    // as a change (e.g. a size Vers never reported for an imported VM) is not shown as one.
    if (fate === 'keep' && !(fromCheck instanceof CtyUnknown)) continue;
    if (fromCheck !== undefined && fromCheck !== null && !containsUnknown(fromCheck)) {
      planned[attribute.name] = sameData(fromCheck, proposed[attribute.name] ?? null) ? (proposed[attribute.name] ?? null) : fromCheck;
    } else if (fromCheck instanceof CtyUnknown || fate === 'unknown') {
      planned[attribute.name] = UNKNOWN;
    }
  }
  for (const nested of block.blockTypes) {
    const items = planNestedItems(nested.block, config[nested.typeName], proposed[nested.typeName], checked?.[nested.typeName], fateOf(nested.typeName));
    if (items !== undefined) planned[nested.typeName] = items;
  }
  return planned;
}

/** The planned list of a block (or nested attribute), item by item; undefined when config and proposal do not line up. */
function planNestedItems(block: TfBlock, configItems: CtyValue | undefined, proposedItems: CtyValue | undefined, checkedItems: CtyValue | undefined, fate: ComputedFate): CtyValue[] | undefined {
  if (!Array.isArray(configItems) || !Array.isArray(proposedItems) || configItems.length !== proposedItems.length) return undefined;
  return proposedItems.map((item, index) => {
    const configItem = configItems[index];
    if (!isCtyObject(item) || !isCtyObject(configItem)) return item;
    const checkedItem = Array.isArray(checkedItems) && checkedItems.length === configItems.length ? checkedItems[index] : undefined;
    return planComputedAttributes(block, configItem, item, isCtyObject(checkedItem) ? checkedItem : undefined, () => fate);
  });
}

/**
 * The object to report after a create, update or data source read: values
 * Terraform knows (configured attributes, known planned values the core
 * confirms) are kept exactly as planned — same types, same order — and the
 * rest come from the core's outputs. A known planned value the core changed
 * is reported as the core has it, so Terraform names the inconsistency
 * instead of the bridge hiding it.
 */
export function resultObject(block: TfBlock, planned: CtyObject, outputs: CtyObject, idAttribute?: string): CtyObject {
  const result: CtyObject = {};
  for (const attribute of block.attributes) {
    const plannedValue = planned[attribute.name] ?? null;
    const outputValue = outputs[attribute.name] ?? null;
    const nestedBlock = nestedAttributeBlock(attribute);
    if (nestedBlock !== undefined && Array.isArray(plannedValue) && Array.isArray(outputValue) && plannedValue.length === outputValue.length) {
      result[attribute.name] = resultItems(nestedBlock, plannedValue, outputValue);
    } else if (attribute.name === idAttribute) {
      result[attribute.name] = outputValue;
    } else if (!attribute.computed && !containsUnknown(plannedValue)) {
      result[attribute.name] = plannedValue;
    } else {
      result[attribute.name] = sameData(plannedValue, outputValue) ? plannedValue : outputValue;
    }
  }
  for (const nested of block.blockTypes) {
    const plannedItems = planned[nested.typeName];
    const outputItems = outputs[nested.typeName];
    if (Array.isArray(plannedItems) && Array.isArray(outputItems) && plannedItems.length === outputItems.length) {
      result[nested.typeName] = resultItems(nested.block, plannedItems, outputItems);
    } else {
      result[nested.typeName] = containsUnknown(plannedItems) || plannedItems === undefined ? (outputItems ?? []) : plannedItems;
    }
  }
  return result;
}

function resultItems(block: TfBlock, plannedItems: CtyValue[], outputItems: CtyValue[]): CtyValue[] {
  return plannedItems.map((item, index) => {
    const outputItem = outputItems[index];
    return isCtyObject(item) && isCtyObject(outputItem) ? resultObject(block, item, outputItem) : item;
  });
}

/**
 * The outputs of an in-place update, with every input the plan kept unset
 * (null before, null planned: a value the core adopts without recording, such
 * as the default size of an imported VM) still unset, as planned.
 */
export function withUnrecordedInputsKept(block: TfBlock, prior: CtyObject, planned: CtyObject, outputs: CtyObject): CtyObject {
  const result: CtyObject = { ...outputs };
  for (const attribute of block.attributes) {
    if (attribute.optional !== true || attribute.computed !== true) continue;
    if ((prior[attribute.name] ?? null) === null && (planned[attribute.name] ?? null) === null) result[attribute.name] = null;
  }
  return result;
}

/**
 * The refreshed object after a read: everything comes from the core, but a
 * value with the same data as before keeps its prior form, so a refresh that
 * finds nothing changed reports exactly the prior state.
 */
export function refreshedObject(block: TfBlock, prior: CtyObject | undefined, current: CtyObject): CtyObject {
  const result: CtyObject = {};
  for (const attribute of block.attributes) {
    const priorValue = prior?.[attribute.name] ?? null;
    const currentValue = current[attribute.name] ?? null;
    result[attribute.name] = prior !== undefined && sameData(priorValue, currentValue) ? priorValue : currentValue;
  }
  for (const nested of block.blockTypes) {
    const priorItems = prior?.[nested.typeName];
    const currentItems = current[nested.typeName];
    if (Array.isArray(priorItems) && Array.isArray(currentItems) && priorItems.length === currentItems.length) {
      result[nested.typeName] = currentItems.map((item, index) => {
        const priorItem = priorItems[index];
        return isCtyObject(item) && isCtyObject(priorItem) ? refreshedObject(nested.block, priorItem, item) : item;
      });
    } else {
      result[nested.typeName] = currentItems ?? [];
    }
  }
  return result;
}

/** Replaces every unknown left in a value by null; returns the paths it replaced. */
export function nullUnknowns(value: CtyValue, path = ''): { value: CtyValue; replaced: string[] } {
  if (value instanceof CtyUnknown) return { value: null, replaced: [path === '' ? '(root)' : path] };
  if (Array.isArray(value)) {
    const replaced: string[] = [];
    const items = value.map((item, index) => {
      const inner = nullUnknowns(item, `${path}[${index}]`);
      replaced.push(...inner.replaced);
      return inner.value;
    });
    return { value: items, replaced };
  }
  if (isCtyObject(value)) {
    const replaced: string[] = [];
    const result: CtyObject = {};
    for (const [key, item] of Object.entries(value)) {
      const inner = nullUnknowns(item, path === '' ? key : `${path}.${key}`);
      replaced.push(...inner.replaced);
      result[key] = inner.value;
    }
    return { value: result, replaced };
  }
  return { value, replaced: [] };
}

/** Nested blocks Terraform requires as collections: a null list/set of blocks becomes empty, a null map of blocks `{}`. */
export function normalizeNestedBlocks(value: CtyObject, block: TfBlock): CtyObject {
  const result: CtyObject = { ...value };
  for (const nested of block.blockTypes) {
    const items = result[nested.typeName] ?? null;
    if (nested.nesting === 'LIST' || nested.nesting === 'SET') {
      result[nested.typeName] = Array.isArray(items) ? items.map((item) => (isCtyObject(item) ? normalizeNestedBlocks(item, nested.block) : item)) : items === null ? [] : items;
    } else if (nested.nesting === 'MAP') {
      if (items === null) result[nested.typeName] = {};
    } else if (isCtyObject(items)) {
      result[nested.typeName] = normalizeNestedBlocks(items, nested.block);
    }
  }
  return result;
}

/**
 * A state object written by an older schema version, completed: every null
 * attribute takes the value `recorded` has for it (what this version records
 * for the same inputs), inside blocks and nested attributes item by item; a
 * computed-only attribute still null takes its type's empty value, so no
 * attribute is left null that this version always fills.
 */
export function completeOldState(block: TfBlock, state: CtyObject, recorded: CtyObject): CtyObject {
  const result: CtyObject = { ...state };
  for (const attribute of block.attributes) {
    const current = state[attribute.name] ?? null;
    const nestedBlock = nestedAttributeBlock(attribute);
    if (current === null) {
      const fromRecorded = recorded[attribute.name] ?? null;
      const outputOnly = attribute.computed === true && attribute.optional !== true && attribute.required !== true;
      result[attribute.name] = fromRecorded !== null ? fromRecorded : outputOnly ? emptyValue(attribute.type) : null;
    } else if (nestedBlock !== undefined && Array.isArray(current)) {
      result[attribute.name] = completeItems(nestedBlock, current, recorded[attribute.name]);
    }
  }
  for (const nested of block.blockTypes) {
    const items = state[nested.typeName];
    if (Array.isArray(items)) result[nested.typeName] = completeItems(nested.block, items, recorded[nested.typeName]);
  }
  return result;
}

function completeItems(block: TfBlock, items: CtyValue[], recordedItems: CtyValue | undefined): CtyValue[] {
  return items.map((item, index) => {
    if (!isCtyObject(item)) return item;
    const recordedItem = Array.isArray(recordedItems) && recordedItems.length === items.length ? recordedItems[index] : undefined;
    return completeOldState(block, item, isCtyObject(recordedItem) ? recordedItem : {});
  });
}

/** The empty value of a type: "", 0, false, an empty collection; null for objects and dynamic values. */
function emptyValue(type: CtyType): CtyValue {
  if (type === 'string') return '';
  if (type === 'number') return 0;
  if (type === 'bool') return false;
  if (type === 'dynamic') return null;
  switch (type[0]) {
    case 'list':
    case 'set':
      return [];
    case 'map':
      return {};
    default:
      return null;
  }
}
