import type { ProviderConfigInput } from '../core/settings';
import type { BridgeBackend } from './backend';

/**
 * The bridge wired to the real core (provider/). The core is required on
 * first use, not at start-up: the registry pulls in the API client and SSH,
 * which a schema-only provider process (every Terraform command starts one)
 * never needs.
 */

type Registry = typeof import('../core/resources/registry');
type ProviderModule = typeof import('../core/provider');

let registry: Registry | undefined;
let providerModule: ProviderModule | undefined;

function loadRegistry(): Registry {
  registry ??= require('../core/resources/registry') as Registry;
  return registry;
}

function loadProviderModule(): ProviderModule {
  providerModule ??= require('../core/provider') as ProviderModule;
  return providerModule;
}

export function coreBackend(env: NodeJS.ProcessEnv = process.env): BridgeBackend {
  return {
    resource: (token) => loadRegistry().resourceLifecycles[token],
    dataSource: (token) => loadRegistry().functionLifecycles[token],
    // The bag holds exactly the provider block's attributes, so it is a ProviderConfigInput.
    checkProviderConfig: async (config) => loadProviderModule().checkProviderConfig(config as ProviderConfigInput, env),
    // The client's per-request debug lines (method, path, status, request id) go to the provider log.
    configureProvider: async (config, logger) => {
      const provider = loadProviderModule().configureProvider(config as ProviderConfigInput, env, { logger });
      return { provider, warnings: provider.config.warnings };
    },
  };
}
