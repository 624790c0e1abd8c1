import type { ApiRequest } from './request';
import { json, type Reply } from './reply';

/** `POST /keys/validate` and `GET /system/version`. */

/** Reaching this handler means the key passed the auth check (the proxy answers 403 otherwise). */
export async function validateKey(_req: ApiRequest): Promise<Reply> {
  return json(200, { valid: true, message: 'API key is valid' });
}

export async function systemVersion(_req: ApiRequest): Promise<Reply> {
  return json(200, { executable_name: 'orchestrator', workspace_version: '0.1.0', git_hash: 'vers-local' });
}
