import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TLSSocket } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultDecision } from './faults';
import type { HandlerContext } from './handlers/context';
import { RequestRejection, type ApiRequest } from './handlers/request';
import type { Reply } from './handlers/reply';
import { VersLocalApiError } from './models/errors';
import { describe } from './models/vms';
import { API_PREFIX, matchRoute } from './routes';

/**
 * The request pipeline in front of the handlers, in the order the real
 * stack applies it: request id, auth (the proxy's 403), fault injection
 * (`/api/v1` only), routing (404/405), body limit, handler, error bodies.
 */
export interface DispatchOptions {
  /** The one valid API key (secret: compared in constant time, never logged). */
  apiKey: string;
  ctx: HandlerContext;
  maxBodyBytes: number;
  log: (line: string) => void;
  /** Log one line per request. */
  verbose: boolean;
}

/** Bytes of the proxy's auth failure body (reference §1.2). */
const FORBIDDEN_BODY = '403 Forbidden';

export function createRequestListener(options: DispatchOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const expectedAuth = Buffer.from(`Bearer ${options.apiKey}`);
  const ownerId = options.apiKey.slice(0, 36).toLowerCase();

  const authorised = (header: string | undefined): boolean => {
    if (header === undefined) return false;
    const given = Buffer.from(header);
    return given.length === expectedAuth.length && timingSafeEqual(given, expectedAuth);
  };

  return (req, res) => {
    const started = Date.now();
    const requestId = headerValue(req, 'x-request-id') ?? headerValue(req, 'x-operation-id') ?? randomUUID();
    res.setHeader('x-request-id', requestId);
    const url = new URL(req.url ?? '/', 'http://vers-local');
    const method = (req.method ?? 'GET').toUpperCase();
    let routeKey = `${method} (unmatched)`;

    res.on('finish', () => {
      if (options.verbose) options.log(`${method} ${url.pathname} ${res.statusCode} ${Date.now() - started}ms request_id=${requestId}`);
    });

    const run = async (): Promise<void> => {
      if (!authorised(headerValue(req, 'authorization'))) {
        write(res, { kind: 'text', status: 403, text: FORBIDDEN_BODY }, false);
        return;
      }
      const match = matchRoute(method, url.pathname);
      if (match.kind !== 'not-found') routeKey = `${method} ${match.kind === 'found' ? match.route.template : match.template}`;
      const isApi = url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`);
      if (isApi) options.ctx.stats.request(routeKey);

      const decision = isApi ? options.ctx.faults.decide(routeKey) : undefined;
      if (decision !== undefined && decision.latencyMs > 0) await sleep(decision.latencyMs);
      if (decision?.fault !== undefined && decision.phase === 'before') {
        injectFault(decision, routeKey, req, res, options);
        return;
      }

      const body = await readBody(req, options.maxBodyBytes);
      let reply: Reply;
      if (body === undefined) reply = { kind: 'text', status: 413, text: 'Failed to buffer the request body: length limit exceeded' };
      else if (match.kind === 'not-found') reply = { kind: 'empty', status: 404 };
      else if (match.kind === 'method-not-allowed') reply = { kind: 'empty', status: 405, headers: { allow: match.allowed.join(',') } };
      else {
        const abort = new AbortController();
        res.on('close', () => abort.abort());
        const apiRequest: ApiRequest = {
          method,
          params: match.params,
          query: url.searchParams,
          headers: req.headers,
          body,
          ownerId,
          requestId,
          signal: abort.signal,
        };
        reply = await callHandler(() => match.route.handler(apiRequest, options.ctx), options, routeKey);
      }

      if (decision?.fault !== undefined && decision.phase === 'after') {
        // The operation happened; the caller never learns it did.
        if (reply.kind === 'stream') await reply.run(() => undefined, new AbortController().signal).catch(() => undefined);
        injectFault(decision, routeKey, req, res, options);
        return;
      }
      if (isApi) options.ctx.stats.response(routeKey, reply.status);
      await sendReply(res, reply);
    };

    run().catch((error: unknown) => {
      options.log(`request ${requestId} (${routeKey}) failed unexpectedly: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      if (!res.headersSent) write(res, { kind: 'json', status: 500, body: { success: false, error: 'Internal Server Error' } }, false);
      else res.destroy();
    });
  };
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Model and extractor errors become the server's bodies; anything else is its 500. */
async function callHandler(call: () => Promise<Reply>, options: DispatchOptions, routeKey: string): Promise<Reply> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof RequestRejection) return { kind: 'text', status: error.status, text: error.text };
    if (error instanceof VersLocalApiError) {
      if (error.status >= 500) options.log(`${routeKey}: ${error.code}: ${error.message}`);
      const body =
        error.shape === 'new-vms-response'
          ? { vms: error.createdVmIds.map((vm_id) => ({ vm_id })), error: error.message }
          : { success: false, error: error.message };
      return { kind: 'json', status: error.status, body };
    }
    options.log(`${routeKey}: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : describe(error)}`);
    return { kind: 'json', status: 500, body: { success: false, error: 'Internal Server Error' } };
  }
}

