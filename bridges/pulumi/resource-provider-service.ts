import { Empty } from 'google-protobuf/google/protobuf/empty_pb';
import { Struct } from 'google-protobuf/google/protobuf/struct_pb';
import { PluginInfo, type PluginAttach } from '@pulumi/pulumi/proto/plugin_pb';
import * as pb from '@pulumi/pulumi/proto/provider_pb';
import type { CheckFailure } from '../../core/base/check-failure';
import { ConfigError, PartialCreateError, ProviderError } from '../../core/base/errors';
import type { PropertyBag } from '../../core/base/json';
import type { Logger } from '../../core/base/logging';
import { SecretRedactor } from '../../core/base/redaction';
import { UNKNOWN, containsUnknown } from '../../core/base/unknown';
import {
  checkProviderConfig,
  configureProvider,
  functionLifecycle,
  replacementCarries,
  resourceLifecycle,
  type DiffResult,
  type LifecycleContext,
  type ResourceLifecycle,
} from '../../core/facade';
import { loadPackageSchema, nestedSecretPaths, packageSchemaText, resourceSpec, secretOutputsOf, secretValuesOf, type PropertySpec } from '../../core/schema/package-schema';
import type { EngineLog } from './engine-log';
import { toGrpcError, type ResourceInitFailure } from './grpc-errors';
import { fromWire, toWire, UnsupportedWireValueError, type WireProperties } from './property-values';
import {
  configFromProperties,
  configPropertyOf,
  firstSetWins,
  propertiesFromPulumiConfigEnv,
  propertiesFromVariables,
} from './provider-config-input';

/**
 * The Pulumi ResourceProvider RPCs, translated onto the core's lifecycles.
 * Nothing here decides anything about Vers: requests become property bags
 * (secrets unwrapped, unknowns kept as the core's UNKNOWN), the lifecycle
 * runs, and its result or error goes back in the engine's terms.
 */

type StructInput = Parameters<typeof Struct.fromJavaScript>[0];

export interface ResourceProviderServiceOptions {
  engineLog: EngineLog;
  /** Environment for configuration fallbacks (PULUMI_CONFIG, VERS_*). */
  env: NodeJS.ProcessEnv;
}

/** A failure to hand to the engine as a partial create: the resource exists. */
export class ResourceInitFailedError extends Error {
  readonly failure: ResourceInitFailure;

  constructor(cause: PartialCreateError, failure: ResourceInitFailure) {
    super(cause.message, { cause });
    this.name = 'ResourceInitFailedError';
    this.failure = failure;
  }
}

export class ResourceProviderService {
  private readonly engineLog: EngineLog;
  private readonly env: NodeJS.ProcessEnv;
  private readonly cancellation = new AbortController();
  private provider: unknown;
  /**
   * Every secret this process has been given: the API key, values the
   * engine sent as secrets, and values schema.json marks secret (a plain
   * `environment` value, a file's content). Scrubbed from every message.
   */
  private readonly redactor = new SecretRedactor();

  constructor(options: ResourceProviderServiceOptions) {
    this.engineLog = options.engineLog;
    this.env = options.env;
    this.redactor.remember(options.env.VERS_API_KEY);
  }

  /** Text with the known secrets removed: for every message and log line. */
  readonly redact = (text: string): string => this.redactor.redact(text);

  /** A gRPC error for the engine from anything a method threw. */
  grpcError(error: unknown): ReturnType<typeof toGrpcError> {
    if (error instanceof ResourceInitFailedError) return toGrpcError(error.cause, this.redact, error.failure);
    return toGrpcError(error, this.redact);
  }

  // ---- plugin -----------------------------------------------------------

  async handshake(): Promise<pb.ProviderHandshakeResponse> {
    const response = new pb.ProviderHandshakeResponse();
    // Secrets come in as secrets and go out as secrets; resource references
    // and output values are declined, so they arrive as plain ids and values.
    response.setAcceptSecrets(true);
    response.setAcceptResources(false);
    response.setAcceptOutputs(false);
    return response;
  }

  async getPluginInfo(): Promise<PluginInfo> {
    const info = new PluginInfo();
    info.setVersion(loadPackageSchema().version);
    return info;
  }

  async getSchema(): Promise<pb.GetSchemaResponse> {
    const response = new pb.GetSchemaResponse();
    response.setSchema(packageSchemaText());
    return response;
  }

  async attach(request: PluginAttach): Promise<Empty> {
    this.engineLog.attach(request.getAddress());
    return new Empty();
  }

