import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { CheckFailure } from '../base/check-failure';
import type { JsonValue, PropertyBag } from '../base/json';
import { isUnknown } from '../base/unknown';
import { durationRangeFailure, type DurationRange } from '../base/duration';
import {
  isEnumType,
  loadPackageSchema,
  resolveRef,
  type PackageSchema,
  type PropertySpec,
  type TypeSpec,
} from './package-schema';

/**
 * Input validation generated from schema.json: each resource's and
 * function's inputs become one JSON Schema (types, required inputs, enums and
 * the `language.jsonSchema` rules), compiled once with ajv. Errors come back
 * as CheckFailures that name the property path and the rule in words: the
 * property's `language.validationMessage`, or the `validationMessage` of the
 * sub-schema that holds the rule (`items`, `additionalProperties` for map
 * values, `propertyNames` for map keys). Two keywords are this project's:
 * `durationRange` (`{minimum: "1s", maximum: "24h"}` on a duration string)
 * and `validationMessage` (words, not a rule).
 */

interface CompiledInputs {
  validate: ValidateFunction;
  /** The JSON Schema compiled, to tell map keys from property names in error paths. */
  root: JsonSchemaNode;
  /** Human rule text for a property path pattern (`files[].destination`) → message. */
  ruleTexts: Map<string, string>;
  /** Property paths (pattern form) that are computed by the provider and must not be set. */
  readOnly: Set<string>;
}

const compiled = new Map<string, CompiledInputs>();
const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
ajv.addKeyword({
  keyword: 'durationRange',
  type: 'string',
  schemaType: 'object',
  validate: (range: DurationRange, data: string) => durationRangeFailure(data, range) === undefined,
});
ajv.addKeyword({ keyword: 'validationMessage', schemaType: 'string' });

/** The parts of a compiled JSON Schema that locate a value. */
interface JsonSchemaNode {
  properties?: Record<string, JsonSchemaNode>;
  items?: JsonSchemaNode;
  additionalProperties?: JsonSchemaNode | boolean;
  validationMessage?: string;
  durationRange?: DurationRange;
}

function jsonSchemaOf(
  schema: PackageSchema,
  spec: PropertySpec | TypeSpec,
  path: string,
  ruleTexts: Map<string, string>,
  readOnly: Set<string>,
): Record<string, unknown> {
  const property = spec as PropertySpec;
  const rules = { ...(property.language?.jsonSchema ?? {}) };
  if (typeof property.language?.validationMessage === 'string') ruleTexts.set(path, property.language.validationMessage);
  if (rules.readOnly === true) readOnly.add(path);
  delete rules.readOnly;

  const named = resolveRef(schema, spec);
  if (named !== undefined) {
    if (isEnumType(named)) return { ...rules, enum: named.enum.map((value) => value.value) };
    const properties: Record<string, unknown> = {};
    for (const [name, child] of Object.entries(named.properties)) {
      properties[name] = jsonSchemaOf(schema, child, `${path}.${name}`, ruleTexts, readOnly);
    }
    return {
      ...rules,
      ...(named.language?.jsonSchema ?? {}),
      type: 'object',
      properties,
      required: named.required ?? [],
      additionalProperties: false,
    };
  }
  // Rules for list items and map values sit beside the type's own, in `language.jsonSchema.items` / `.additionalProperties`.
  const nested = (key: 'items' | 'additionalProperties'): Record<string, unknown> =>
    typeof rules[key] === 'object' && rules[key] !== null ? (rules[key] as Record<string, unknown>) : {};
  switch (spec.type) {
    case 'array':
      return { ...rules, type: 'array', items: { ...nested('items'), ...jsonSchemaOf(schema, spec.items ?? {}, `${path}[]`, ruleTexts, readOnly) } };
    case 'object':
      return {
        ...rules,
        type: 'object',
        additionalProperties: { ...nested('additionalProperties'), ...jsonSchemaOf(schema, spec.additionalProperties ?? {}, `${path}{}`, ruleTexts, readOnly) },
      };
    case undefined:
      return rules;
    default:
      return { ...rules, type: spec.type };
  }
}

