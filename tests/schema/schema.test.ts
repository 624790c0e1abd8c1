import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020';
import { loadPackageSchema, type PropertySpec, type TypeSpec } from '../../core/schema/package-schema';
import { join } from 'node:path';
import { repoRoot } from '../../core/base/repo-root';
import { referencePath } from '../helpers/reference-path';

const metaschemaPath = referencePath('pulumi-metaschema.json');

describe('schema.json', () => {
  const schema = loadPackageSchema();

  test('is valid against the Pulumi package metaschema', () => {
    const ajv = new Ajv2020({ strict: false, logger: false });
    const validate = ajv.compile(JSON.parse(readFileSync(metaschemaPath, 'utf8')) as object);
    const valid = validate(schema);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  test('an invalid variant is rejected by the metaschema (the check can fail)', () => {
    const ajv = new Ajv2020({ strict: false, logger: false });
    const validate = ajv.compile(JSON.parse(readFileSync(metaschemaPath, 'utf8')) as object);
    const broken = JSON.parse(JSON.stringify(schema)) as { resources: Record<string, { inputProperties: Record<string, { type: string }> }> };
    broken.resources['vers:index:Vm']!.inputProperties['vcpuCount']!.type = 'int';
    expect(validate(broken)).toBe(false);
  });

  test('every $ref resolves and every required name is a declared property', () => {
    const problems: string[] = [];
    const checkType = (where: string, spec: TypeSpec): void => {
      if (spec.$ref !== undefined && schema.types[spec.$ref.replace('#/types/', '')] === undefined) problems.push(`${where}: ${spec.$ref}`);
      if (spec.items) checkType(`${where}[]`, spec.items);
      if (spec.additionalProperties) checkType(`${where}{}`, spec.additionalProperties);
    };
    const checkBag = (where: string, properties: Record<string, PropertySpec>, required: string[] = []): void => {
      for (const [name, spec] of Object.entries(properties)) {
        checkType(`${where}.${name}`, spec);
        if (!spec.description) problems.push(`${where}.${name} has no description`);
      }
      for (const name of required) if (!(name in properties)) problems.push(`${where} requires undeclared ${name}`);
    };
    for (const [token, type] of Object.entries(schema.types)) {
      if ('properties' in type) checkBag(token, type.properties, type.required);
    }
    for (const [token, resource] of Object.entries(schema.resources)) {
      if (!resource.description) problems.push(`${token} has no description`);
      checkBag(`${token} inputs`, resource.inputProperties, resource.requiredInputs);
      checkBag(`${token} outputs`, resource.properties, resource.required);
    }
    for (const [token, fn] of Object.entries(schema.functions)) {
      checkBag(`${token} inputs`, fn.inputs?.properties ?? {}, fn.inputs?.required);
      checkBag(`${token} outputs`, fn.outputs.properties, fn.outputs.required);
    }
    checkBag('config', schema.config.variables);
    expect(problems).toEqual([]);
  });

  test('secrets are marked: the API key and every VM private key', () => {
    expect(schema.config.variables['apiKey']?.secret).toBe(true);
    expect(schema.provider.inputProperties['apiKey']?.secret).toBe(true);
    for (const token of ['vers:index:Vm', 'vers:index:VmBranch', 'vers:index:VmRestore']) {
      expect(schema.resources[token]?.properties['sshPrivateKey']?.secret).toBe(true);
    }
  });

  test('provisioning secrets are marked: environment values and file contents, as inputs and outputs, and Terraform sees them sensitive', () => {
    const provision = schema.resources['vers:index:Provision'];
    expect(provision?.inputProperties['environment']?.secret).toBe(true);
    expect(provision?.properties['environment']?.secret).toBe(true);
    const file = schema.types['vers:index:ProvisionFile'];
    expect(file !== undefined && 'properties' in file ? file.properties['content']?.secret : undefined).toBe(true);
    const generated = JSON.parse(readFileSync(join(repoRoot(), 'bridges', 'terraform', 'generated', 'provider-schema.json'), 'utf8')) as {
      resourceSchemas: Record<string, { block: { attributes: Array<{ name: string; sensitive?: boolean }>; blockTypes: Array<{ typeName: string; block: { attributes: Array<{ name: string; sensitive?: boolean }> } }> } }>;
    };
    const block = generated.resourceSchemas['vers_provision']!.block;
    expect(block.attributes.find((attribute) => attribute.name === 'environment')?.sensitive).toBe(true);
    expect(block.blockTypes.find((nested) => nested.typeName === 'file')?.block.attributes.find((attribute) => attribute.name === 'content')?.sensitive).toBe(true);
  });
});
