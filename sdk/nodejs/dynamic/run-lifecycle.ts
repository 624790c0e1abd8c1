import type { CheckFailure } from '../../../core/base/check-failure';
import { PartialCreateError, ProviderError } from '../../../core/base/errors';
import type { JsonValue, PropertyBag } from '../../../core/base/json';
import {
  checkedInputsScope,
  configureProvider,
  functionLifecycle,
  loadPackageSchema,
  redact,
  replacementCarries,
  resourceLifecycle,
  type LifecycleContext,
  type ProviderConfigInput,
  type ResourceLifecycle,
} from '../../../core/facade';

/**
 * The core behind `vers.dynamic.*`, loaded inside the dynamic-provider host
 * (or the program) only when an operation runs. It translates the dynamic
 * provider interface onto the lifecycles: drops the host's `__provider`
 * property, echoes inputs into outputs, turns partial creates into the
 * `{id, properties}` error the host reports as a partial failure.
 */

const PROVIDER_KEY = '__provider';
const PACKAGE = 'vers';

/** The dynamic host's config reader: `get('vers:apiKey')`. */
export interface StackConfigReader {
  get(key: string): string | undefined;
}

/** The stack's `vers:*` settings (strings as the engine stores them). */
export function readStackConfig(config: StackConfigReader): Record<string, string> {
  const values: Record<string, string> = {};
  for (const key of Object.keys(loadPackageSchema().config.variables)) {
    const value = config.get(`${PACKAGE}:${key}`);
    if (typeof value === 'string' && value !== '') values[key] = value;
  }
  return values;
}

