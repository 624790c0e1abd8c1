import { CtyTypeError } from '../errors';

/**
 * cty types in their JSON spelling, exactly as Terraform writes them in
 * `Schema.Attribute.type` and in dynamic values: `"string"`, `["list","number"]`,
 * `["object",{"a":"bool"}]`. The JSON form is the in-memory form too;
 * `ctyTypeJson` writes it canonically (attributes sorted) for the wire.
 */

export type CtyPrimitiveType = 'string' | 'number' | 'bool';
export type CtyType =
  | CtyPrimitiveType
  | 'dynamic'
  | readonly ['list', CtyType]
  | readonly ['set', CtyType]
  | readonly ['map', CtyType]
  | readonly ['object', { readonly [attribute: string]: CtyType }]
  | readonly ['object', { readonly [attribute: string]: CtyType }, readonly string[]]
  | readonly ['tuple', readonly CtyType[]];

export { CtyTypeError };

/** Parses and checks a cty type from its JSON value (or JSON text). */
export function parseCtyType(json: unknown): CtyType {
  const value: unknown = typeof json === 'string' && json.trim().startsWith('[') ? JSON.parse(json) : json;
  if (value === 'string' || value === 'number' || value === 'bool' || value === 'dynamic') return value;
  if (typeof value === 'string' && value.startsWith('"')) return parseCtyType(JSON.parse(value));
  if (Array.isArray(value) && typeof value[0] === 'string') {
    const [kind, arg, optionals] = value as [string, unknown, unknown];
    switch (kind) {
      case 'list':
      case 'set':
      case 'map':
        return [kind, parseCtyType(arg)];
      case 'object': {
        if (arg === null || typeof arg !== 'object' || Array.isArray(arg)) break;
        const attributes: Record<string, CtyType> = {};
        for (const [name, type] of Object.entries(arg)) attributes[name] = parseCtyType(type);
        if (Array.isArray(optionals)) return ['object', attributes, optionals.map(String)];
        return ['object', attributes];
      }
      case 'tuple':
        if (Array.isArray(arg)) return ['tuple', arg.map(parseCtyType)];
        break;
      default:
        break;
    }
  }
  throw new CtyTypeError(`not a cty type: ${JSON.stringify(value)}`);
}

export function isCollectionType(type: CtyType): type is readonly ['list' | 'set' | 'map', CtyType] {
  return Array.isArray(type) && (type[0] === 'list' || type[0] === 'set' || type[0] === 'map');
}

export function isObjectType(type: CtyType): type is readonly ['object', { readonly [attribute: string]: CtyType }] {
  return Array.isArray(type) && type[0] === 'object';
}

/** The attribute types of an object type, sorted by name (go-cty's order). */
export function objectAttributes(type: readonly ['object', { readonly [attribute: string]: CtyType }, ...unknown[]]): Array<[string, CtyType]> {
  return Object.entries(type[1]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The canonical JSON text of a type (object attributes sorted), as sent on the wire. */
export function ctyTypeJson(type: CtyType): string {
  if (typeof type === 'string') return JSON.stringify(type);
  switch (type[0]) {
    case 'list':
    case 'set':
    case 'map':
      return `[${JSON.stringify(type[0])},${ctyTypeJson(type[1])}]`;
    case 'tuple':
      return `["tuple",[${type[1].map(ctyTypeJson).join(',')}]]`;
    case 'object': {
      const attributes = objectAttributes(type).map(([name, attribute]) => `${JSON.stringify(name)}:${ctyTypeJson(attribute)}`);
      const optionals = type.length === 3 ? `,${JSON.stringify([...type[2]].sort())}` : '';
      return `["object",{${attributes.join(',')}}${optionals}]`;
    }
  }
}

export function ctyTypeEquals(a: CtyType, b: CtyType): boolean {
  return ctyTypeJson(a) === ctyTypeJson(b);
}
