import type { PackageSchema } from '../../core/schema/package-schema';
import { GENERATED_BANNER, docComment, tsType } from './type-names';

/**
 * The `Provider` class (`pulumi:providers:vers`), in the generated shape:
 * secret inputs wrapped, non-string inputs JSON-encoded (provider
 * configuration travels as strings; the plugin decodes them). No defaults
 * or environment reads here: the plugin resolves those when it configures,
 * so the environment of the machine running `pulumi up` is never written
 * into the state.
 */
export function emitProvider(schema: PackageSchema): string {
  const inputs = Object.entries(schema.provider.inputProperties);
  const secrets = inputs.filter(([, property]) => property.secret === true).map(([key]) => key);
  let text = GENERATED_BANNER;
  text += `\nimport * as pulumi from '@pulumi/pulumi';\nimport * as utilities from './utilities';\n\n`;
  text += docComment(schema.provider.description, '');
  text += `export class Provider extends pulumi.ProviderResource {\n`;
  text += `  /** @internal */\n  public static readonly __pulumiType = '${schema.name}';\n\n`;
  text += `  /**\n   * Returns true if the given object is an instance of Provider. This is designed to work even\n   * when multiple copies of the Pulumi SDK have been loaded into the same process.\n   */\n`;
  text += `  public static override isInstance(obj: any): obj is Provider {\n    if (obj === undefined || obj === null) {\n      return false;\n    }\n    return obj['__pulumiType'] === 'pulumi:providers:' + Provider.__pulumiType;\n  }\n\n`;
  for (const [key, property] of inputs) {
    if (property.type !== 'string') continue;
    text += docComment(property.description, '  ');
    text += `  public declare readonly ${key}: pulumi.Output<string | undefined>;\n`;
  }
  text += `\n  /**\n   * Create a Provider resource with the given unique name, arguments, and options.\n   *\n`;
  text += `   * @param name The _unique_ name of the resource.\n   * @param args The arguments to use to populate this resource's properties.\n   * @param opts A bag of options that control this resource's behavior.\n   */\n`;
  text += `  constructor(name: string, args?: ProviderArgs, opts?: pulumi.ResourceOptions) {\n`;
  text += `    let resourceInputs: pulumi.Inputs = {};\n    opts = opts || {};\n    {\n`;
  for (const [key, property] of inputs) {
    let value = `args ? args.${key} : undefined`;
    if (property.secret === true) value = `args?.${key} ? pulumi.secret(args.${key}) : undefined`;
    else if (property.type !== 'string') value = `pulumi.output(args ? args.${key} : undefined).apply(JSON.stringify)`;
    text += `      resourceInputs['${key}'] = ${value};\n`;
  }
  text += `    }\n    opts = pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts);\n`;
  if (secrets.length > 0) {
    text += `    const secretOpts = { additionalSecretOutputs: [${secrets.map((key) => `'${key}'`).join(', ')}] };\n`;
    text += `    opts = pulumi.mergeOptions(opts, secretOpts);\n`;
  }
  text += `    super(Provider.__pulumiType, name, resourceInputs, opts);\n  }\n}\n\n`;
  text += `/**\n * The set of arguments for constructing a Provider resource.\n */\nexport interface ProviderArgs {\n`;
  for (const [key, property] of inputs) {
    text += docComment(property.description, '  ');
    text += `  ${key}?: ${tsType(schema, property, 'input')};\n`;
  }
  text += `}\n`;
  return text;
}
