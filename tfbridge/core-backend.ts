import { ConfigError } from '../provider/errors';
import type { CheckFailure, FunctionLifecycle, PropertyBag, ResourceLifecycle } from '../provider/resources/types';
import type { BridgeBackend } from './backend';

/**
 * The bridge wired to the real core (provider/). The core's modules are
 * required on first use, not at start-up: a `terraform validate` process only
 * needs `check`, and the HTTP and SSH stacks stay unloaded until a call needs
 * them.
 */

interface CoreRegistry {
  resources: ReadonlyMap<string, ResourceLifecycle>;
  functions: ReadonlyMap<string, FunctionLifecycle>;
}

let registry: CoreRegistry | undefined;

function isResourceLifecycle(value: unknown): value is ResourceLifecycle {
  const candidate = value as Partial<ResourceLifecycle> | null;
  return typeof candidate?.token === 'string' && typeof candidate.check === 'function' && typeof candidate.create === 'function' && typeof candidate.read === 'function';
}

function isFunctionLifecycle(value: unknown): value is FunctionLifecycle {
  const candidate = value as Partial<FunctionLifecycle> | null;
  return typeof candidate?.token === 'string' && typeof candidate.check === 'function' && typeof candidate.invoke === 'function';
}

/** Every lifecycle object the core's resources module exports (directly or in arrays/records). */
function loadRegistry(): CoreRegistry {
  if (registry !== undefined) return registry;
  const exported = require('../provider/resources') as Record<string, unknown>;
  const resources = new Map<string, ResourceLifecycle>();
  const functions = new Map<string, FunctionLifecycle>();
  const visit = (value: unknown): void => {
    if (isResourceLifecycle(value)) resources.set(value.token, value);
    else if (isFunctionLifecycle(value)) functions.set(value.token, value);
    else if (Array.isArray(value)) value.forEach(visit);
    else if (value instanceof Map) [...value.values()].forEach(visit);
  };
  Object.values(exported).forEach((value) => {
    visit(value);
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Map)) Object.values(value).forEach(visit);
  });
  registry = { resources, functions };
  return registry;
}

export function coreBackend(): BridgeBackend {
  return {
    resource: (token) => loadRegistry().resources.get(token),
    dataSource: (token) => loadRegistry().functions.get(token),
    async checkProviderConfig(config: PropertyBag): Promise<CheckFailure[]> {
      const { resolveProviderConfig } = require('../provider/config') as typeof import('../provider/config');
      try {
        resolveProviderConfig(config);
        return [];
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        // ConfigError messages start with the option name; the diagnostic adds it back.
        const reason = error.message.startsWith(`${error.option} `) ? error.message.slice(error.option.length + 1) : error.message;
        return [{ property: error.option, reason }];
      }
    },
    async configureProvider(config, logger) {
      const core = require('../provider/resources') as { configureProvider?: (input: PropertyBag, logger: unknown) => unknown };
      if (typeof core.configureProvider === 'function') return core.configureProvider(config, logger);
      const { resolveProviderConfig } = require('../provider/config') as typeof import('../provider/config');
      return resolveProviderConfig(config);
    },
  };
}
