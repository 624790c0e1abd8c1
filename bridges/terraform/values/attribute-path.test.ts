import type { FieldNames } from '../schema/name-map';
import { propertyPathToTerraform } from './attribute-path';

const names: FieldNames = {
  vm_id: { property: 'vmId' },
  file: { property: 'files', attributes: { source: { property: 'source' }, file_mode: { property: 'fileMode' } } },
  labels: { property: 'labels' },
  vms: { property: 'vms', attributes: { owner_id: { property: 'ownerId' }, labels: { property: 'labels' } } },
};

describe('translating core property paths to Terraform attribute paths', () => {
  test('renames attributes and nested block attributes, keeping list indexes', () => {
    expect(propertyPathToTerraform('files[1].source', names)).toEqual({
      steps: [{ attribute_name: 'file' }, { element_key_int: 1 }, { attribute_name: 'source' }],
      text: 'file[1].source',
      complete: true,
    });
    expect(propertyPathToTerraform('files[0].fileMode', names).text).toBe('file[0].file_mode');
    expect(propertyPathToTerraform('vmId', names).steps).toEqual([{ attribute_name: 'vm_id' }]);
  });

  test('treats names inside a map as keys, never renaming them', () => {
    expect(propertyPathToTerraform('labels.someKey', names)).toMatchObject({ steps: [{ attribute_name: 'labels' }, { element_key_string: 'someKey' }], text: 'labels["someKey"]' });
    expect(propertyPathToTerraform('labels["a.b"]', names).steps).toEqual([{ attribute_name: 'labels' }, { element_key_string: 'a.b' }]);
    expect(propertyPathToTerraform('vms[2].labels.env', names).text).toBe('vms[2].labels["env"]');
  });

  test('accepts Terraform spellings the core already uses (provider options)', () => {
    expect(propertyPathToTerraform('vm_id', names).steps).toEqual([{ attribute_name: 'vm_id' }]);
  });

  test('stops at the first name without a Terraform attribute and says so', () => {
    expect(propertyPathToTerraform('files[0].nope', names)).toEqual({
      steps: [{ attribute_name: 'file' }, { element_key_int: 0 }],
      text: 'file[0]',
      complete: false,
    });
  });
});