function compile(token: string): CompiledInputs {
  const schema = loadPackageSchema();
  const resource = schema.resources[token];
  const fn = schema.functions[token];
  const inputs = resource?.inputProperties ?? fn?.inputs?.properties;
  const required = resource?.requiredInputs ?? fn?.inputs?.required ?? [];
  if (inputs === undefined) throw new Error(`schema.json has no resource or function ${token}`);
  const ruleTexts = new Map<string, string>();
  const readOnly = new Set<string>();
  const properties: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(inputs)) {
    properties[name] = jsonSchemaOf(schema, spec, name, ruleTexts, readOnly);
  }
  const root = { type: 'object', properties, required, additionalProperties: false };
  const validate = ajv.compile(root);
  return { validate, root: root as JsonSchemaNode, ruleTexts, readOnly };
}

function compiledFor(token: string): CompiledInputs {
  let entry = compiled.get(token);
  if (entry === undefined) {
    entry = compile(token);
    compiled.set(token, entry);
  }
  return entry;
}

/**
 * `/files/1/source` → `files[1].source`, `/environment/A` → `environment["A"]`:
 * walking the schema tells a property name from a map key.
 */
function displayPath(root: JsonSchemaNode, instancePath: string, extra?: string, extraIsKey = false): string {
  const parts = instancePath.split('/').filter((part) => part !== '').map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  let out = '';
  let node: JsonSchemaNode | undefined = root;
  const step = (part: string, isKey: boolean): void => {
    // An object with named properties (even when `part` is not one of them) names properties; a map names keys.
    if (!isKey && node?.properties !== undefined) {
      out += out === '' ? part : `.${part}`;
      node = node.properties[part];
    } else if (!isKey && node?.items !== undefined && /^[0-9]+$/.test(part)) {
      out += `[${part}]`;
      node = node.items;
    } else {
      out += `[${JSON.stringify(part)}]`;
      node = typeof node?.additionalProperties === 'object' ? node.additionalProperties : undefined;
    }
  };
  for (const part of parts) step(part, false);
  if (extra !== undefined) step(extra, extraIsKey);
  return out;
}

/** `files[1].source` → `files[].source` (the key of per-property rule texts). */
function patternPath(path: string): string {
  return path.replace(/\[[0-9]+\]/g, '[]');
}

function describeType(type: unknown): string {
  switch (type) {
    case 'integer':
      return 'a whole number';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'string':
      return 'a string';
    case 'array':
      return 'a list';
    case 'object':
      return 'an object (a map)';
    default:
      return String(type);
  }
}

