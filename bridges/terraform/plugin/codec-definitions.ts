import { readPackageFile } from '../../../core/base/package-files';
import type { GrpcMethodDefinition } from '../../grpc/grpc-server';
import { DESCRIPTOR_PACKAGE_PATH, type ProtoDescriptor } from './proto-descriptor';
import { ProtobufCodec } from './protobuf-codec';
import { forEachServedService, type ServiceRole } from './served-services';

/**
 * The services the provider serves, as method definitions for
 * bridges/grpc/grpc-server.ts, built from proto-descriptor.json and the
 * small codec (no .proto parsing, no protobufjs): about 1 ms.
 */
export type CodecServiceDefinition = Readonly<Record<string, GrpcMethodDefinition>>;

export type CodecServiceDefinitions = Record<ServiceRole, CodecServiceDefinition>;

export function codecServiceDefinitions(): CodecServiceDefinitions {
  const descriptor = JSON.parse(readPackageFile(DESCRIPTOR_PACKAGE_PATH)) as ProtoDescriptor;
  const codec = new ProtobufCodec(descriptor);
  const service = (name: string): CodecServiceDefinition => {
    const methods = descriptor.services[name];
    if (methods === undefined) throw new Error(`gRPC service ${name} missing from ${DESCRIPTOR_PACKAGE_PATH}`);
    const out: Record<string, GrpcMethodDefinition> = {};
    for (const [methodName, method] of Object.entries(methods)) {
      out[methodName] = {
        path: `/${name}/${methodName}`,
        requestStream: method.requestStream === true,
        responseStream: method.responseStream === true,
        requestDeserialize: (bytes: Buffer) => codec.decode(method.requestType, bytes),
        responseSerialize: (value: never) => codec.encode(method.responseType, value as Record<string, unknown>),
      };
    }
    return out;
  };
  return forEachServedService(service);
}
