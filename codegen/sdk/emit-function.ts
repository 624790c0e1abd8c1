import type { FunctionSpec, PackageSchema } from '../../core/schema/package-schema';
import { GENERATED_BANNER, docComment, pascal, tsType, tokenName, typeImports } from './type-names';

/**
 * A provider function in the generated shape: `getX(args, opts)` returning
 * a Promise through `pulumi.runtime.invoke`, and `getXOutput(args, opts)`
 * returning an Output through `pulumi.runtime.invokeOutput` (secrets and
 * dependencies kept; @pulumi/pulumi 3.133 or later).
 */
export function emitFunction(schema: PackageSchema, token: string, spec: FunctionSpec): string {
  const name = tokenName(token);
  const typeName = pascal(name);
  const inputs = Object.entries(spec.inputs?.properties ?? {});
  const requiredInputs = new Set(spec.inputs?.required ?? []);
  const outputs = Object.entries(spec.outputs.properties);
  const requiredOutputs = new Set(spec.outputs.required ?? []);
  const argsOptional = requiredInputs.size === 0 ? '?' : '';
  const argsObject = `{\n${inputs.map(([key]) => `    '${key}': args.${key},\n`).join('')}  }`;

  let text = docComment(spec.description, '');
  text += `export function ${name}(args${argsOptional}: ${typeName}Args, opts?: pulumi.InvokeOptions): Promise<${typeName}Result> {\n`;
  if (argsOptional !== '') text += `  args = args || {};\n`;
  text += `  opts = pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts || {});\n`;
  text += `  return pulumi.runtime.invoke('${token}', ${argsObject}, opts);\n}\n\n`;

  text += `/**\n * A collection of arguments for invoking ${name}.\n */\nexport interface ${typeName}Args {\n`;
  for (const [key, property] of inputs) {
    text += docComment(property.description, '  ');
    text += `  ${key}${requiredInputs.has(key) ? '' : '?'}: ${tsType(schema, property, 'plainInput')};\n`;
  }
  text += `}\n\n`;

  text += `/**\n * A collection of values returned by ${name}.\n */\nexport interface ${typeName}Result {\n`;
  for (const [key, property] of outputs) {
    text += docComment(property.description, '  ');
    text += `  readonly ${key}${requiredOutputs.has(key) ? '' : '?'}: ${tsType(schema, property, 'output')};\n`;
  }
  text += `}\n\n`;

  text += docComment(spec.description, '');
  text += `export function ${name}Output(args${argsOptional}: ${typeName}OutputArgs, opts?: pulumi.InvokeOutputOptions): pulumi.Output<${typeName}Result> {\n`;
  if (argsOptional !== '') text += `  args = args || {};\n`;
  text += `  opts = pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts || {});\n`;
  text += `  return pulumi.runtime.invokeOutput('${token}', ${argsObject}, opts);\n}\n\n`;

  text += `/**\n * A collection of arguments for invoking ${name}.\n */\nexport interface ${typeName}OutputArgs {\n`;
  for (const [key, property] of inputs) {
    text += docComment(property.description, '  ');
    text += `  ${key}${requiredInputs.has(key) ? '' : '?'}: ${tsType(schema, property, 'input')};\n`;
  }
  text += `}\n`;
  return `${GENERATED_BANNER}\nimport * as pulumi from '@pulumi/pulumi';\n${typeImports(text)}import * as utilities from './utilities';\n\n${text}`;
}