function failureOf(error: ErrorObject, compiledInputs: CompiledInputs): CheckFailure {
  const params = error.params as Record<string, unknown>;
  const { root } = compiledInputs;
  switch (error.keyword) {
    case 'required':
      return { property: displayPath(root, error.instancePath, String(params.missingProperty)), reason: 'is required' };
    case 'additionalProperties':
      return {
        property: displayPath(root, error.instancePath, String(params.additionalProperty)),
        reason: 'is not a known property',
      };
    case 'oneOf': {
      const alternatives = ((error.schema as Array<{ required?: string[] }>) ?? []).flatMap((alt) => alt.required ?? []);
      return {
        property: displayPath(root, error.instancePath),
        reason: `must set exactly one of ${alternatives.map((name) => `\`${name}\``).join(' and ')}`,
      };
    }
    case 'durationRange': {
      const range = error.schema as DurationRange;
      return { property: displayPath(root, error.instancePath), reason: `must be between ${range.minimum} and ${range.maximum}` };
    }
    default:
      break;
  }
  // A rule about a map key (`propertyNames`) names the key; its words sit in that sub-schema.
  const keyName = (error as ErrorObject & { propertyName?: string }).propertyName;
  const property = keyName === undefined ? displayPath(root, error.instancePath) : displayPath(root, error.instancePath, keyName, true);
  const ownWords = (error.parentSchema as JsonSchemaNode | undefined)?.validationMessage;
  const ruleText = ownWords ?? compiledInputs.ruleTexts.get(patternPath(property));
  switch (error.keyword) {
    case 'type':
      return { property, reason: `must be ${describeType(params.type)}` };
    case 'minimum':
      return { property, reason: `must be at least ${String(params.limit)}` };
    case 'maximum':
      return { property, reason: `must be at most ${String(params.limit)}` };
    case 'minLength':
      return { property, reason: 'must not be empty' };
    case 'maxLength':
      return { property, reason: `must be at most ${String(params.limit)} characters` };
    case 'enum':
      return { property, reason: `must be one of ${(params.allowedValues as unknown[]).map(String).join(', ')}` };
    case 'pattern':
      return { property, reason: ruleText ?? `must match ${String(params.pattern)}` };
    default:
      return { property, reason: ruleText ?? error.message ?? 'is invalid' };
  }
}

/**
 * Remove unknown values (not yet computed during a plan or preview) so the
 * remaining known values can be validated. Returns the cleaned bag and the
 * paths that were unknown; a rule about an unknown value cannot be judged yet.
 */
function withoutUnknowns(value: JsonValue, path: string, unknownPaths: Set<string>): JsonValue | undefined {
  if (isUnknown(value)) {
    unknownPaths.add(path);
    return undefined;
  }
  if (Array.isArray(value)) {
    return value.map((item, index) => {
      const cleaned = withoutUnknowns(item, `${path}/${index}`, unknownPaths);
      return cleaned === undefined ? null : cleaned;
    });
  }
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: JsonValue } = {};
    for (const [key, item] of Object.entries(value)) {
      const cleaned = withoutUnknowns(item, `${path}/${key}`, unknownPaths);
      if (cleaned !== undefined) out[key] = cleaned;
    }
    return out;
  }
  return value;
}

function touchesUnknown(error: ErrorObject, unknownPaths: Set<string>): boolean {
  const params = error.params as Record<string, unknown>;
  const paths = [error.instancePath];
  if (error.keyword === 'required') paths.push(`${error.instancePath}/${String(params.missingProperty)}`);
  for (const unknownPath of unknownPaths) {
    for (const path of paths) {
      if (path === unknownPath || path.startsWith(`${unknownPath}/`) || unknownPath.startsWith(`${path}/`)) return true;
    }
  }
  return false;
}

/**
 * Validate a resource's or function's inputs (camelCase property bag)
 * against schema.json. Null values count as unset. Unknown values pass.
 */
export function validateInputs(token: string, inputs: PropertyBag): CheckFailure[] {
  const compiledInputs = compiledFor(token);
  const unknownPaths = new Set<string>();
  const known = withoutUnknowns(withoutReadOnly(dropNulls(inputs), compiledInputs.readOnly), '', unknownPaths) ?? {};
  const failures: CheckFailure[] = [];
  if (!compiledInputs.validate(known)) {
    for (const error of compiledInputs.validate.errors ?? []) {
      if (touchesUnknown(error, unknownPaths)) continue;
      // oneOf reports its branches' errors too; the oneOf failure says it better.
      if (error.schemaPath.includes('/oneOf/')) continue;
      // A failed key rule is reported by the rule itself, which names the key.
      if (error.keyword === 'propertyNames') continue;
      failures.push(failureOf(error, compiledInputs));
    }
  }
  return dedupe(failures);
}

function dedupe(failures: CheckFailure[]): CheckFailure[] {
  const seen = new Set<string>();
  return failures.filter((failure) => {
    const key = `${failure.property}\u0000${failure.reason}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Computed-only fields (such as a file's sha256) are recomputed by check, so
 * values carried over from earlier outputs are dropped rather than judged.
 */
function withoutReadOnly(bag: PropertyBag, readOnly: Set<string>): PropertyBag {
  if (readOnly.size === 0) return bag;
  const walk = (value: JsonValue, path: string): JsonValue => {
    if (Array.isArray(value)) return value.map((item, index) => walk(item, `${path}[${index}]`));
    if (value !== null && typeof value === 'object') {
      const out: { [key: string]: JsonValue } = {};
      for (const [key, item] of Object.entries(value)) {
        const childPath = path === '' ? key : `${path}.${key}`;
        if (!readOnly.has(patternPath(childPath))) out[key] = walk(item, childPath);
      }
      return out;
    }
    return value;
  };
  return walk(bag, '') as PropertyBag;
}

/** Object keys whose value is null are treated as unset, at every depth. */
export function dropNulls(bag: PropertyBag): PropertyBag {
  const walk = (value: JsonValue): JsonValue => {
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === 'object') {
      const out: { [key: string]: JsonValue } = {};
      for (const [key, item] of Object.entries(value)) if (item !== null) out[key] = walk(item);
      return out;
    }
    return value;
  };
  return walk(bag) as PropertyBag;
}
