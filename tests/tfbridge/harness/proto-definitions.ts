import type * as grpc from '@grpc/grpc-js';
import { protoDirectory } from '../../../bridges/terraform/plugin/proto-descriptor';
import { forEachServedService, type ServiceRole } from '../../../bridges/terraform/plugin/served-services';

/**
 * The gRPC service definitions parsed from bridges/terraform/proto by
 * proto-loader (about 20 ms): what the tests' Terraform-core client speaks,
 * and what the provider's start-up codec (proto-descriptor.json +
 * protobuf-codec.ts) is held to. Values use proto-loader's plain-object
 * form: snake_case fields as in the .proto, bytes as Buffer, enums by name,
 * int64 as number.
 */
export type ServiceDefinitions = Record<ServiceRole, grpc.ServiceDefinition>;

export const PROTO_LOADER_OPTIONS = { keepCase: true, longs: Number, enums: String, bytes: Buffer, defaults: true, oneofs: true } as const;

export function loadServiceDefinitions(): ServiceDefinitions {
  // Required here, not at import time, so modules that only need types stay cheap to load.
  const protoLoader = require('@grpc/proto-loader') as typeof import('@grpc/proto-loader');
  const dir = protoDirectory();
  const definition = protoLoader.loadSync(['tfplugin6.proto', 'go-plugin.proto', 'health.proto'], { ...PROTO_LOADER_OPTIONS, includeDirs: [dir] });
  const service = (name: string): grpc.ServiceDefinition => {
    const found = definition[name] as unknown as grpc.ServiceDefinition | undefined;
    if (found === undefined) throw new Error(`gRPC service ${name} missing from ${dir}`);
    return found;
  };
  return forEachServedService(service);
}
