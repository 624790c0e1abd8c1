import { EventEmitter } from 'node:events';
import * as http2 from 'node:http2';

/**
 * A small gRPC server on Node's built-in HTTP/2, for the two plugin
 * processes (terraform-provider-vers, pulumi-resource-vers) that Terraform
 * and Pulumi start several times per command. Loading @grpc/grpc-js costs
 * about 20 ms of every start; gRPC's wire format is simple enough to serve
 * directly: per message a 5-byte prefix (compressed flag, big-endian
 * length), the status in `grpc-status`/`grpc-message` trailers (or in the
 * headers of a trailers-only response).
 *
 * Method definitions and handlers have @grpc/grpc-js's shapes (MethodDefinition
 * with path and (de)serializers; unary handlers `(call, callback)`, streaming
 * handlers `(call)` with write/end and 'data'/'end'/'cancelled' events), so
 * either grpc-js stubs' definitions or our own can be served. Unsupported:
 * compression (requests must not be compressed; clients only compress after
 * the server advertises an encoding, which it never does).
 */

export const GrpcStatusCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INTERNAL: 13,
  UNIMPLEMENTED: 12,
} as const;

/** What serving one method needs (structurally a grpc-js MethodDefinition). */
export interface GrpcMethodDefinition {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestDeserialize(bytes: Buffer): unknown;
  responseSerialize(value: never): Buffer;
}

/** Status metadata: a grpc-js Metadata (anything with toHttp2Headers) or plain headers; `-bin` values may be Buffers. */
export type GrpcMetadata = { toHttp2Headers(): http2.OutgoingHttpHeaders } | Record<string, string | Buffer>;

/** An error for a unary callback (grpc-js's StatusObject shape, all optional). */
export interface GrpcErrorStatus {
  code?: number;
  details?: string;
  message?: string;
  metadata?: GrpcMetadata;
}

export type UnaryCallback = (error: GrpcErrorStatus | Error | null, value?: unknown, trailer?: GrpcMetadata) => void;
export type UnaryHandler = (call: GrpcCall, callback: UnaryCallback) => void;
export type StreamingHandler = (call: GrpcCall) => void;
export type GrpcHandler = UnaryHandler | StreamingHandler;

export interface GrpcServerOptions {
  /** Mutual TLS: our key and certificate, and the only client certificate (PEM) accepted. Default: plaintext HTTP/2. */
  tls?: { keyPem: string; certPem: string; clientCaPem: string };
  /** Called synchronously before each request is routed, e.g. to add services loaded on first use. */
  beforeRequest?: () => void;
}

