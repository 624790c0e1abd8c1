import type { PropertyBag } from '../../../core/base/json';
import type { ReplacementCarry } from '../../../core/facade';

/**
 * A replacement's carry (`ReplacementCarry`) as Terraform private data: the
 * replacing plan returns it as `planned_private`; Terraform hands it to the
 * second plan (the create half, from a null prior) as `prior_private`,
 * records it in the plan (and plan files), and gives it to the
 * ApplyResourceChange that destroys the old object, which holds it in the
 * process for the create (see provider-service.ts). A small versioned JSON
 * object; carried values are never secret.
 */

const FORMAT = 'vers-replacement-carry';
const VERSION = 1;

export function encodeCarryPrivate(carry: ReplacementCarry): Buffer {
  return Buffer.from(JSON.stringify({ format: FORMAT, version: VERSION, appliesTo: carry.appliesTo, values: carry.values }), 'utf8');
}

/** The carry in private data, or undefined for any other bytes (empty, or written by something else). */
export function decodeCarryPrivate(bytes: Uint8Array | undefined): ReplacementCarry | undefined {
  if (bytes === undefined || bytes.length === 0 || bytes[0] !== 0x7b /* { */) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isBag(parsed) || parsed.format !== FORMAT || parsed.version !== VERSION) return undefined;
  const { appliesTo, values } = parsed;
  if (!isBag(appliesTo) || !isBag(values)) return undefined;
  return { appliesTo, values };
}

function isBag(value: unknown): value is PropertyBag {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
