import { join } from 'node:path';
import type { DurationRange } from '../base/duration';
import { readPackageFile } from '../base/package-files';
import { repoRoot } from '../base/repo-root';

/**
 * Types for the subset of the Pulumi package schema that schema.json uses,
 * and the one loader every layer shares (core validation, the Terraform
 * generator, the Pulumi plugin's GetSchema, the SDK checks).
 */

/** JSON Schema keywords merged into the generated input validator (`language.jsonSchema`). */
export type JsonSchemaRules = Record<string, unknown>;

export interface PropertyLanguage {
  /** Extra JSON Schema rules for this property (ranges, patterns, exclusivity). */
  jsonSchema?: JsonSchemaRules;
  /** Terraform-only spelling details: another name, a block name, second spellings (aliases). */
  terraform?: { name?: string; blockName?: string; aliases?: Array<{ name: string; description: string }> };
  [language: string]: unknown;
}

export interface TypeSpec {
  type?: 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object';
  items?: TypeSpec;
  additionalProperties?: TypeSpec;
  $ref?: string;
}

export interface PropertySpec extends TypeSpec {
  description?: string;
  default?: string | number | boolean;
  defaultInfo?: { environment: string[] };
  secret?: boolean;
  replaceOnChanges?: boolean;
  language?: PropertyLanguage;
}

export interface EnumValueSpec {
  value: string;
  description?: string;
}

export interface ObjectTypeSpec {
  type: 'object';
  description?: string;
  properties: Record<string, PropertySpec>;
  required?: string[];
  language?: PropertyLanguage;
}

export interface EnumTypeSpec {
  type: 'string';
  description?: string;
  enum: EnumValueSpec[];
}

export type ComplexTypeSpec = ObjectTypeSpec | EnumTypeSpec;

export interface ResourceSpec {
  description?: string;
  inputProperties: Record<string, PropertySpec>;
  requiredInputs?: string[];
  properties: Record<string, PropertySpec>;
  required?: string[];
  /** `terraform.schemaVersion`: the version of the state Terraform stores (an older one is upgraded). */
  language?: { terraform?: { schemaVersion?: number }; [language: string]: unknown };
}

export interface FunctionSpec {
  description?: string;
  inputs?: { properties: Record<string, PropertySpec>; required?: string[] };
  outputs: { properties: Record<string, PropertySpec>; required?: string[] };
}

export interface PackageSchema {
  name: string;
  version: string;
  description?: string;
  config: { variables: Record<string, PropertySpec>; defaults?: string[] };
  types: Record<string, ComplexTypeSpec>;
  provider: { description?: string; inputProperties: Record<string, PropertySpec> };
  resources: Record<string, ResourceSpec>;
  functions: Record<string, FunctionSpec>;
  language?: Record<string, unknown>;
}

let cached: PackageSchema | undefined;

/** schema.json's path from the package root. */
export const SCHEMA_FILE = 'schema.json';

export function schemaPath(): string {
  return join(repoRoot(), SCHEMA_FILE);
}

/** schema.json's text, as the Pulumi plugin's GetSchema returns it. */
export function packageSchemaText(): string {
  return readPackageFile(SCHEMA_FILE);
}

/** schema.json, parsed once per process. */
export function loadPackageSchema(): PackageSchema {
  cached ??= JSON.parse(packageSchemaText()) as PackageSchema;
  return cached;
}

export function isEnumType(spec: ComplexTypeSpec): spec is EnumTypeSpec {
  return 'enum' in spec;
}

/** The named type a `$ref` points at (`#/types/vers:index:X`), or undefined for primitives. */
export function resolveRef(schema: PackageSchema, spec: TypeSpec): ComplexTypeSpec | undefined {
  if (spec.$ref === undefined) return undefined;
  const prefix = '#/types/';
  if (!spec.$ref.startsWith(prefix)) throw new Error(`schema.json: unsupported $ref ${spec.$ref}`);
  const resolved = schema.types[spec.$ref.slice(prefix.length)];
  if (resolved === undefined) throw new Error(`schema.json: $ref ${spec.$ref} does not resolve`);
  return resolved;
}

