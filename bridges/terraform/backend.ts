import type { CheckFailure } from '../../core/base/check-failure';
import type { FunctionLifecycle, ResourceLifecycle } from '../../core/facade';
import type { Logger } from '../../core/base/logging';
import type { PropertyBag } from '../../core/base/json';

/**
 * What the bridge needs from the core. The bridge only translates: every
 * decision (validation, defaults, replacement, what changes) is the core's,
 * reached through these objects. main.ts wires the real core
 * (core-backend.ts); protocol tests may wire a small one of their own.
 */
export interface BridgeBackend {
  /** The lifecycle of a resource type token (`vers:index:Vm`), or undefined. */
  resource(token: string): ResourceLifecycle | undefined;
  /** The lifecycle of a function token (`vers:index:getVms`), read as a data source. */
  dataSource(token: string): FunctionLifecycle | undefined;
  /** Local validation of the provider block (camelCase bag); never calls the API. */
  checkProviderConfig(config: PropertyBag): Promise<CheckFailure[]>;
  /** The configured provider handed to every lifecycle call as `ctx.provider`, with what its settings put at risk. */
  configureProvider(config: PropertyBag, logger: Logger): Promise<ConfiguredProvider>;
}

export interface ConfiguredProvider {
  provider: unknown;
  /** Shown as warning diagnostics (e.g. TLS verification off), one per setting. */
  warnings: ReadonlyArray<{ option: string; message: string }>;
}
