import { decode, encode, ExtData } from '@msgpack/msgpack';

/**
 * Values on the wire as Terraform core writes and reads them, built with
 * @msgpack/msgpack directly (not with the bridge's codec, so the tests do not
 * check the codec against itself): every schema attribute present, keys
 * sorted, unknowns as extensions, dynamic values as [type JSON, value].
 */

/** Terraform's plain unknown, `d4 00 00`. */
export const TF_UNKNOWN = new ExtData(0, Uint8Array.of(0));

/** A refined unknown (extension 12): not null, with a string prefix. */
export function refinedUnknownString(prefix: string): ExtData {
  return new ExtData(12, encode(new Map<number, unknown>([[1, false], [2, prefix]])));
}

/** A dynamic value: [bin(type JSON), value]. */
export function dynamic(typeJson: unknown, value: unknown): unknown[] {
  return [Buffer.from(JSON.stringify(typeJson)), value];
}

/** The subset of a tfplugin6 Schema.Block message (proto-loader form) needed to build objects. */
export interface BlockMessage {
  attributes: Array<{ name: string }>;
  block_types: Array<{ type_name: string; nesting: string; block: BlockMessage }>;
}

/** An object of a block with every attribute (null when not given) and every block list ([] when not given). */
export function objectOf(block: BlockMessage, values: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  const names = [...block.attributes.map((attribute) => attribute.name), ...block.block_types.map((nested) => nested.type_name)].sort();
  for (const name of names) {
    const nested = block.block_types.find((candidate) => candidate.type_name === name);
    const given = values[name];
    if (nested !== undefined && nested.nesting === 'LIST') {
      result[name] = Array.isArray(given) ? given.map((item) => objectOf(nested.block, item as Record<string, unknown>)) : [];
    } else {
      result[name] = given === undefined ? null : given;
    }
  }
  for (const name of Object.keys(values)) if (!names.includes(name)) throw new Error(`the schema has no attribute ${name}`);
  return result;
}

export function dynamicValue(value: unknown): { msgpack: Buffer } {
  return { msgpack: Buffer.from(encode(value)) };
}

export const NULL_VALUE = { msgpack: Buffer.from([0xc0]) };

/** Decodes a DynamicValue from the provider; unknowns come back as the string "<unknown>". */
export function readValue(message: { msgpack?: Buffer } | null | undefined): unknown {
  if (message?.msgpack === undefined || message.msgpack.length === 0) return null;
  return markUnknowns(decode(message.msgpack));
}

function markUnknowns(value: unknown): unknown {
  if (value instanceof ExtData) return value.type === 0 && Buffer.from(value.data as Uint8Array).equals(Buffer.from([0])) ? '<unknown>' : `<unknown ext ${value.type}>`;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (Array.isArray(value)) return value.map(markUnknowns);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, markUnknowns(item)]));
  return value;
}
