import { ValidationError } from '../../core/base/errors';
import type { JsonValue, PropertyBag } from '../../core/base/json';
import { UNKNOWN } from '../../core/base/unknown';

/**
 * Pulumi's wire encoding of property values (google.protobuf.Struct after
 * `toJavaScript()`) ↔ the core's plain property bags.
 *
 * - Secrets travel as `{[SIG]: SECRET_SIG, value}`. They are unwrapped for
 *   the core; the top-level property that contained one is remembered and
 *   wrapped again on the way out (a whole property becomes secret when any
 *   part of it was: never less secret than the user asked) — except a
 *   secret exactly where schema.json marks a nested value secret
 *   (`files[].content`), which is wrapped there again and nowhere else.
 * - Unknowns are Pulumi's sentinel string, which is the core's `UNKNOWN`
 *   too, so they pass through untouched.
 * - Resource references and output values only arrive when a provider
 *   accepts them; the plugin declines both, but unwraps them defensively
 *   (a reference becomes its id, an output its value).
 * - Assets and archives have no meaning for any vers property.
 */

/** The key that marks a special value. */
export const SIGNATURE_KEY = '4dabf18193072939515e22adb298388d';
export const SECRET_SIGNATURE = '1b47061264138c4ac30d75fd1eb44270';
export const ASSET_SIGNATURE = 'c44067f5952c0a294b673a41bacd8c17';
export const ARCHIVE_SIGNATURE = '0def7320c3a5731c473e5ecbe6d01bc7';
export const RESOURCE_REFERENCE_SIGNATURE = '5cf8f73096256a8f31e491e813e4eb8e';
export const OUTPUT_VALUE_SIGNATURE = 'd0e6a833031e9bbcd3f4e8bde6ca49a4';

/** A property bag taken off the wire, with the top-level properties that carried a secret. */
export interface WireProperties {
  bag: PropertyBag;
  secretKeys: Set<string>;
}

/** Thrown when a wire value cannot be a vers property (an asset or archive, a non-JSON value). */
export class UnsupportedWireValueError extends ValidationError {
  constructor(property: string, what: string) {
    super(property, `is ${what}, which no vers property accepts`);
  }
}

/** Unwrap a Struct's JavaScript form (`Struct.toJavaScript()`) into a plain bag; `nestedSecrets` as `toWire` takes them. */
export function fromWire(wire: Record<string, unknown> | undefined, nestedSecrets: ReadonlySet<string> = new Set()): WireProperties {
  const bag: PropertyBag = {};
  const secretKeys = new Set<string>();
  for (const [key, value] of Object.entries(wire ?? {})) {
    const marks = { secret: false };
    const plain = unwrap(value, key, marks, key, nestedSecrets);
    if (plain === undefined) continue;
    bag[key] = plain;
    if (marks.secret) secretKeys.add(key);
  }
  return { bag, secretKeys };
}

/**
 * A plain bag in wire form, ready for `Struct.fromJavaScript`: the given
 * top-level properties wrapped as secrets, and the parts `nestedSecrets`
 * names (`files[].content`, `labels{}`), undefined members dropped (the
 * Struct encoder throws "Unexpected struct type." on them).
 */
export function toWire(bag: PropertyBag, secretKeys: Iterable<string> = [], nestedSecrets: ReadonlySet<string> = new Set()): Record<string, unknown> {
  const secrets = new Set(secretKeys);
  const wire: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(bag)) {
    const json = toJson(value, key, key, nestedSecrets);
    if (json === undefined) continue;
    wire[key] = secrets.has(key) ? secretWire(json) : json;
  }
  return wire;
}

function secretWire(value: unknown): Record<string, unknown> {
  return { [SIGNATURE_KEY]: SECRET_SIGNATURE, value };
}

/** `pattern` is `path` generalised as `toJson` does; a secret at one of `nestedSecrets` does not mark the property. */
function unwrap(value: unknown, path: string, marks: { secret: boolean }, pattern: string, nestedSecrets: ReadonlySet<string>): JsonValue | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new UnsupportedWireValueError(path, `the number ${String(value)}`);
    return value;
  }
  if (Array.isArray(value)) return value.map((item, index) => unwrap(item, `${path}[${index}]`, marks, `${pattern}[]`, nestedSecrets) ?? null);
  if (typeof value !== 'object') throw new UnsupportedWireValueError(path, `a ${typeof value}`);
  const record = value as Record<string, unknown>;
  const signature = record[SIGNATURE_KEY];
  if (signature !== undefined) {
    switch (signature) {
      case SECRET_SIGNATURE:
        if (!nestedSecrets.has(pattern)) marks.secret = true;
        return unwrap(record.value, path, marks, pattern, nestedSecrets) ?? null;
      case OUTPUT_VALUE_SIGNATURE:
        if (record.secret === true && !nestedSecrets.has(pattern)) marks.secret = true;
        return 'value' in record ? (unwrap(record.value, path, marks, pattern, nestedSecrets) ?? null) : UNKNOWN;
      case RESOURCE_REFERENCE_SIGNATURE:
        return typeof record.id === 'string' ? (record.id === '' ? UNKNOWN : record.id) : UNKNOWN;
      case ASSET_SIGNATURE:
        throw new UnsupportedWireValueError(path, 'an asset');
      case ARCHIVE_SIGNATURE:
        throw new UnsupportedWireValueError(path, 'an archive');
      default:
        throw new UnsupportedWireValueError(path, `a value with the unknown signature ${JSON.stringify(signature)}`);
    }
  }
  const out: { [key: string]: JsonValue } = {};
  for (const [key, item] of Object.entries(record)) {
    const plain = unwrap(item, `${path}.${key}`, marks, nestedSecrets.has(`${pattern}{}`) ? `${pattern}{}` : `${pattern}.${key}`, nestedSecrets);
    if (plain !== undefined) out[key] = plain;
  }
  return out;
}

/** `value` as JSON; `pattern` is its path with indexes and map keys generalised (`files[].content`), to find nested secrets. */
function toJson(value: unknown, path: string, pattern: string, nestedSecrets: ReadonlySet<string>): JsonValue | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new UnsupportedWireValueError(path, `the number ${String(value)}`);
    return value;
  }
  const child = (item: unknown, childPath: string, childPattern: string): JsonValue | undefined => {
    const json = toJson(item, childPath, childPattern, nestedSecrets);
    // The wire form of a secret is an object, which JsonValue also describes.
    return json !== undefined && json !== null && nestedSecrets.has(childPattern) ? (secretWire(json) as JsonValue) : json;
  };
  if (Array.isArray(value)) return value.map((item, index) => child(item, `${path}[${index}]`, `${pattern}[]`) ?? null);
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: { [key: string]: JsonValue } = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      const json = child(item, `${path}.${key}`, nestedSecrets.has(`${pattern}{}`) ? `${pattern}{}` : `${pattern}.${key}`);
      if (json !== undefined) out[key] = json;
    }
    return out;
  }
  throw new UnsupportedWireValueError(path, `a ${value?.constructor?.name ?? typeof value} (only plain JSON values cross the wire)`);
}
