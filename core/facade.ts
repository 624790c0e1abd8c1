import type { CheckFailure } from './base/check-failure';
import type { Logger } from './base/logging';
import type { FunctionLifecycle, ResourceLifecycle } from './resources/types';
import type { ConfigWarning, ProviderConfigInput } from './settings';

/**
 * The core as the bridges reach it (the Terraform provider, the Pulumi
 * plugin, the dynamic resources): lifecycles by token and the configured
 * provider. The registry and the provider pull in the API client and SSH,
 * which a process that only answers schema or handshake calls never needs,
 * so they are loaded here, once, on first use; what this module itself
 * loads is small.
 */

// The rest of what the bridges take from the core beyond core/base and core/schema.
export { checkedInputsScope, replacementCarries } from './resources/carry-store';
export type { DiffResult, FunctionLifecycle, LifecycleContext, ReplacementCarry, ResourceLifecycle } from './resources/types';
export { loadPackageSchema } from './schema/package-schema';
export { redact, type ConfigWarning, type ProviderConfigInput } from './settings';

type Registry = typeof import('./resources/registry');
type ProviderModule = typeof import('./provider');

let registry: Registry | undefined;
let providerModule: ProviderModule | undefined;

function loadRegistry(): Registry {
  registry ??= require('./resources/registry') as Registry;
  return registry;
}

function loadProviderModule(): ProviderModule {
  providerModule ??= require('./provider') as ProviderModule;
  return providerModule;
}

/** The lifecycle of a resource type token (`vers:index:Vm`), or undefined. */
export function resourceLifecycle(token: string): ResourceLifecycle | undefined {
  return loadRegistry().resourceLifecycles[token];
}

/** The lifecycle of a function token (`vers:index:getVms`), or undefined. */
export function functionLifecycle(token: string): FunctionLifecycle | undefined {
  return loadRegistry().functionLifecycles[token];
}

/**
 * The configured provider handed to every lifecycle call as `ctx.provider`,
 * and what its settings put at risk (for warnings). The client's
 * per-request debug lines go to `logger`. Throws ConfigError.
 */
export function configureProvider(input: ProviderConfigInput, env: NodeJS.ProcessEnv, logger?: Logger): { provider: unknown; warnings: readonly ConfigWarning[] } {
  const provider = loadProviderModule().configureProvider(input, env, logger === undefined ? {} : { logger });
  return { provider, warnings: provider.config.warnings };
}

/** Local validation of provider settings; never calls the API. Failures name the camelCase setting. */
export function checkProviderConfig(input: ProviderConfigInput, env: NodeJS.ProcessEnv): CheckFailure[] {
  return loadProviderModule().checkProviderConfig(input, env);
}
