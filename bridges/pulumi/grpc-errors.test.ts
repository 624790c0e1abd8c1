import { ApiError, CancelledError, ConfigError, NotFoundError, PartialCreateError, TimeoutError, ValidationError } from '../../core/base/errors';
import { GrpcStatus, grpcCodeOf, grpcMessageOf, initFailureOf, toGrpcError } from './grpc-errors';

const noSecrets = (text: string): string => text.replace(/s3cret/g, '[REDACTED]');
const api = { method: 'GET', path: '/api/v1/vm/x/status', serverMessage: 'nope' };

describe('errors as gRPC statuses for the Pulumi engine', () => {
  test('each kind of core error gets the status an engine understands', () => {
    expect(grpcCodeOf(new ValidationError('files[0].mode', 'must be octal'))).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(grpcCodeOf(new ConfigError('base_url', 'bad'))).toBe(GrpcStatus.FAILED_PRECONDITION);
    expect(grpcCodeOf(new NotFoundError({ ...api, status: 404 }))).toBe(GrpcStatus.NOT_FOUND);
    expect(grpcCodeOf(new TimeoutError('boot', 1000, 'VM did not boot'))).toBe(GrpcStatus.DEADLINE_EXCEEDED);
    expect(grpcCodeOf(new CancelledError('create'))).toBe(GrpcStatus.CANCELLED);
    expect(grpcCodeOf(new ApiError({ ...api, status: 500 }))).toBe(GrpcStatus.UNKNOWN);
    expect(grpcCodeOf(new TypeError('bug'))).toBe(GrpcStatus.INTERNAL);
  });

  test('a partial create takes the status of what went wrong', () => {
    expect(grpcCodeOf(new PartialCreateError('vm-1', {}, new CancelledError('boot')))).toBe(GrpcStatus.CANCELLED);
  });

  test('messages carry the stable code and never the secret', () => {
    expect(grpcMessageOf(new ValidationError('files[1].source', 'cannot be read: s3cret'), noSecrets)).toBe('files[1].source cannot be read: [REDACTED] (VALIDATION_FAILED)');
    expect(grpcMessageOf(new Error('boom s3cret'), noSecrets)).toBe('internal error in the vers provider: boom [REDACTED]');
  });

  test('a partial failure travels as ErrorResourceInitFailed details with the id, properties and reason', () => {
    const error = new PartialCreateError('vm-1', {}, new Error('boot failed'));
    const status = toGrpcError(error, noSecrets, { id: 'vm-1', properties: { state: 'dead' }, inputs: { vcpuCount: 1 } });
    expect(status.code).toBe(GrpcStatus.INTERNAL);
    expect(initFailureOf(status.metadata)).toEqual({ id: 'vm-1', properties: { state: 'dead' }, reasons: [status.details] });
    expect(initFailureOf(toGrpcError(error, noSecrets).metadata)).toBeUndefined();
  });
});
