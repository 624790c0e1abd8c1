import { UNKNOWN as SENTINEL } from '../../../core/base/unknown';
import { CtyDynamic, UNKNOWN } from '../cty/cty-value';
import type { FieldNames } from '../schema/name-map';
import type { TfBlock } from '../schema/tf-schema';
import { aliasConflicts, aliasesInUse, fromPropertyBag, toPropertyBag } from './property-bag';

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

describe('a property with two Terraform spellings (an alias)', () => {
  const fileBlock: TfBlock = { attributes: [{ name: 'source', type: 'string', optional: true }, { name: 'sha', type: 'string', computed: true }], blockTypes: [] };
  const aliased: TfBlock = {
    attributes: [
      { name: 'files', type: ['list', ['object', { source: 'string', sha: 'string' }]], optional: true, nestedType: { nesting: 'LIST', attributes: fileBlock.attributes } },
      { name: 'vms', type: ['list', ['object', { vm_id: 'string', id: 'string' }]], computed: true },
    ],
    blockTypes: [{ typeName: 'file', nesting: 'LIST', block: fileBlock }],
  };
  const fileNames: FieldNames = { source: { property: 'source' }, sha: { property: 'sha256' } };
  const aliasNames: FieldNames = {
    file: { property: 'files', attributes: fileNames },
    files: { property: 'files', attributes: fileNames, aliasOf: 'file' },
    vms: { property: 'vms', attributes: { vm_id: { property: 'vmId' }, id: { property: 'vmId', aliasOf: 'vm_id' } } },
  };

  test('either spelling becomes the one core property', () => {
    const viaAlias = toPropertyBag({ files: [{ source: 'a', sha: null }], file: [], vms: null }, aliased, aliasNames);
    const viaBlocks = toPropertyBag({ files: null, file: [{ source: 'a', sha: null }], vms: null }, aliased, aliasNames);
    expect(viaAlias).toEqual({ files: [{ source: 'a' }] });
    expect(viaBlocks).toEqual(viaAlias);
  });

  test('the core value goes back in the spelling in use, the other one left empty', () => {
    const bag = { files: [{ source: 'a', sha256: 'h' }], vms: [{ vmId: 'v' }] };
    const inUse = aliasesInUse({ files: [{ source: 'a', sha: null }], file: [] }, aliasNames);
    expect([...inUse]).toEqual(['files']);
    expect(fromPropertyBag(bag, aliased, aliasNames, undefined, inUse)).toEqual({ files: [{ source: 'a', sha: 'h' }], file: [], vms: [{ vm_id: 'v', id: 'v' }] });
    expect(fromPropertyBag(bag, aliased, aliasNames)).toEqual({ files: null, file: [{ source: 'a', sha: 'h' }], vms: [{ vm_id: 'v', id: 'v' }] });
  });

  test('setting both spellings is a conflict; one of them, an empty block list or an unknown alias is not', () => {
    expect(aliasConflicts({ files: [{ source: 'a', sha: null }], file: [{ source: 'b', sha: null }] }, aliased, aliasNames)).toEqual([{ alias: 'files', primary: 'file', primaryIsBlock: true }]);
    expect(aliasConflicts({ files: [], file: [{ source: 'b', sha: null }] }, aliased, aliasNames)).toHaveLength(1);
    expect(aliasConflicts({ files: [{ source: 'a', sha: null }], file: [] }, aliased, aliasNames)).toEqual([]);
    expect(aliasConflicts({ files: UNKNOWN, file: [{ source: 'b', sha: null }] }, aliased, aliasNames)).toEqual([]);
  });
});
