import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import { referencePath } from '../helpers/reference-path';
import type { HttpResult } from '../helpers/vers-local';

/**
 * Response validation against the real server's OpenAPI spec
 * (tests/reference/vers-openapi.json, pinned from shared/vers-api/openapi.json;
 * OpenAPI 3.1 = JSON Schema 2020-12). Where the real server deviates from
 * its spec (reference §11), a test passes an override naming the schema the
 * server really sends, with the reason.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: Json }> }>;
}

/** A documented deviation: validate against this component (or expect this exact non-JSON body) instead. */
export interface SpecOverride {
  /** Component schema name the server really sends, e.g. `ErrorResponse`. */
  schema?: string;
  /** The status is not in the spec for this operation at all; validate against `schema` anyway. */
  reason: string;
}

const SPEC_ID = 'vers-openapi.json';

/** OpenAPI 3.0's `nullable: true` → a JSON Schema type array, so one validator handles both dialects; `$ref`s point into the spec. */
function normalise(node: Json): Json {
  if (Array.isArray(node)) return node.map(normalise);
  if (node === null || typeof node !== 'object') return node;
  const out: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string' && value.startsWith('#/')) out[key] = `${SPEC_ID}${value}`;
    else if (key === 'nullable' || key === 'example' || key === 'xml' || key === 'discriminator') continue;
    else out[key] = normalise(value);
  }
  if ((node as { nullable?: boolean }).nullable === true) {
    const type = out.type;
    if (typeof type === 'string') out.type = [type, 'null'];
    else if (Array.isArray(type) && !type.includes('null')) out.type = [...type, 'null'];
  }
  return out;
}

export class OpenApiContract {
  private readonly spec: { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Json> } };
  private readonly ajv: Ajv2020;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(specPath = referencePath('vers-openapi.json')) {
    this.spec = JSON.parse(readFileSync(specPath, 'utf8'));
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: SPEC_ID, components: normalise(this.spec.components as unknown as Json) } as object);
  }

  /** The response schema the spec declares, or undefined when it declares the status without a body; throws if the status is undeclared. */
  responseSchema(method: string, template: string, status: number): Json | undefined {
    const operation = this.spec.paths[template]?.[method.toLowerCase()];
    if (operation === undefined) throw new Error(`the spec has no operation ${method} ${template}`);
    const response = operation.responses?.[String(status)];
    if (response === undefined) throw new Error(`the spec declares no ${status} response for ${method} ${template} (declared: ${Object.keys(operation.responses ?? {}).join(', ')})`);
    return response.content?.['application/json']?.schema;
  }

  private validator(key: string, schema: Json): ValidateFunction {
    let validate = this.cache.get(key);
    if (validate === undefined) {
      validate = this.ajv.compile(normalise(schema) as object);
      this.cache.set(key, validate);
    }
    return validate;
  }

  /** Validate a JSON value against a component schema by name. */
  validateComponent(name: string, value: unknown): void {
    if (this.spec.components.schemas[name] === undefined) throw new Error(`the spec has no component schema ${name}`);
    const validate = this.validator(`component:${name}`, { $ref: `#/components/schemas/${name}` });
    if (!validate(value)) throw new Error(`${JSON.stringify(value)} does not match ${name}: ${this.ajv.errorsText(validate.errors)}`);
  }

  /**
   * Check a response against the spec: a declared status, a JSON body that
   * validates when the spec declares one, and an empty body when it does not.
   */
  check(res: HttpResult, method: string, template: string, override?: SpecOverride): void {
    if (override?.schema !== undefined) {
      expectJson(res, `${method} ${template} → ${res.status} (spec deviation: ${override.reason})`);
      this.validateComponent(override.schema, res.json());
      return;
    }
    const schema = this.responseSchema(method, template, res.status);
    if (schema === undefined) {
      if (res.text !== '') throw new Error(`${method} ${template} → ${res.status}: the spec declares no body, got ${res.text.slice(0, 200)}`);
      return;
    }
    expectJson(res, `${method} ${template} → ${res.status}`);
    const validate = this.validator(`${method} ${template} ${res.status}`, schema);
    const body = res.json();
    if (!validate(body)) throw new Error(`${method} ${template} → ${res.status}: ${res.text.slice(0, 500)} does not match the spec: ${this.ajv.errorsText(validate.errors)}`);
  }
}

function expectJson(res: HttpResult, what: string): void {
  if (!String(res.headers['content-type'] ?? '').startsWith('application/json')) {
    throw new Error(`${what}: expected application/json, got ${res.headers['content-type']} body ${res.text.slice(0, 200)}`);
  }
}
