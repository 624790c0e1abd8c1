import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedDir, renderGeneratedFiles } from '../../codegen/terraform/generate';

describe('tfbridge/generated', () => {
  test('matches a fresh generation from schema.json (run `make generate` when this fails)', () => {
    for (const [name, content] of Object.entries(renderGeneratedFiles())) {
      const onDisk = readFileSync(join(generatedDir(), name), 'utf8');
      expect({ name, content: onDisk }).toEqual({ name, content });
    }
  });

  test('names every resource and data source the README promises', () => {
    const schema = JSON.parse(readFileSync(join(generatedDir(), 'provider-schema.json'), 'utf8')) as {
      generated: string;
      resourceSchemas: Record<string, unknown>;
      dataSourceSchemas: Record<string, unknown>;
    };
    expect(schema.generated).toMatch(/Do not edit/);
    expect(Object.keys(schema.resourceSchemas).sort()).toEqual(['vers_provision', 'vers_vm', 'vers_vm_branch', 'vers_vm_commit', 'vers_vm_restore']);
    expect(Object.keys(schema.dataSourceSchemas).sort()).toEqual(['vers_commit', 'vers_vms']);
  });
});
