import type { DiffOutcome, PluginHarness, Props } from './plugin-harness';

/**
 * The step logic of the Pulumi engine (pkg/resource/deploy/step_generator.go)
 * reduced to one resource at a time, over a real plugin process: Check with
 * the old inputs, then Create for a new resource, or Diff against the old
 * outputs followed by nothing, Update, or a replacement (Check with empty
 * olds, Create, Delete — or Delete first when the provider asks for
 * delete-before-replace). State is kept in wire form, secrets wrapped, as the
 * engine keeps it.
 */

export interface ResourceState {
  type: string;
  name: string;
  id: string;
  /** Checked inputs, as recorded. */
  inputs: Props;
  /** Outputs, as recorded. */
  outputs: Props;
}

export type Step = 'create' | 'same' | 'update' | 'replace';

export interface Registered {
  state: ResourceState;
  step: Step;
  diff?: DiffOutcome;
}

export class CheckFailedError extends Error {
  /** What a gRPC error carries as its message; the SDK reports invoke failures from it. */
  readonly details: string;

  constructor(
    readonly type: string,
    readonly failures: { property: string; reason: string }[],
  ) {
    super(`${type}: ${failures.map((failure) => `${failure.property}: ${failure.reason}`).join('; ')}`);
    this.details = this.message;
  }
}

export class MiniEngine {
  constructor(private readonly plugin: PluginHarness) {}

  /** Register `news` for a resource, as `pulumi up` (or preview) would. */
  async register(type: string, name: string, news: Props, prior?: ResourceState, options: { preview?: boolean } = {}): Promise<Registered> {
    const preview = options.preview === true;
    const checked = await this.plugin.check(type, name, news, prior?.inputs ?? {});
    if (checked.failures.length > 0) throw new CheckFailedError(type, checked.failures);
    if (prior === undefined) {
      const created = await this.plugin.create(type, name, checked.inputs, { preview });
      return { state: { type, name, id: created.id, inputs: checked.inputs, outputs: created.properties }, step: 'create' };
    }
    const diff = await this.plugin.diff(type, name, prior.id, prior.outputs, checked.inputs, { oldInputs: prior.inputs });
    if (diff.changes === 'none') return { state: { ...prior, inputs: checked.inputs }, step: 'same', diff };
    if (diff.replaces.length === 0) {
      const outputs = await this.plugin.update(type, name, prior.id, prior.outputs, checked.inputs, { oldInputs: prior.inputs, preview });
      return { state: { ...prior, inputs: checked.inputs, outputs }, step: 'update', diff };
    }
    const fresh = await this.plugin.check(type, name, news, {});
    if (fresh.failures.length > 0) throw new CheckFailedError(type, fresh.failures);
    if (preview) {
      const created = await this.plugin.create(type, name, fresh.inputs, { preview });
      return { state: { type, name, id: created.id, inputs: fresh.inputs, outputs: created.properties }, step: 'replace', diff };
    }
    if (diff.deleteBeforeReplace) await this.destroy(prior);
    const created = await this.plugin.create(type, name, fresh.inputs);
    if (!diff.deleteBeforeReplace) await this.destroy(prior);
    return { state: { type, name, id: created.id, inputs: fresh.inputs, outputs: created.properties }, step: 'replace', diff };
  }

  /** `pulumi refresh` of one resource: undefined when it is gone. */
  async refresh(state: ResourceState): Promise<ResourceState | undefined> {
    const read = await this.plugin.read(state.type, state.name, state.id, state.outputs, state.inputs);
    if (read.id === '') return undefined;
    return { ...state, id: read.id, inputs: read.inputs, outputs: read.properties };
  }

  async destroy(state: ResourceState): Promise<void> {
    await this.plugin.delete(state.type, state.name, state.id, state.outputs, state.inputs);
  }
}