/** Percent-encoding of grpc-message (gRPC over HTTP/2 spec): bytes outside 0x20–0x7E, and '%'. */
export function encodeGrpcMessage(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function metadataHeaders(metadata: GrpcMetadata | undefined): http2.OutgoingHttpHeaders {
  if (metadata === undefined) return {};
  if (typeof (metadata as { toHttp2Headers?: unknown }).toHttp2Headers === 'function') {
    return (metadata as { toHttp2Headers(): http2.OutgoingHttpHeaders }).toHttp2Headers();
  }
  const headers: http2.OutgoingHttpHeaders = {};
  for (const [key, value] of Object.entries(metadata as Record<string, string | Buffer>)) {
    headers[key] = Buffer.isBuffer(value) ? value.toString('base64') : value;
  }
  return headers;
}

/**
 * One RPC in progress. Unary and server-streaming calls carry `request`;
 * client-streaming calls emit 'data' per message and 'end'. Every call emits
 * 'cancelled' when the client goes away before the server finished.
 */
export class GrpcCall extends EventEmitter {
  request: unknown = undefined;
  cancelled = false;
  private headersSent = false;
  private finished = false;

  constructor(
    private readonly stream: http2.ServerHttp2Stream,
    private readonly method: GrpcMethodDefinition,
    readonly headers: http2.IncomingHttpHeaders,
  ) {
    super();
  }

  /** Send one response message. */
  write(value: unknown): boolean {
    if (this.finished || this.stream.destroyed) return false;
    let body: Buffer;
    try {
      body = this.method.responseSerialize(value as never);
    } catch (error) {
      this.finish(GrpcStatusCode.INTERNAL, `cannot encode the response of ${this.method.path}: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
    this.sendHeaders();
    const prefix = Buffer.allocUnsafe(5);
    prefix[0] = 0;
    prefix.writeUInt32BE(body.length, 1);
    this.stream.write(prefix);
    return this.stream.write(body);
  }

  /** End the call with status OK (streaming handlers). */
  end(): void {
    this.finish(GrpcStatusCode.OK, '');
  }

  /** End the call with a status; `metadata` goes into the trailers. */
  finish(code: number, message: string, metadata?: GrpcMetadata): void {
    if (this.finished) return;
    this.finished = true;
    if (this.stream.destroyed || this.stream.closed) return;
    const trailers: http2.OutgoingHttpHeaders = { ...metadataHeaders(metadata), 'grpc-status': String(code), ...(message === '' ? {} : { 'grpc-message': encodeGrpcMessage(message) }) };
    if (!this.headersSent) {
      // Trailers-only response: status in the one HEADERS frame.
      this.headersSent = true;
      this.stream.respond({ ':status': 200, 'content-type': 'application/grpc', ...trailers }, { endStream: true });
      return;
    }
    this.stream.once('wantTrailers', () => this.stream.sendTrailers(trailers));
    this.stream.end();
  }

  /** The unary callback: one message then OK, or the error's status. */
  callback: UnaryCallback = (error, value, trailer) => {
    if (error !== null && error !== undefined) {
      const status = error as GrpcErrorStatus;
      const code = typeof status.code === 'number' ? status.code : GrpcStatusCode.UNKNOWN;
      this.finish(code, status.details ?? status.message ?? 'unknown error', status.metadata);
      return;
    }
    this.write(value);
    this.finish(GrpcStatusCode.OK, '', trailer); // a no-op when encoding failed (finished with INTERNAL)
  };

  private sendHeaders(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-accept-encoding': 'identity' }, { waitForTrailers: true });
  }

  markCancelled(): void {
    if (this.finished || this.cancelled) return;
    this.cancelled = true;
    this.finished = true;
    this.emit('cancelled');
  }
}

interface Route {
  method: GrpcMethodDefinition;
  handler: GrpcHandler;
}

export class GrpcServer {
  private readonly server: http2.Http2Server | http2.Http2SecureServer;
  private readonly routes = new Map<string, Route>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();

  constructor(private readonly options: GrpcServerOptions = {}) {
    // Large schemas and states: allow plenty of buffered data per connection.
    const common = { maxSessionMemory: 512 };
    this.server = options.tls === undefined
      ? http2.createServer(common)
      : http2.createSecureServer({
          ...common,
          key: options.tls.keyPem,
          cert: options.tls.certPem,
          ca: options.tls.clientCaPem,
          requestCert: true,
          rejectUnauthorized: true,
          minVersion: 'TLSv1.2',
        });
    this.server.on('session', (session: http2.ServerHttp2Session) => {
      this.sessions.add(session);
      session.on('error', () => undefined);
      session.once('close', () => this.sessions.delete(session));
    });
    this.server.on('stream', (stream, headers) => this.onStream(stream, headers));
    // A client that fails the TLS handshake (wrong certificate) only loses its own connection.
    this.server.on('tlsClientError', () => undefined);
    this.server.on('sessionError', () => undefined);
  }

  /** Serve a service: every method of `definition` that `implementation` has (missing ones answer UNIMPLEMENTED). */
  addService(definition: Readonly<Record<string, GrpcMethodDefinition>>, implementation: Readonly<Record<string, GrpcHandler | undefined>>): void {
    for (const [name, method] of Object.entries(definition)) {
      const handler = implementation[name];
      if (handler !== undefined) this.routes.set(method.path, { method, handler });
    }
  }

  /** Listen on host:port (0 = any free port); resolves with the port. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        if (address === null || typeof address === 'string') reject(new Error('the gRPC server has no TCP address'));
        else resolve(address.port);
      });
    });
  }

  /** Stop accepting connections and let running calls finish; `forceAfterMs` then drops what is left. */
  close(forceAfterMs = 2000): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.sessions.forEach((session) => session.destroy()), forceAfterMs);
      timer.unref();
      this.server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      this.sessions.forEach((session) => session.close());
    });
  }

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on('error', () => undefined);
    const path = String(headers[':path'] ?? '');
    const contentType = String(headers['content-type'] ?? '');
    if (headers[':method'] !== 'POST' || !contentType.startsWith('application/grpc')) {
      stream.respond({ ':status': 415, 'content-type': 'text/plain' }, { endStream: true });
      return;
    }
    try {
      this.options.beforeRequest?.();
    } catch (error) {
      respondStatus(stream, GrpcStatusCode.INTERNAL, `the provider could not load its services: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    const route = this.routes.get(path);
    if (route === undefined) {
      respondStatus(stream, GrpcStatusCode.UNIMPLEMENTED, `unknown method ${path}`);
      return;
    }
    const { method, handler } = route;
    const call = new GrpcCall(stream, method, headers);
    stream.once('close', () => call.markCancelled());

    let pending: Buffer = Buffer.alloc(0);
    let received = 0;
    let failed = false;
    const fail = (message: string): void => {
      failed = true;
      call.finish(GrpcStatusCode.INTERNAL, message);
    };
    stream.on('data', (chunk: Buffer) => {
      if (failed) return;
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 5) {
        const length = pending.readUInt32BE(1);
        if (pending.length < 5 + length) break;
        if ((pending[0] as number) & 1) return fail('compressed requests are not supported');
        const body = pending.subarray(5, 5 + length);
        pending = pending.subarray(5 + length);
        let message: unknown;
        try {
          message = method.requestDeserialize(body);
        } catch (error) {
          return fail(`cannot decode the request of ${path}: ${error instanceof Error ? error.message : String(error)}`);
        }
        received++;
        if (method.requestStream) call.emit('data', message);
        else if (received === 1) call.request = message;
        else return fail(`${path} takes one request message`);
      }
    });
    stream.once('end', () => {
      if (failed) return;
      if (method.requestStream) {
        call.emit('end');
        return;
      }
      if (received !== 1 || pending.length > 0) return fail(`${path} takes exactly one request message`);
      if (method.responseStream) (handler as StreamingHandler)(call);
      else (handler as UnaryHandler)(call, call.callback);
    });
    if (method.requestStream) (handler as StreamingHandler)(call);
  }
}

function respondStatus(stream: http2.ServerHttp2Stream, code: number, message: string): void {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(code), 'grpc-message': encodeGrpcMessage(message) }, { endStream: true });
}
