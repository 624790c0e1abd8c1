import { readFileSync } from 'node:fs';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { referencePath } from './reference-path';

/**
 * Validators for the component schemas of the Vers OpenAPI spec. Tests use
 * them to hold the client's wire types and vers-local's responses to the
 * real server's contract.
 */
export interface SpecValidator {
  /** Names of every component schema in the spec. */
  readonly schemaNames: readonly string[];
  /** The raw component schema. */
  schema(name: string): SpecSchema;
  /** Validation errors of `value` against component `name` (empty when valid). */
  errors(name: string, value: unknown): string[];
}

export interface SpecSchema {
  type?: string | string[];
  required?: string[];
  properties?: Record<string, unknown>;
  enum?: unknown[];
  oneOf?: SpecSchema[];
}

const DOCUMENT_ID = 'vers-openapi';

export function loadSpecValidator(path: string = referencePath('vers-openapi.json')): SpecValidator {
  const spec = JSON.parse(readFileSync(path, 'utf8')) as { components: { schemas: Record<string, SpecSchema> } };
  // strict off: the document is an OpenAPI file, not a JSON Schema; its component schemas are plain JSON Schema.
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addSchema({ $id: DOCUMENT_ID, components: spec.components });
  const compiled = new Map<string, ValidateFunction>();
  const validator = (name: string): ValidateFunction => {
    let validate = compiled.get(name);
    if (validate === undefined) {
      if (spec.components.schemas[name] === undefined) throw new Error(`no component schema ${name} in ${path}`);
      validate = ajv.getSchema(`${DOCUMENT_ID}#/components/schemas/${name}`);
      if (validate === undefined) throw new Error(`cannot compile component schema ${name}`);
      compiled.set(name, validate);
    }
    return validate;
  };
  return {
    schemaNames: Object.keys(spec.components.schemas),
    schema: (name) => {
      const schema = spec.components.schemas[name];
      if (schema === undefined) throw new Error(`no component schema ${name} in ${path}`);
      return schema;
    },
    errors: (name, value) => {
      const validate = validator(name);
      if (validate(value)) return [];
      return (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`);
    },
  };
}
