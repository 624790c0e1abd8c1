import { CtyUnknown, UNKNOWN, containsUnknown, isCtyObject, sameData, type CtyObject, type CtyValue } from '../cty/cty-value';
import type { TfBlock } from '../schema/tf-schema';

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
    if (!attribute.computed || (config[attribute.name] ?? null) !== null) continue;
    const fate = fateOf(attribute.name);
    const fromCheck = checked?.[attribute.name];
    if (fromCheck !== undefined && fromCheck !== null && !containsUnknown(fromCheck)) {
      planned[attribute.name] = sameData(fromCheck, proposed[attribute.name] ?? null) ? (proposed[attribute.name] ?? null) : fromCheck;
    } else if (fromCheck instanceof CtyUnknown || fate === 'unknown') {
      planned[attribute.name] = UNKNOWN;
    }
  }
  for (const nested of block.blockTypes) {
    const configItems = config[nested.typeName];
    const proposedItems = proposed[nested.typeName];
    const checkedItems = checked?.[nested.typeName];
    if (!Array.isArray(configItems) || !Array.isArray(proposedItems) || configItems.length !== proposedItems.length) continue;
    const fate = fateOf(nested.typeName);
    planned[nested.typeName] = proposedItems.map((item, index) => {
      const configItem = configItems[index];
      if (!isCtyObject(item) || !isCtyObject(configItem)) return item;
      const checkedItem = Array.isArray(checkedItems) && checkedItems.length === configItems.length ? checkedItems[index] : undefined;
      return planComputedAttributes(nested.block, configItem, item, isCtyObject(checkedItem) ? checkedItem : undefined, () => fate);
    });
  }
  return planned;
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
    if (attribute.name === idAttribute) {
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
      result[nested.typeName] = plannedItems.map((item, index) => {
        const outputItem = outputItems[index];
        return isCtyObject(item) && isCtyObject(outputItem) ? resultObject(nested.block, item, outputItem) : item;
      });
    } else {
      result[nested.typeName] = containsUnknown(plannedItems) || plannedItems === undefined ? (outputItems ?? []) : plannedItems;
    }
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
