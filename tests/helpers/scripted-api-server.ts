import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/** One request as the scripted server received it. */
export interface RecordedRequest {
  method: string;
  /** Path with query string. */
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** What to do with a request: answer, or break the connection like a failing network. */
export type ScriptedReply =
  | { status: number; body?: string | object; headers?: Record<string, string> }
  | 'reset'
  | 'hang';

export type ScriptedHandler = (request: RecordedRequest, index: number) => ScriptedReply | Promise<ScriptedReply>;

export interface ScriptedApiServer {
  /** `http(s)://127.0.0.1:<port>` */
  origin: string;
  port: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * A local HTTP(S) server whose answers a unit test scripts: the layer below
 * the client's HTTP boundary. `'reset'` destroys the socket after the
 * request arrived (the request reached the server, the answer was lost);
 * `'hang'` never answers.
 */
export async function startScriptedApiServer(
  handler: ScriptedHandler,
  options: { tls?: { certPem: string; keyPem: string }; port?: number } = {},
): Promise<ScriptedApiServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(recorded);
      void Promise.resolve(handler(recorded, requests.length - 1)).then((reply) => {
        if (reply === 'reset') {
          req.socket.destroy();
          return;
        }
        if (reply === 'hang') return;
        const isText = typeof reply.body === 'string' || reply.body === undefined;
        const body = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
        res.writeHead(reply.status, {
          ...(isText ? {} : { 'content-type': 'application/json' }),
          ...(req.headers['x-request-id'] === undefined ? {} : { 'x-request-id': String(req.headers['x-request-id']) }),
          ...reply.headers,
        });
        res.end(body);
      });
    });
  };
  const server: Server = options.tls === undefined ? createHttpServer(onRequest) : createHttpsServer({ cert: options.tls.certPem, key: options.tls.keyPem }, onRequest);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
