import type { CheckFailure } from '../../core/base/check-failure';
import { PartialCreateError } from '../../core/base/errors';
import type { JsonValue, PropertyBag } from '../../core/base/json';
import { containsUnknown as bagContainsUnknown } from '../../core/base/unknown';
import { loadPackageSchema } from '../../core/schema/package-schema';
import { replacementCarries, type FunctionLifecycle, type LifecycleContext, type ResourceLifecycle } from '../../core/facade';
import type { BridgeBackend } from './backend';
import { ctyTypeJson, type CtyType } from './cty/cty-type';
import { containsUnknown, isCtyObject, sameData, type CtyObject, type CtyValue } from './cty/cty-value';
import { decodeJsonValue } from './cty/json-codec';
import { decodeMsgpackValue, encodeMsgpackValue } from './cty/msgpack-codec';
import { DiagnosticBuilder, type Diagnostic } from './diagnostics';
import { UnknownTypeError } from './errors';
import type { StderrLogger } from './log/stderr-logger';
import type {
  ApplyResourceChangeRequest,
  ConfigRequest,
  DynamicValueMessage,
  ImportResourceStateRequest,
  PlanResourceChangeRequest,
  ReadResourceRequest,
  UpgradeResourceStateRequest,
} from './plugin/tfplugin6-messages';
import { propertyOf, spelledNames, terraformNameOf, type FieldNames, type NameMap, type ResourceNames } from './schema/name-map';
import { ID_ATTRIBUTE, impliedType, nestedAttributeBlock, type TfAttribute, type TfBlock, type TfNestedBlock, type TfProviderSchema, type TfSchema } from './schema/tf-schema';
import type { AttributePathStep } from './values/attribute-path';
import { aliasConflicts, aliasesInUse, fromPropertyBag, toPropertyBag, type AliasConflict } from './values/property-bag';
import { decodeCarryPrivate, encodeCarryPrivate } from './values/replacement-carry';
import {
  completeOldState,
  normalizeNestedBlocks,
  nullUnknowns,
  planComputedAttributes,
  refreshedObject,
  resultObject,
  withUnrecordedInputsKept,
  type ComputedFate,
} from './values/planning';

/**
 * The tfplugin6.Provider RPCs, translated onto the core's lifecycles. Each
 * handler decodes Terraform's msgpack values against the generated schema,
 * converts them to camelCase property bags, asks the core, and encodes the
 * answer the way Terraform checks it (terraform-plugin-protocol.md §5). No
 * resource-specific logic lives here.
 */

export interface ProviderServiceOptions {
  schema: TfProviderSchema;
  names: NameMap;
  backend: BridgeBackend;
  logger: StderrLogger;
}

interface ResourceContext {
  typeName: string;
  schema: TfSchema;
  type: CtyType;
  names: ResourceNames;
  lifecycle: ResourceLifecycle;
}

interface DataSourceContext {
  typeName: string;
  schema: TfSchema;
  type: CtyType;
  names: FieldNames;
  lifecycle: FunctionLifecycle;
}

/** The response of an RPC that only reports diagnostics. */
interface DiagnosticsResponse {
  diagnostics: Diagnostic[];
}

const EMPTY = Buffer.alloc(0);
const ID_SKIP: ReadonlySet<string> = new Set([ID_ATTRIBUTE]);

export class ProviderService {
  private readonly schema: TfProviderSchema;
  private readonly names: NameMap;
  private readonly backend: BridgeBackend;
  private readonly logger: StderrLogger;
  private readonly diagnostics: DiagnosticBuilder;
  private readonly providerType: CtyType;
  private readonly types = new Map<string, CtyType>();
  /** Aborted by StopProvider: every running core call sees it through `ctx.signal`. */
  private readonly stopController = new AbortController();
  private configured: { provider: unknown } | undefined;
  private schemaResponse: unknown;

  constructor(options: ProviderServiceOptions) {
    this.schema = options.schema;
    this.names = options.names;
    this.backend = options.backend;
    this.logger = options.logger;
    this.diagnostics = new DiagnosticBuilder(options.logger.redactor);
    this.providerType = impliedType(options.schema.provider.block);
  }

  /** The signal StopProvider aborts. */
  get stopSignal(): AbortSignal {
    return this.stopController.signal;
  }

