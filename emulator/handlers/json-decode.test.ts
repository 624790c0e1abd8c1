import { absentable, optional, required, string, struct, taggedEnum, u32, unitEnum, uuid, type Decoder } from './json-decode';
import { readJson } from './json-reader';
import { parseRustUuid } from './rust-uuid';

/** The server's body errors are serde texts; these are the ones clients and the reference quote. */
function decodeError<T>(decoder: Decoder<T>, source: string): string {
  try {
    decoder.decode(readJson(source), { source }, []);
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
  throw new Error(`expected ${source} to fail`);
}

const StateRequest = struct('VmUpdateStateRequest', { state: required(unitEnum('VmUpdateStateEnum', ['Paused', 'Running'] as const)) });
const NewRoot = struct('NewRootRequest', { vm_config: required(struct('VmCreateVmConfig', { vcpu_count: absentable(optional(u32)) })) });
const FromCommit = taggedEnum('FromCommitVmRequest', { commit_id: uuid, tag_name: string, ref: string });

describe('request body decoding', () => {
  test('a lowercase state gives the exact 422 text observed on the live server', () => {
    expect(decodeError(StateRequest, '{"state": "running"}')).toBe(
      'JsonDataError: state: unknown variant `running`, expected `Paused` or `Running` at line 1 column 19',
    );
  });

  test('an empty body is a syntax error at column 0', () => {
    expect(decodeError(StateRequest, '')).toBe('JsonSyntaxError: EOF while parsing a value at line 1 column 0');
  });

  test('a missing required field names the field', () => {
    expect(decodeError(NewRoot, '{}')).toBe('JsonDataError: missing field `vm_config` at line 1 column 2');
  });

  test('a negative size is an invalid value with the field path', () => {
    expect(decodeError(NewRoot, '{"vm_config":{"vcpu_count":-1}}')).toBe(
      'JsonDataError: vm_config.vcpu_count: invalid value: integer `-1`, expected u32 at line 1 column 29',
    );
  });

  test('from_commit with no key or two keys is a syntax error, as serde_json reports for externally tagged enums', () => {
    expect(decodeError(FromCommit, '{}')).toMatch(/^JsonSyntaxError: expected value at line 1 column 2$/);
    expect(decodeError(FromCommit, '{"ref":"a:b","tag_name":"x"}')).toMatch(/^JsonSyntaxError: expected value/);
  });

  test('from_commit with a malformed commit id is a data error carrying the uuid crate message', () => {
    expect(decodeError(FromCommit, '{"commit_id":"nope"}')).toBe(
      'JsonDataError: commit_id: UUID parsing failed: invalid character: found `n` at 1 at line 1 column 19',
    );
  });

  test('valid bodies decode to typed values', () => {
    const source = '{"vm_config":{"vcpu_count":null},"extra":1}';
    expect(NewRoot.decode(readJson(source), { source }, [])).toEqual({ vm_config: { vcpu_count: null } });
    const ref = '{"ref":"repo:tag"}';
    expect(FromCommit.decode(readJson(ref), { source: ref }, [])).toEqual({ variant: 'ref', value: 'repo:tag' });
  });
});

describe('UUID parsing', () => {
  test('the live server message for a non-UUID path id is reproduced', () => {
    expect(parseRustUuid('not-a-uuid-string')).toEqual({ ok: false, reason: 'invalid character: found `n` at 1' });
  });

  test('uppercase and simple forms are accepted and normalised to lowercase hyphenated', () => {
    expect(parseRustUuid('ABCDEF00-0000-4000-8000-000000000000')).toEqual({ ok: true, uuid: 'abcdef00-0000-4000-8000-000000000000' });
    expect(parseRustUuid('abcdef00000040008000000000000000')).toEqual({ ok: true, uuid: 'abcdef00-0000-4000-8000-000000000000' });
  });

  test('a short last group reports the group length', () => {
    expect(parseRustUuid('12345678-1234-1234-1234-12345678901')).toEqual({ ok: false, reason: 'invalid group length in group 4: expected 12, found 11' });
  });
});
