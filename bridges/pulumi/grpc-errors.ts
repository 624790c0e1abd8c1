import type { Metadata, StatusObject } from '@grpc/grpc-js';
import { PartialCreateError, ProviderError } from '../../core/base/errors';

/**
 * Errors → gRPC status for the engine. The message is what `pulumi up`
 * prints: the core's message (which names the property, the phase and what
 * to do), with its stable code, run through `redact`. A create that failed
 * after the resource came to exist becomes a partial failure: status details
 * `pulumirpc.ErrorResourceInitFailed` with the id and properties, so the
 * engine records the resource instead of leaking it.
 */

/** gRPC status codes (grpc-js `status`), spelled out so this module loads nothing at start-up. */
export const GrpcStatus = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  VALIDATION_FAILED: GrpcStatus.INVALID_ARGUMENT,
  UNKNOWN_TOKEN: GrpcStatus.INVALID_ARGUMENT,
  CONFIG_INVALID: GrpcStatus.FAILED_PRECONDITION,
  AUTH_FAILED: GrpcStatus.UNAUTHENTICATED,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  CONFLICT: GrpcStatus.ABORTED,
  QUOTA_EXCEEDED: GrpcStatus.RESOURCE_EXHAUSTED,
  NETWORK_ERROR: GrpcStatus.UNAVAILABLE,
  TIMEOUT: GrpcStatus.DEADLINE_EXCEEDED,
  CANCELLED: GrpcStatus.CANCELLED,
};

/** Partial-failure data: what to record for a resource that exists but did not finish. */
export interface ResourceInitFailure {
  id: string;
  /** Outputs in wire form (secrets wrapped). */
  properties: Record<string, unknown>;
  /** Inputs in wire form. */
  inputs?: Record<string, unknown>;
}

/** The gRPC status code for an error the core (or this bridge) threw. */
export function grpcCodeOf(error: unknown): number {
  if (error instanceof PartialCreateError) return grpcCodeOf(error.cause);
  if (error instanceof ProviderError) return STATUS_BY_CODE[error.code] ?? GrpcStatus.UNKNOWN;
  return GrpcStatus.INTERNAL;
}

/** The message the engine shows: what failed, with the stable code for anything the core threw on purpose. */
export function grpcMessageOf(error: unknown, redact: (text: string) => string): string {
  let text: string;
  if (error instanceof ProviderError) text = `${error.message} (${error.code})`;
  else if (error instanceof Error) text = `internal error in the vers provider: ${error.message}`;
  else text = `internal error in the vers provider: ${String(error)}`;
  return redact(text);
}

/** A gRPC error for the callback of a unary call. */
export function toGrpcError(error: unknown, redact: (text: string) => string, initFailure?: ResourceInitFailure): Partial<StatusObject> {
  const code = grpcCodeOf(error);
  const details = grpcMessageOf(error, redact);
  if (initFailure === undefined) return { code, details };
  return { code, details, metadata: initFailedMetadata(code, details, initFailure) };
}

function initFailedMetadata(code: number, message: string, failure: ResourceInitFailure): Metadata {
  // Loaded only on this rare path.
  const grpc = require('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
  const { Struct } = require('google-protobuf/google/protobuf/struct_pb') as typeof import('google-protobuf/google/protobuf/struct_pb');
  const { Any } = require('google-protobuf/google/protobuf/any_pb') as typeof import('google-protobuf/google/protobuf/any_pb');
  const { ErrorResourceInitFailed } = require('@pulumi/pulumi/proto/provider_pb') as typeof import('@pulumi/pulumi/proto/provider_pb');
  const { Status } = require('@pulumi/pulumi/proto/status_pb') as typeof import('@pulumi/pulumi/proto/status_pb');

  const detail = new ErrorResourceInitFailed();
  detail.setId(failure.id);
  detail.setProperties(Struct.fromJavaScript(failure.properties as Parameters<typeof Struct.fromJavaScript>[0]));
  if (failure.inputs !== undefined) detail.setInputs(Struct.fromJavaScript(failure.inputs as Parameters<typeof Struct.fromJavaScript>[0]));
  detail.setReasonsList([message]);
  const any = new Any();
  any.pack(detail.serializeBinary(), 'pulumirpc.ErrorResourceInitFailed');
  const status = new Status();
  status.setCode(code);
  status.setMessage(message);
  status.addDetails(any);
  const metadata = new grpc.Metadata();
  // The standard trailer for rich status details; the engine unpacks it.
  metadata.add('grpc-status-details-bin', Buffer.from(status.serializeBinary()));
  return metadata;
}

/** Read back a partial failure from an error's metadata (tests, mini engines). */
export function initFailureOf(metadata: Metadata | undefined): { id: string; properties: Record<string, unknown>; reasons: string[] } | undefined {
  const raw = metadata?.get('grpc-status-details-bin')[0];
  if (raw === undefined) return undefined;
  const { ErrorResourceInitFailed } = require('@pulumi/pulumi/proto/provider_pb') as typeof import('@pulumi/pulumi/proto/provider_pb');
  const { Status } = require('@pulumi/pulumi/proto/status_pb') as typeof import('@pulumi/pulumi/proto/status_pb');
  const status = Status.deserializeBinary(typeof raw === 'string' ? Buffer.from(raw, 'binary') : raw);
  for (const any of status.getDetailsList()) {
    const detail = any.unpack(ErrorResourceInitFailed.deserializeBinary, 'pulumirpc.ErrorResourceInitFailed');
    if (detail !== null) {
      return { id: detail.getId(), properties: detail.getProperties()?.toJavaScript() ?? {}, reasons: detail.getReasonsList() };
    }
  }
  return undefined;
}
