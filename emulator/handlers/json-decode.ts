import { JsonSyntaxError, positionOf, type JsonNode } from './json-reader';
import { parseRustUuid } from './rust-uuid';

/**
 * Typed decoding of request bodies that words its failures like serde (with
 * serde_path_to_error's `path: ` prefix), because the server's 422 bodies are
 * exactly those texts: ``state: unknown variant `running`, expected `Paused`
 * or `Running` at line 1 column 19``.
 */

/** JSON that parsed but does not fit the type: the server answers 422. */
export class JsonDataError extends Error {
  constructor(source: string, path: readonly string[], reason: string, index: number) {
    const { line, column } = positionOf(source, index);
    super(`${formatPath(path)}${reason} at line ${line} column ${column}`);
    this.name = 'JsonDataError';
  }
}

function formatPath(path: readonly string[]): string {
  if (path.length === 0) return '';
  return `${path.reduce((out, segment) => (segment.startsWith('[') || out === '' ? out + segment : `${out}.${segment}`), '')}: `;
}

export interface DecodeContext {
  source: string;
}

/** Decodes one JSON value into T, or throws JsonDataError / JsonSyntaxError. */
export interface Decoder<T> {
  /** serde's "expected …" phrase for this type. */
  readonly expecting: string;
  decode(node: JsonNode, ctx: DecodeContext, path: readonly string[]): T;
}

/** serde's `Unexpected` wording of a JSON value. */
function unexpected(node: JsonNode): string {
  switch (node.kind) {
    case 'null':
      return 'null';
    case 'bool':
      return `boolean \`${node.value}\``;
    case 'number':
      return isInteger(node.text) ? `integer \`${node.text}\`` : `floating point \`${formatFloat(Number(node.text))}\``;
    case 'string':
      return `string ${JSON.stringify(node.value)}`;
    case 'array':
      return 'sequence';
    case 'object':
      return 'map';
  }
}

function isInteger(text: string): boolean {
  return /^-?\d+$/.test(text) && Number.isSafeInteger(Number(text));
}

