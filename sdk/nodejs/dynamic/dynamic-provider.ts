import { join, relative } from 'node:path';
import type * as pulumi from '@pulumi/pulumi';
import { repoRoot } from '../../../core/base/repo-root';
import type * as runtime from './run-lifecycle';

/**
 * The provider object of the `vers.dynamic.*` resources. Pulumi serializes
 * it (with its methods) into the resource's `__provider` input and rebuilds
 * it in the dynamic-provider host, so:
 * - its methods use nothing from module scope but two strings and
 *   `loadRuntime`: the core is `require`d inside the method bodies, when an
 *   operation runs, from the project's node_modules (`@hdr/vers`), or else
 *   from where this SDK was loaded when the program ran (a checkout);
 * - it captures no configuration: `configure` reads the stack's `vers:*`
 *   config in the host, and VERS_* environment variables are read when
 *   each operation runs, so no API key lands in the serialized text;
 * - results are plain JSON, inputs echoed into outputs (the host does not).
 */

/** The runtime module by absolute path, for programs that use a checkout rather than an installed package. */
const RUNTIME_FILE_PATH = join(__dirname, 'run-lifecycle');
/** The same module as the package exports it: `@hdr/vers/<build dir>/sdk/nodejs/dynamic/run-lifecycle`. */
const RUNTIME_PACKAGE_PATH = packagePathOf(RUNTIME_FILE_PATH);

function packagePathOf(file: string): string {
  try {
    return `@hdr/vers/${relative(repoRoot(), file).split('\\').join('/')}`;
  } catch {
    // Not inside the @hdr/vers package (a vendored copy): the absolute path is all there is.
    return file;
  }
}

type Runtime = typeof runtime;

function loadRuntime(): Runtime {
  try {
    return require(RUNTIME_PACKAGE_PATH) as Runtime;
  } catch (error) {
    // Only when the package itself is not installed here; a missing dependency of it is the real error.
    const missing = error as { code?: string; message?: string };
    if (missing.code !== 'MODULE_NOT_FOUND' || !String(missing.message).includes(`'${RUNTIME_PACKAGE_PATH}'`)) throw error;
    return require(RUNTIME_FILE_PATH) as Runtime;
  }
}

export class VersDynamicProvider implements pulumi.dynamic.ResourceProvider {
  /** Stack config (`vers:*`), filled by `configure` in the host process; empty when serialized. */
  private stackConfig: Record<string, string> = {};

  constructor(readonly token: string) {}

  async configure(request: pulumi.dynamic.ConfigureRequest): Promise<void> {
    this.stackConfig = loadRuntime().readStackConfig(request.config);
  }

  async check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
    return loadRuntime().check(this.token, olds, news);
  }

  async diff(id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.DiffResult> {
    return loadRuntime().diff(this.token, id, olds, news);
  }

  async create(inputs: Record<string, unknown>): Promise<pulumi.dynamic.CreateResult> {
    return loadRuntime().create(this.token, inputs, this.stackConfig);
  }

  async read(id: string, props: Record<string, unknown>): Promise<pulumi.dynamic.ReadResult> {
    return loadRuntime().read(this.token, id, props, this.stackConfig);
  }

  async update(id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.UpdateResult> {
    return loadRuntime().update(this.token, id, olds, news, this.stackConfig);
  }

  async delete(id: string, props: Record<string, unknown>): Promise<void> {
    await loadRuntime().remove(this.token, id, props, this.stackConfig);
  }
}

const providers = new Map<string, VersDynamicProvider>();

/** One provider object per resource type, so Pulumi serializes each once per program. */
export function dynamicProviderFor(token: string): VersDynamicProvider {
  let provider = providers.get(token);
  if (provider === undefined) {
    provider = new VersDynamicProvider(token);
    providers.set(token, provider);
  }
  return provider;
}