  async cancel(): Promise<Empty> {
    this.cancellation.abort();
    return new Empty();
  }

  // ---- provider configuration --------------------------------------------

  async checkConfig(request: pb.CheckRequest): Promise<pb.CheckResponse> {
    const news = this.unwrapOrFailures(request.getNews()?.toJavaScript());
    const response = new pb.CheckResponse();
    if ('failures' in news) return withFailures(response, news.failures);
    const translated = configFromProperties(news.bag);
    const failures = [...translated.failures];
    if (failures.length === 0) {
      for (const failure of checkProviderConfig(translated.input, this.env)) {
        failures.push({ property: configPropertyOf(failure.property), reason: this.redact(failure.reason) });
      }
    }
    const secretKeys = new Set([...news.secretKeys, ...secretConfigKeys()]);
    response.setInputs(toStruct(toWire(news.bag, secretKeys)));
    return withFailures(response, failures);
  }

  async diffConfig(request: pb.DiffRequest): Promise<pb.DiffResponse> {
    const olds = fromWire(request.getOlds()?.toJavaScript()).bag;
    const news = fromWire(request.getNews()?.toJavaScript()).bag;
    const changed = Object.keys(loadPackageSchema().config.variables).filter(
      (key) => containsUnknown(news[key]) || JSON.stringify(olds[key] ?? null) !== JSON.stringify(news[key] ?? null),
    );
    // No setting moves the VMs: a new key or endpoint reconfigures in place.
    return diffResponse({ changes: changed.length > 0, changedKeys: changed, replaces: [], stables: [], deleteBeforeReplace: false }, olds);
  }

  async configure(request: pb.ConfigureRequest): Promise<pb.ConfigureResponse> {
    const args = fromWire(request.getArgs()?.toJavaScript()).bag;
    const merged = firstSetWins(
      args,
      propertiesFromVariables(request.getVariablesMap().toArray() as [string, string][]),
      propertiesFromPulumiConfigEnv(this.env.PULUMI_CONFIG),
    );
    const translated = configFromProperties(merged);
    if (translated.failures.length > 0) {
      const first = translated.failures[0] as CheckFailure;
      throw new ConfigError(first.property, `${first.property} ${first.reason}`);
    }
    this.redactor.remember(translated.input.apiKey);
    // A second Configure replaces the provider; calls still running keep the one they started with.
    this.provider = this.configured(translated.input);
    const response = new pb.ConfigureResponse();
    response.setAcceptsecrets(true);
    response.setSupportspreview(true);
    response.setAcceptresources(false);
    response.setAcceptoutputs(false);
    return response;
  }

  // ---- resources ---------------------------------------------------------

  async check(request: pb.CheckRequest): Promise<pb.CheckResponse> {
    const token = typeOf(request.getType(), request.getUrn());
    const lifecycle = lifecycleFor(token);
    const response = new pb.CheckResponse();
    const news = this.unwrapOrFailures(request.getNews()?.toJavaScript(), nestedSecretPaths(resourceSpec(token).inputProperties));
    if ('failures' in news) return withFailures(response, news.failures);
    const olds = fromWire(request.getOlds()?.toJavaScript()).bag;
    this.rememberSecrets(token, news);
    const result = await lifecycle.check(news.bag, Object.keys(olds).length === 0 ? undefined : olds);
    const inputs = resourceSpec(token).inputProperties;
    response.setInputs(toStruct(toWire(result.inputs, new Set([...news.secretKeys, ...secretKeysOf(inputs)]), nestedSecretPaths(inputs))));
    return withFailures(response, result.failures.map((failure) => ({ property: failure.property, reason: this.redact(failure.reason) })));
  }

  async diff(request: pb.DiffRequest): Promise<pb.DiffResponse> {
    const lifecycle = lifecycleFor(typeOf(request.getType(), request.getUrn()));
    // Inputs the API cannot report are missing from an imported resource's
    // outputs; the engine's recorded inputs still know what they were set to.
    const olds = { ...fromWire(request.getOldInputs()?.toJavaScript()).bag, ...fromWire(request.getOlds()?.toJavaScript()).bag };
    const news = fromWire(request.getNews()?.toJavaScript()).bag;
    const result = withoutIgnored(await lifecycle.diff(request.getId(), olds, news), request.getIgnorechangesList());
    // The engine creates the replacement next, in this process, after a Check with no olds.
    replacementCarries.release(request.getUrn());
    if (result.replaces.length > 0 && result.carry !== undefined) replacementCarries.hold(request.getUrn(), result.carry);
    return diffResponse(result, olds);
  }

