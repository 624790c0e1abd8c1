import { isEnumType, type EnumTypeSpec, type ObjectTypeSpec, type PackageSchema } from '../../core/schema/package-schema';
import { GENERATED_BANNER, docComment, pascal, tsType, tokenName, typeImports } from './type-names';

/**
 * `types/enums.ts`, `types/input.ts`, `types/output.ts` and `types/index.ts`
 * from schema.json's named types, as Pulumi's generator lays them out:
 * enums as `const` objects plus a union type of their values, object types
 * as `<Name>Args` (inputs, every field an Input) and `<Name>` (outputs).
 */
export function emitEnums(schema: PackageSchema): string {
  let body = '';
  for (const [token, spec] of Object.entries(schema.types)) {
    if (!isEnumType(spec)) continue;
    body += emitEnum(tokenName(token), spec);
  }
  return `${GENERATED_BANNER}\n${body}`;
}

export function emitInputTypes(schema: PackageSchema): string {
  let body = '';
  for (const [token, spec] of Object.entries(schema.types)) {
    if (isEnumType(spec)) continue;
    body += emitObject(schema, `${tokenName(token)}Args`, spec, 'input');
  }
  return `${GENERATED_BANNER}\nimport * as pulumi from '@pulumi/pulumi';\n${typeImports(body, '.')}${body}`;
}

export function emitOutputTypes(schema: PackageSchema): string {
  let body = '';
  for (const [token, spec] of Object.entries(schema.types)) {
    if (isEnumType(spec)) continue;
    body += emitObject(schema, tokenName(token), spec, 'output');
  }
  return `${GENERATED_BANNER}\n${typeImports(body, '.')}${body}`;
}

export function emitTypesIndex(): string {
  return `${GENERATED_BANNER}\nimport * as enums from './enums';\nimport * as input from './input';\nimport * as output from './output';\n\nexport { enums, input, output };\n`;
}

function emitEnum(name: string, spec: EnumTypeSpec): string {
  let text = `${docComment(spec.description, '')}export const ${name} = {\n`;
  for (const value of spec.enum) {
    text += docComment(value.description, '  ');
    text += `  ${pascal(value.value)}: ${JSON.stringify(value.value)},\n`;
  }
  text += `} as const;\n\n`;
  text += docComment(spec.description, '');
  text += `export type ${name} = (typeof ${name})[keyof typeof ${name}];\n\n`;
  return text;
}

function emitObject(schema: PackageSchema, name: string, spec: ObjectTypeSpec, side: 'input' | 'output'): string {
  const required = new Set(spec.required ?? []);
  let text = `${docComment(spec.description, '')}export interface ${name} {\n`;
  for (const [key, property] of Object.entries(spec.properties)) {
    // Computed by the provider (a file's sha256): not something to pass in.
    if (side === 'input' && property.language?.jsonSchema?.readOnly === true) continue;
    text += docComment(property.description, '  ');
    text += `  ${key}${required.has(key) ? '' : '?'}: ${tsType(schema, property, side)};\n`;
  }
  return `${text}}\n\n`;
}