  getMetadata(): unknown {
    return {
      server_capabilities: serverCapabilities(),
      diagnostics: [],
      resources: Object.keys(this.schema.resourceSchemas).map((type_name) => ({ type_name })),
      data_sources: Object.keys(this.schema.dataSourceSchemas).map((type_name) => ({ type_name })),
      functions: [],
    };
  }

  getProviderSchema(): unknown {
    this.schemaResponse ??= {
      provider: schemaMessage(this.schema.provider),
      resource_schemas: mapValues(this.schema.resourceSchemas, schemaMessage),
      data_source_schemas: mapValues(this.schema.dataSourceSchemas, schemaMessage),
      diagnostics: [],
      server_capabilities: serverCapabilities(),
      functions: {},
    };
    return this.schemaResponse;
  }

  async validateProviderConfig(request: ConfigRequest): Promise<DiagnosticsResponse> {
    const config = this.decodeObject(request.config, this.providerType, this.schema.provider.block);
    const bag = toPropertyBag(config, this.schema.provider.block, this.names.provider.attributes);
    const failures = withoutUnknownSubjects(await this.backend.checkProviderConfig(bag), bag);
    return { diagnostics: this.diagnostics.checkFailures(failures, this.names.provider.attributes) };
  }

  async configureProvider(request: ConfigRequest): Promise<DiagnosticsResponse> {
    const config = this.decodeObject(request.config, this.providerType, this.schema.provider.block);
    if (containsUnknown(config)) {
      const unknown = this.schema.provider.block.attributes.filter((attribute) => containsUnknown(config[attribute.name] ?? null)).map((attribute) => attribute.name);
      return {
        diagnostics: [
          this.diagnostics.error(
            'Provider configuration depends on values not known yet',
            `The provider "vers" arguments ${unknown.join(', ')} are only known after apply. Set them from variables or the VERS_* environment variables, or apply the resources they depend on first (terraform apply -target=…).`,
            unknown.length === 1 ? [{ attribute_name: unknown[0] as string }] : undefined,
          ),
        ],
      };
    }
    const bag = toPropertyBag(config, this.schema.provider.block, this.names.provider.attributes);
    try {
      const configured = await this.backend.configureProvider(bag, this.logger);
      this.configured = { provider: configured.provider };
      this.logger.log('debug', `terraform-provider-vers ${loadPackageSchema().version} (node ${process.version}) configured for Terraform ${request.terraform_version ?? '(unknown version)'}`);
      // One summary per setting: Terraform folds warnings that share a summary into one.
      return { diagnostics: configured.warnings.map((warning) => this.diagnostics.warning(`Insecure provider setting ${warning.option}`, `${warning.message}.`)) };
    } catch (error) {
      return { diagnostics: [this.diagnostics.fromError(error, 'configuring the provider', this.names.provider.attributes)] };
    }
  }

  async validateResourceConfig(request: ConfigRequest): Promise<DiagnosticsResponse> {
    const resource = this.resource(request.type_name ?? '');
    const config = this.decodeObject(request.config, resource.type, resource.schema.block);
    const conflicts = this.aliasConflictDiagnostics(resource, config);
    if (conflicts.length > 0) return { diagnostics: conflicts };
    const bag = this.bagOf(resource, config);
    const checked = await resource.lifecycle.check(bag, undefined);
    return { diagnostics: this.diagnostics.checkFailures(withoutUnknownSubjects(checked.failures, bag), this.spelled(resource, config)) };
  }

  async validateDataResourceConfig(request: ConfigRequest): Promise<DiagnosticsResponse> {
    const dataSource = this.dataSource(request.type_name ?? '');
    const config = this.decodeObject(request.config, dataSource.type, dataSource.schema.block);
    const bag = toPropertyBag(config, dataSource.schema.block, dataSource.names);
    const failures = await dataSource.lifecycle.check(bag);
    return { diagnostics: this.diagnostics.checkFailures(withoutUnknownSubjects(failures, bag), dataSource.names) };
  }

