import {
  ApiError,
  AuthError,
  CancelledError,
  CommandFailedError,
  ConfigError,
  ConflictError,
  CreateOutcomeUnknownError,
  HostKeyMismatchError,
  NotFoundError,
  PartialCreateError,
  ProviderError,
  QuotaError,
  SshError,
  TimeoutError,
  ValidationError,
} from './errors';

const details = { method: 'GET', path: '/api/v1/vm/x/status', status: 404, serverMessage: 'not found', requestId: 'req-1', operation: 'getVmStatus', resource: 'x' };

describe('the error hierarchy', () => {
  test('every class is a ProviderError with a stable code and its own name', () => {
    const cases: Array<[ProviderError, string]> = [
      [new ConfigError('base_url', 'bad'), 'CONFIG_INVALID'],
      [new ValidationError('files[0].mode', 'must be octal'), 'VALIDATION_FAILED'],
      [new ApiError({ ...details, status: 400 }), 'API_ERROR'],
      [new AuthError({ ...details, status: 403 }), 'AUTH_FAILED'],
      [new NotFoundError(details), 'NOT_FOUND'],
      [new ConflictError({ ...details, status: 409 }), 'CONFLICT'],
      [new QuotaError({ ...details, status: 403 }), 'QUOTA_EXCEEDED'],
      [new TimeoutError('boot', 5000, 'still booting'), 'TIMEOUT'],
      [new SshError('handshake failed'), 'SSH_FAILED'],
      [new HostKeyMismatchError('h', 'SHA256:a', 'SHA256:b'), 'HOST_KEY_MISMATCH'],
      [new CommandFailedError('commands[0]', 1, ''), 'COMMAND_FAILED'],
      [new CancelledError('create'), 'CANCELLED'],
      [new PartialCreateError('vm-1', { vmId: 'vm-1' }, new Error('boot failed')), 'PARTIAL_CREATE'],
      [new CreateOutcomeUnknownError('which VM?', { candidateVmIds: ['vm-1', 'vm-2'] }), 'CREATE_OUTCOME_UNKNOWN'],
    ];
    for (const [error, code] of cases) {
      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toBeInstanceOf(Error);
      expect(error.code).toBe(code);
      expect(error.name).toBe(error.constructor.name);
    }
    expect(new AuthError(details)).toBeInstanceOf(ApiError);
    expect(new HostKeyMismatchError('h', 'a', 'b')).toBeInstanceOf(SshError);
  });

  test('an ApiError message names the call, status, server message and request id', () => {
    const error = new NotFoundError(details);
    expect(error.message).toBe('Vers API GET /api/v1/vm/x/status failed with HTTP 404: "not found" [request id req-1]');
    expect(error.requestId).toBe('req-1');
    expect(error.operation).toBe('getVmStatus');
    expect(error.resource).toBe('x');
  });

  test('causes are kept as the standard cause', () => {
    const cause = new Error('socket hang up');
    expect(new SshError('lost', { cause }).cause).toBe(cause);
  });

  test('ValidationError carries the property path and rule', () => {
    const error = new ValidationError('files[1].destination', 'must be an absolute path');
    expect(error.property).toBe('files[1].destination');
    expect(error.rule).toBe('must be an absolute path');
    expect(error.message).toBe('files[1].destination must be an absolute path');
  });

  test('TimeoutError names the phase and the limit', () => {
    const error = new TimeoutError('ssh-connect', 120_000, 'VM did not accept SSH');
    expect(error.message).toBe('VM did not accept SSH (ssh-connect limit 2m)');
    expect(error.limitMs).toBe(120_000);
  });

  test('CommandFailedError names the command by position, with exit code and stderr tail', () => {
    const error = new CommandFailedError('commands[2]', 100, 'E: Unable to locate package nope\n');
    expect(error.message).toContain('commands[2] exited with code 100');
    expect(error.message).toContain('E: Unable to locate package nope');
    expect(new CommandFailedError('commands[0]', null, '', { signal: 'KILL' }).message).toContain('killed by signal KILL');
  });

  test('HostKeyMismatchError says expected and seen', () => {
    const error = new HostKeyMismatchError('vm.example', 'SHA256:old', 'SHA256:new');
    expect(error.message).toContain('expected SHA256:old');
    expect(error.message).toContain('SHA256:new');
    expect(error.expected).toBe('SHA256:old');
    expect(error.seen).toBe('SHA256:new');
  });

  test('PartialCreateError carries id and outs for the engine to record', () => {
    const error = new PartialCreateError('vm-1', { vmId: 'vm-1', state: 'booting' }, new Error('boot timed out'));
    expect(error.id).toBe('vm-1');
    expect(error.outs).toEqual({ vmId: 'vm-1', state: 'booting' });
    expect(error.message).toContain('boot timed out');
  });
});
