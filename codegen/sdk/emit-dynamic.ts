import { replaceOnChangesOf, secretOutputsOf, type PackageSchema, type ResourceSpec } from '../../core/schema/package-schema';
import { inputAssignments, outputFields, outputOnlyKeys, quotedList, requiredInputChecks } from './resource-parts';
import { GENERATED_BANNER, docComment, fileNameOf, tokenName, typeImports } from './type-names';

/**
 * `vers.dynamic.<Name>`: the same resource as a Pulumi dynamic resource
 * (type `pulumi-nodejs:dynamic/vers:<Name>`), whose provider runs the core
 * inside the program's own Node process. Same arguments and outputs as the
 * native class; every output is registered (passed as `undefined`), which
 * dynamic resources need for outputs to appear.
 */
export function emitDynamicResource(schema: PackageSchema, token: string, spec: ResourceSpec): string {
  const name = tokenName(token);
  const secretOutputs = secretOutputsOf(spec);
  const replaceOnChanges = replaceOnChangesOf(spec);

  const description = `${spec.description ?? ''}\n\nDynamic resource: the provider runs inside the Pulumi program (type \`pulumi-nodejs:dynamic/vers:${name}\`); no plugin needs installing. Configuration comes from the stack's \`vers:*\` config, then VERS_* environment variables, when each operation runs.`;
  let text = docComment(description.trim(), '');
  text += `export class ${name} extends pulumi.dynamic.Resource {\n`;
  text += `  /**\n   * Get an existing dynamic ${name} resource's state with the given name and ID.\n   */\n`;
  text += `  public static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): ${name} {\n`;
  text += `    return new ${name}(name, undefined as any, { ...opts, id: id });\n  }\n\n`;
  text += outputFields(schema, spec);
  text += `\n  constructor(name: string, args: ${name}Args, opts?: pulumi.CustomResourceOptions) {\n`;
  text += `    const props: pulumi.Inputs = {};\n    opts = opts || {};\n    if (!opts.id) {\n`;
  text += requiredInputChecks(spec, '      ');
  text += inputAssignments(spec, 'props', '      ', false);
  text += `    }\n`;
  for (const key of outputOnlyKeys(spec)) text += `    props['${key}'] = undefined;\n`;
  const extra: string[] = [];
  if (secretOutputs.length > 0) extra.push(`additionalSecretOutputs: [${quotedList(secretOutputs)}]`);
  if (replaceOnChanges.length > 0) extra.push(`replaceOnChanges: [${quotedList(replaceOnChanges)}]`);
  if (extra.length > 0) text += `    opts = pulumi.mergeOptions(opts, { ${extra.join(', ')} });\n`;
  text += `    super(dynamicProviderFor('${token}'), name, props, opts, 'vers', '${name}');\n  }\n}\n`;

  const imports =
    `import * as pulumi from '@pulumi/pulumi';\n` +
    typeImports(text, '../types') +
    `import type { ${name}Args } from '../${fileNameOf(name)}';\n` +
    `import { dynamicProviderFor } from './dynamic-provider';\n`;
  return `${GENERATED_BANNER}\n${imports}\nexport type { ${name}Args };\n\n${text}`;
}

/** `dynamic/index.ts`: the dynamic classes and the in-program functions. */
export function emitDynamicIndex(schema: PackageSchema): string {
  let text = `${GENERATED_BANNER}\n`;
  for (const token of Object.keys(schema.resources)) {
    const name = tokenName(token);
    text += `export { ${name} } from './${fileNameOf(name)}';\nexport type { ${name}Args } from './${fileNameOf(name)}';\n`;
  }
  text += `export { VersDynamicProvider, dynamicProviderFor } from './dynamic-provider';\n`;
  text += `export * from './functions';\n`;
  return text;
}
