import { randomUUID } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Got, Response as GotResponse } from 'got' with { 'resolution-mode': 'import' };
import { sleep } from '../base/backoff';
import { type ApiError, CancelledError, formatDuration, NetworkError, ProviderError, TimeoutError } from '../base/errors';
import type { Logger } from '../base/logging';
import { type ResolvedProviderConfig, redact, requireApiKey, trustedCertificates } from '../settings';
import { errorFromResponse } from './error-from-response';
import type { ResolvedDeadlines, ResolvedRetryOptions, ResolvedTimeouts } from './options';
import type { ServerClock } from './server-clock';
import { isRetryableStatus, NOT_SENT_NETWORK_CODES, parseRetryAfter, RETRYABLE_NETWORK_CODES, retryDelay } from './retry';

/**
 * Runs API calls: one got request per attempt, typed errors, and the retry
 * rules. Retrying is decided by what a repeat could do to the server:
 * - `idempotent` calls (GET, PATCH state/labels/commit, DELETE) repeat on
 *   connection errors, 408, 429 and 5xx;
 * - `create` calls repeat only when the request provably did not reach the
 *   server (connection refused, DNS, connect timeout, 429), or, after an
 *   ambiguous failure, when `recover` finds no trace of the first attempt.
 *   The last attempt's ambiguous failure is looked into too, before giving up.
 * Every call has one deadline (ClientOptions.deadlines) that its attempts,
 * waits and recovery share; the error of a call that runs out says how many
 * attempts it made in how long.
 */

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface CallSpec<T> {
  /** Client method name, for messages and logs. */
  operation: string;
  method: HttpMethod;
  /** Path below `/api/v1`, starting with `/`; ids already URL-encoded. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** JSON body; omitted = no body and no content-type. */
  body?: unknown;
  timeout: keyof ResolvedTimeouts;
  kind: 'idempotent' | 'create';
  /**
   * For `create` calls whose result is recognisable: after an attempt whose
   * answer was lost, find what it made (undefined: it made nothing, so the
   * call may be sent again). Throws CreateOutcomeUnknownError when that
   * cannot be known.
   */
  recover?: (context: RecoveryContext) => Promise<T | undefined>;
  parse: (response: RawResponse) => T;
  resource?: string;
  signal?: AbortSignal;
  /** An earlier end than the call's own deadline (local epoch ms), for calls made on behalf of another call. */
  deadlineAt?: number;
  /** Told the local send and receive times of the attempt that succeeded, and its result (what it created lies between them). */
  onAnswered?: (sentAt: number, receivedAt: number, result: T) => void;
}

/** What a recovery gets: the lost attempt's failure and the call's deadline. */
export interface RecoveryContext {
  /** The failure of the attempt whose answer was lost. */
  failure: ProviderError;
  /** Local epoch ms by which the call must end; the recovery's own reads retry until then. */
  deadlineAt: number;
  /** No attempt follows: what the recovery does not find is the caller's failure. */
  last: boolean;
  signal?: AbortSignal;
}

export interface RawResponse {
  status: number;
  contentType: string | undefined;
  body: string;
  requestId: string | undefined;
  method: HttpMethod;
  path: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Local epoch ms when the attempt was sent and when its answer arrived. */
  sentAt: number;
  receivedAt: number;
}

interface NetworkFailure {
  code: string;
  /** The request cannot have reached the server. */
  notSent: boolean;
  error: ProviderError;
}

type GotModule = typeof import('got', { with: { 'resolution-mode': 'import' } });
let gotModule: Promise<GotModule> | undefined;

/** got is ESM-only: load it once, with a real dynamic import (tsc keeps it under module node16). */
function loadGot(): Promise<GotModule> {
  gotModule ??= import('got');
  return gotModule;
}

const API_PREFIX_PATH = '/api/v1';
/** Time kept free at the end of a recoverable create's deadline to look for a lost answer's result: a quarter of it, at most this, ms. */
const SEARCH_RESERVE_MS = 30_000;
/** Connect phases are bounded separately so a timeout there is known to be "not sent". */
const CONNECT_TIMEOUT_MS = 15_000;

