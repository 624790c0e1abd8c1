import { UNKNOWN as SENTINEL } from '../../provider/resources/unknown';
import { CtyDynamic, UNKNOWN } from '../cty/cty-value';
import type { FieldNames } from '../schema/name-map';
import type { TfBlock } from '../schema/tf-schema';
import { fromPropertyBag, toPropertyBag } from './property-bag';

const block: TfBlock = {
  attributes: [
    { name: 'id', type: 'string', computed: true },
    { name: 'vm_id', type: 'string', required: true },
    { name: 'labels', type: ['map', 'string'], optional: true },
    { name: 'size_mib', type: 'number', optional: true },
    { name: 'anything', type: 'dynamic', optional: true },
    { name: 'vms', type: ['list', ['object', { owner_id: 'string' }]], computed: true },
  ],
  blockTypes: [
    {
      typeName: 'file',
      nesting: 'LIST',
      block: { attributes: [{ name: 'source', type: 'string', optional: true }, { name: 'file_mode', type: 'string', optional: true }], blockTypes: [] },
    },
  ],
};
const names: FieldNames = {
  vm_id: { property: 'vmId' },
  labels: { property: 'labels' },
  size_mib: { property: 'sizeMib' },
  anything: { property: 'anything' },
  vms: { property: 'vms', attributes: { owner_id: { property: 'ownerId' } } },
  file: { property: 'files', attributes: { source: { property: 'source' }, file_mode: { property: 'fileMode' } } },
};

describe('converting between Terraform objects and core property bags', () => {
  test('renames to camelCase, drops null attributes and empty block lists, and skips the id', () => {
    const bag = toPropertyBag(
      { id: 'vm-1', vm_id: 'x', labels: { Some_Key: 'v' }, size_mib: null, anything: null, vms: null, file: [] },
      block,
      names,
      { skip: new Set(['id']) },
    );
    expect(bag).toEqual({ vmId: 'x', labels: { Some_Key: 'v' } });
  });

  test('turns nested blocks into arrays of objects and unknowns into the core sentinel', () => {
    const bag = toPropertyBag(
      { vm_id: UNKNOWN, labels: null, size_mib: 3, anything: new CtyDynamic(['tuple', ['string']], ['a']), vms: null, file: [{ source: 'a.txt', file_mode: null }, { source: UNKNOWN, file_mode: '0600' }] },
      block,
      names,
    );
    expect(bag).toEqual({ vmId: SENTINEL, sizeMib: 3, anything: ['a'], files: [{ source: 'a.txt' }, { source: SENTINEL, fileMode: '0600' }] });
  });

  test('builds an object with every attribute, empty block lists and the id from a bag', () => {
    expect(fromPropertyBag({ vmId: 'x', sizeMib: '7', vms: [{ ownerId: 'o' }] }, block, names, { attribute: 'id', value: 'vm-1' })).toEqual({
      id: 'vm-1',
      vm_id: 'x',
      labels: null,
      size_mib: 7,
      anything: null,
      vms: [{ owner_id: 'o' }],
      file: [],
    });
  });

  test('round-trips a bag through a Terraform object', () => {
    const bag = { vmId: 'x', labels: { a: 'b' }, files: [{ source: 's', fileMode: '0644' }], anything: { k: [1, 'two'] } };
    expect(toPropertyBag(fromPropertyBag(bag, block, names), block, names)).toEqual(bag);
  });
});
