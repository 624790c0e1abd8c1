import { resourceSpec } from '../schema/package-schema';
import { dropNulls, validateInputs } from '../schema/input-validator';
import type { CheckFailure } from '../base/check-failure';
import type { CheckResult } from './types';
import type { JsonValue, PropertyBag } from '../base/json';
import { isUnknown } from '../base/unknown';

/**
 * The shared part of every resource's `check`: validate against schema.json,
 * then normalise — schema defaults filled in, absent maps and lists become
 * `{}` and `[]` (so removing all labels clears them), nulls dropped.
 * Resource-specific rules run on the normalised inputs.
 */
export function checkResource(
  token: string,
  news: PropertyBag,
  crossFieldRules?: (inputs: PropertyBag) => CheckFailure[],
): CheckResult {
  const spec = resourceSpec(token);
  const failures = validateInputs(token, news);
  const inputs: PropertyBag = dropNulls(news);
  for (const [key, property] of Object.entries(spec.inputProperties)) {
    if (inputs[key] !== undefined) continue;
    if (property.default !== undefined) inputs[key] = property.default;
    else if (property.type === 'object' && property.additionalProperties !== undefined) inputs[key] = {};
    else if (property.type === 'array') inputs[key] = [];
  }
  if (failures.length === 0 && crossFieldRules !== undefined) failures.push(...crossFieldRules(inputs));
  return { inputs, failures };
}

/** A value the user set (known and not null). */
export function isSet(value: JsonValue | undefined): boolean {
  return value !== undefined && value !== null;
}

/** A value the user set and that is already known. */
export function isKnown(value: JsonValue | undefined): value is JsonValue {
  return isSet(value) && !isUnknown(value);
}
