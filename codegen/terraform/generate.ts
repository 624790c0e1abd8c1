import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadPackageSchema } from '../../core/schema/package-schema';
import { repoRoot } from '../../core/base/repo-root';
import { generateTerraform, type GeneratedTerraform, type TerraformOverrides } from './terraform-schema-from-pulumi';

/**
 * `make generate`: writes bridges/terraform/generated/provider-schema.json
 * (the Terraform schema) and bridges/terraform/generated/name-map.json
 * (Terraform ↔ core names), which the provider reads at run time, from
 * schema.json and codegen/terraform/overrides.json.
 * `--check` writes nothing and exits 1 when the files on disk are stale.
 */

export function generatedDir(): string {
  return join(repoRoot(), 'bridges', 'terraform', 'generated');
}

export function overridesPath(): string {
  return join(repoRoot(), 'codegen', 'terraform', 'overrides.json');
}

/** The generated files' contents, keyed by file name. */
export function renderGeneratedFiles(generated: GeneratedTerraform = generateFromRepository()): Record<string, string> {
  return {
    'provider-schema.json': `${JSON.stringify(generated.schema, null, 2)}\n`,
    'name-map.json': `${JSON.stringify(generated.names, null, 2)}\n`,
  };
}

export function generateFromRepository(): GeneratedTerraform {
  const overrides = JSON.parse(readFileSync(overridesPath(), 'utf8')) as TerraformOverrides;
  return generateTerraform(loadPackageSchema(), overrides);
}

/** Names of generated files whose contents on disk differ from a fresh generation. */
export function staleGeneratedFiles(): string[] {
  const stale: string[] = [];
  for (const [name, content] of Object.entries(renderGeneratedFiles())) {
    let current = '';
    try {
      current = readFileSync(join(generatedDir(), name), 'utf8');
    } catch {
      // A missing file is stale.
    }
    if (current !== content) stale.push(name);
  }
  return stale;
}

function main(argv: string[]): number {
  if (argv.includes('--check')) {
    const stale = staleGeneratedFiles();
    if (stale.length > 0) {
      process.stderr.write(`bridges/terraform/generated is stale (${stale.join(', ')}): run \`make generate\` and commit the result.\n`);
      return 1;
    }
    return 0;
  }
  mkdirSync(generatedDir(), { recursive: true });
  for (const [name, content] of Object.entries(renderGeneratedFiles())) {
    const path = join(generatedDir(), name);
    let current: string | undefined;
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      current = undefined;
    }
    if (current !== content) writeFileSync(path, content); // Unchanged files keep their mtime.
  }
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