function injectFault(decision: FaultDecision, routeKey: string, req: IncomingMessage, res: ServerResponse, options: DispatchOptions): void {
  const fault = decision.fault!;
  options.ctx.stats.fault(routeKey, fault);
  const retryAfter = { 'retry-after': String(decision.retryAfterSeconds) };
  switch (fault) {
    case 'connectionReset':
      options.ctx.stats.response(routeKey, 'reset');
      if (req.socket instanceof TLSSocket) {
        // A TLS socket's handle is the TLS layer, which cannot send a TCP RST: close it
        // unanswered instead, which the client sees as the same lost answer ("socket hang up").
        req.socket.destroy();
      } else {
        req.socket.resetAndDestroy();
      }
      return;
    case 'error500':
      options.ctx.stats.response(routeKey, 500);
      write(res, { kind: 'json', status: 500, body: { success: false, error: 'Internal Server Error' } }, true);
      return;
    case 'error503':
      options.ctx.stats.response(routeKey, 503);
      write(res, { kind: 'text', status: 503, text: '503 Service unavailable', headers: retryAfter }, true);
      return;
    case 'error408':
      options.ctx.stats.response(routeKey, 408);
      write(res, { kind: 'empty', status: 408 }, true);
      return;
    case 'error429':
      options.ctx.stats.response(routeKey, 429);
      write(res, { kind: 'text', status: 429, text: '429 Too Many Requests', headers: retryAfter }, true);
      return;
  }
}

/** The whole body, or undefined once it exceeds the limit (the rest is drained and dropped). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function sendReply(res: ServerResponse, reply: Reply): Promise<void> {
  if (reply.kind !== 'stream') {
    write(res, reply, false);
    return;
  }
  res.writeHead(reply.status, { 'content-type': reply.contentType });
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  await reply.run((chunk) => {
    if (!res.writableEnded && !res.destroyed) res.write(chunk);
  }, abort.signal);
  res.end();
}

/** Write a complete (non-stream) reply. `closeConnection` for injected faults, so a retry gets a fresh socket. */
function write(res: ServerResponse, reply: Exclude<Reply, { kind: 'stream' }>, closeConnection: boolean): void {
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  if (closeConnection) headers.connection = 'close';
  let payload: string | undefined;
  if (reply.kind === 'json') {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(reply.body);
  } else if (reply.kind === 'text') {
    // The proxy's 403 has no content type; axum's rejections are text/plain.
    if (reply.status !== 403) headers['content-type'] = 'text/plain; charset=utf-8';
    payload = reply.text;
  }
  // 204 must carry no Content-Length; every other reply says exactly how long it is.
  if (reply.status !== 204) headers['content-length'] = String(payload === undefined ? 0 : Buffer.byteLength(payload));
  res.writeHead(reply.status, headers);
  res.end(payload);
}
