import { expectNumber, expectObject, expectString, OptionsError, rejectUnknownKeys } from './option-errors';

/**
 * Fault injection for reliability tests. Faults apply to `/api/v1` requests
 * only, never to the admin API. Every random decision comes from one seeded
 * generator, so a run with the same seed and the same request order fails
 * the same way.
 */

/** What to do to requests whose route matches. All probabilities are 0..1 and default to 0. */
export interface RouteFaultRule {
  /**
   * `"METHOD /api/v1/template"` as GET /_vers-local/stats names routes, e.g.
   * `"POST /api/v1/vm/new_root"`. Either half may be `*`, and a path ending
   * in `*` matches by prefix. Default `"*"` (every route).
   */
  route: string;
  /** Added before the request is handled, in ms. Default 0. */
  latencyMs: number;
  /** Answer 500 `{"success":false,"error":"Internal Server Error"}`. */
  error500: number;
  /** Answer 503 `503 Service unavailable` with Retry-After. */
  error503: number;
  /** Answer 408 with an empty body. */
  error408: number;
  /** Answer 429 `429 Too Many Requests` with Retry-After. */
  error429: number;
  /** Destroy the socket without answering. */
  connectionReset: number;
  /** Retry-After of injected 429/503, in seconds. Default 1. */
  retryAfterSeconds: number;
  /**
   * `"before"` (default): the fault replaces the request, which never runs.
   * `"after"`: the request runs (a VM may be created) and then its response
   * is replaced — the case that makes retries create duplicates.
   */
  phase: 'before' | 'after';
}

/** The whole fault configuration (flag `--faults`, env VERS_LOCAL_FAULTS, PUT /_vers-local/faults). */
export interface FaultConfig {
  /** Seed of the random decisions. Default: vers-local's `--seed`. */
  seed: number;
  /** Route rules; the first one matching a request applies. Default none. */
  routes: RouteFaultRule[];
  /** Probability that a new root VM fails to boot (it is then cleaned up and marked deleted). Default 0. */
  bootFailureRate: number;
  /** Time between a VM becoming ready and its sshd accepting connections; the SSH gateway waits. Default 0. */
  sshdStartDelayMs: number;
}

export type InjectedFault = 'error500' | 'error503' | 'error408' | 'error429' | 'connectionReset';

/** A decision for one request. */
export interface FaultDecision {
  latencyMs: number;
  fault: InjectedFault | undefined;
  phase: 'before' | 'after';
  retryAfterSeconds: number;
}

const RULE_KEYS = ['route', 'latencyMs', 'error500', 'error503', 'error408', 'error429', 'connectionReset', 'retryAfterSeconds', 'phase'] as const;
const CONFIG_KEYS = ['seed', 'routes', 'bootFailureRate', 'sshdStartDelayMs'] as const;
const FAULT_KINDS: readonly InjectedFault[] = ['error500', 'error503', 'error408', 'error429', 'connectionReset'];

/** Check a fault configuration from JSON; defaults fill absent fields. */
export function parseFaultConfig(value: unknown, defaultSeed: number): FaultConfig {
  const raw = expectObject(value, 'fault config');
  rejectUnknownKeys(raw, CONFIG_KEYS, 'fault config');
  const routesRaw = raw.routes ?? [];
  if (!Array.isArray(routesRaw)) throw new OptionsError('fault config "routes" must be an array');
  return {
    seed: raw.seed === undefined ? defaultSeed : expectNumber(raw.seed, 'fault config "seed"', 0, 2 ** 32 - 1, true),
    routes: routesRaw.map((rule, i) => parseRule(rule, `fault config routes[${i}]`)),
    bootFailureRate: raw.bootFailureRate === undefined ? 0 : expectNumber(raw.bootFailureRate, 'fault config "bootFailureRate"', 0, 1),
    sshdStartDelayMs: raw.sshdStartDelayMs === undefined ? 0 : expectNumber(raw.sshdStartDelayMs, 'fault config "sshdStartDelayMs"', 0, 600_000, true),
  };
}

