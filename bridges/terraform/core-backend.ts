import * as core from '../../core/facade';
import type { BridgeBackend } from './backend';

/**
 * The bridge wired to the real core, through its facade (which loads the
 * lifecycles, the API client and SSH on first use).
 */
export function coreBackend(env: NodeJS.ProcessEnv = process.env): BridgeBackend {
  return {
    resource: (token) => core.resourceLifecycle(token),
    dataSource: (token) => core.functionLifecycle(token),
    // The bag holds exactly the provider block's attributes, so it is a ProviderConfigInput.
    checkProviderConfig: async (config) => core.checkProviderConfig(config as core.ProviderConfigInput, env),
    // The client's per-request debug lines (method, path, status, request id) go to the provider log.
    configureProvider: async (config, logger) => core.configureProvider(config as core.ProviderConfigInput, env, logger),
  };
}
