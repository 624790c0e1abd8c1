import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PackageSchema } from '../../core/schema/package-schema';
import { repoRoot } from '../../core/base/repo-root';
import type { TfAttribute, TfBlock } from '../../bridges/terraform/schema/tf-schema';
import { GENERATED_BANNER, generateTerraform } from './terraform-schema-from-pulumi';
import { snakeCase } from './snake-case';

const fixture = JSON.parse(readFileSync(join(repoRoot(), 'tests', 'tfbridge', 'fixtures', 'fixture-schema.json'), 'utf8')) as PackageSchema;

function attribute(block: TfBlock, name: string): TfAttribute {
  const found = block.attributes.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`no attribute ${name}`);
  return found;
}

function flags(attribute: TfAttribute): string[] {
  return (['required', 'optional', 'computed', 'sensitive'] as const).filter((flag) => attribute[flag] === true);
}

describe('generating the Terraform schema from a Pulumi package schema', () => {
  const generated = generateTerraform(fixture, { resources: { 'fixture:index:Thing': { idDescription: 'The thing id.' } } });
  const thing = generated.schema.resourceSchemas.fixture_thing!.block;

  test('names resources pkg_snake_case and data sources after the function without "get"', () => {
    expect(Object.keys(generated.schema.resourceSchemas)).toEqual(['fixture_thing']);
    expect(Object.keys(generated.schema.dataSourceSchemas)).toEqual(['fixture_thing']);
    expect(generated.names.resources.fixture_thing!.token).toBe('fixture:index:Thing');
    expect(generated.names.dataSources.fixture_thing!.token).toBe('fixture:index:getThing');
    expect(generated.names.providerSource).toBe('hdr/fixture');
  });

  test('derives required, optional, computed and sensitive from inputs, outputs, defaults and secrets', () => {
    expect(flags(attribute(thing, 'name'))).toEqual(['required']);
    expect(flags(attribute(thing, 'size'))).toEqual(['optional', 'computed']);
    expect(flags(attribute(thing, 'serial'))).toEqual(['computed']);
    expect(flags(attribute(thing, 'secret_value'))).toEqual(['optional', 'computed', 'sensitive']);
    expect(attribute(thing, 'id')).toMatchObject({ computed: true, type: 'string', description: 'The thing id.' });
    expect(flags(attribute(generated.schema.provider.block, 'token'))).toEqual(['optional', 'sensitive']);
  });

  test('maps types: enums to strings, Any to dynamic, object lists to list(object) with snake_case attributes', () => {
    expect(attribute(thing, 'color').type).toBe('string');
    expect(attribute(thing, 'anything').type).toBe('dynamic');
    expect(attribute(thing, 'tags').type).toEqual(['map', 'string']);
    expect(attribute(thing, 'entries').type).toEqual(['list', ['object', { entry_key: 'string', entry_value: 'number' }]]);
    expect(generated.names.resources.fixture_thing!.attributes.entries).toEqual({
      property: 'entries',
      attributes: { entry_key: { property: 'entryKey' }, entry_value: { property: 'entryValue' } },
    });
  });

  test('writes an array of a blockName object type as a repeated nested block with computed read-only attributes', () => {
    expect(thing.blockTypes).toHaveLength(1);
    const part = thing.blockTypes[0]!;
    expect(part).toMatchObject({ typeName: 'part', nesting: 'LIST' });
    expect(flags(attribute(part.block, 'part_name'))).toEqual(['required']);
    expect(flags(attribute(part.block, 'size'))).toEqual(['optional', 'computed']);
    expect(flags(attribute(part.block, 'digest'))).toEqual(['computed']);
    expect(generated.names.resources.fixture_thing!.attributes.part?.property).toBe('parts');
  });

  test('is deterministic and carries the do-not-edit banner', () => {
    expect(JSON.stringify(generateTerraform(fixture))).toBe(JSON.stringify(generateTerraform(fixture)));
    expect(generated.schema.generated).toBe(GENERATED_BANNER);
    expect(generated.names.generated).toBe(GENERATED_BANNER);
  });

  test('an alias of a block is a nested attribute with the block attributes and flags, mapped to the same property', () => {
    const aliased = JSON.parse(JSON.stringify(fixture)) as PackageSchema;
    const resource = aliased.resources['fixture:index:Thing']!;
    resource.inputProperties.parts!.language!.terraform!.aliases = [{ name: 'parts', description: 'The older spelling.' }];
    (resource as { language?: unknown }).language = { terraform: { schemaVersion: 2 } };
    const result = generateTerraform(aliased);
    const schema = result.schema.resourceSchemas.fixture_thing!;
    expect(schema.version).toBe(2);
    const parts = attribute(schema.block, 'parts');
    expect(flags(parts)).toEqual(['optional']);
    expect(parts.description).toBe('The older spelling.');
    expect(parts.nestedType?.nesting).toBe('LIST');
    expect(parts.nestedType?.attributes).toEqual(schema.block.blockTypes[0]!.block.attributes);
    expect(parts.type).toEqual(['list', ['object', { digest: 'string', part_name: 'string', size: 'number' }]]);
    expect(result.names.resources.fixture_thing!.attributes.parts).toEqual({ ...result.names.resources.fixture_thing!.attributes.part, aliasOf: 'part' });
  });

  test('an alias inside an object type repeats the property under a second name; a taken name is refused', () => {
    const aliased = JSON.parse(JSON.stringify(fixture)) as PackageSchema;
    const entry = aliased.types['fixture:index:Entry'] as { properties: Record<string, { language?: unknown }> };
    entry.properties.entryKey!.language = { terraform: { aliases: [{ name: 'key', description: 'Same as entry_key.' }] } };
    const result = generateTerraform(aliased);
    expect(attribute(result.schema.resourceSchemas.fixture_thing!.block, 'entries').type).toEqual(['list', ['object', { entry_key: 'string', key: 'string', entry_value: 'number' }]]);
    expect(result.names.resources.fixture_thing!.attributes.entries!.attributes!.key).toEqual({ property: 'entryKey', aliasOf: 'entry_key' });
    entry.properties.entryKey!.language = { terraform: { aliases: [{ name: 'entry_value', description: 'Clash.' }] } };
    expect(() => generateTerraform(aliased)).toThrow(/two properties map to the Terraform name entry_value/);
  });

  test('refuses a property that would collide with the id attribute', () => {
    const broken = JSON.parse(JSON.stringify(fixture)) as PackageSchema;
    broken.resources['fixture:index:Thing']!.properties.id = { type: 'string' };
    expect(() => generateTerraform(broken)).toThrow(/reserves for the resource id/);
  });
});

describe('snake_case names', () => {
  test('split camelCase words and acronyms', () => {
    expect(snakeCase('sshPrivateKey')).toBe('ssh_private_key');
    expect(snakeCase('tlsCAFile')).toBe('tls_ca_file');
    expect(snakeCase('sha256')).toBe('sha256');
    expect(snakeCase('memSizeMib')).toBe('mem_size_mib');
  });
});
