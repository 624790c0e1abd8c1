import * as grpc from '@grpc/grpc-js';
import { ResourceProviderService as ResourceProviderDefinition } from '@pulumi/pulumi/proto/provider_grpc_pb';
import { EngineLog } from './engine-log';
import { ResourceProviderService } from './resource-provider-service';

/**
 * The plugin's gRPC server: the ResourceProvider service of the stubs that
 * ship in `@pulumi/pulumi/proto`, bound to 127.0.0.1 on a free port. Each
 * RPC is an async method of `ResourceProviderService`; errors become gRPC
 * statuses (partial failures with their details). RPCs not listed here
 * (Construct, Call, Parameterize, List, GetMapping) answer UNIMPLEMENTED,
 * which the engine tolerates.
 */
export interface ProviderServerOptions {
  /** Engine address (`host:port`) for Log calls; none → logs go to stderr. */
  engineAddress?: string;
  /** Environment for configuration (PULUMI_CONFIG, VERS_*). Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

export interface ProviderServer {
  port: number;
  service: ResourceProviderService;
  /** Stop accepting calls, wait briefly for running ones, close the engine connection. */
  shutdown(): Promise<void>;
}

const RPCS = [
  'handshake',
  'getPluginInfo',
  'getSchema',
  'attach',
  'cancel',
  'checkConfig',
  'diffConfig',
  'configure',
  'check',
  'diff',
  'create',
  'read',
  'update',
  'delete',
  'invoke',
] as const;

export async function startProviderServer(options: ProviderServerOptions = {}): Promise<ProviderServer> {
  const env = options.env ?? process.env;
  // The log scrubs with the service's redact, which knows the configured API key.
  const engineLog: EngineLog = new EngineLog({ engineAddress: options.engineAddress, redact: (text: string): string => service.redact(text) });
  const service: ResourceProviderService = new ResourceProviderService({ engineLog, env });

  const implementation: grpc.UntypedServiceImplementation = {};
  for (const rpc of RPCS) {
    const method = (service[rpc] as (request: unknown) => Promise<unknown>).bind(service);
    implementation[rpc] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      method(call.request).then(
        (response) => callback(null, response),
        (error: unknown) => {
          const status = service.grpcError(error);
          callback(status, null, status.metadata);
        },
      );
    };
  }

  // Large schema and property payloads: lift the 4 MiB default like the engine does.
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 400 * 1024 * 1024 });
  server.addService(ResourceProviderDefinition, implementation);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
  });
  return {
    port,
    service,
    shutdown: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.forceShutdown(), 2000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          service.close();
          engineLog.close();
          resolve();
        });
      }),
  };
}
