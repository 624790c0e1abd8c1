import { UNKNOWN, isUnknown, type CtyObject } from '../cty/cty-value';
import type { TfBlock } from '../schema/tf-schema';
import { completeOldState, nullUnknowns, planComputedAttributes, refreshedObject, resultObject, withUnrecordedInputsKept } from './planning';

const block: TfBlock = {
  attributes: [
    { name: 'id', type: 'string', computed: true },
    { name: 'name', type: 'string', required: true },
    { name: 'size', type: 'number', optional: true, computed: true },
    { name: 'serial', type: 'string', computed: true },
  ],
  blockTypes: [
    {
      typeName: 'part',
      nesting: 'LIST',
      block: { attributes: [{ name: 'part_name', type: 'string', required: true }, { name: 'digest', type: 'string', computed: true }], blockTypes: [] },
    },
  ],
};

describe('planning computed attributes', () => {
  test('on create, computed attributes are unknown unless check knows them, nested ones included', () => {
    const config: CtyObject = { id: null, name: 'a', size: null, serial: null, part: [{ part_name: 'p', digest: null }] };
    const checked: CtyObject = { id: null, name: 'a', size: 3, serial: null, part: [{ part_name: 'p', digest: 'abc' }] };
    const planned = planComputedAttributes(block, config, config, checked, () => 'unknown');
    expect(isUnknown(planned.id ?? null)).toBe(true);
    expect(isUnknown(planned.serial ?? null)).toBe(true);
    expect(planned.size).toBe(3);
    expect(planned.part).toEqual([{ part_name: 'p', digest: 'abc' }]);
    expect(planned.name).toBe('a');
  });

  test('on update, kept attributes keep their prior value and configured values are never touched', () => {
    const config: CtyObject = { id: null, name: 'b', size: 5, serial: null, part: [] };
    const proposed: CtyObject = { id: 'x', name: 'b', size: 5, serial: 's1', part: [] };
    const planned = planComputedAttributes(block, config, proposed, { ...config, size: 99 }, (name) => (name === 'serial' ? 'keep' : 'unknown'));
    expect(planned).toEqual({ id: UNKNOWN, name: 'b', size: 5, serial: 's1', part: [] });
  });
});

describe('results after apply and refresh', () => {
  test('a result keeps configured values and known planned values and fills unknowns from the core', () => {
    const planned: CtyObject = { id: UNKNOWN, name: 'a', size: 3, serial: UNKNOWN, part: [{ part_name: 'p', digest: 'abc' }] };
    const outputs: CtyObject = { id: 'x', name: 'A', size: 3, serial: 's', part: [{ part_name: 'p', digest: 'abc' }] };
    expect(resultObject(block, planned, outputs, 'id')).toEqual({ id: 'x', name: 'a', size: 3, serial: 's', part: [{ part_name: 'p', digest: 'abc' }] });
  });

  test('a result reports a known planned value the core changed, so Terraform can flag it', () => {
    const planned: CtyObject = { id: UNKNOWN, name: 'a', size: 3, serial: UNKNOWN, part: [] };
    expect(resultObject(block, planned, { id: 'x', name: 'a', size: 4, serial: 's', part: [] }, 'id').size).toBe(4);
  });

  test('a refresh keeps the prior form of unchanged values and takes the core value of changed ones', () => {
    const prior: CtyObject = { id: 'x', name: 'a', size: 3, serial: 's', part: [] };
    expect(refreshedObject(block, prior, { id: 'x', name: 'a', size: 4, serial: 's', part: [] })).toEqual({ ...prior, size: 4 });
  });

  test('unknowns left in a result become null, with their paths', () => {
    expect(nullUnknowns({ a: UNKNOWN, b: [{ c: UNKNOWN }] })).toEqual({ value: { a: null, b: [{ c: null }] }, replaced: ['a', 'b[0].c'] });
  });
});

describe('inputs the core adopts without recording them, and states of older versions', () => {
  const vmBlock: TfBlock = {
    attributes: [
      { name: 'id', type: 'string', computed: true },
      { name: 'vcpu_count', type: 'number', optional: true, computed: true },
      { name: 'labels', type: ['map', 'string'], optional: true, computed: true },
      { name: 'host_key', type: 'string', computed: true },
      { name: 'port', type: 'number', computed: true },
      { name: 'files', type: ['list', ['object', { source: 'string', sha: 'string' }]], optional: true, nestedType: { nesting: 'LIST', attributes: [{ name: 'source', type: 'string', optional: true }, { name: 'sha', type: 'string', computed: true }] } },
    ],
    blockTypes: [],
  };

  test('an unset input the core keeps stays as recorded, even when check fills a default', () => {
    const prior: CtyObject = { id: 'x', vcpu_count: null, labels: {}, host_key: 'k', port: 1, files: null };
    const config: CtyObject = { id: null, vcpu_count: null, labels: null, host_key: null, port: null, files: null };
    const planned = planComputedAttributes(vmBlock, config, prior, { ...config, vcpu_count: 1, labels: {} }, () => 'keep');
    expect(planned.vcpu_count).toBeNull();
  });

  test('an in-place update keeps an input planned unset unset, whatever the core reports for it', () => {
    const prior: CtyObject = { id: 'x', vcpu_count: null, labels: {}, host_key: 'k', port: 1, files: null };
    const planned: CtyObject = { ...prior, labels: { a: 'b' } };
    const outputs: CtyObject = { ...planned, vcpu_count: 1 };
    expect(withUnrecordedInputsKept(vmBlock, prior, planned, outputs)).toEqual(planned);
  });

  test('an older state gets what this version records: inputs from check, nested items included, outputs never recorded empty', () => {
    const old: CtyObject = { id: 'x', vcpu_count: 2, labels: null, host_key: null, port: null, files: [{ source: 'a', sha: null }] };
    const recorded: CtyObject = { id: null, vcpu_count: 2, labels: {}, host_key: null, port: null, files: [{ source: 'a', sha: 'h' }] };
    expect(completeOldState(vmBlock, old, recorded)).toEqual({ id: 'x', vcpu_count: 2, labels: {}, host_key: '', port: 0, files: [{ source: 'a', sha: 'h' }] });
  });
});