  async create(request: pb.CreateRequest): Promise<pb.CreateResponse> {
    const token = typeOf(request.getType(), request.getUrn());
    const lifecycle = lifecycleFor(token);
    const inputs = fromWire(request.getProperties()?.toJavaScript(), nestedSecretPaths(resourceSpec(token).inputProperties));
    this.rememberSecrets(token, inputs);
    const secretKeys = new Set([...inputs.secretKeys, ...secretOutputsOf(resourceSpec(token))]);
    const nested = nestedSecretPaths(resourceSpec(token).properties);
    const response = new pb.CreateResponse();
    if (request.getPreview()) {
      response.setId('');
      response.setProperties(toStruct(toWire(previewCreateOutputs(token, inputs.bag), secretKeys, nested)));
      return response;
    }
    const ctx = this.context(request.getUrn(), request.getTimeout());
    try {
      const created = await lifecycle.create(inputs.bag, ctx, replacementCarries.take(request.getUrn(), inputs.bag));
      response.setId(created.id);
      response.setProperties(toStruct(toWire(created.outs, secretKeys, nested)));
      return response;
    } catch (error) {
      throw this.partialFailure(error, inputs, secretKeys);
    }
  }

  async read(request: pb.ReadRequest): Promise<pb.ReadResponse> {
    const token = typeOf(request.getType(), request.getUrn());
    const lifecycle = lifecycleFor(token);
    const state = fromWire(request.getProperties()?.toJavaScript(), nestedSecretPaths(resourceSpec(token).properties));
    const oldInputs = fromWire(request.getInputs()?.toJavaScript(), nestedSecretPaths(resourceSpec(token).inputProperties));
    const isImport = Object.keys(state.bag).length === 0;
    const result = await lifecycle.read(request.getId(), isImport ? undefined : state.bag, this.context(request.getUrn(), request.getTimeout()));
    const response = new pb.ReadResponse();
    if (result === undefined) {
      // Gone: an empty id tells the engine to drop it from state.
      response.setId('');
      return response;
    }
    const secretKeys = new Set([...state.secretKeys, ...oldInputs.secretKeys, ...secretOutputsOf(resourceSpec(token))]);
    const nested = nestedSecretPaths(resourceSpec(token).properties);
    response.setId(result.id);
    response.setProperties(toStruct(toWire(result.outs, secretKeys, nested)));
    response.setInputs(toStruct(toWire(inputsAfterRead(token, result.outs, isImport ? undefined : oldInputs.bag), new Set([...secretKeys, ...secretKeysOf(resourceSpec(token).inputProperties)]), nested)));
    return response;
  }

  async update(request: pb.UpdateRequest): Promise<pb.UpdateResponse> {
    const token = typeOf(request.getType(), request.getUrn());
    const lifecycle = lifecycleFor(token);
    const olds = fromWire(request.getOlds()?.toJavaScript(), nestedSecretPaths(resourceSpec(token).properties));
    const news = fromWire(request.getNews()?.toJavaScript(), nestedSecretPaths(resourceSpec(token).inputProperties));
    this.rememberSecrets(token, news);
    const secretKeys = new Set([...olds.secretKeys, ...news.secretKeys, ...secretOutputsOf(resourceSpec(token))]);
    const nested = nestedSecretPaths(resourceSpec(token).properties);
    const response = new pb.UpdateResponse();
    if (request.getPreview()) {
      const planned = await lifecycle.diff(request.getId(), olds.bag, news.bag);
      response.setProperties(toStruct(toWire(previewUpdateOutputs(token, olds.bag, news.bag, planned), secretKeys, nested)));
      return response;
    }
    const ctx = this.context(request.getUrn(), request.getTimeout());
    try {
      const outs = await lifecycle.update(request.getId(), olds.bag, news.bag, ctx);
      response.setProperties(toStruct(toWire(outs, secretKeys, nested)));
      return response;
    } catch (error) {
      throw this.partialFailure(error, news, secretKeys);
    }
  }

  async delete(request: pb.DeleteRequest): Promise<Empty> {
    const lifecycle = lifecycleFor(typeOf(request.getType(), request.getUrn()));
    const state = fromWire(request.getProperties()?.toJavaScript());
    await lifecycle.delete(request.getId(), state.bag, this.context(request.getUrn(), request.getTimeout()));
    return new Empty();
  }

  // ---- functions ---------------------------------------------------------

