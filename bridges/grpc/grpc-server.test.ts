import * as grpc from '@grpc/grpc-js';
import { encodeGrpcMessage, GrpcServer, type GrpcCall, type GrpcMethodDefinition, type UnaryCallback } from './grpc-server';

/**
 * The node:http2 gRPC server against grpc-js's client (an independent gRPC
 * implementation): statuses, trailers, streaming and cancellation. The
 * protocol suites (tests/tfbridge, tests/pulumi) and real Terraform cover it
 * with the real services.
 */

const json = (path: string, requestStream = false, responseStream = false): GrpcMethodDefinition & { requestSerialize(v: unknown): Buffer; responseDeserialize(b: Buffer): unknown } => ({
  path,
  requestStream,
  responseStream,
  requestSerialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
  requestDeserialize: (bytes: Buffer) => {
    const text = bytes.toString('utf8');
    if (text === 'not json') throw new Error('bad request bytes');
    return JSON.parse(text) as unknown;
  },
  responseSerialize: (value: never) => Buffer.from(JSON.stringify(value)),
  responseDeserialize: (bytes: Buffer) => JSON.parse(bytes.toString('utf8')) as unknown,
});

const definition = {
  Echo: json('/test.Service/Echo'),
  Fail: json('/test.Service/Fail'),
  Ticks: json('/test.Service/Ticks', false, true),
  Sum: json('/test.Service/Sum', true, true),
};

let server: GrpcServer;
let client: grpc.Client;
const cancelled: string[] = [];

beforeAll(async () => {
  server = new GrpcServer();
  server.addService(definition, {
    Echo: (call: GrpcCall, callback: UnaryCallback) => callback(null, { echo: call.request }),
    Fail: (_call: GrpcCall, callback: UnaryCallback) => {
      const metadata = new grpc.Metadata();
      metadata.set('detail-bin', Buffer.from([0, 1, 2, 255]));
      callback({ code: grpc.status.FAILED_PRECONDITION, details: 'VM 100% paused: ✗', metadata });
    },
    Ticks: (call: GrpcCall) => {
      call.write({ tick: 1 });
      call.on('cancelled', () => cancelled.push('Ticks'));
    },
    Sum: (call: GrpcCall) => {
      let sum = 0;
      call.on('data', (value: { n: number }) => (sum += value.n));
      call.on('end', () => {
        call.write({ sum });
        call.end();
      });
    },
  });
  const port = await server.listen('127.0.0.1', 0);
  client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client.close();
  await server.close(500);
});

function unary(method: ReturnType<typeof json>, request: unknown, serialize = method.requestSerialize): Promise<{ value?: unknown; error?: grpc.ServiceError }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(method.path, serialize as (v: unknown) => Buffer, method.responseDeserialize, request, (error, value) => resolve(error ? { error } : { value }));
  });
}

describe('the HTTP/2 gRPC server', () => {
  test('a unary call answers its message with status OK', async () => {
    expect(await unary(definition.Echo, { a: [1, 'b'] })).toEqual({ value: { echo: { a: [1, 'b'] } } });
  });

  test('an error status carries its code, its percent-encoded message and binary metadata', async () => {
    const { error } = await unary(definition.Fail, {});
    expect(error?.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(error?.details).toBe('VM 100% paused: ✗');
    expect(error?.metadata.get('detail-bin')).toEqual([Buffer.from([0, 1, 2, 255])]);
    expect(encodeGrpcMessage('100% ✗')).toBe('100%25 %E2%9C%97');
  });

  test('an unknown method answers UNIMPLEMENTED naming it', async () => {
    const { error } = await unary(json('/test.Service/Nope'), {});
    expect(error?.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(error?.details).toContain('/test.Service/Nope');
  });

  test('a request that cannot be decoded answers INTERNAL, and the server goes on serving', async () => {
    const { error } = await unary(definition.Echo, {}, () => Buffer.from('not json'));
    expect(error?.code).toBe(grpc.status.INTERNAL);
    expect(error?.details).toContain('bad request bytes');
    expect(await unary(definition.Echo, 1)).toEqual({ value: { echo: 1 } });
  });

  test('a server stream delivers messages and sees the client cancel', async () => {
    const stream = client.makeServerStreamRequest(definition.Ticks.path, definition.Ticks.requestSerialize, definition.Ticks.responseDeserialize, {});
    stream.on('error', () => undefined);
    const first = await new Promise((resolve) => stream.once('data', resolve));
    expect(first).toEqual({ tick: 1 });
    stream.cancel();
    for (let i = 0; i < 50 && !cancelled.includes('Ticks'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(cancelled).toContain('Ticks');
  });

  test('a bidirectional stream receives every client message before the client ends', async () => {
    const stream = client.makeBidiStreamRequest(definition.Sum.path, definition.Sum.requestSerialize, definition.Sum.responseDeserialize);
    const replies: unknown[] = [];
    stream.on('data', (value) => replies.push(value));
    const status = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve));
    for (const n of [1, 2, 39]) stream.write({ n });
    stream.end();
    expect((await status).code).toBe(grpc.status.OK);
    expect(replies).toEqual([{ sum: 42 }]);
  });
});
