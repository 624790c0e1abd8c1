import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { CheckFailure, JsonValue, PropertyBag } from '../resources/types';
import { isUnknown } from '../resources/unknown';
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
 * as CheckFailures that name the property path and the rule in words.
 */

interface CompiledInputs {
  validate: ValidateFunction;
  /** Human rule text for a property path pattern (`files[].destination`) → message. */
  ruleTexts: Map<string, string>;
  /** Property paths (pattern form) that are computed by the provider and must not be set. */
  readOnly: Set<string>;
}

const compiled = new Map<string, CompiledInputs>();
const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });

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
  switch (spec.type) {
    case 'array':
      return { ...rules, type: 'array', items: jsonSchemaOf(schema, spec.items ?? {}, `${path}[]`, ruleTexts, readOnly) };
    case 'object':
      return {
        ...rules,
        type: 'object',
        additionalProperties: jsonSchemaOf(schema, spec.additionalProperties ?? {}, `${path}{}`, ruleTexts, readOnly),
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
  const validate = ajv.compile({ type: 'object', properties, required, additionalProperties: false });
  return { validate, ruleTexts, readOnly };
}

function compiledFor(token: string): CompiledInputs {
  let entry = compiled.get(token);
  if (entry === undefined) {
    entry = compile(token);
    compiled.set(token, entry);
  }
  return entry;
}

/** `/files/1/source` → `files[1].source` */
function displayPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').filter((part) => part !== '');
  if (extra !== undefined) parts.push(extra);
  let out = '';
  for (const part of parts) {
    const unescaped = part.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^[0-9]+$/.test(unescaped)) out += `[${unescaped}]`;
    else out += out === '' ? unescaped : `.${unescaped}`;
  }
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
  switch (error.keyword) {
    case 'required':
      return { property: displayPath(error.instancePath, String(params.missingProperty)), reason: 'is required' };
    case 'additionalProperties':
      return {
        property: displayPath(error.instancePath, String(params.additionalProperty)),
        reason: 'is not a known property',
      };
    case 'oneOf': {
      const alternatives = ((error.schema as Array<{ required?: string[] }>) ?? []).flatMap((alt) => alt.required ?? []);
      return {
        property: displayPath(error.instancePath),
        reason: `must set exactly one of ${alternatives.map((name) => `\`${name}\``).join(' and ')}`,
      };
    }
    default:
      break;
  }
  const property = displayPath(error.instancePath);
  const ruleText = compiledInputs.ruleTexts.get(patternPath(property));
  switch (error.keyword) {
    case 'type':
      return { property, reason: `must be ${describeType(params.type)}` };
    case 'minimum':
      return { property, reason: `must be at least ${String(params.limit)}` };
    case 'maximum':
      return { property, reason: `must be at most ${String(params.limit)}` };
    case 'minLength':
      return { property, reason: 'must not be empty' };
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
