import { createHash } from 'node:crypto';
import { jsonEqual } from './diff';
import type { JsonValue, PropertyBag } from '../base/json';
import type { ReplacementCarry } from './types';

/**
 * Replacement carries held in the process between the step that learns
 * about a replacement and the create of the successor (see
 * `ReplacementCarry`). One process serves both steps: the Pulumi plugin and
 * the dynamic-provider host serve a whole `pulumi up`, and Terraform's
 * provider process serves the whole apply walk, where the old object's
 * destroy precedes the new one's create.
 *
 * Carries are held under a scope both steps can name — the URN (Pulumi
 * plugin), the token and checked inputs (dynamic resources), the resource
 * type (Terraform) — and a create takes one only when its checked inputs
 * match the carry's `appliesTo`.
 */
export class ReplacementCarryStore {
  private readonly held = new Map<string, ReplacementCarry[]>();

  /** Hold `carry` in `scope` until a create takes it. */
  hold(scope: string, carry: ReplacementCarry): void {
    const carries = this.held.get(scope) ?? [];
    carries.push(carry);
    this.held.set(scope, carries);
  }

  /** Drop what `scope` holds: a newer diff of the same resource supersedes it. */
  release(scope: string): void {
    this.held.delete(scope);
  }

  /** The values of a carry held in `scope` that applies to these checked inputs; each is handed over once. */
  take(scope: string, inputs: PropertyBag): PropertyBag | undefined {
    const carries = this.held.get(scope);
    if (carries === undefined) return undefined;
    const index = carries.findIndex((carry) => carryAppliesTo(carry, inputs));
    if (index === -1) return undefined;
    const [taken] = carries.splice(index, 1);
    if (carries.length === 0) this.held.delete(scope);
    return taken?.values;
  }

  /** How many carries are held (for tests). */
  get size(): number {
    let count = 0;
    for (const carries of this.held.values()) count += carries.length;
    return count;
  }
}

/** The process's one store, shared by every bridge that runs in it. */
export const replacementCarries = new ReplacementCarryStore();

/** Whether a create with these checked inputs is the successor `carry` was made for. */
export function carryAppliesTo(carry: ReplacementCarry, inputs: PropertyBag): boolean {
  return Object.entries(carry.appliesTo).every(([key, value]) => jsonEqual(inputs[key], value));
}

/**
 * A scope named by a resource's token and checked inputs, for a bridge that
 * sees no URN (the dynamic-provider interface): the replacing diff gets the
 * checked new inputs, and the create gets them again from a Check that
 * reproduces them (same files, same hashes). A digest, so no input value is
 * kept in the key.
 */
export function checkedInputsScope(token: string, inputs: PropertyBag): string {
  return `${token} ${createHash('sha256').update(canonicalJson(inputs)).digest('hex')}`;
}

/** JSON text with object keys sorted, so equal bags have equal text. */
function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key] as JsonValue)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
