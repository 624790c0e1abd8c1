/**
 * UUID parsing with the Rust `uuid` crate's acceptance rules and error texts,
 * because the server's 400/422 messages embed them (reference §2: ``UUID
 * parsing failed: invalid character: found `n` at 1``).
 */

export type UuidParse = { ok: true; uuid: string } | { ok: false; reason: string };

const HEX = /^[0-9a-fA-F]$/;

/** Accepts hyphenated, simple, braced and urn forms in any case; yields the lowercase hyphenated form. */
export function parseRustUuid(input: string): UuidParse {
  let body = input;
  let offset = 0;
  let simpleAllowed = true;
  if (input.length === 38 && input.startsWith('{') && input.endsWith('}')) {
    body = input.slice(1, -1);
    offset = 1;
    simpleAllowed = false;
  } else if (input.startsWith('urn:uuid:')) {
    body = input.slice('urn:uuid:'.length);
    offset = 'urn:uuid:'.length;
    simpleAllowed = false;
  }
  if (/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(body)) {
    return { ok: true, uuid: body.toLowerCase() };
  }
  if (offset === 0 && /^[0-9a-fA-F]{32}$/.test(body)) {
    const s = body.toLowerCase();
    return { ok: true, uuid: `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}` };
  }
  return { ok: false, reason: explainInvalid(input, body, offset, simpleAllowed) };
}

/** The crate's slow path (`InvalidUuid::into_err`): first bad character, then group count, then group lengths. */
function explainInvalid(input: string, body: string, offset: number, simpleAllowed: boolean): string {
  const hyphens: number[] = [];
  const chars = [...body];
  let index = 0;
  for (const character of chars) {
    if (character === '-') hyphens.push(index);
    else if (!HEX.test(character)) return `invalid character: found \`${character}\` at ${index + offset + 1}`;
    index += Buffer.byteLength(character);
  }
  if (hyphens.length === 0 && simpleAllowed) return `invalid length: expected length 32 for simple format, found ${Buffer.byteLength(input)}`;
  if (hyphens.length !== 4) return `invalid group count: expected 5, found ${hyphens.length + 1}`;
  const starts = [0, 9, 14, 19, 24];
  const expected = [8, 4, 4, 4, 12];
  for (let group = 0; group < 4; group++) {
    if (hyphens[group] !== starts[group + 1]! - 1) {
      return `invalid group length in group ${group}: expected ${expected[group]}, found ${hyphens[group]! - starts[group]!}`;
    }
  }
  return `invalid group length in group 4: expected 12, found ${Buffer.byteLength(body) - starts[4]!}`;
}
