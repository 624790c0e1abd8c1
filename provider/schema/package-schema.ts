import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../util/repo-root';

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

export function schemaPath(): string {
  return join(repoRoot(), 'schema.json');
}

/** schema.json, parsed once per process. */
export function loadPackageSchema(): PackageSchema {
  cached ??= JSON.parse(readFileSync(schemaPath(), 'utf8')) as PackageSchema;
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

/** Every output property marked secret, or holding a secret property inside. */
export function secretOutputsOf(spec: ResourceSpec, schema: PackageSchema = loadPackageSchema()): string[] {
  return Object.entries(spec.properties)
    .filter(([, property]) => property.secret === true || holdsSecret(schema, property, new Set()))
    .map(([name]) => name);
}

/**
 * Whether a value of this type has a secret property inside (such as a file's
 * hash in `files`): the whole top-level output is then secret, never less
 * secret than a part of it.
 */
function holdsSecret(schema: PackageSchema, spec: TypeSpec, seen: Set<string>): boolean {
  if (spec.items !== undefined) return holdsSecret(schema, spec.items, seen);
  if (spec.additionalProperties !== undefined) return holdsSecret(schema, spec.additionalProperties, seen);
  if (spec.$ref === undefined || !spec.$ref.startsWith('#/types/') || seen.has(spec.$ref)) return false;
  const named = resolveRef(schema, spec);
  if (named === undefined || isEnumType(named)) return false;
  seen.add(spec.$ref);
  return Object.values(named.properties).some((property) => property.secret === true || holdsSecret(schema, property, seen));
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
