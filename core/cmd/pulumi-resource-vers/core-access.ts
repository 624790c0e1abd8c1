import type { ProviderConfigInput } from '../../settings';
import type { CheckFailure } from '../../base/check-failure';
import type { FunctionLifecycle, ResourceLifecycle } from '../../resources/types';
import type { Logger } from '../../base/logging';

/**
 * The core, loaded on first use: the registry pulls in the API client and
 * SSH, which `GetPluginInfo`/`GetSchema`/`Handshake` never need, so the
 * plugin answers the engine's first calls at bare-Node speed.
 */

type Registry = typeof import('../../resources/registry');
type ProviderModule = typeof import('../../provider');

let registry: Registry | undefined;
let providerModule: ProviderModule | undefined;

function loadRegistry(): Registry {
  registry ??= require('../../resources/registry') as Registry;
  return registry;
}

function loadProviderModule(): ProviderModule {
  providerModule ??= require('../../provider') as ProviderModule;
  return providerModule;
}

export function resourceLifecycle(token: string): ResourceLifecycle | undefined {
  return loadRegistry().resourceLifecycles[token];
}

export function functionLifecycle(token: string): FunctionLifecycle | undefined {
  return loadRegistry().functionLifecycles[token];
}

/** The configured provider, and what its settings put at risk (for warnings). */
export function configureProvider(input: ProviderConfigInput, env: NodeJS.ProcessEnv, logger?: Logger): { provider: unknown; warnings: ReadonlyArray<{ message: string }> } {
  const provider = loadProviderModule().configureProvider(input, env, logger === undefined ? {} : { logger });
  return { provider, warnings: provider.config.warnings };
}

export function checkProviderConfig(input: ProviderConfigInput, env: NodeJS.ProcessEnv): CheckFailure[] {
  return loadProviderModule().checkProviderConfig(input, env);
}