  async upgradeResourceState(request: UpgradeResourceStateRequest): Promise<unknown> {
    const resource = this.resource(request.type_name);
    if (request.version > resource.schema.version) {
      return {
        diagnostics: [
          this.diagnostics.error(
            'Resource state written by a newer provider',
            `The state of this ${request.type_name} has schema version ${request.version}, but this terraform-provider-vers knows version ${resource.schema.version} at most. Use the provider version that wrote the state.`,
          ),
        ],
      };
    }
    const raw = request.raw_state?.json;
    if (raw === undefined || raw.length === 0) {
      if (Object.keys(request.raw_state?.flatmap ?? {}).length > 0) {
        return { diagnostics: [this.diagnostics.error('Unsupported state format', `The state of this ${request.type_name} is in the pre-0.12 flatmap format, which terraform-provider-vers never wrote.`)] };
      }
      return { upgraded_state: this.encode(null, resource.type), diagnostics: [] };
    }
    const decoded = decodeJsonValue(JSON.parse(raw.toString('utf8')) as unknown, resource.type);
    let upgraded = isCtyObject(decoded) ? normalizeNestedBlocks(decoded, resource.schema.block) : decoded;
    if (isCtyObject(upgraded) && request.version < resource.schema.version) {
      // An older version (or the earlier Go provider) did not record every attribute: fill each
      // input the way this version records it (the core's check: defaults, file hashes) and each
      // output it never recorded with its type's empty value, so nothing stays null that an apply
      // would then fill ("inconsistent result after apply").
      const inUse = aliasesInUse(upgraded, resource.names.attributes);
      const checked = await resource.lifecycle.check(this.bagOf(resource, upgraded), undefined);
      const recorded = fromPropertyBag(checked.inputs, resource.schema.block, resource.names.attributes, undefined, inUse);
      upgraded = completeOldState(resource.schema.block, upgraded, recorded);
      this.logger.log('info', `${request.type_name}: state of schema version ${request.version} upgraded to ${resource.schema.version}`);
    }
    return { upgraded_state: this.encode(upgraded, resource.type), diagnostics: [] };
  }

  async readResource(request: ReadResourceRequest): Promise<unknown> {
    const resource = this.resource(request.type_name);
    const current = this.decodeObjectOrNull(request.current_state, resource.type, resource.schema.block);
    const echo = { new_state: this.encode(current, resource.type), private: request.private ?? EMPTY };
    if (current === null) return { ...echo, diagnostics: [] };
    const id = idOf(current);
    try {
      const result = await resource.lifecycle.read(id, this.bagOf(resource, current), this.lifecycleContext());
      if (result === undefined) {
        this.logger.log('info', `${request.type_name} ${id} no longer exists; Terraform will plan to create it`);
        return { new_state: this.encode(null, resource.type), private: request.private ?? EMPTY, diagnostics: [] };
      }
      const outputs = this.objectOf(resource, result.outs, result.id, current);
      const refreshed = this.withoutUnknowns(refreshedObject(resource.schema.block, current, outputs), request.type_name, 'read');
      return { new_state: this.encode(refreshed.value, resource.type), private: request.private ?? EMPTY, diagnostics: refreshed.diagnostics };
    } catch (error) {
      return { ...echo, diagnostics: [this.diagnostics.fromError(error, `reading ${request.type_name} ${id}`, resource.names.attributes)] };
    }
  }

