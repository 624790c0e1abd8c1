import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { CheckFailedError, MiniEngine, type ResourceState } from './mini-engine';
import { UNKNOWN_VALUE, type PluginHarness, type Props } from './plugin-harness';

/**
 * `pulumi.runtime.setMocks` as a mini engine: every resource a program
 * registers is forwarded to the real plugin (Check, then Create — in
 * preview, Create with preview set), every `vers:*` invoke to its Invoke;
 * what the plugin answers is what the program's Outputs resolve to. Runs
 * Pulumi programs (the examples) without the pulumi CLI.
 *
 * `terraform:state:getLocalReference` is answered by reading the tfstate
 * file's outputs, which is what the Go `pulumi-resource-terraform` plugin
 * does and cannot do here (only the CLI installs it).
 */
export class PluginMocks implements pulumi.runtime.Mocks {
  /** Resources created, in order, for tearing down. */
  readonly created: ResourceState[] = [];
  /** Every registration the program made: type, name and the inputs as the plugin got them. */
  readonly registrations: { type: string; name: string; inputs: Props }[] = [];
  private readonly engine: MiniEngine;

  constructor(
    private readonly plugin: PluginHarness,
    private readonly options: { preview?: boolean; projectDir?: string } = {},
  ) {
    this.engine = new MiniEngine(plugin);
  }

  async newResource(args: pulumi.runtime.MockResourceArgs): Promise<pulumi.runtime.MockResourceResult> {
    const inputs = toWire(args.inputs) as Props;
    this.registrations.push({ type: args.type, name: args.name, inputs });
    if (args.type === 'pulumi:providers:vers') {
      const checked = await this.plugin.checkConfig(inputs);
      if (checked.failures.length > 0) throw new CheckFailedError(args.type, checked.failures);
      if (this.options.preview !== true) await this.plugin.configure(checked.inputs);
      return { id: this.options.preview === true ? undefined : `${args.name}-provider`, state: checked.inputs };
    }
    if (!args.type.startsWith('vers:')) return { id: args.custom === true ? `${args.name}-id` : undefined, state: args.inputs as Record<string, unknown> };
    const registered = await this.engine.register(args.type, args.name, inputs, undefined, { preview: this.options.preview === true });
    if (this.options.preview !== true) this.created.push(registered.state);
    return { id: registered.state.id === '' ? undefined : registered.state.id, state: registered.state.outputs };
  }

  async call(args: pulumi.runtime.MockCallArgs): Promise<pulumi.runtime.MockCallResult> {
    if (args.token === 'terraform:state:getLocalReference') return this.terraformLocalState(args.inputs as { path?: string });
    if (!args.token.startsWith('vers:')) throw new Error(`the mini engine has no provider for ${args.token}`);
    const answer = await this.plugin.invoke(args.token, toWire(args.inputs) as Props);
    if (answer.failures.length > 0) throw new CheckFailedError(args.token, answer.failures);
    return answer.result;
  }

  /** `pulumi destroy`: delete what was created, newest first. */
  async destroyAll(): Promise<void> {
    for (const state of [...this.created].reverse()) await this.engine.destroy(state);
    this.created.length = 0;
  }

  private terraformLocalState(args: { path?: string }): { outputs: Record<string, unknown> } {
    const path = args.path ?? 'terraform.tfstate';
    const file = isAbsolute(path) ? path : resolve(this.options.projectDir ?? process.cwd(), path);
    const state = JSON.parse(readFileSync(file, 'utf8')) as { version: number; outputs?: Record<string, { value: unknown; sensitive?: boolean }> };
    if (state.version !== 4) throw new Error(`${file}: terraform state version ${state.version}, expected 4`);
    const outputs: Record<string, unknown> = {};
    for (const [name, output] of Object.entries(state.outputs ?? {})) outputs[name] = output.sensitive === true ? pulumi.secret(output.value) : output.value;
    return { outputs };
  }
}

/** Mock inputs → the engine's wire form: unknowns (preview) become the unknown sentinel; secrets stay wrapped. */
function toWire(value: unknown): unknown {
  if (pulumi.isUnknown(value)) return UNKNOWN_VALUE;
  if (Array.isArray(value)) return value.map(toWire);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (item !== undefined) out[key] = toWire(item);
    }
    return out;
  }
  return value;
}
