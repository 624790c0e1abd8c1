import { existsSync, mkdirSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { loadPackageSchema, type PackageSchema } from '../../core/schema/package-schema';
import { repoRoot } from '../../core/base/repo-root';
import { emitDynamicIndex, emitDynamicResource } from './emit-dynamic';
import { emitFunction } from './emit-function';
import { emitProvider } from './emit-provider';
import { emitResource } from './emit-resource';
import { emitEnums, emitInputTypes, emitOutputTypes, emitTypesIndex } from './emit-types';
import { GENERATED_BANNER, fileNameOf, pascal, tokenName } from './type-names';

/**
 * The nodejs SDK generator: schema.json → sdk/nodejs/*.ts (resource classes,
 * Provider, functions, types, the `dynamic` namespace), in the shape of the
 * SDKs `pulumi package gen-sdk` writes (which needs the pulumi CLI, absent
 * here). `make generate` runs it after a change of schema.json; `--check`
 * lists stale files and exits 1 (the SDK test does the same).
 */

/** Generated files, path relative to sdk/nodejs → contents. */
export function generateSdk(schema: PackageSchema = loadPackageSchema()): Map<string, string> {
  const files = new Map<string, string>();
  files.set('utilities.ts', emitUtilities(schema));
  files.set('provider.ts', emitProvider(schema));
  for (const [token, spec] of Object.entries(schema.resources)) {
    files.set(`${fileNameOf(tokenName(token))}.ts`, emitResource(schema, token, spec));
    files.set(`dynamic/${fileNameOf(tokenName(token))}.ts`, emitDynamicResource(schema, token, spec));
  }
  for (const [token, spec] of Object.entries(schema.functions)) {
    files.set(`${fileNameOf(tokenName(token))}.ts`, emitFunction(schema, token, spec));
  }
  files.set('types/enums.ts', emitEnums(schema));
  files.set('types/input.ts', emitInputTypes(schema));
  files.set('types/output.ts', emitOutputTypes(schema));
  files.set('types/index.ts', emitTypesIndex());
  files.set('dynamic/index.ts', emitDynamicIndex(schema));
  files.set('index.ts', emitIndex(schema));
  return files;
}

export function sdkDirectory(): string {
  return join(repoRoot(), 'sdk', 'nodejs');
}

export interface SdkDrift {
  /** Generated files whose contents differ from what the generator writes now (or that are missing). */
  stale: string[];
  /** Files carrying the generated banner that the generator no longer writes. */
  orphaned: string[];
}

/** Compare the SDK on disk with a fresh generation. */
export function sdkDrift(directory = sdkDirectory()): SdkDrift {
  const expected = generateSdk();
  const stale = [...expected].filter(([path, text]) => !existsSync(join(directory, path)) || readFileSync(join(directory, path), 'utf8') !== text).map(([path]) => path);
  const orphaned = generatedFilesIn(directory).filter((path) => !expected.has(path));
  return { stale, orphaned };
}

/** Write the SDK and delete generated files that no longer belong to it. */
export function writeSdk(directory = sdkDirectory()): string[] {
  const files = generateSdk();
  const written: string[] = [];
  for (const [path, text] of files) {
    const target = join(directory, path);
    if (existsSync(target) && readFileSync(target, 'utf8') === text) continue;
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
    written.push(path);
  }
  for (const path of generatedFilesIn(directory)) {
    if (!files.has(path)) unlinkSync(join(directory, path));
  }
  return written;
}

function generatedFilesIn(directory: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(path);
      } else if (entry.name.endsWith('.ts') && readFileSync(path, 'utf8').startsWith(GENERATED_BANNER)) {
        found.push(relative(directory, path));
      }
    }
  };
  if (existsSync(directory)) walk(directory);
  return found.sort();
}

function emitUtilities(schema: PackageSchema): string {
  return (
    `${GENERATED_BANNER}\n` +
    `/** The package version, from schema.json: which \`pulumi-resource-${schema.name}\` plugin version the engine loads. */\n` +
    `export function getVersion(): string {\n  return ${JSON.stringify(schema.version)};\n}\n\n` +
    `/** @internal */\nexport function resourceOptsDefaults(): any {\n  return { version: getVersion() };\n}\n`
  );
}

function emitIndex(schema: PackageSchema): string {
  const resources = Object.keys(schema.resources).map(tokenName);
  const functions = Object.keys(schema.functions).map(tokenName);
  let text = `${GENERATED_BANNER}\nimport * as pulumi from '@pulumi/pulumi';\nimport * as utilities from './utilities';\n`;
  text += `import { Provider } from './provider';\n`;
  for (const name of resources) text += `import { ${name} } from './${fileNameOf(name)}';\n`;
  text += `\nexport { Provider };\nexport type { ProviderArgs } from './provider';\n`;
  for (const name of resources) text += `export { ${name} };\nexport type { ${name}Args } from './${fileNameOf(name)}';\n`;
  for (const name of functions) {
    const type = pascal(name);
    text += `export { ${name}, ${name}Output } from './${fileNameOf(name)}';\n`;
    text += `export type { ${type}Args, ${type}Result, ${type}OutputArgs } from './${fileNameOf(name)}';\n`;
  }
  text += `export * as types from './types';\nexport * as dynamic from './dynamic';\n\n`;
  text += `const indexModule: pulumi.runtime.ResourceModule = {\n  version: utilities.getVersion(),\n`;
  text += `  construct: (name: string, type: string, urn: string): pulumi.Resource => {\n    switch (type) {\n`;
  for (const [token] of Object.entries(schema.resources)) {
    text += `      case '${token}':\n        return new ${tokenName(token)}(name, undefined as any, { urn });\n`;
  }
  text += `      default:\n        throw new Error(\`unknown resource type \${type}\`);\n    }\n  },\n};\n`;
  text += `pulumi.runtime.registerResourceModule('${schema.name}', 'index', indexModule);\n`;
  text += `pulumi.runtime.registerResourcePackage('${schema.name}', {\n  version: utilities.getVersion(),\n`;
  text += `  constructProvider: (name: string, type: string, urn: string): pulumi.ProviderResource => {\n`;
  text += `    if (type !== 'pulumi:providers:${schema.name}') {\n      throw new Error(\`unknown provider type \${type}\`);\n    }\n`;
  text += `    return new Provider(name, undefined, { urn });\n  },\n});\n`;
  return text;
}

if (require.main === module) {
  if (process.argv.includes('--check')) {
    const drift = sdkDrift();
    if (drift.stale.length + drift.orphaned.length > 0) {
      process.stderr.write(`sdk/nodejs is stale; run make generate\n  stale: ${drift.stale.join(', ') || '-'}\n  orphaned: ${drift.orphaned.join(', ') || '-'}\n`);
      process.exit(1);
    }
  } else {
    const written = writeSdk();
    process.stdout.write(written.length === 0 ? 'sdk/nodejs is up to date\n' : `wrote ${written.map((path) => `sdk/nodejs/${path}`).join(', ')}\n`);
  }
}