export async function check(token: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<{ inputs: PropertyBag; failures: CheckFailure[] }> {
  const lifecycle = lifecycleOf(token);
  const oldInputs = plainBag(olds);
  const result = await lifecycle.check(plainBag(news), Object.keys(oldInputs).length === 0 ? undefined : oldInputs);
  return { inputs: result.inputs, failures: result.failures };
}

export async function diff(
  token: string,
  id: string,
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): Promise<{ changes: boolean; replaces: string[]; stables: string[]; deleteBeforeReplace: boolean }> {
  const newInputs = plainBag(news);
  const result = await lifecycleOf(token).diff(id, plainBag(olds), newInputs);
  // The host creates the replacement next, in this process, from inputs a Check with no olds reproduces.
  const scope = checkedInputsScope(token, newInputs);
  replacementCarries.release(scope);
  if (result.replaces.length > 0 && result.carry !== undefined) replacementCarries.hold(scope, result.carry);
  return { changes: result.changes, replaces: result.replaces, stables: result.stables, deleteBeforeReplace: result.deleteBeforeReplace };
}

export async function create(token: string, inputs: Record<string, unknown>, stackConfig: Record<string, string>): Promise<{ id: string; outs: PropertyBag }> {
  const bag = plainBag(inputs);
  const ctx = context(token, stackConfig);
  try {
    const created = await lifecycleOf(token).create(bag, ctx, replacementCarries.take(checkedInputsScope(token, bag), bag));
    return { id: created.id, outs: { ...bag, ...created.outs } };
  } catch (error) {
    throw hostError(error, bag, stackConfig);
  }
}

export async function read(token: string, id: string, props: Record<string, unknown>, stackConfig: Record<string, string>): Promise<{ id: string; props: PropertyBag }> {
  const olds = plainBag(props);
  try {
    const result = await lifecycleOf(token).read(id, Object.keys(olds).length === 0 ? undefined : olds, context(token, stackConfig));
    // An empty id tells the engine the resource is gone.
    if (result === undefined) return { id: '', props: {} };
    return { id: result.id, props: { ...olds, ...result.outs } };
  } catch (error) {
    throw hostError(error, undefined, stackConfig);
  }
}

export async function update(
  token: string,
  id: string,
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  stackConfig: Record<string, string>,
): Promise<{ outs: PropertyBag }> {
  const newInputs = plainBag(news);
  try {
    const outs = await lifecycleOf(token).update(id, plainBag(olds), newInputs, context(token, stackConfig));
    return { outs: { ...newInputs, ...outs } };
  } catch (error) {
    throw hostError(error, newInputs, stackConfig);
  }
}

export async function remove(token: string, id: string, props: Record<string, unknown>, stackConfig: Record<string, string>): Promise<void> {
  try {
    await lifecycleOf(token).delete(id, plainBag(props), context(token, stackConfig));
  } catch (error) {
    throw hostError(error, undefined, stackConfig);
  }
}

/** A provider function run inside the program (`vers.dynamic.getVms`): the dynamic host has no invoke. */
export async function invoke(token: string, args: Record<string, unknown>, stackConfig: Record<string, string>): Promise<PropertyBag> {
  const fn = functionLifecycle(token);
  if (fn === undefined) throw new Error(`the vers package has no function ${token}`);
  const bag = plainBag(args);
  const failures = await fn.check(bag);
  if (failures.length > 0) {
    throw new Error(`${token}: ${failures.map((failure) => `${failure.property} ${failure.reason}`).join('; ')}`);
  }
  try {
    return await fn.invoke(bag, context(token, stackConfig));
  } catch (error) {
    throw hostError(error, undefined, stackConfig);
  }
}

function lifecycleOf(token: string): ResourceLifecycle {
  const lifecycle = resourceLifecycle(token);
  if (lifecycle === undefined) throw new Error(`the vers package has no resource ${token}`);
  return lifecycle;
}

/** A JSON bag without the host's `__provider` and without undefined members. */
function plainBag(values: Record<string, unknown> | undefined): PropertyBag {
  const bag: PropertyBag = {};
  for (const [key, value] of Object.entries(values ?? {})) {
    if (key === PROVIDER_KEY || value === undefined) continue;
    bag[key] = JSON.parse(JSON.stringify(value)) as JsonValue;
  }
  return bag;
}

const configured = new Map<string, unknown>();

function context(token: string, stackConfig: Record<string, string>): LifecycleContext {
  const input = configInput(stackConfig);
  // One provider (API client, connection pools) per distinct configuration.
  const cacheKey = JSON.stringify(input);
  let provider = configured.get(cacheKey);
  if (provider === undefined) {
    const created = configureProvider(input, process.env);
    // What the settings put at risk (TLS verification off, plain http), once per configuration.
    for (const warning of created.warnings) process.stderr.write(`[vers warn] ${redact(warning.message, [input.apiKey, process.env.VERS_API_KEY])}\n`);
    provider = created.provider;
    configured.set(cacheKey, provider);
  }
  const secrets = [input.apiKey, process.env.VERS_API_KEY];
  return {
    provider,
    logger: {
      log: (level, message) => {
        if (level !== 'debug') process.stderr.write(`[vers ${level}] ${token}: ${redact(message, secrets)}\n`);
      },
    },
    // The dynamic host has no cancellation.
    signal: new AbortController().signal,
  };
}

function configInput(stackConfig: Record<string, string>): ProviderConfigInput {
  const input: ProviderConfigInput = {};
  for (const [key, value] of Object.entries(stackConfig)) {
    if (key === 'insecureSkipTlsVerify' || key === 'allowInsecureHttp') input[key] = value.trim().toLowerCase() === 'true';
    else (input as Record<string, string>)[key] = value;
  }
  return input;
}

/**
 * The error the host reports: `id` and `properties` make it a partial
 * failure (the resource exists and stays in state); the message carries
 * the core's code and is scrubbed of the API key.
 */
function hostError(error: unknown, inputs: PropertyBag | undefined, stackConfig: Record<string, string>): Error {
  const secrets = [stackConfig.apiKey, process.env.VERS_API_KEY];
  const message = error instanceof ProviderError ? `${error.message} (${error.code})` : error instanceof Error ? error.message : String(error);
  const reported = new Error(redact(message, secrets)) as Error & { id?: string; properties?: PropertyBag; reasons?: string[]; code?: string };
  if (error instanceof ProviderError) reported.code = error.code;
  if (error instanceof PartialCreateError) {
    reported.id = error.id;
    reported.properties = { ...(inputs ?? {}), ...error.outs };
    reported.reasons = [reported.message];
  }
  return reported;
}