  async invoke(request: pb.InvokeRequest): Promise<pb.InvokeResponse> {
    const token = request.getTok();
    const fn = functionLifecycle(token);
    if (fn === undefined) throw new UnsupportedTokenError('function', token);
    const response = new pb.InvokeResponse();
    const args = this.unwrapOrFailures(request.getArgs()?.toJavaScript());
    if ('failures' in args) return withFailures(response, args.failures);
    const failures = await fn.check(args.bag);
    if (failures.length > 0) return withFailures(response, failures.map((failure) => ({ property: failure.property, reason: this.redact(failure.reason) })));
    const result = await fn.invoke(args.bag, this.context('', 0));
    response.setReturn(toStruct(toWire(result)));
    return response;
  }

  /** Release the configured provider's connections (shutdown). */
  close(): void {
    (this.provider as { close?: () => void } | undefined)?.close?.();
    this.provider = undefined;
  }

  // ---- helpers -----------------------------------------------------------

  /** The API client's warnings (lost-answer recovery) reach the engine; its per-request debug lines do not. */
  private readonly clientLog: Logger = { log: (level, message) => level !== 'debug' && this.engineLog.log(level, message) };

  private context(urn: string, timeoutSeconds: number): LifecycleContext {
    const signal =
      timeoutSeconds > 0 ? AbortSignal.any([this.cancellation.signal, AbortSignal.timeout(timeoutSeconds * 1000)]) : this.cancellation.signal;
    // The URN names the resource instance across runs: a create finds what an interrupted one made.
    return { provider: this.configuredProvider(), logger: this.engineLog.forResource(urn), signal, ...(urn === '' ? {} : { instanceKey: urn }) };
  }

  /** The provider from Configure; without one (the engine skips Configure while config is unknown), from PULUMI_CONFIG and env. */
  private configuredProvider(): unknown {
    if (this.provider === undefined) {
      const translated = configFromProperties(propertiesFromPulumiConfigEnv(this.env.PULUMI_CONFIG));
      this.redactor.remember(translated.input.apiKey);
      this.provider = this.configured(translated.input);
    }
    return this.provider;
  }

  /** Configure the core's provider; what its settings put at risk goes to the engine as warnings. */
  private configured(input: Parameters<typeof configureProvider>[0]): unknown {
    const { provider, warnings } = configureProvider(input, this.env, this.clientLog);
    for (const warning of warnings) this.engineLog.log('warn', warning.message);
    return provider;
  }

  /** Values the engine sent as secrets, and those schema.json marks secret, are scrubbed from every later message. */
  private rememberSecrets(token: string, inputs: WireProperties): void {
    for (const key of inputs.secretKeys) for (const value of secretValuesOf({ [key]: { secret: true } }, inputs.bag)) this.redactor.remember(value);
    for (const value of secretValuesOf(resourceSpec(token).inputProperties, inputs.bag)) this.redactor.remember(value);
  }

  private unwrapOrFailures(wire: Record<string, unknown> | undefined, nestedSecrets?: ReadonlySet<string>): WireProperties | { failures: CheckFailure[] } {
    try {
      return fromWire(wire, nestedSecrets);
    } catch (error) {
      if (error instanceof UnsupportedWireValueError) return { failures: [{ property: error.property, reason: error.message }] };
      throw error;
    }
  }

  private partialFailure(error: unknown, inputs: WireProperties, secretKeys: ReadonlySet<string>): unknown {
    if (!(error instanceof PartialCreateError)) return error;
    return new ResourceInitFailedError(error, {
      id: error.id,
      properties: toWire(error.outs, secretKeys),
      inputs: toWire(inputs.bag, inputs.secretKeys),
    });
  }
}

/** Thrown for a type or function token the core does not implement (an SDK newer than the plugin). */
export class UnsupportedTokenError extends ProviderError {
  constructor(kind: 'resource' | 'function', token: string) {
    super('UNKNOWN_TOKEN', `the vers provider has no ${kind} ${JSON.stringify(token)}; is the plugin older than the SDK?`);
  }
}

function lifecycleFor(token: string): ResourceLifecycle {
  const lifecycle = resourceLifecycle(token);
  if (lifecycle === undefined) throw new UnsupportedTokenError('resource', token);
  return lifecycle;
}

/** The resource type: the request's `type`, or the last part of the URN's qualified type. */
export function typeOf(type: string, urn: string): string {
  if (type !== '') return type;
  // urn:pulumi:<stack>::<project>::<parent$type>::<name>
  const qualified = urn.split('::')[2] ?? '';
  return qualified.split('$').pop() ?? '';
}

