import { UNKNOWN } from '../../core/base/unknown';
import { parsePluginArguments } from './main';
import { inputsAfterRead, previewCreateOutputs, previewUpdateOutputs, typeOf } from './resource-provider-service';

describe('translation helpers of the Pulumi plugin', () => {
  test('the resource type comes from the request, or else from the URN’s qualified type', () => {
    expect(typeOf('vers:index:Vm', '')).toBe('vers:index:Vm');
    expect(typeOf('', 'urn:pulumi:dev::proj::vers:index:VmCommit::golden')).toBe('vers:index:VmCommit');
    expect(typeOf('', 'urn:pulumi:dev::proj::my:component:Stack$vers:index:Provision::boot::strap')).toBe('vers:index:Provision');
  });

  test('a previewed create returns the inputs and every output that only exists afterwards as unknown', () => {
    const outs = previewCreateOutputs('vers:index:VmRestore', { commitId: 'c', labels: {}, desiredState: 'running' });
    expect(outs).toEqual({
      commitId: 'c',
      labels: {},
      desiredState: 'running',
      state: UNKNOWN,
      sshHost: UNKNOWN,
      sshPort: UNKNOWN,
      sshPrivateKey: UNKNOWN,
      ip: UNKNOWN,
      createdAt: UNKNOWN,
      parentCommitId: UNKNOWN,
    });
  });

  test('a previewed update keeps the outputs the diff calls stable and makes the rest unknown', () => {
    const olds = { labels: { a: '1' }, desiredState: 'running', state: 'running', ip: 'fd00::1', sshPrivateKey: 'k' };
    const news = { labels: { a: '2' }, desiredState: 'paused' };
    const outs = previewUpdateOutputs('vers:index:Vm', olds, news, { changes: true, replaces: [], changedKeys: ['labels', 'desiredState'], stables: ['ip'], deleteBeforeReplace: false });
    expect(outs).toMatchObject({ labels: { a: '2' }, desiredState: 'paused', ip: 'fd00::1', state: UNKNOWN, sshPrivateKey: UNKNOWN });
  });

  test('after a refresh the recorded inputs follow Vers; after an import every input Vers reports is recorded', () => {
    const outs = { labels: { a: 'drifted' }, desiredState: 'paused', state: 'paused', ip: 'fd00::1' };
    expect(inputsAfterRead('vers:index:Vm', outs, { labels: { a: 'set' }, vcpuCount: 2 })).toEqual({ labels: { a: 'drifted' }, vcpuCount: 2 });
    expect(inputsAfterRead('vers:index:Vm', outs, undefined)).toEqual({ labels: { a: 'drifted' }, desiredState: 'paused' });
  });

  test('the engine’s flags are ignored and the first other argument is the engine address', () => {
    expect(parsePluginArguments(['--logtostderr', '-v=9', '--tracing', 'http://t', '127.0.0.1:5555'])).toEqual({ engineAddress: '127.0.0.1:5555' });
    expect(parsePluginArguments(['--tracing=http://t', '127.0.0.1:1', 'extra'])).toEqual({ engineAddress: '127.0.0.1:1' });
    expect(parsePluginArguments([])).toEqual({});
  });
});
