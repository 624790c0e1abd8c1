import { ApiError, AuthError, ConflictError, NotFoundError, QuotaError } from '../base/errors';
import { errorFromResponse, type FailedResponse } from './error-from-response';

const base: FailedResponse = { method: 'POST', path: '/api/v1/vm/new_root', status: 500, contentType: 'application/json', body: '', requestId: 'rid' };

describe('errorFromResponse', () => {
  test('JSON {"success":false,"error"} bodies give the server message', () => {
    const error = errorFromResponse({ ...base, status: 404, body: '{"success":false,"error":"vm not found"}' });
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.serverMessage).toBe('vm not found');
    expect(error.requestId).toBe('rid');
  });

  test('hybrid {"vms":[…],"error"} bodies give the message and the partial VM ids', () => {
    const error = errorFromResponse({ ...base, status: 404, body: '{"vms":[],"error":"parent vm not found"}' });
    expect(error.serverMessage).toBe('parent vm not found');
    expect(error.partialVmIds).toEqual([]);
  });

  test('the plain-text "403 Forbidden" of the gateway is an AuthError', () => {
    const error = errorFromResponse({ ...base, status: 403, contentType: undefined, body: '403 Forbidden' });
    expect(error).toBeInstanceOf(AuthError);
  });

  test('a JSON "Forbidden" (a VM of another org, or a deleted one) is not an auth error', () => {
    const error = errorFromResponse({ ...base, method: 'DELETE', status: 403, body: '{"error":"Forbidden","success":false}' });
    expect(error).not.toBeInstanceOf(AuthError);
    expect(error.code).toBe('API_FORBIDDEN');
  });

  test('quota messages are QuotaErrors', () => {
    const body = JSON.stringify({ success: false, error: 'Memory limit exceeded: this VM requires 4096 MiB, but org is using 14336/16384 MiB' });
    expect(errorFromResponse({ ...base, status: 403, body })).toBeInstanceOf(QuotaError);
  });

  test('plain-text axum rejections keep their text', () => {
    const text = 'Failed to deserialize the JSON body into the target type: state: unknown variant `running`';
    const error = errorFromResponse({ ...base, status: 422, contentType: 'text/plain; charset=utf-8', body: text });
    expect(error.code).toBe('API_BAD_REQUEST');
    expect(error.serverMessage).toBe(text);
    expect(error.message).toContain('HTTP 422');
  });

  test('409 is a ConflictError and an empty 404 still is a NotFoundError', () => {
    expect(errorFromResponse({ ...base, status: 409, body: '{"success":false,"error":"commit still has 2 active VM(s)"}' })).toBeInstanceOf(ConflictError);
    const empty = errorFromResponse({ ...base, status: 404, contentType: undefined, body: '' });
    expect(empty).toBeInstanceOf(NotFoundError);
    expect(empty.message).toContain('(empty body)');
  });

  test('huge bodies are bounded', () => {
    const error = errorFromResponse({ ...base, status: 502, contentType: 'text/html', body: 'x'.repeat(100_000) });
    expect(error).toBeInstanceOf(ApiError);
    expect(error.serverMessage.length).toBeLessThan(2100);
  });
});