function toStruct(wire: Record<string, unknown>): Struct {
  return Struct.fromJavaScript(wire as StructInput);
}

function withFailures<T extends { setFailuresList(list: pb.CheckFailure[]): unknown }>(response: T, failures: readonly CheckFailure[]): T {
  response.setFailuresList(
    failures.map((failure) => {
      const proto = new pb.CheckFailure();
      proto.setProperty(failure.property);
      proto.setReason(failure.reason);
      return proto;
    }),
  );
  return response;
}

/** Top-level properties schema.json marks secret. */
function secretKeysOf(properties: Record<string, PropertySpec>): string[] {
  return Object.entries(properties)
    .filter(([, spec]) => spec.secret === true)
    .map(([key]) => key);
}

function secretConfigKeys(): string[] {
  return Object.entries(loadPackageSchema().config.variables)
    .filter(([, spec]) => spec.secret === true)
    .map(([key]) => key);
}

/** The core's diff as the engine's DiffResponse, with a detailed diff per changed property. */
function diffResponse(result: DiffResult, olds: PropertyBag): pb.DiffResponse {
  const response = new pb.DiffResponse();
  response.setChanges(result.changes ? pb.DiffResponse.DiffChanges.DIFF_SOME : pb.DiffResponse.DiffChanges.DIFF_NONE);
  response.setReplacesList(result.replaces);
  response.setStablesList(result.stables);
  response.setDeletebeforereplace(result.deleteBeforeReplace);
  response.setDiffsList(result.changedKeys);
  const detailed = response.getDetaileddiffMap();
  for (const key of result.changedKeys) {
    const replace = result.replaces.includes(key);
    const added = olds[key] === undefined || olds[key] === null;
    const property = new pb.PropertyDiff();
    const Kind = pb.PropertyDiff.Kind;
    property.setKind(added ? (replace ? Kind.ADD_REPLACE : Kind.ADD) : replace ? Kind.UPDATE_REPLACE : Kind.UPDATE);
    property.setInputdiff(true);
    detailed.set(key, property);
  }
  response.setHasdetaileddiff(true);
  return response;
}

/** Drop changes the program told the engine to ignore (`ignoreChanges: ["labels"]`). */
function withoutIgnored(result: DiffResult, ignoreChanges: readonly string[]): DiffResult {
  if (ignoreChanges.length === 0) return result;
  const ignored = new Set(ignoreChanges.map((path) => path.split(/[.[]/)[0] as string));
  const changedKeys = result.changedKeys.filter((key) => !ignored.has(key));
  const replaces = result.replaces.filter((key) => !ignored.has(key));
  return {
    ...result,
    changes: changedKeys.length > 0,
    changedKeys,
    replaces,
    deleteBeforeReplace: replaces.length > 0 && result.deleteBeforeReplace,
  };
}

/** Preview of a create: the inputs, and every output that only exists afterwards as unknown. */
export function previewCreateOutputs(token: string, inputs: PropertyBag): PropertyBag {
  const outs: PropertyBag = { ...inputs };
  for (const key of Object.keys(resourceSpec(token).properties)) {
    if (outs[key] === undefined) outs[key] = UNKNOWN;
  }
  return outs;
}

/** Preview of an update: new inputs over old outputs; outputs the diff does not call stable become unknown. */
export function previewUpdateOutputs(token: string, olds: PropertyBag, news: PropertyBag, planned: DiffResult): PropertyBag {
  const stable = new Set(planned.stables);
  const outs: PropertyBag = { ...olds, ...news };
  for (const key of Object.keys(resourceSpec(token).properties)) {
    if (news[key] !== undefined) continue;
    if (!stable.has(key)) outs[key] = UNKNOWN;
  }
  return outs;
}

/**
 * Inputs to record after a read: on refresh, the inputs the program set,
 * with refreshed values; on import, every input property the outputs carry
 * (so the program's next Check/Diff against them is clean).
 */
export function inputsAfterRead(token: string, outs: PropertyBag, oldInputs: PropertyBag | undefined): PropertyBag {
  const inputKeys = Object.keys(resourceSpec(token).inputProperties);
  const inputs: PropertyBag = {};
  for (const key of inputKeys) {
    const refreshed = outs[key];
    if (oldInputs === undefined) {
      if (refreshed !== undefined) inputs[key] = refreshed;
    } else if (oldInputs[key] !== undefined) {
      inputs[key] = refreshed ?? (oldInputs[key] as PropertyBag[string]);
    }
  }
  return inputs;
}