  async planResourceChange(request: PlanResourceChangeRequest): Promise<unknown> {
    const resource = this.resource(request.type_name);
    const { block } = resource.schema;
    const prior = this.decodeObjectOrNull(request.prior_state, resource.type, block);
    const proposed = this.decodeObjectOrNull(request.proposed_new_state, resource.type, block);
    const config = this.decodeObjectOrNull(request.config, resource.type, block);
    const plannedPrivate = request.prior_private ?? EMPTY;
    if (proposed === null || config === null) {
      // Destroy: the planned state must be null.
      return { planned_state: this.encode(null, resource.type), planned_private: plannedPrivate, requires_replace: [], diagnostics: [] };
    }
    const conflicts = this.aliasConflictDiagnostics(resource, config);
    if (conflicts.length > 0) return { planned_state: this.encode(proposed, resource.type), planned_private: plannedPrivate, requires_replace: [], diagnostics: conflicts };
    const configBag = this.bagOf(resource, config);
    const priorBag = prior === null ? undefined : this.bagOf(resource, prior);
    const checked = await resource.lifecycle.check(configBag, priorBag);
    const failures = withoutUnknownSubjects(checked.failures, configBag);
    if (failures.length > 0) {
      return { planned_state: this.encode(proposed, resource.type), planned_private: plannedPrivate, requires_replace: [], diagnostics: this.diagnostics.checkFailures(failures, this.spelled(resource, config)) };
    }
    const checkedObject = fromPropertyBag(checked.inputs, block, resource.names.attributes, undefined, aliasesInUse(config, resource.names.attributes));
    if (prior === null) {
      const planned = planComputedAttributes(block, config, proposed, checkedObject, () => 'unknown');
      return { planned_state: this.encode(planned, resource.type), planned_private: plannedPrivate, requires_replace: [], diagnostics: [] };
    }

    const diff = await resource.lifecycle.diff(idOf(prior), priorBag ?? {}, checked.inputs);
    const replacing = diff.replaces.length > 0;
    // Terraform hands this to the plan of the create half as prior_private, records it in the plan, and
    // gives it to the destroy half (not to the create half: at apply time it re-plans that from scratch).
    const replacingPrivate = replacing && diff.carry !== undefined ? encodeCarryPrivate(diff.carry) : plannedPrivate;
    const attributeNames = resource.names.attributes;
    const optional = new Set(block.attributes.filter((attribute) => attribute.optional).map((attribute) => attribute.name));
    const fateOf = (attribute: string): ComputedFate => {
      if (replacing) return 'unknown';
      if (!diff.changes || attribute === ID_ATTRIBUTE) return 'keep';
      const property = propertyOf(attributeNames, attribute);
      if (diff.stables.includes(property)) return 'keep';
      // An input left unset keeps its value unless the core says it changes; an output changes unless stable.
      if (optional.has(attribute)) return diff.changedKeys.includes(property) ? 'unknown' : 'keep';
      return 'unknown';
    };
    const planned = planComputedAttributes(block, config, proposed, checkedObject, fateOf);
    const requiresReplace: Array<{ steps: AttributePathStep[] }> = [];
    if (replacing) {
      for (const property of diff.replaces) {
        const name = terraformNameOf(attributeNames, property);
        if (name === undefined) {
          this.logger.log('warn', `${request.type_name}: the core replaces on "${property}", which has no Terraform attribute`);
          continue;
        }
        requiresReplace.push({ steps: [{ attribute_name: name }] });
      }
      // Terraform drops replacement paths whose value did not change; the id (unknown now) always did.
      const anyPathChanged = requiresReplace.some((path) => {
        const name = (path.steps[0] as { attribute_name: string }).attribute_name;
        return !sameData(prior[name] ?? null, planned[name] ?? null);
      });
      if (!anyPathChanged) requiresReplace.push({ steps: [{ attribute_name: ID_ATTRIBUTE }] });
    }
    return { planned_state: this.encode(planned, resource.type), planned_private: replacingPrivate, requires_replace: requiresReplace, diagnostics: replacing ? [] : this.adoptionWarnings(resource, diff.adopted, config, prior, idOf(prior)) };
  }

  /**
   * Terraform can only record a configured value it never knew by an update:
   * say that such an update (after an import, for inputs Vers does not
   * report) changes nothing in Vers.
   */
  private adoptionWarnings(resource: ResourceContext, adopted: readonly string[] | undefined, config: CtyObject, prior: CtyObject, id: string): Diagnostic[] {
    const names = (adopted ?? [])
      .map((property) => terraformNameOf(resource.names.attributes, property))
      .filter((name): name is string => name !== undefined && (config[name] ?? null) !== null && (prior[name] ?? null) === null);
    if (names.length === 0) return [];
    const list = names.map((name) => `\`${name}\``).join(', ');
    return [
      this.diagnostics.warning(
        `${resource.typeName} ${id}: ${list} recorded, not applied`,
        `Vers does not report ${list} of an existing object (for example after terraform import), so this plan records the configured value${names.length > 1 ? 's' : ''} in the state and changes nothing in Vers. If ${id} was made with other values, replace it to get these: terraform apply -replace=<address>. From then on a change of ${list} is planned as the schema says.`,
      ),
    ];
  }

