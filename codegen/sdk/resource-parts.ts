import type { PackageSchema, ResourceSpec } from '../../core/schema/package-schema';
import { docComment, literal, tsType } from './type-names';

/**
 * Pieces every generated resource class has, native or dynamic: the output
 * fields, the required-input checks, the input assignments with schema
 * defaults, and the quoted lists of option names.
 */

/** One `Output` field per schema property. */
export function outputFields(schema: PackageSchema, spec: ResourceSpec): string {
  const required = new Set(spec.required ?? []);
  let text = '';
  // `declare`: ES2022 class fields would otherwise reset what the base constructor registered.
  for (const [key, property] of Object.entries(spec.properties)) {
    const type = tsType(schema, property, 'output');
    text += docComment(property.description, '  ');
    text += `  public declare readonly ${key}: pulumi.Output<${required.has(key) ? type : `${type} | undefined`}>;\n`;
  }
  return text;
}

/** `throw new Error("Missing required property 'x'")` unless the resource is being read by URN. */
export function requiredInputChecks(spec: ResourceSpec, indent: string): string {
  return (spec.requiredInputs ?? [])
    .map((key) => `${indent}if ((!args || args.${key} === undefined) && !opts.urn) {\n${indent}  throw new Error("Missing required property '${key}'");\n${indent}}\n`)
    .join('');
}

/** `<target>['x'] = args.x ?? default` for every input; secret inputs wrapped when `wrapSecrets`. */
export function inputAssignments(spec: ResourceSpec, target: string, indent: string, wrapSecrets: boolean): string {
  let text = '';
  for (const [key, property] of Object.entries(spec.inputProperties)) {
    let value = `args ? args.${key} : undefined`;
    if (property.default !== undefined) value = `(${value}) ?? ${literal(property.default)}`;
    if (wrapSecrets && property.secret === true) value = `args?.${key} ? pulumi.secret(args.${key}) : undefined`;
    text += `${indent}${target}['${key}'] = ${value};\n`;
  }
  return text;
}

/** Output-only properties (registered as `undefined` so their Outputs exist). */
export function outputOnlyKeys(spec: ResourceSpec): string[] {
  return Object.keys(spec.properties).filter((key) => spec.inputProperties[key] === undefined);
}

/** `'a', 'b'` */
export function quotedList(keys: readonly string[]): string {
  return keys.map((key) => `'${key}'`).join(', ');
}
