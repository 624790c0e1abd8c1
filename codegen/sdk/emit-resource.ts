import { replaceOnChangesOf, secretOutputsOf, type PackageSchema, type ResourceSpec } from '../../core/schema/package-schema';
import { inputAssignments, outputFields, outputOnlyKeys, quotedList, requiredInputChecks } from './resource-parts';
import { GENERATED_BANNER, docComment, tsType, tokenName, typeImports } from './type-names';

/**
 * One resource class in the shape of Pulumi's generated nodejs SDKs:
 * `static get`, `isInstance`, one `Output` per schema property, a
 * constructor that checks required inputs, applies schema defaults, wraps
 * secret inputs, and sets `additionalSecretOutputs` and `replaceOnChanges`
 * from schema.json; plus the `<Name>Args` interface.
 */
export function emitResource(schema: PackageSchema, token: string, spec: ResourceSpec): string {
  const name = tokenName(token);
  const outputs = Object.keys(spec.properties);
  const requiredInputs = spec.requiredInputs ?? [];
  const secretOutputs = secretOutputsOf(spec);
  const replaceOnChanges = replaceOnChangesOf(spec);

  let text = docComment(spec.description, '');
  text += `export class ${name} extends pulumi.CustomResource {\n`;
  text += `  /**\n   * Get an existing ${name} resource's state with the given name and ID.\n   *\n`;
  text += `   * @param name The _unique_ name of the resulting resource.\n   * @param id The _unique_ provider ID of the resource to lookup.\n   * @param opts Optional settings to control the behavior of the CustomResource.\n   */\n`;
  text += `  public static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): ${name} {\n`;
  text += `    return new ${name}(name, undefined as any, { ...opts, id: id });\n  }\n\n`;
  text += `  /** @internal */\n  public static readonly __pulumiType = '${token}';\n\n`;
  text += `  /**\n   * Returns true if the given object is an instance of ${name}. This is designed to work even\n   * when multiple copies of the Pulumi SDK have been loaded into the same process.\n   */\n`;
  text += `  public static override isInstance(obj: any): obj is ${name} {\n    if (obj === undefined || obj === null) {\n      return false;\n    }\n    return obj['__pulumiType'] === ${name}.__pulumiType;\n  }\n\n`;
  text += outputFields(schema, spec);
  text += `\n  /**\n   * Create a ${name} resource with the given unique name, arguments, and options.\n   *\n`;
  text += `   * @param name The _unique_ name of the resource.\n   * @param args The arguments to use to populate this resource's properties.\n   * @param opts A bag of options that control this resource's behavior.\n   */\n`;
  const argsOptional = requiredInputs.length === 0 ? '?' : '';
  text += `  constructor(name: string, args${argsOptional}: ${name}Args, opts?: pulumi.CustomResourceOptions) {\n`;
  text += `    let resourceInputs: pulumi.Inputs = {};\n    opts = opts || {};\n    if (!opts.id) {\n`;
  text += requiredInputChecks(spec, '      ');
  text += inputAssignments(spec, 'resourceInputs', '      ', true);
  for (const key of outputOnlyKeys(spec)) text += `      resourceInputs['${key}'] = undefined /*out*/;\n`;
  text += `    } else {\n`;
  for (const key of outputs) text += `      resourceInputs['${key}'] = undefined /*out*/;\n`;
  text += `    }\n`;
  text += `    opts = pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts);\n`;
  if (secretOutputs.length > 0) {
    text += `    const secretOpts = { additionalSecretOutputs: [${quotedList(secretOutputs)}] };\n`;
    text += `    opts = pulumi.mergeOptions(opts, secretOpts);\n`;
  }
  if (replaceOnChanges.length > 0) {
    text += `    const replaceOnChanges = { replaceOnChanges: [${quotedList(replaceOnChanges)}] };\n`;
    text += `    opts = pulumi.mergeOptions(opts, replaceOnChanges);\n`;
  }
  text += `    super(${name}.__pulumiType, name, resourceInputs, opts);\n  }\n}\n\n`;
  text += emitArgsInterface(schema, name, spec);
  return `${GENERATED_BANNER}\nimport * as pulumi from '@pulumi/pulumi';\n${typeImports(text)}import * as utilities from './utilities';\n\n${text}`;
}

/** `export interface <Name>Args` — the resource's input properties. */
export function emitArgsInterface(schema: PackageSchema, name: string, spec: ResourceSpec): string {
  const requiredInputs = new Set(spec.requiredInputs ?? []);
  let text = `/**\n * The set of arguments for constructing a ${name} resource.\n */\nexport interface ${name}Args {\n`;
  for (const [key, property] of Object.entries(spec.inputProperties)) {
    text += docComment(property.description, '  ');
    text += `  ${key}${requiredInputs.has(key) ? '' : '?'}: ${tsType(schema, property, 'input')};\n`;
  }
  text += `}\n`;
  return text;
}