  /** Error diagnostics for properties a configuration sets in both of their spellings. */
  private aliasConflictDiagnostics(resource: ResourceContext, config: CtyObject): Diagnostic[] {
    return aliasConflicts(config, resource.schema.block, resource.names.attributes).map((conflict: AliasConflict) => {
      const primary = conflict.primaryIsBlock ? `\`${conflict.primary}\` blocks` : `\`${conflict.primary}\``;
      return this.diagnostics.error(
        `Conflicting spellings: \`${conflict.alias}\` and ${primary}`,
        `\`${conflict.alias}\` and ${primary} are two spellings of the same ${resource.typeName} setting: set only one. Keep the ${primary} (the current spelling) and remove \`${conflict.alias}\`, an alias accepted so that configurations in the older spelling keep working.`,
        [{ attribute_name: conflict.alias }],
      );
    });
  }

  /** The resource's names as this configuration spells them (an alias in use stands in for its primary name). */
  private spelled(resource: ResourceContext, config: CtyObject): FieldNames {
    return spelledNames(resource.names.attributes, aliasesInUse(config, resource.names.attributes));
  }

  async applyResourceChange(request: ApplyResourceChangeRequest): Promise<unknown> {
    const resource = this.resource(request.type_name);
    const { block } = resource.schema;
    const prior = this.decodeObjectOrNull(request.prior_state, resource.type, block);
    const planned = this.decodeObjectOrNull(request.planned_state, resource.type, block);
    const config = this.decodeObjectOrNull(request.config, resource.type, block);
    const privateState = request.planned_private ?? EMPTY;
    // A carry is spent by this apply: the new object keeps none of it.
    const keptPrivate = decodeCarryPrivate(privateState) === undefined ? privateState : EMPTY;
    const respond = (state: CtyObject | null, diagnostics: Diagnostic[]): unknown => ({
      new_state: this.encode(state, resource.type),
      private: keptPrivate,
      diagnostics,
    });

    if (planned === null) {
      if (prior === null) return respond(null, []);
      const id = idOf(prior);
      // The destroy half of a replacement (Terraform's default order): the
      // create half is re-planned at apply time from a null prior and empty
      // private data, so the carry waits in this process for that create,
      // which follows in the same apply. (Under create_before_destroy the
      // create comes first and nothing is carried.)
      const carry = decodeCarryPrivate(privateState);
      if (carry !== undefined) {
        replacementCarries.hold(request.type_name, carry);
        this.logger.log('debug', `${request.type_name} ${id} is being replaced: holding what its successor needs`);
      }
      try {
        await resource.lifecycle.delete(id, this.bagOf(resource, prior), this.lifecycleContext());
        return respond(null, []);
      } catch (error) {
        // The object still exists: keep it in state.
        return respond(prior, [this.diagnostics.fromError(error, `deleting ${request.type_name} ${id}`, resource.names.attributes)]);
      }
    }

    const configBag = this.bagOf(resource, config ?? planned);
    const priorBag = prior === null ? undefined : this.bagOf(resource, prior);
    const checked = await resource.lifecycle.check(configBag, priorBag);
    const spelling = config ?? planned;
    if (checked.failures.length > 0) {
      return respond(prior, this.diagnostics.checkFailures(checked.failures, this.spelled(resource, spelling)));
    }

    if (prior === null) {
      const carried = replacementCarries.take(request.type_name, checked.inputs);
      try {
        const created = await resource.lifecycle.create(checked.inputs, this.lifecycleContext(), carried);
        const result = this.withoutUnknowns(resultObject(block, planned, this.objectOf(resource, created.outs, created.id, spelling), ID_ATTRIBUTE), request.type_name, 'create');
        return respond(result.value, result.diagnostics);
      } catch (error) {
        const diagnostic = this.diagnostics.fromError(error, `creating ${request.type_name}`, resource.names.attributes);
        if (error instanceof PartialCreateError) {
          // Recorded with an error, Terraform taints the object: replaced on the next apply, never lost.
          const partial = this.withoutUnknowns(resultObject(block, planned, this.objectOf(resource, error.outs, error.id, spelling), ID_ATTRIBUTE), request.type_name, 'create');
          return respond(partial.value, [diagnostic, ...partial.diagnostics]);
        }
        return respond(null, [diagnostic]);
      }
    }

    const id = idOf(prior);
    try {
      const outs = await resource.lifecycle.update(id, priorBag ?? {}, checked.inputs, this.lifecycleContext());
      const outputs = withUnrecordedInputsKept(block, prior, planned, this.objectOf(resource, outs, id, spelling));
      const result = this.withoutUnknowns(resultObject(block, planned, outputs, ID_ATTRIBUTE), request.type_name, 'update');
      return respond(result.value, result.diagnostics);
    } catch (error) {
      return respond(prior, [this.diagnostics.fromError(error, `updating ${request.type_name} ${id}`, resource.names.attributes)]);
    }
  }

