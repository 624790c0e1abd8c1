import type { GrpcCall, UnaryCallback, UnaryHandler } from '../grpc/grpc-server';
import type { BridgeBackend } from './backend';
import { StderrLogger } from './log/stderr-logger';
import { startPluginServer, type RunningPluginServer } from './plugin/plugin-server';
import { rpcStatsTimer, type RpcTimer } from './plugin/rpc-stats';
import type { ProviderService } from './provider-service';
import type { NameMap } from './schema/name-map';
import type { TfProviderSchema } from './schema/tf-schema';

/**
 * Runs a Terraform provider process: the go-plugin server with the
 * tfplugin6.Provider service bound to `backend`. main.ts calls it with a
 * function returning the generated schema and the real core, called after
 * the handshake line (a function's options cannot set `logger` or `env`).
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

export function providerHandlers(service: ProviderService, timer?: RpcTimer): Record<string, UnaryHandler> {
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
  const handlers: Record<string, UnaryHandler> = {};
  for (const rpc of RPCS) {
    handlers[rpc] = (call: GrpcCall, callback: UnaryCallback) => {
      const request = call.request as { type_name?: string };
      const typeName = request.type_name || undefined;
      const done = timer?.(rpc, typeName);
      void service.guard(rpc, typeName, () => bodies[rpc](request as never)).then((response) => {
        done?.();
        callback(null, response);
      });
    };
  }
  return handlers;
}

export async function serve(options: ServeOptions | (() => ServeOptions)): Promise<RunningPluginServer | undefined> {
  let resolved: ServeOptions | undefined = typeof options === 'function' ? undefined : options;
  const logger = resolved?.logger ?? new StderrLogger();
  const env = resolved?.env ?? process.env;
  return startPluginServer({
    logger,
    env,
    // After the handshake line: the service pulls in msgpack, cty and (on first use) the core.
    providerHandlers: () => {
      resolved ??= (options as () => ServeOptions)();
      const { ProviderService: Service } = require('./provider-service') as typeof import('./provider-service');
      const service = new Service({ schema: resolved.schema, names: resolved.names, backend: resolved.backend, logger });
      return providerHandlers(service, rpcStatsTimer(env));
    },
  });
}