export class RequestRunner {
  private readonly httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 16 });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 16 });
  // Creates go over fresh connections: a reused idle socket the server just closed fails with
  // ECONNRESET, which for a create is ambiguous (sent or not?) and therefore not retryable.
  private readonly freshHttpAgent = new HttpAgent({ keepAlive: false });
  private readonly freshHttpsAgent = new HttpsAgent({ keepAlive: false });
  private instance: Got | undefined;

  constructor(
    private readonly config: ResolvedProviderConfig,
    private readonly retry: ResolvedRetryOptions,
    private readonly timeouts: ResolvedTimeouts,
    private readonly deadlines: ResolvedDeadlines,
    private readonly logger: Logger | undefined,
    private readonly userAgent: string,
    /** Learns the server's clock from every answer's Date header. */
    private readonly clock: ServerClock,
  ) {}

  /** Close the keep-alive sockets; the runner must not be used afterwards. */
  close(): void {
    for (const agent of [this.httpAgent, this.httpsAgent, this.freshHttpAgent, this.freshHttpsAgent]) agent.destroy();
  }

  async call<T>(spec: CallSpec<T>): Promise<T> {
    const apiKey = requireApiKey(this.config);
    const requestId = randomUUID();
    const fullPath = `${API_PREFIX_PATH}${spec.path}`;
    const startedAt = Date.now();
    const deadlineAt = Math.min(startedAt + this.deadlines[spec.timeout], spec.deadlineAt ?? Infinity);
    // Attempts stop early enough for the last lost answer's result to be looked for before the deadline.
    const attemptsEndAt = deadlineAt - (spec.recover === undefined ? 0 : Math.min(SEARCH_RESERVE_MS, (deadlineAt - startedAt) / 4));
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(spec.signal, spec.operation);
      const outcome = await this.attempt(spec, apiKey, requestId, attempt, Math.max(1, Math.min(this.timeouts[spec.timeout], attemptsEndAt - Date.now())));
      if ('status' in outcome && outcome.status >= 200 && outcome.status < 300) {
        const parsed = spec.parse(outcome);
        spec.onAnswered?.(outcome.sentAt, outcome.receivedAt, parsed);
        return parsed;
      }

      let failure: ProviderError;
      let retryable: boolean;
      let ambiguous = false;
      let retryAfterMs: number | undefined;
      if ('status' in outcome) {
        failure = this.apiError(spec, outcome);
        retryAfterMs = parseRetryAfter(headerValue(outcome.headers['retry-after']));
        if (spec.kind === 'idempotent') retryable = isRetryableStatus(outcome.status);
        else if (outcome.status === 429) retryable = true;
        else {
          ambiguous = outcome.status === 408 || outcome.status >= 500;
          retryable = ambiguous && spec.recover !== undefined;
        }
      } else {
        failure = outcome.error;
        if (spec.kind === 'idempotent') retryable = RETRYABLE_NETWORK_CODES.has(outcome.code);
        else if (outcome.notSent) retryable = true;
        else {
          ambiguous = true;
          retryable = spec.recover !== undefined;
        }
      }
      const allowed = retryable ? retryDelay(attempt, retryAfterMs, this.retry) : undefined;
      // Another attempt needs the wait and some time to run before the deadline.
      const delay = allowed !== undefined && Date.now() + allowed < attemptsEndAt ? allowed : undefined;
      const outOfTime = allowed !== undefined && delay === undefined;
      if (ambiguous && spec.recover !== undefined) {
        // The failed attempt may have reached the server: look for its result before sending again,
        // and before giving up.
        if (delay !== undefined) {
          this.debug(`${spec.method} ${fullPath} attempt ${attempt} failed (${failure.code}); looking for its result in ${delay} ms [request id ${requestId}]`);
          await sleep(delay, spec.signal, spec.operation);
        }
        const found = await spec.recover({ failure, deadlineAt, last: delay === undefined, ...(spec.signal === undefined ? {} : { signal: spec.signal }) });
        if (found !== undefined) {
          this.debug(`${spec.operation}: the failed attempt had succeeded on the server; using its result`);
          return found;
        }
        if (delay === undefined) throw this.gaveUp(spec, failure, attempt, startedAt, outOfTime ? deadlineAt : Date.now());
        continue;
      }
      if (delay === undefined) throw this.gaveUp(spec, failure, attempt, startedAt, outOfTime ? deadlineAt : Date.now());
      this.debug(`${spec.method} ${fullPath} attempt ${attempt} failed (${failure.code}); retrying in ${delay} ms [request id ${requestId}]`);
      await sleep(delay, spec.signal, spec.operation);
    }
  }

  /**
   * The error of a call that stops trying. After several attempts without an
   * answer it says how many in how long, and against which limit.
   */
  private gaveUp<T>(spec: CallSpec<T>, failure: ProviderError, attempts: number, startedAt: number, endedAt: number): ProviderError {
    if (attempts < 2 || !(failure instanceof TimeoutError || failure instanceof NetworkError)) return failure;
    const span = formatDuration(endedAt - startedAt);
    const context = { operation: spec.operation, cause: failure, attempts, ...(spec.resource === undefined ? {} : { resource: spec.resource }), ...(failure.requestId === undefined ? {} : { requestId: failure.requestId }) };
    const where = `Vers API ${spec.method} ${this.config.apiOrigin}${API_PREFIX_PATH}${spec.path}`;
    if (failure instanceof TimeoutError) {
      const limit = Math.min(this.deadlines[spec.timeout], spec.deadlineAt === undefined ? Infinity : spec.deadlineAt - startedAt);
      return new TimeoutError('call', limit, `${where}: no answer in ${attempts} attempts over ${span}, each attempt allowed up to ${formatDuration(this.timeouts[spec.timeout])}`, context);
    }
    return new NetworkError(`${failure.message} (${attempts} attempts over ${span})`, context);
  }

  private async attempt<T>(spec: CallSpec<T>, apiKey: string, requestId: string, attempt: number, limit: number): Promise<RawResponse | NetworkFailure> {
    const got = await this.got();
    const fullPath = `${API_PREFIX_PATH}${spec.path}`;
    const url = new URL(`${this.config.apiOrigin}${fullPath}`);
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const started = Date.now();
    this.debug(`→ ${spec.method} ${fullPath}${url.search} attempt ${attempt}/${this.retry.limit + 1} [request id ${requestId}]`);
    let response: GotResponse<string>;
    try {
      response = await got(url, {
        method: spec.method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          'x-request-id': requestId,
          'user-agent': this.userAgent,
          accept: 'application/json, text/plain;q=0.9, */*;q=0.5',
        },
        ...(spec.body === undefined ? {} : { json: spec.body }),
        responseType: 'text',
        throwHttpErrors: false,
        followRedirect: false,
        retry: { limit: 0 },
        timeout: { request: limit, connect: Math.min(limit, CONNECT_TIMEOUT_MS), secureConnect: Math.min(limit, CONNECT_TIMEOUT_MS) },
        agent: spec.kind === 'create' ? { http: this.freshHttpAgent, https: this.freshHttpsAgent } : { http: this.httpAgent, https: this.httpsAgent },
        https: {
          rejectUnauthorized: !this.config.insecureSkipTlsVerify,
          ...(trustedCertificates(this.config) === undefined ? {} : { certificateAuthority: trustedCertificates(this.config) }),
        },
        ...(spec.signal === undefined ? {} : { signal: spec.signal }),
      });
    } catch (error) {
      return this.networkFailure(spec, error, limit, requestId);
    }
    const receivedAt = Date.now();
    this.clock.observeDateHeader(headerValue(response.headers.date), started, receivedAt);
    const raw: RawResponse = {
      status: response.statusCode,
      contentType: headerValue(response.headers['content-type']),
      body: response.body,
      requestId: headerValue(response.headers['x-request-id']) ?? requestId,
      method: spec.method,
      path: fullPath,
      headers: response.headers,
      sentAt: started,
      receivedAt,
    };
    this.debug(`← ${raw.status} ${spec.method} ${fullPath} in ${Date.now() - started} ms [request id ${raw.requestId}]`);
    return raw;
  }

  private networkFailure<T>(spec: CallSpec<T>, error: unknown, limit: number, requestId: string): NetworkFailure {
    const context = { operation: spec.operation, requestId, cause: error, ...(spec.resource === undefined ? {} : { resource: spec.resource }) };
    const where = `${spec.method} ${this.config.apiOrigin}${API_PREFIX_PATH}${spec.path}`;
    if (spec.signal?.aborted) {
      throw new CancelledError(`Vers API call ${spec.operation}`, context);
    }
    const code = typeof (error as { code?: unknown }).code === 'string' ? (error as { code: string }).code : 'UNKNOWN';
    const name = (error as { name?: unknown }).name;
    if (name === 'TimeoutError') {
      const event = String((error as { event?: unknown }).event ?? 'request');
      const connectPhase = event === 'lookup' || event === 'connect' || event === 'secureConnect';
      const phaseLimit = connectPhase ? Math.min(limit, CONNECT_TIMEOUT_MS) : limit;
      return {
        code: 'ETIMEDOUT',
        notSent: connectPhase,
        error: new TimeoutError(connectPhase ? 'connect' : 'request', phaseLimit, `Vers API ${where} did not answer in time`, context),
      };
    }
    const hint = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)
      ? 'the server certificate was not trusted; set tls_ca_file (VERS_CA_FILE) to its CA, or insecure_skip_tls_verify for debugging'
      : `check base_url (${this.config.apiOrigin}) and the network`;
    const message = redact(`cannot reach the Vers API (${where}): ${errorText(error)} [${code}]; ${hint}`, this.config);
    return { code, notSent: NOT_SENT_NETWORK_CODES.has(code), error: new NetworkError(message, context) };
  }

  private apiError<T>(spec: CallSpec<T>, response: RawResponse): ApiError {
    return errorFromResponse({
      method: response.method,
      path: response.path,
      status: response.status,
      contentType: response.contentType,
      body: redact(response.body, this.config),
      requestId: response.requestId,
      operation: spec.operation,
      ...(spec.resource === undefined ? {} : { resource: spec.resource }),
    });
  }

  private async got(): Promise<Got> {
    if (this.instance === undefined) this.instance = (await loadGot()).got;
    return this.instance;
  }

  private debug(message: string): void {
    this.logger?.log('debug', redact(message, this.config));
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function throwIfAborted(signal: AbortSignal | undefined, operation: string): void {
  if (signal?.aborted) throw new CancelledError(`Vers API call ${operation}`);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
