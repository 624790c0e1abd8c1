import { ApiError } from '../base/errors';
import type { RawResponse } from './request-runner';

/**
 * Light checks of success bodies: the fields the core relies on must be
 * there with the right type; unknown extra fields are accepted (the server
 * adds fields over time).
 */

type FieldType = 'string' | 'number' | 'boolean' | 'array' | 'object';

export function parseJsonBody(response: RawResponse, what: string): unknown {
  try {
    return JSON.parse(response.body) as unknown;
  } catch (error) {
    throw badResponse(response, `${what}: the body is not JSON`, error);
  }
}

/** Parse an object body and check `required` fields' types. */
export function parseObject<T>(response: RawResponse, what: string, required: Readonly<Record<string, FieldType>>): T {
  const value = parseJsonBody(response, what);
  checkObject(response, value, what, required);
  return value as T;
}

/** Parse an array body whose elements each have the `required` fields. */
export function parseArray<T>(response: RawResponse, what: string, required: Readonly<Record<string, FieldType>>): T[] {
  const value = parseJsonBody(response, what);
  if (!Array.isArray(value)) throw badResponse(response, `${what}: expected a JSON array`);
  value.forEach((item, index) => checkObject(response, item, `${what}[${index}]`, required));
  return value as T[];
}

export function checkObject(response: RawResponse, value: unknown, what: string, required: Readonly<Record<string, FieldType>>): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badResponse(response, `${what}: expected a JSON object`);
  for (const [field, type] of Object.entries(required)) {
    const fieldValue = (value as Record<string, unknown>)[field];
    const actual = Array.isArray(fieldValue) ? 'array' : fieldValue === null ? 'null' : typeof fieldValue;
    if (actual !== type) throw badResponse(response, `${what}: field ${field} should be ${type}, got ${actual}`);
  }
}

export function badResponse(response: RawResponse, reason: string, cause?: unknown): ApiError {
  return new ApiError(
    {
      method: response.method,
      path: response.path,
      status: response.status,
      serverMessage: `unexpected response (${reason})`,
      ...(response.requestId === undefined ? {} : { requestId: response.requestId }),
      ...(cause === undefined ? {} : { cause }),
    },
    'API_BAD_RESPONSE',
    'the server answered in a shape this provider does not understand; check that base_url points at a Vers API',
  );
}
