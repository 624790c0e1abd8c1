import { GrpcServer, type GrpcCall, type GrpcMethodDefinition, type UnaryCallback, type UnaryHandler } from '../grpc/grpc-server';
import type { EngineLog } from './engine-log';
import type { ResourceProviderService } from './resource-provider-service';

/**
 * The plugin's gRPC server: the pulumirpc.ResourceProvider service on
 * node:http2 (bridges/grpc/grpc-server.ts), messages (de)serialized with the
 * google-protobuf classes that ship in `@pulumi/pulumi/proto`, bound to
 * 127.0.0.1 on a free port. Each RPC is an async method of
 * `ResourceProviderService`; errors become gRPC statuses (partial failures
 * with their details). RPCs not listed here (Construct, Call, Parameterize,
 * List, GetMapping) answer UNIMPLEMENTED, which the engine tolerates.
 *
 * The engine starts the plugin for every command, so the port is known (and
 * printed) before the message classes and the core load; they load right
 * after, or at the latest when the first request arrives.
 */
export interface ProviderServerOptions {
  /** Engine address (`host:port`) for Log calls; none → logs go to stderr. */
  engineAddress?: string;
  /** Environment for configuration (PULUMI_CONFIG, VERS_*). Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

export interface ProviderServer {
  port: number;
  /** Load the service now (idempotent); otherwise it loads with the first request. */
  load(): ResourceProviderService;
  /** Stop accepting calls, wait briefly for running ones, close the engine connection. */
  shutdown(): Promise<void>;
}

interface MessageClass {
  deserializeBinary(bytes: Uint8Array): unknown;
}

/** Each served RPC: the service method, the gRPC method name, and its request class. */
function rpcTable(): Array<[keyof ResourceProviderService, string, MessageClass]> {
  const pb = require('@pulumi/pulumi/proto/provider_pb') as typeof import('@pulumi/pulumi/proto/provider_pb');
  const { PluginAttach } = require('@pulumi/pulumi/proto/plugin_pb') as typeof import('@pulumi/pulumi/proto/plugin_pb');
  const { Empty } = require('google-protobuf/google/protobuf/empty_pb') as typeof import('google-protobuf/google/protobuf/empty_pb');
  return [
    ['handshake', 'Handshake', pb.ProviderHandshakeRequest],
    ['getPluginInfo', 'GetPluginInfo', Empty],
    ['getSchema', 'GetSchema', pb.GetSchemaRequest],
    ['attach', 'Attach', PluginAttach],
    ['cancel', 'Cancel', Empty],
    ['checkConfig', 'CheckConfig', pb.CheckRequest],
    ['diffConfig', 'DiffConfig', pb.DiffRequest],
    ['configure', 'Configure', pb.ConfigureRequest],
    ['check', 'Check', pb.CheckRequest],
    ['diff', 'Diff', pb.DiffRequest],
    ['create', 'Create', pb.CreateRequest],
    ['read', 'Read', pb.ReadRequest],
    ['update', 'Update', pb.UpdateRequest],
    ['delete', 'Delete', pb.DeleteRequest],
    ['invoke', 'Invoke', pb.InvokeRequest],
  ];
}

export async function startProviderServer(options: ProviderServerOptions = {}): Promise<ProviderServer> {
  const env = options.env ?? process.env;
  let service: ResourceProviderService | undefined;
  let engineLog: EngineLog | undefined;

  const load = (): ResourceProviderService => {
    if (service !== undefined) return service;
    const { EngineLog: Log } = require('./engine-log') as typeof import('./engine-log');
    const { ResourceProviderService: Service } = require('./resource-provider-service') as typeof import('./resource-provider-service');
    // The log scrubs with the service's redact, which knows the configured API key.
    const log: EngineLog = new Log({ engineAddress: options.engineAddress, redact: (text: string): string => created.redact(text) });
    const created: ResourceProviderService = new Service({ engineLog: log, env });
    const definition: Record<string, GrpcMethodDefinition> = {};
    const implementation: Record<string, UnaryHandler> = {};
    for (const [rpc, name, requestClass] of rpcTable()) {
      definition[rpc] = {
        path: `/pulumirpc.ResourceProvider/${name}`,
        requestStream: false,
        responseStream: false,
        requestDeserialize: (bytes: Buffer) => requestClass.deserializeBinary(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
        responseSerialize: (value: never) => Buffer.from((value as { serializeBinary(): Uint8Array }).serializeBinary()),
      };
      const method = (created[rpc] as (request: unknown) => Promise<unknown>).bind(created);
      implementation[rpc] = (call: GrpcCall, callback: UnaryCallback) => {
        method(call.request).then(
          (response) => callback(null, response),
          (error: unknown) => {
            const status = created.grpcError(error);
            callback(status, null, status.metadata);
          },
        );
      };
    }
    server.addService(definition, implementation);
    engineLog = log;
    service = created;
    return created;
  };

  const server = new GrpcServer({ beforeRequest: () => void load() });
  const port = await server.listen('127.0.0.1', 0);
  return {
    port,
    load,
    shutdown: async () => {
      await server.close(2000);
      service?.close();
      engineLog?.close();
    },
  };
}