/** Every resource input that forces a replacement when it changes, by declaration. */
export function replaceOnChangesOf(spec: ResourceSpec): string[] {
  return Object.entries(spec.inputProperties)
    .filter(([, property]) => property.replaceOnChanges === true)
    .map(([name]) => name);
}

/** Every output property marked secret at its top level (nested secrets: `nestedSecretPaths`). */
export function secretOutputsOf(spec: ResourceSpec): string[] {
  return Object.entries(spec.properties)
    .filter(([, property]) => property.secret === true)
    .map(([name]) => name);
}

/** The bounds of a duration property (`language.jsonSchema.durationRange`), if it has any. */
export function durationRangeOf(spec: PropertySpec | undefined): DurationRange | undefined {
  const range = spec?.language?.jsonSchema?.durationRange as Partial<DurationRange> | undefined;
  return typeof range?.minimum === 'string' && typeof range.maximum === 'string' ? { minimum: range.minimum, maximum: range.maximum } : undefined;
}

/**
 * Every value of `bag` that schema.json marks secret, at any depth (a
 * secret map's values, a secret field of a list of objects), given the
 * properties that describe the bag. For redaction.
 */
export function secretValuesOf(properties: Record<string, PropertySpec>, bag: Record<string, unknown>): string[] {
  const schema = loadPackageSchema();
  const found: string[] = [];
  const strings = (value: unknown): void => {
    if (typeof value === 'string') found.push(value);
    else if (Array.isArray(value)) value.forEach(strings);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(strings);
  };
  const walk = (spec: TypeSpec & { secret?: boolean }, value: unknown): void => {
    if (value === null || value === undefined) return;
    if (spec.secret === true) return strings(value);
    const named = resolveRef(schema, spec);
    if (named !== undefined && !isEnumType(named)) {
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        for (const [name, child] of Object.entries(named.properties)) walk(child, (value as Record<string, unknown>)[name]);
      }
    } else if (spec.type === 'array' && spec.items !== undefined && Array.isArray(value)) {
      for (const item of value) walk(spec.items, item);
    } else if (spec.type === 'object' && spec.additionalProperties !== undefined && value !== null && typeof value === 'object') {
      for (const item of Object.values(value)) walk(spec.additionalProperties, item);
    }
  };
  for (const [name, spec] of Object.entries(properties)) walk(spec, bag[name]);
  return found;
}

/**
 * Where schema.json marks values secret below the top level of `properties`,
 * as path patterns (`files[].content`): the Pulumi plugin wraps exactly
 * those parts of a property as secrets.
 */
export function nestedSecretPaths(properties: Record<string, PropertySpec>): Set<string> {
  const schema = loadPackageSchema();
  const paths = new Set<string>();
  const walk = (spec: TypeSpec & { secret?: boolean }, path: string, depth: number): void => {
    if (spec.secret === true && depth > 0) {
      paths.add(path);
      return;
    }
    const named = resolveRef(schema, spec);
    if (named !== undefined && !isEnumType(named)) {
      for (const [name, child] of Object.entries(named.properties)) walk(child, `${path}.${name}`, depth + 1);
    } else if (spec.type === 'array' && spec.items !== undefined) walk(spec.items, `${path}[]`, depth + 1);
    else if (spec.type === 'object' && spec.additionalProperties !== undefined) walk(spec.additionalProperties, `${path}{}`, depth + 1);
  };
  for (const [name, spec] of Object.entries(properties)) walk(spec, name, 0);
  return paths;
}

export function resourceSpec(token: string): ResourceSpec {
  const spec = loadPackageSchema().resources[token];
  if (spec === undefined) throw new Error(`schema.json has no resource ${token}`);
  return spec;
}

export function functionSpec(token: string): FunctionSpec {
  const spec = loadPackageSchema().functions[token];
  if (spec === undefined) throw new Error(`schema.json has no function ${token}`);
  return spec;
}
