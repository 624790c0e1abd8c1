import type * as grpc from '@grpc/grpc-js';
import type { BridgeBackend } from './backend';
import { StderrLogger } from './log/stderr-logger';
import { startPluginServer, type RunningPluginServer } from './plugin/plugin-server';
import { rpcStatsTimer, type RpcTimer } from './plugin/rpc-stats';
import { ProviderService } from './provider-service';
import type { NameMap } from './schema/name-map';
import type { TfProviderSchema } from './schema/tf-schema';

/**
 * Runs a Terraform provider process: the go-plugin server with the
 * tfplugin6.Provider service bound to `backend`. main.ts calls it with the
 * generated schema and the real core.
 */
export interface ServeOptions {
  schema: TfProviderSchema;
  names: NameMap;
  backend: BridgeBackend;
  /** Default: a StderrLogger honouring TF_LOG_PROVIDER / TF_LOG. */
  logger?: StderrLogger;
  env?: NodeJS.ProcessEnv;
}

/** Every tfplugin6 RPC the service answers; anything else is UNIMPLEMENTED. */
const RPCS = [
  'GetMetadata',
  'GetProviderSchema',
  'ValidateProviderConfig',
  'ValidateResourceConfig',
  'ValidateDataResourceConfig',
  'UpgradeResourceState',
  'ConfigureProvider',
  'ReadResource',
  'PlanResourceChange',
  'ApplyResourceChange',
  'ImportResourceState',
  'ReadDataSource',
  'GetFunctions',
  'CallFunction',
  'StopProvider',
] as const;

type Rpc = (typeof RPCS)[number];

export function providerHandlers(service: ProviderService, timer?: RpcTimer): grpc.UntypedServiceImplementation {
  const bodies: Record<Rpc, (request: never) => unknown> = {
    GetMetadata: () => service.getMetadata(),
    GetProviderSchema: () => service.getProviderSchema(),
    ValidateProviderConfig: (request) => service.validateProviderConfig(request),
    ValidateResourceConfig: (request) => service.validateResourceConfig(request),
    ValidateDataResourceConfig: (request) => service.validateDataResourceConfig(request),
    UpgradeResourceState: (request) => service.upgradeResourceState(request),
    ConfigureProvider: (request) => service.configureProvider(request),
    ReadResource: (request) => service.readResource(request),
    PlanResourceChange: (request) => service.planResourceChange(request),
    ApplyResourceChange: (request) => service.applyResourceChange(request),
    ImportResourceState: (request) => service.importResourceState(request),
    ReadDataSource: (request) => service.readDataSource(request),
    GetFunctions: () => service.getFunctions(),
    CallFunction: (request) => service.callFunction(request),
    StopProvider: () => service.stopProvider(),
  };
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const rpc of RPCS) {
    handlers[rpc] = (call: grpc.ServerUnaryCall<{ type_name?: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const typeName = call.request.type_name || undefined;
      const done = timer?.(rpc, typeName);
      void service.guard(rpc, typeName, () => bodies[rpc](call.request as never)).then((response) => {
        done?.();
        callback(null, response);
      });
    };
  }
  return handlers;
}

export async function serve(options: ServeOptions): Promise<RunningPluginServer | undefined> {
  const logger = options.logger ?? new StderrLogger();
  const service = new ProviderService({ schema: options.schema, names: options.names, backend: options.backend, logger });
  const env = options.env ?? process.env;
  return startPluginServer({ logger, env, providerHandlers: () => providerHandlers(service, rpcStatsTimer(env)) });
}
