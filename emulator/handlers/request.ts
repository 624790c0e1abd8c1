import type { IncomingHttpHeaders } from 'node:http';
import { JsonDataError, type Decoder } from './json-decode';
import { JsonSyntaxError, readJson } from './json-reader';
import { parseRustUuid } from './rust-uuid';

/**
 * What a handler gets: the parsed pieces of one HTTP request plus the caller's
 * identity, and the helpers that reject bad input with the server's
 * plain-text extractor errors (axum 0.8 wording, reference §2).
 */
export interface ApiRequest {
  readonly method: string;
  /** Path params of the matched route, percent-decoded, unvalidated. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The API key id: the owner_id of everything this caller creates. */
  readonly ownerId: string;
  readonly requestId: string;
  /** Aborted when the client goes away (streams stop early). */
  readonly signal: AbortSignal;
}

/** An extractor rejection: a status with a `text/plain; charset=utf-8` body. */
export class RequestRejection extends Error {
  constructor(
    readonly status: number,
    readonly text: string,
  ) {
    super(text);
    this.name = 'RequestRejection';
  }
}

/** A path parameter that must be a UUID (axum `Path<Uuid>`); yields the lowercase form. */
export function pathUuid(req: ApiRequest, name: string): string {
  const raw = req.params[name] ?? '';
  const parsed = parseRustUuid(raw);
  if (!parsed.ok) throw new RequestRejection(400, `Invalid URL: Cannot parse \`${name}\` with value \`${raw}\`: UUID parsing failed: ${parsed.reason}`);
  return parsed.uuid;
}

/** How one query parameter is parsed; `undefined` return never happens for present values. */
export type QueryParser<T> = (raw: string) => { ok: true; value: T } | { ok: false; reason: string };

export const queryBool: QueryParser<boolean> = (raw) =>
  raw === 'true' ? { ok: true, value: true } : raw === 'false' ? { ok: true, value: false } : { ok: false, reason: 'provided string was not `true` or `false`' };

/** Rust integer parsing (`str::parse::<uN/iN>`) with its error texts. */
export function queryInteger(min: number, max: number): QueryParser<number> {
  return (raw) => {
    if (raw === '') return { ok: false, reason: 'cannot parse integer from empty string' };
    if (!/^[+-]?\d+$/.test(raw) || (min >= 0 && raw.startsWith('-'))) return { ok: false, reason: 'invalid digit found in string' };
    const value = Number(raw);
    if (value > max) return { ok: false, reason: 'number too large to fit in target type' };
    if (value < min) return { ok: false, reason: 'number too small to fit in target type' };
    return { ok: true, value };
  };
}

export const queryString: QueryParser<string> = (raw) => ({ ok: true, value: raw });

type QueryValues<P extends Record<string, QueryParser<unknown>>> = { [K in keyof P]?: P[K] extends QueryParser<infer T> ? T : never };

/** Parse the query string as a serde struct of optional fields; unknown keys are ignored. */
export function queryParams<P extends Record<string, QueryParser<unknown>>>(req: ApiRequest, parsers: P): QueryValues<P> {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of req.query) {
    const parse = parsers[key];
    if (parse === undefined) continue;
    if (key in out) throw new RequestRejection(400, `Failed to deserialize query string: duplicate field \`${key}\``);
    const parsed = parse(raw);
    if (!parsed.ok) throw new RequestRejection(400, `Failed to deserialize query string: ${key}: ${parsed.reason}`);
    out[key] = parsed.value;
  }
  return out as QueryValues<P>;
}

/** A query parameter the handler cannot do without (serde: missing field). */
export function requireQuery<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new RequestRejection(400, `Failed to deserialize query string: missing field \`${name}\``);
  return value;
}

function hasJsonContentType(req: ApiRequest): boolean {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** A required JSON body (axum `Json<T>`): 415 without the content type, 400 unparseable, 422 wrong shape. */
export function jsonBody<T>(req: ApiRequest, decoder: Decoder<T>): T {
  if (!hasJsonContentType(req)) throw new RequestRejection(415, 'Expected request with `Content-Type: application/json`');
  return decodeBody(req, decoder);
}

/** An optional JSON body (axum `Option<Json<T>>`): no Content-Type means none; with it, the body must parse. */
export function optionalJsonBody<T>(req: ApiRequest, decoder: Decoder<T>): T | undefined {
  if (req.headers['content-type'] === undefined) return undefined;
  return jsonBody(req, decoder);
}

function decodeBody<T>(req: ApiRequest, decoder: Decoder<T>): T {
  const source = req.body.toString('utf8');
  try {
    return decoder.decode(readJson(source), { source }, []);
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw new RequestRejection(400, `Failed to parse the request body as JSON: ${error.message}`);
    if (error instanceof JsonDataError) throw new RequestRejection(422, `Failed to deserialize the JSON body into the target type: ${error.message}`);
    throw error;
  }
}