  async importResourceState(request: ImportResourceStateRequest): Promise<unknown> {
    const resource = this.resource(request.type_name);
    if (!resource.names.importable) {
      return { imported_resources: [], diagnostics: [this.diagnostics.error(`${request.type_name} cannot be imported`, resource.names.importHint ?? `${request.type_name} does not support import.`)] };
    }
    try {
      const result = await resource.lifecycle.read(request.id, undefined, this.lifecycleContext());
      if (result === undefined) {
        return {
          imported_resources: [],
          diagnostics: [this.diagnostics.error('Cannot import non-existent remote object', `No ${request.type_name} with id ${JSON.stringify(request.id)} exists in Vers (or this API key cannot see it). Check the id.`)],
        };
      }
      const state = this.withoutUnknowns(this.objectOf(resource, result.outs, result.id), request.type_name, 'import');
      return {
        imported_resources: [{ type_name: request.type_name, state: this.encode(state.value, resource.type), private: EMPTY }],
        diagnostics: state.diagnostics,
      };
    } catch (error) {
      return { imported_resources: [], diagnostics: [this.diagnostics.fromError(error, `importing ${request.type_name} ${request.id}`, resource.names.attributes)] };
    }
  }

  async readDataSource(request: ConfigRequest): Promise<unknown> {
    const dataSource = this.dataSource(request.type_name ?? '');
    const { block } = dataSource.schema;
    const config = this.decodeObject(request.config, dataSource.type, block);
    const args = toPropertyBag(config, block, dataSource.names);
    const failures = await dataSource.lifecycle.check(args);
    if (failures.length > 0) return { diagnostics: this.diagnostics.checkFailures(failures, dataSource.names) };
    try {
      const outputs = await dataSource.lifecycle.invoke(args, this.lifecycleContext());
      const outputObject = fromPropertyBag({ ...args, ...outputs }, block, dataSource.names, undefined, aliasesInUse(config, dataSource.names));
      const state = this.withoutUnknowns(resultObject(block, config, outputObject), request.type_name ?? '', 'read');
      return { state: this.encode(state.value, dataSource.type), diagnostics: state.diagnostics };
    } catch (error) {
      return { diagnostics: [this.diagnostics.fromError(error, `reading data source ${request.type_name ?? ''}`, dataSource.names)] };
    }
  }

  stopProvider(): unknown {
    this.logger.log('info', 'StopProvider: cancelling running operations');
    this.stopController.abort(new Error('Terraform asked the provider to stop (StopProvider)'));
    return { Error: '' };
  }

  getFunctions(): unknown {
    return { functions: {}, diagnostics: [] };
  }

  callFunction(request: { name?: string }): unknown {
    return { error: { text: `terraform-provider-vers has no function ${JSON.stringify(request.name ?? '')}` } };
  }

