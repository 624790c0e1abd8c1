import { ApiError, type ApiErrorDetails, AuthError, ConflictError, NotFoundError, QuotaError } from '../base/errors';

/** What the client saw of a failed HTTP exchange. */
export interface FailedResponse {
  method: string;
  path: string;
  status: number;
  contentType: string | undefined;
  body: string;
  requestId: string | undefined;
  operation?: string;
  resource?: string;
}

const MAX_SERVER_MESSAGE = 2000;
const QUOTA_MESSAGE = /\b(vCPU|Memory) limit exceeded\b/i;

/**
 * Turn an error response into the matching typed error. Both body kinds the
 * real server sends are understood: JSON `{"success":false,"error"}` or
 * `{"vms":[…],"error"}`, and plain text (`403 Forbidden`, axum rejections).
 */
export function errorFromResponse(response: FailedResponse): ApiError {
  const { serverMessage, partialVmIds } = parseErrorBody(response.body, response.contentType);
  const details: ApiErrorDetails = {
    method: response.method,
    path: response.path,
    status: response.status,
    serverMessage,
    ...(partialVmIds.length > 0 ? { partialVmIds } : {}),
    ...(response.requestId !== undefined ? { requestId: response.requestId } : {}),
    ...(response.operation !== undefined ? { operation: response.operation } : {}),
    ...(response.resource !== undefined ? { resource: response.resource } : {}),
  };
  switch (response.status) {
    case 401:
      return new AuthError(details);
    case 403:
      if (QUOTA_MESSAGE.test(serverMessage)) return new QuotaError(details);
      // The gateway's auth failure is the literal text body "403 Forbidden"; a JSON "Forbidden" is about the resource.
      if (!isJson(response.contentType) && /^403 Forbidden$/i.test(serverMessage.trim())) return new AuthError(details);
      return new ApiError(details, 'API_FORBIDDEN', 'the API key may not access this resource (it may belong to another organisation, or no longer exist)');
    case 404:
      return new NotFoundError(details);
    case 409:
      return new ConflictError(details);
    case 429:
      return new ApiError(details, 'API_RATE_LIMITED', 'the API is rate limiting requests; retry later');
    default:
      if (response.status >= 500) return new ApiError(details, 'API_SERVER_ERROR', 'the Vers server failed; retry later, and quote the request id if it persists');
      return new ApiError(details, response.status >= 400 && response.status < 500 ? 'API_BAD_REQUEST' : 'API_ERROR');
  }
}

function isJson(contentType: string | undefined): boolean {
  return contentType !== undefined && /^application\/([a-z0-9.+-]*\+)?json\b/i.test(contentType.trim());
}

function parseErrorBody(body: string, contentType: string | undefined): { serverMessage: string; partialVmIds: string[] } {
  const text = body.trim();
  // Some error paths send JSON without the header; try JSON whenever it looks like an object.
  if (isJson(contentType) || text.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
        const record = parsed as Record<string, unknown>;
        const message = typeof record.error === 'string' ? record.error : typeof record.message === 'string' ? record.message : text;
        const partialVmIds = Array.isArray(record.vms)
          ? record.vms.flatMap((vm: unknown) => (vm !== null && typeof vm === 'object' && typeof (vm as { vm_id?: unknown }).vm_id === 'string' ? [(vm as { vm_id: string }).vm_id] : []))
          : [];
        return { serverMessage: bound(message), partialVmIds };
      }
    } catch {
      // Not JSON after all: fall through to the raw text.
    }
  }
  return { serverMessage: bound(text), partialVmIds: [] };
}

function bound(text: string): string {
  return text.length > MAX_SERVER_MESSAGE ? `${text.slice(0, MAX_SERVER_MESSAGE)}…` : text;
}
