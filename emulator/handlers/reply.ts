/**
 * What a handler answers. The dispatcher writes it, adding `x-request-id`.
 */
export type Reply =
  /** `application/json` body. */
  | { kind: 'json'; status: number; body: unknown; headers?: Record<string, string> }
  /** No body and no content type (PATCH state/disk/label, DELETE commit). */
  | { kind: 'empty'; status: number; headers?: Record<string, string> }
  /** `text/plain; charset=utf-8` body. */
  | { kind: 'text'; status: number; text: string; headers?: Record<string, string> }
  /** A streamed body (exec/stream): `run` writes chunks until done or the client leaves. */
  | { kind: 'stream'; status: number; contentType: string; run: (write: (chunk: string) => void, signal: AbortSignal) => Promise<void> };

export function json(status: number, body: unknown): Reply {
  return { kind: 'json', status, body };
}

export function empty(status: number): Reply {
  return { kind: 'empty', status };
}
