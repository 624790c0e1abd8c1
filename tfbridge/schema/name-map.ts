/**
 * How Terraform names map to the core's camelCase property names, as
 * tfbridge/generated/name-map.json holds it. Keys are Terraform attribute or
 * block names; `attributes` is the map for the object (or the elements of the
 * list/set/map of objects) found under that name. Map keys are user data and
 * never renamed.
 */
export interface FieldName {
  property: string;
  attributes?: FieldNames;
}

export type FieldNames = Record<string, FieldName>;

export interface ResourceNames {
  /** The core's type token, e.g. `vers:index:Vm`. */
  token: string;
  attributes: FieldNames;
  /** Whether `terraform import` is offered; when false, `importHint` says what to do instead. */
  importable: boolean;
  importHint?: string;
}

export interface DataSourceNames {
  /** The core's function token, e.g. `vers:index:getVms`. */
  token: string;
  attributes: FieldNames;
}

export interface NameMap {
  generated: string;
  /** Terraform provider source address, e.g. `hdr/vers`. */
  providerSource: string;
  provider: { attributes: FieldNames };
  resources: Record<string, ResourceNames>;
  dataSources: Record<string, DataSourceNames>;
}

/** The Terraform name whose property is `property`, or undefined. */
export function terraformNameOf(names: FieldNames | undefined, property: string): string | undefined {
  if (names === undefined) return undefined;
  for (const [terraformName, field] of Object.entries(names)) if (field.property === property) return terraformName;
  return undefined;
}

/** The core's property name for a Terraform name (the name itself when unmapped). */
export function propertyOf(names: FieldNames | undefined, terraformName: string): string {
  return names?.[terraformName]?.property ?? terraformName;
}