function formatFloat(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

/** Where serde reports an invalid type: after a scalar it consumed, at the start of a map or sequence it did not. */
function invalidType(ctx: DecodeContext, path: readonly string[], node: JsonNode, expecting: string): JsonDataError {
  const index = node.kind === 'array' || node.kind === 'object' ? node.start : node.end;
  return new JsonDataError(ctx.source, path, `invalid type: ${unexpected(node)}, expected ${expecting}`, index);
}

function integer(name: string, min: number, max: number): Decoder<number> {
  return {
    expecting: name,
    decode(node, ctx, path) {
      if (node.kind !== 'number' || !isInteger(node.text)) throw invalidType(ctx, path, node, name);
      const value = Number(node.text);
      if (value < min || value > max) throw new JsonDataError(ctx.source, path, `invalid value: integer \`${node.text}\`, expected ${name}`, node.end);
      return value;
    },
  };
}

export const u8 = integer('u8', 0, 255);
export const u32 = integer('u32', 0, 4294967295);
export const u64 = integer('u64', 0, Number.MAX_SAFE_INTEGER);

export const bool: Decoder<boolean> = {
  expecting: 'a boolean',
  decode(node, ctx, path) {
    if (node.kind !== 'bool') throw invalidType(ctx, path, node, 'a boolean');
    return node.value;
  },
};

export const string: Decoder<string> = {
  expecting: 'a string',
  decode(node, ctx, path) {
    if (node.kind !== 'string') throw invalidType(ctx, path, node, 'a string');
    return node.value;
  },
};

/** A UUID in a JSON string, normalised to lowercase hyphenated. */
export const uuid: Decoder<string> = {
  expecting: 'a UUID string',
  decode(node, ctx, path) {
    if (node.kind !== 'string') throw invalidType(ctx, path, node, 'a UUID string');
    const parsed = parseRustUuid(node.value);
    if (!parsed.ok) throw new JsonDataError(ctx.source, path, `UUID parsing failed: ${parsed.reason}`, node.end);
    return parsed.uuid;
  },
};

/** `Option<T>`: null (or an absent field) is null. */
export function optional<T>(inner: Decoder<T>): Decoder<T | null> {
  return {
    expecting: inner.expecting,
    decode(node, ctx, path) {
      return node.kind === 'null' ? null : inner.decode(node, ctx, path);
    },
  };
}

export function sequence<T>(item: Decoder<T>): Decoder<T[]> {
  return {
    expecting: 'a sequence',
    decode(node, ctx, path) {
      if (node.kind !== 'array') throw invalidType(ctx, path, node, 'a sequence');
      return node.items.map((child, i) => item.decode(child, ctx, [...path, `[${i}]`]));
    },
  };
}

/** `HashMap<String, String>`. */
export const stringMap: Decoder<Record<string, string>> = {
  expecting: 'a map',
  decode(node, ctx, path) {
    if (node.kind !== 'object') throw invalidType(ctx, path, node, 'a map');
    const out: Record<string, string> = {};
    for (const { key, value } of node.entries) out[key] = string.decode(value, ctx, [...path, key]);
    return out;
  },
};

type FieldSpec<T> = { decoder: Decoder<T>; required: boolean };
type Fields = Record<string, FieldSpec<unknown>>;
type StructOf<F extends Fields> = {
  [K in keyof F as F[K]['required'] extends true ? K : never]: F[K] extends FieldSpec<infer T> ? T : never;
} & {
  [K in keyof F as F[K]['required'] extends true ? never : K]?: F[K] extends FieldSpec<infer T> ? T : never;
};

export function required<T>(decoder: Decoder<T>): { decoder: Decoder<T>; required: true } {
  return { decoder, required: true };
}

/** A field that may be absent (serde `Option` / `#[serde(default)]`); absent stays undefined. */
export function absentable<T>(decoder: Decoder<T>): { decoder: Decoder<T>; required: false } {
  return { decoder, required: false };
}

/** A serde struct: unknown fields ignored, duplicates and missing required fields rejected. */
export function struct<F extends Fields>(name: string, fields: F): Decoder<StructOf<F>> {
  return {
    expecting: `struct ${name}`,
    decode(node, ctx, path) {
      if (node.kind !== 'object') throw invalidType(ctx, path, node, `struct ${name}`);
      const out: Record<string, unknown> = {};
      const seen = new Set<string>();
      for (const { key, value } of node.entries) {
        const spec = fields[key];
        if (spec === undefined) continue;
        if (seen.has(key)) throw new JsonDataError(ctx.source, path, `duplicate field \`${key}\``, value.end);
        seen.add(key);
        out[key] = spec.decoder.decode(value, ctx, [...path, key]);
      }
      for (const [key, spec] of Object.entries(fields)) {
        if (spec.required && !seen.has(key)) throw new JsonDataError(ctx.source, path, `missing field \`${key}\``, node.end);
      }
      return out as StructOf<F>;
    },
  };
}

function expectedVariants(variants: readonly string[]): string {
  const quoted = variants.map((v) => `\`${v}\``);
  if (quoted.length === 0) return 'there are no variants';
  if (quoted.length === 1) return `expected ${quoted[0]}`;
  if (quoted.length === 2) return `expected ${quoted[0]} or ${quoted[1]}`;
  return `expected one of ${quoted.join(', ')}`;
}

/** A Rust enum of unit variants, written as a JSON string. */
export function unitEnum<V extends string>(name: string, variants: readonly V[]): Decoder<V> {
  return {
    expecting: `enum ${name}`,
    decode(node, ctx, path) {
      // serde_json only accepts a string or a map for an enum; anything else is a syntax error.
      if (node.kind !== 'string') throw new JsonSyntaxError(ctx.source, 'expected value', Math.min(ctx.source.length, node.start + 1));
      if (!(variants as readonly string[]).includes(node.value)) {
        throw new JsonDataError(ctx.source, path, `unknown variant \`${node.value}\`, ${expectedVariants(variants)}`, node.end);
      }
      return node.value as V;
    },
  };
}

/**
 * A Rust externally tagged enum of newtype variants: exactly one key. `{}`
 * and two keys are syntax errors in serde_json (hence the server's 400).
 */
export function taggedEnum<V extends Record<string, Decoder<unknown>>>(name: string, variants: V): Decoder<{ [K in keyof V]: { variant: K; value: V[K] extends Decoder<infer T> ? T : never } }[keyof V]> {
  const names = Object.keys(variants);
  return {
    expecting: `enum ${name}`,
    decode(node, ctx, path) {
      if (node.kind === 'string') {
        if (!names.includes(node.value)) throw new JsonDataError(ctx.source, path, `unknown variant \`${node.value}\`, ${expectedVariants(names)}`, node.end);
        throw new JsonDataError(ctx.source, path, 'invalid type: unit variant, expected newtype variant', node.end);
      }
      if (node.kind !== 'object') throw new JsonSyntaxError(ctx.source, 'expected value', Math.min(ctx.source.length, node.start + 1));
      const first = node.entries[0];
      if (first === undefined) throw new JsonSyntaxError(ctx.source, 'expected value', Math.min(ctx.source.length, node.start + 2));
      const decoder = variants[first.key];
      const keyEnd = first.value.start; // approximate: serde reports the key position
      if (decoder === undefined) throw new JsonDataError(ctx.source, path, `unknown variant \`${first.key}\`, ${expectedVariants(names)}`, keyEnd);
      const value = decoder.decode(first.value, ctx, [...path, first.key]);
      if (node.entries.length > 1) {
        // serde_json expects `}` right after the variant's value.
        const comma = ctx.source.indexOf(',', first.value.end);
        throw new JsonSyntaxError(ctx.source, 'expected value', Math.min(ctx.source.length, comma + 1));
      }
      return { variant: first.key, value } as never;
    },
  };
}
