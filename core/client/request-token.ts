import { createHash, randomUUID } from 'node:crypto';

/**
 * The label the client puts on every VM it creates: the request token of
 * the create call. A root VM carries it from creation; a restored or
 * branched VM gets it right after Vers returns its id. After a lost answer
 * it tells this call's VM apart (roots), and any VM that carries another
 * call's token is never taken for this one. Callers hide it from users with
 * `withoutRequestToken`.
 */
export const REQUEST_TOKEN_LABEL = 'vers.sh/request-token';

/** The labels users set: everything but the client's request token. */
export function withoutRequestToken(labels: Readonly<Record<string, string>> | null | undefined): Record<string, string> {
  const copy = { ...(labels ?? {}) };
  delete copy[REQUEST_TOKEN_LABEL];
  return copy;
}

/**
 * The token of a create: derived from `instanceKey` when the engine gives
 * one that is stable across runs and unique per resource instance (Pulumi's
 * URN), so a later create of the same instance can find the VM an
 * interrupted one made; otherwise random. Shaped like a UUID either way.
 */
export function requestTokenFor(instanceKey: string | undefined): string {
  if (instanceKey === undefined || instanceKey === '') return randomUUID();
  const hex = createHash('sha256').update(`vers-request-token:${instanceKey}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