function parseRule(value: unknown, where: string): RouteFaultRule {
  const raw = expectObject(value, where);
  rejectUnknownKeys(raw, RULE_KEYS, where);
  const probability = (key: InjectedFault): number => (raw[key] === undefined ? 0 : expectNumber(raw[key], `${where}.${key}`, 0, 1));
  const rule: RouteFaultRule = {
    route: raw.route === undefined ? '*' : expectString(raw.route, `${where}.route`),
    latencyMs: raw.latencyMs === undefined ? 0 : expectNumber(raw.latencyMs, `${where}.latencyMs`, 0, 600_000, true),
    error500: probability('error500'),
    error503: probability('error503'),
    error408: probability('error408'),
    error429: probability('error429'),
    connectionReset: probability('connectionReset'),
    retryAfterSeconds: raw.retryAfterSeconds === undefined ? 1 : expectNumber(raw.retryAfterSeconds, `${where}.retryAfterSeconds`, 0, 3600, true),
    phase: raw.phase === undefined ? 'before' : parsePhase(raw.phase, `${where}.phase`),
  };
  const total = FAULT_KINDS.reduce((sum, kind) => sum + rule[kind], 0);
  if (total > 1) throw new OptionsError(`${where}: the fault probabilities add up to ${total}, more than 1`);
  return rule;
}

function parsePhase(value: unknown, where: string): 'before' | 'after' {
  if (value !== 'before' && value !== 'after') throw new OptionsError(`${where} must be "before" or "after", got ${JSON.stringify(value)}`);
  return value;
}

/** mulberry32: small, fast, and good enough to spread failures evenly. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function routeMatches(pattern: string, routeKey: string): boolean {
  if (pattern === '*') return true;
  const [patternMethod = '', patternPath = '*'] = pattern.trim().split(/\s+/, 2);
  const [method = '', path = ''] = routeKey.split(' ', 2);
  if (patternMethod !== '*' && patternMethod.toUpperCase() !== method) return false;
  if (patternPath === '*') return true;
  return patternPath.endsWith('*') ? path.startsWith(patternPath.slice(0, -1)) : patternPath === path;
}

/** The live fault configuration and its random source. */
export class FaultInjector {
  private current: FaultConfig;
  private random: () => number;

  constructor(
    config: FaultConfig,
    private readonly defaultSeed: number,
  ) {
    this.current = config;
    this.random = generator(config.seed);
  }

  get config(): FaultConfig {
    return this.current;
  }

  /** Replace the configuration (the generator restarts from its seed). */
  set(config: FaultConfig): void {
    this.current = config;
    this.random = generator(config.seed);
  }

  /** Back to no faults. */
  clear(): void {
    this.set(parseFaultConfig({}, this.defaultSeed));
  }

  /** Decide the fate of one /api/v1 request to `routeKey` ("METHOD /api/v1/template"). */
  decide(routeKey: string): FaultDecision {
    const rule = this.current.routes.find((r) => routeMatches(r.route, routeKey));
    if (rule === undefined) return { latencyMs: 0, fault: undefined, phase: 'before', retryAfterSeconds: 1 };
    let roll = this.random();
    let fault: InjectedFault | undefined;
    for (const kind of FAULT_KINDS) {
      if (roll < rule[kind]) {
        fault = kind;
        break;
      }
      roll -= rule[kind];
    }
    return { latencyMs: rule.latencyMs, fault, phase: rule.phase, retryAfterSeconds: rule.retryAfterSeconds };
  }

  /** True if the root VM now booting should fail (consumes one random draw only when a rate is set). */
  bootFails(): boolean {
    return this.current.bootFailureRate > 0 && this.random() < this.current.bootFailureRate;
  }

  sshdStartDelayMs(): number {
    return this.current.sshdStartDelayMs;
  }
}
