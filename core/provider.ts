import type { CheckFailure } from './base/check-failure';
import { ConfigError, ProviderError } from './base/errors';
import type { Logger } from './base/logging';
import { VersClient, type ClientOptions } from './client';
import { resolveProviderConfig, type ProviderConfigInput, type ResolvedProviderConfig } from './settings';

/**
 * A configured provider: the resolved settings and the one API client every
 * lifecycle call of this configuration shares (keep-alive connections).
 * Bridges build it once per Configure and pass it in `LifecycleContext`.
 */
export class VersProvider {
  constructor(
    readonly config: ResolvedProviderConfig,
    readonly client: VersClient,
  ) {}

  /** The TLS SNI / host name of a VM: `{vmId}.{vm_domain}` (empty when no domain is known). */
  sshHostOf(vmId: string): string {
    return this.config.vmDomain === undefined ? '' : `${vmId}.${this.config.vmDomain}`;
  }

  /** The port dialled for SSH-over-TLS: the gateway's, or 443. */
  get sshPort(): number {
    return this.config.sshGateway?.port ?? 443;
  }

  close(): void {
    this.client.close();
  }
}

/** Resolve configuration (arguments, then VERS_* environment) and build the client. Throws ConfigError. */
export function configureProvider(
  input: ProviderConfigInput,
  env: NodeJS.ProcessEnv = process.env,
  options: ClientOptions = {},
): VersProvider {
  const config = resolveProviderConfig(input, env);
  return new VersProvider(config, new VersClient(config, options));
}

/** Check provider configuration without calling the API: failures name the camelCase option. */
export function checkProviderConfig(input: ProviderConfigInput, env: NodeJS.ProcessEnv = process.env): CheckFailure[] {
  try {
    resolveProviderConfig(input, env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return [{ property: camelCase(error.option), reason: error.message }];
    throw error;
  }
}

/** The VersProvider a lifecycle call runs with; a clear error when a bridge forgot to configure. */
export function providerOf(ctx: { readonly provider: unknown }): VersProvider {
  if (ctx.provider instanceof VersProvider) return ctx.provider;
  throw new ProviderError('NOT_CONFIGURED', 'the Vers provider is not configured yet (Configure was not called)');
}

/** Progress lines for the engine's log. */
export function info(ctx: { readonly logger: Logger }, message: string): void {
  ctx.logger.log('info', message);
}

function camelCase(snake: string): string {
  return snake.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}