  /** Wraps an RPC body: any throw becomes an error diagnostic instead of a gRPC failure Terraform would call a crash. */
  async guard(rpc: string, typeName: string | undefined, body: () => unknown): Promise<unknown> {
    const started = Date.now();
    try {
      return await body();
    } catch (error) {
      this.logger.log('error', `${rpc}${typeName ? ` ${typeName}` : ''} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return { diagnostics: [this.diagnostics.fromError(error, `in ${rpc}${typeName ? ` for ${typeName}` : ''}`)] };
    } finally {
      this.logger.log('debug', `${rpc}${typeName ? ` ${typeName}` : ''} took ${Date.now() - started} ms`);
    }
  }

  private resource(typeName: string): ResourceContext {
    const schema = this.schema.resourceSchemas[typeName];
    const names = this.names.resources[typeName];
    if (schema === undefined || names === undefined) throw new UnknownTypeError('resource', typeName);
    const lifecycle = this.backend.resource(names.token);
    if (lifecycle === undefined) throw new UnknownTypeError('resource', typeName, names.token);
    return { typeName, schema, names, lifecycle, type: this.typeOf(`resource:${typeName}`, schema.block) };
  }

  private dataSource(typeName: string): DataSourceContext {
    const schema = this.schema.dataSourceSchemas[typeName];
    const names = this.names.dataSources[typeName];
    if (schema === undefined || names === undefined) throw new UnknownTypeError('data source', typeName);
    const lifecycle = this.backend.dataSource(names.token);
    if (lifecycle === undefined) throw new UnknownTypeError('data source', typeName, names.token);
    return { typeName, schema, names: names.attributes, lifecycle, type: this.typeOf(`data:${typeName}`, schema.block) };
  }

  private typeOf(key: string, block: TfBlock): CtyType {
    let type = this.types.get(key);
    if (type === undefined) {
      type = impliedType(block);
      this.types.set(key, type);
    }
    return type;
  }

  private decodeObjectOrNull(message: DynamicValueMessage | null | undefined, type: CtyType, block: TfBlock): CtyObject | null {
    let value: CtyValue;
    if (message?.msgpack !== undefined && message.msgpack.length > 0) value = decodeMsgpackValue(message.msgpack, type);
    else if (message?.json !== undefined && message.json.length > 0) value = decodeJsonValue(JSON.parse(message.json.toString('utf8')) as unknown, type);
    else value = null;
    if (!isCtyObject(value)) return null;
    this.rememberSecrets(value, block);
    return value;
  }

  private decodeObject(message: DynamicValueMessage | null | undefined, type: CtyType, block: TfBlock): CtyObject {
    return this.decodeObjectOrNull(message, type, block) ?? {};
  }

  private encode(value: CtyValue, type: CtyType): { msgpack: Buffer } {
    return { msgpack: Buffer.from(encodeMsgpackValue(value, type)) };
  }

  private bagOf(resource: ResourceContext, value: CtyObject): PropertyBag {
    return toPropertyBag(value, resource.schema.block, resource.names.attributes, { skip: ID_SKIP });
  }

  /** The core's outputs as a Terraform object, spelled like `reference` (the configuration or the prior state). */
  private objectOf(resource: ResourceContext, outs: PropertyBag, id: string, reference?: CtyObject | null): CtyObject {
    return fromPropertyBag(outs, resource.schema.block, resource.names.attributes, { attribute: ID_ATTRIBUTE, value: id }, aliasesInUse(reference, resource.names.attributes));
  }

  /** Terraform rejects unknowns in stored state: report any the core left as null, with a warning. */
  private withoutUnknowns(value: CtyObject, typeName: string, operation: string): { value: CtyObject; diagnostics: Diagnostic[] } {
    const cleaned = nullUnknowns(value);
    if (cleaned.replaced.length === 0) return { value, diagnostics: [] };
    this.logger.log('warn', `${typeName} ${operation}: the core returned unknown values at ${cleaned.replaced.join(', ')}`);
    return {
      value: cleaned.value as CtyObject,
      diagnostics: [this.diagnostics.warning(`Incomplete ${typeName} result`, `The provider could not determine ${cleaned.replaced.join(', ')}; they are recorded as null. Run terraform refresh to fill them in.`)],
    };
  }

  private lifecycleContext(): LifecycleContext {
    return { provider: this.configured?.provider, logger: this.logger, signal: this.stopController.signal };
  }

  /** Sensitive values seen in any request are blanked out of every later log line and diagnostic. */
  private rememberSecrets(value: CtyObject, block: TfBlock): void {
    for (const attribute of block.attributes) {
      if (attribute.sensitive) rememberStrings(value[attribute.name] ?? null, this.logger.redactor);
      const nested = nestedAttributeBlock(attribute);
      const items = value[attribute.name] ?? null;
      if (nested !== undefined && Array.isArray(items)) items.forEach((item) => isCtyObject(item) && this.rememberSecrets(item, nested));
    }
    for (const nested of block.blockTypes) forEachBlockObject(value[nested.typeName] ?? null, nested, (item) => this.rememberSecrets(item, nested.block));
  }
}

function idOf(state: CtyObject): string {
  const id = state[ID_ATTRIBUTE];
  return typeof id === 'string' ? id : '';
}

/**
 * Drops failures about values that are not known yet (the core's `check` may
 * not judge them, but a failure on a parent path can still come from one):
 * Terraform validates again once they are known.
 */
export function withoutUnknownSubjects(failures: readonly CheckFailure[], bag: PropertyBag): CheckFailure[] {
  return failures.filter((failure) => !bagContainsUnknown(valueAtPath(bag, failure.property)));
}

function valueAtPath(bag: PropertyBag, path: string): JsonValue | undefined {
  let current: JsonValue | undefined = bag;
  const tokens = path.match(/[A-Za-z_$][\w$]*|\[\d+\]|\["(?:[^"\\]|\\.)*"\]/g) ?? [];
  for (const token of tokens) {
    if (current === null || current === undefined || typeof current !== 'object') return current;
    if (token.startsWith('[')) {
      const key: string | number = token.startsWith('["') ? (JSON.parse(token.slice(1, -1)) as string) : Number(token.slice(1, -1));
      current = Array.isArray(current) ? current[Number(key)] : (current as Record<string, JsonValue>)[String(key)];
    } else {
      current = Array.isArray(current) ? undefined : current[token];
    }
    if (bagContainsUnknown(current)) return current;
  }
  return current;
}

function rememberStrings(value: CtyValue, redactor: { remember(value: unknown): void }): void {
  if (typeof value === 'string') redactor.remember(value);
  else if (Array.isArray(value)) value.forEach((item) => rememberStrings(item, redactor));
  else if (isCtyObject(value)) Object.values(value).forEach((item) => rememberStrings(item, redactor));
}

function forEachBlockObject(value: CtyValue, nested: TfNestedBlock, visit: (item: CtyObject) => void): void {
  if (Array.isArray(value)) value.forEach((item) => isCtyObject(item) && visit(item));
  else if (isCtyObject(value)) {
    if (nested.nesting === 'MAP') Object.values(value).forEach((item) => isCtyObject(item) && visit(item));
    else visit(value);
  }
}

function serverCapabilities(): unknown {
  // plan_destroy off: destroy plans need nothing from the core. The schema never changes within a
  // version, so Terraform may skip GetProviderSchema in later provider processes.
  return { plan_destroy: false, get_provider_schema_optional: true, move_resource_state: false };
}

function schemaMessage(schema: TfSchema): unknown {
  return { version: schema.version, block: blockMessage(schema.block) };
}

function blockMessage(block: TfBlock): unknown {
  return {
    version: 0,
    attributes: block.attributes.map(attributeMessage),
    block_types: block.blockTypes.map((nested) => ({
      type_name: nested.typeName,
      block: blockMessage(nested.block),
      nesting: nested.nesting,
      min_items: nested.minItems ?? 0,
      max_items: nested.maxItems ?? 0,
    })),
    description: block.description ?? '',
    description_kind: block.descriptionKind ?? 'PLAIN',
    deprecated: block.deprecated === true,
  };
}

/** One attribute; a nested attribute carries its object in `nested_type` and no `type`. */
function attributeMessage(attribute: TfAttribute): unknown {
  return {
    name: attribute.name,
    type: attribute.nestedType === undefined ? Buffer.from(ctyTypeJson(attribute.type), 'utf8') : EMPTY,
    ...(attribute.nestedType === undefined ? {} : { nested_type: { attributes: attribute.nestedType.attributes.map(attributeMessage), nesting: attribute.nestedType.nesting } }),
    description: attribute.description ?? '',
    description_kind: attribute.descriptionKind ?? 'PLAIN',
    required: attribute.required === true,
    optional: attribute.optional === true,
    computed: attribute.computed === true,
    sensitive: attribute.sensitive === true,
    deprecated: attribute.deprecated === true,
  };
}

function mapValues<T, U>(record: Record<string, T>, map: (value: T) => U): Record<string, U> {
  const result: Record<string, U> = {};
  for (const [key, value] of Object.entries(record)) result[key] = map(value);
  return result;
}
