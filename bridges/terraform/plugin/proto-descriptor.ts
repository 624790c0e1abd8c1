import { join } from 'node:path';
import { repoRoot } from '../../../core/base/repo-root';

/**
 * A compact, pre-resolved description of the gRPC services the provider
 * serves (tfplugin6, go-plugin's side services, grpc.health.v1), generated
 * from bridges/terraform/proto into proto-descriptor.json by
 * codegen/terraform/proto-descriptor-generate.ts (`make generate`). Reading this JSON costs well under a
 * millisecond; parsing the .proto files at start-up cost about 40 ms.
 */

export type ScalarType =
  | 'double' | 'float' | 'int32' | 'int64' | 'uint32' | 'uint64' | 'sint32' | 'sint64'
  | 'fixed32' | 'fixed64' | 'sfixed32' | 'sfixed64' | 'bool' | 'string' | 'bytes';

export interface FieldDescriptor {
  name: string;
  id: number;
  /** A scalar type name, or the full name of an enum or message (without leading dot). */
  type: string;
  kind: 'scalar' | 'enum' | 'message';
  repeated?: true;
  /** Set for map fields: the key's scalar type (`type`/`kind` describe the value). */
  keyType?: ScalarType;
  /** The oneof this field belongs to (proto3 `optional` fields have a synthetic one). */
  oneof?: string;
}

export interface MessageDescriptor {
  fields: FieldDescriptor[];
}

export interface MethodDescriptor {
  requestType: string;
  responseType: string;
  requestStream?: true;
  responseStream?: true;
}

export interface ProtoDescriptor {
  /** Banner: generated, do not edit. */
  generated: string;
  messages: Record<string, MessageDescriptor>;
  /** Enum full name → value name → number. */
  enums: Record<string, Record<string, number>>;
  /** Service full name → method name → method. */
  services: Record<string, Record<string, MethodDescriptor>>;
}

export const DESCRIPTOR_FILE = 'proto-descriptor.json';
/** The descriptor's path from the package root (readPackageFile). */
export const DESCRIPTOR_PACKAGE_PATH = `bridges/terraform/plugin/${DESCRIPTOR_FILE}`;

export function descriptorPath(): string {
  return join(repoRoot(), 'bridges', 'terraform', 'plugin', DESCRIPTOR_FILE);
}

/** The .proto files the descriptor is generated from. */
export function protoDirectory(): string {
  return join(repoRoot(), 'bridges', 'terraform', 'proto');
}
