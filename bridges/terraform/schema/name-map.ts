/**
 * How Terraform names map to the core's camelCase property names, as
 * bridges/terraform/generated/name-map.json holds it. Keys are Terraform attribute or
 * block names; `attributes` is the map for the object (or the elements of the
 * list/set/map of objects) found under that name. Map keys are user data and
 * never renamed.
 */
export interface FieldName {
  property: string;
  attributes?: FieldNames;
  /**
   * Set on a second Terraform spelling of a property (`language.terraform.aliases`
   * in schema.json): the primary Terraform name it stands for. An input alias
   * is an alternative way to write the property; an output alias repeats it.
   */
  aliasOf?: string;
}

export type FieldNames = Record<string, FieldName>;

export interface ResourceNames {
  /** The core's type token, e.g. `vers:index:Vm`. */
  token: string;
  attributes: FieldNames;
  /** Whether `terraform import` is offered; when false, `importHint` says what to do instead. */
  importable: boolean;
  importHint?: string;
  /** What an import cannot know and how the first plan after it treats that (the docs' Import section). */
  importNote?: string;
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

/** The Terraform name whose property is `property` (the primary spelling, not an alias), or undefined. */
export function terraformNameOf(names: FieldNames | undefined, property: string): string | undefined {
  if (names === undefined) return undefined;
  for (const [terraformName, field] of Object.entries(names)) if (field.property === property && field.aliasOf === undefined) return terraformName;
  return undefined;
}

/**
 * The names as one configuration spells them: an alias in use stands in for
 * its primary name (so paths in diagnostics point at what the user wrote).
 */
export function spelledNames(names: FieldNames, aliasesInUse: ReadonlySet<string>): FieldNames {
  if (aliasesInUse.size === 0) return names;
  const spelled: FieldNames = {};
  for (const [terraformName, field] of Object.entries(names)) {
    if (field.aliasOf !== undefined) {
      if (aliasesInUse.has(terraformName)) spelled[terraformName] = { property: field.property, ...(field.attributes === undefined ? {} : { attributes: field.attributes }) };
    } else if (![...aliasesInUse].some((alias) => names[alias]?.aliasOf === terraformName)) {
      spelled[terraformName] = field;
    }
  }
  return spelled;
}

/** The core's property name for a Terraform name (the name itself when unmapped). */
export function propertyOf(names: FieldNames | undefined, terraformName: string): string {
  return names?.[terraformName]?.property ?? terraformName;
}
