import { configureProvider, type VersProvider } from '../../core/provider';
import type { LifecycleContext } from '../../core/resources/types';
import type { LogLevel, Logger } from '../../core/base/logging';
import type { VersLocalReady } from './vers-local';

/** A logger that keeps every line, to assert on progress messages and on the absence of secrets. */
export class RecordingLogger implements Logger {
  readonly lines: Array<{ level: LogLevel; message: string }> = [];

  log(level: LogLevel, message: string): void {
    this.lines.push({ level, message });
  }

  text(): string {
    return this.lines.map((line) => `${line.level}: ${line.message}`).join('\n');
  }
}

/** Provider settings straight from vers-local's ready line, as a user would copy them. */
export function providerFor(ready: VersLocalReady): VersProvider {
  return configureProvider(
    { apiKey: ready.api_key, baseUrl: ready.base_url, vmDomain: ready.vm_domain, sshGateway: ready.ssh_gateway, tlsCaFile: ready.tls_ca_file },
    {},
  );
}

export function contextFor(provider: VersProvider, logger: Logger = new RecordingLogger(), signal: AbortSignal = new AbortController().signal): LifecycleContext {
  return { provider, logger, signal };
}
