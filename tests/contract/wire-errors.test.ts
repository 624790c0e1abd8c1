import { randomUUID } from 'node:crypto';
import { rawRequest, startVersLocal, type VersLocalProcess } from '../helpers/vers-local';
import { OpenApiContract } from './openapi-contract';

/**
 * The wire-level error model (reference §2): the proxy's 403 text, axum's
 * extractor rejections as plain text, empty 404/405, JSON application
 * errors, and the echoed request id.
 */

const contract = new OpenApiContract();
let local: VersLocalProcess;

beforeAll(async () => {
  local = await startVersLocal();
});

afterAll(async () => {
  await local?.stop();
});

const TEXT = 'text/plain; charset=utf-8';

describe('authentication', () => {
  // The spec documents 401 without a body; production answers from the proxy with 403 and plain text (reference §1.2, §11).
  test('a missing, malformed or wrong key gets 403 with the plain-text body "403 Forbidden"', async () => {
    const otherKey = `${randomUUID()}${'ab'.repeat(32)}`;
    const attempts = [
      await local.api('GET', '/vms', { noAuth: true }),
      await local.api('GET', '/vms', { noAuth: true, headers: { authorization: 'Bearer short' } }),
      await local.api('GET', '/vms', { noAuth: true, headers: { authorization: `Bearer ${otherKey}` } }),
      await local.api('GET', '/vms', { noAuth: true, headers: { authorization: `Basic ${local.ready.api_key}` } }),
      await local.api('GET', '/no/such/route', { noAuth: true }),
      await local.admin('GET', '/stats', { noAuth: true }),
    ];
    for (const res of attempts) {
      expect(res.status).toBe(403);
      expect(res.text).toBe('403 Forbidden');
      expect(res.headers['content-type']).toBeUndefined();
    }
  });

  test('keys/validate answers valid for the configured key', async () => {
    const res = await local.api('POST', '/keys/validate');
    contract.check(res, 'POST', '/api/v1/keys/validate');
    expect(res.json()).toEqual({ valid: true, message: expect.any(String) });
  });

  test('system/version names the orchestrator', async () => {
    const res = await local.api('GET', '/system/version');
    contract.check(res, 'GET', '/api/v1/system/version');
    expect(res.json<{ executable_name: string }>().executable_name).toBe('orchestrator');
  });
});

describe('request ids', () => {
  test('x-request-id is echoed back, on success and on auth failure', async () => {
    const ok = await local.api('GET', '/vms', { headers: { 'x-request-id': 'trace-123' } });
    expect(ok.headers['x-request-id']).toBe('trace-123');
    const denied = await local.api('GET', '/vms', { noAuth: true, headers: { 'x-request-id': 'trace-456' } });
    expect(denied.headers['x-request-id']).toBe('trace-456');
  });

  test('x-operation-id is used when x-request-id is absent, and a UUID is generated when both are', async () => {
    const operation = await local.api('GET', '/vms', { headers: { 'x-operation-id': 'op-1' } });
    expect(operation.headers['x-request-id']).toBe('op-1');
    const generated = await local.api('GET', '/vms');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

// The spec declares JSON ErrorResponse bodies for 400; axum's extractor rejections are plain text,
// as observed on the live server (reference §2), so these are checked as text, not against the spec.
describe('extractor rejections are plain text', () => {
  test('a non-UUID path id is 400 with the axum message the live server sends', async () => {
    const res = await local.api('GET', '/vm/not-a-uuid-string/status');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe(TEXT);
    expect(res.text).toBe('Invalid URL: Cannot parse `vm_id` with value `not-a-uuid-string`: UUID parsing failed: invalid character: found `n` at 1');
  });

  test('the path parameter is named as the route names it', async () => {
    const res = await local.api('POST', '/vm/xyz/branch');
    expect(res.text).toMatch(/^Invalid URL: Cannot parse `vm_or_commit_id` with value `xyz`/);
  });

  test('a required JSON body without Content-Type is 415', async () => {
    const res = await local.api('POST', '/vm/new_root', { body: '{"vm_config":{}}' });
    expect(res.status).toBe(415);
    expect(res.headers['content-type']).toBe(TEXT);
    expect(res.text).toBe('Expected request with `Content-Type: application/json`');
  });

  test('unparseable JSON is 400 with serde_json position', async () => {
    const res = await local.api('POST', '/vm/new_root', { body: '{"vm_config":', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe(TEXT);
    expect(res.text).toBe('Failed to parse the request body as JSON: EOF while parsing a value at line 1 column 13');
  });

  test('a missing field, a wrong type and an unknown enum variant are 422', async () => {
    const missing = await local.api('POST', '/vm/new_root', { json: {} });
    expect(missing.status).toBe(422);
    expect(missing.headers['content-type']).toBe(TEXT);
    expect(missing.text).toBe('Failed to deserialize the JSON body into the target type: missing field `vm_config` at line 1 column 2');

    const wrongType = await local.api('POST', '/vm/new_root', { json: { vm_config: { mem_size_mib: 'lots' } } });
    expect(wrongType.status).toBe(422);
    expect(wrongType.text).toBe('Failed to deserialize the JSON body into the target type: vm_config.mem_size_mib: invalid type: string "lots", expected u32 at line 1 column 35');

    const negative = await local.api('POST', '/vm/new_root', { json: { vm_config: { vcpu_count: -1 } } });
    expect(negative.status).toBe(422);

    const variant = await local.api('PATCH', `/vm/${randomUUID()}/state`, { body: '{"state": "running"}', headers: { 'content-type': 'application/json' } });
    expect(variant.status).toBe(422);
    expect(variant.text).toBe('Failed to deserialize the JSON body into the target type: state: unknown variant `running`, expected `Paused` or `Running` at line 1 column 19');
  });

  test('a malformed query value is 400', async () => {
    const res = await local.api('POST', '/vm/new_root?wait_boot=1', { json: { vm_config: {} } });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe(TEXT);
    expect(res.text).toBe('Failed to deserialize query string: wait_boot: provided string was not `true` or `false`');
  });

  test('a body over the size limit is 413', async () => {
    const res = await local.api('PUT', `/vm/${randomUUID()}/files`, { json: { path: '/x', content_b64: 'A'.repeat(3 * 1024 * 1024) } });
    expect(res.status).toBe(413);
  });
});

describe('routing', () => {
  test('unknown routes are 404 and wrong methods 405, both with empty bodies', async () => {
    const unknown = await local.api('GET', '/no/such/route');
    expect(unknown.status).toBe(404);
    expect(unknown.text).toBe('');
    const wrongMethod = await local.api('GET', '/vm/new_root');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.text).toBe('');
    expect(wrongMethod.headers.allow).toBe('POST');
    const outsideApi = await rawRequest(local.ready.base_url.replace('/api/v1', '/v2/vms'), { method: 'GET', headers: { authorization: `Bearer ${local.ready.api_key}` } });
    expect(outsideApi.status).toBe(404);
  });
});

describe('application errors are JSON', () => {
  test('an unknown VM is 404 "not found" on reads and "vm not found" on actions', async () => {
    const id = randomUUID();
    const status = await local.api('GET', `/vm/${id}/status`);
    contract.check(status, 'GET', '/api/v1/vm/{vm_id}/status');
    expect(status.json()).toEqual({ success: false, error: 'not found' });

    const metadata = await local.api('GET', `/vm/${id}/metadata`);
    contract.check(metadata, 'GET', '/api/v1/vm/{vm_id}/metadata');
    expect(metadata.json()).toEqual({ success: false, error: 'not found' });

    const commit = await local.api('POST', `/vm/${id}/commit`);
    contract.check(commit, 'POST', '/api/v1/vm/{vm_id}/commit');
    expect(commit.json()).toEqual({ success: false, error: 'vm not found' });

    const state = await local.api('PATCH', `/vm/${id}/state`, { json: { state: 'Paused' } });
    contract.check(state, 'PATCH', '/api/v1/vm/{vm_id}/state');
    expect(state.json()).toEqual({ success: false, error: 'vm not found' });
  });

  test('deleting an unknown VM is 403 Forbidden, hiding whether it exists', async () => {
    const res = await local.api('DELETE', `/vm/${randomUUID()}`);
    contract.check(res, 'DELETE', '/api/v1/vm/{vm_id}');
    expect(res.status).toBe(403);
    expect(res.json()).toEqual({ success: false, error: 'Forbidden' });
  });

  test('from_commit: {} is a 400 parse error, a tag is 404 "tag not found", a bad ref is 400 JSON, an unknown commit is 404', async () => {
    const empty = await local.api('POST', '/vm/from_commit', { json: {} });
    expect(empty.status).toBe(400);
    expect(empty.text).toMatch(/^Failed to parse the request body as JSON: expected value at line 1 column 2$/);

    const tag = await local.api('POST', '/vm/from_commit', { json: { tag_name: 'golden' } });
    contract.check(tag, 'POST', '/api/v1/vm/from_commit');
    expect(tag.status).toBe(404);
    expect(tag.json()).toEqual({ success: false, error: 'tag not found' });

    const badRef = await local.api('POST', '/vm/from_commit', { json: { ref: 'no-colon' } });
    contract.check(badRef, 'POST', '/api/v1/vm/from_commit');
    expect(badRef.status).toBe(400);
    expect(badRef.json()).toEqual({ success: false, error: "Invalid ref format. Expected 'repo_name:tag_name'" });

    const unknown = await local.api('POST', '/vm/from_commit', { json: { commit_id: randomUUID() } });
    contract.check(unknown, 'POST', '/api/v1/vm/from_commit');
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toEqual({ success: false, error: 'commit not found' });
  });

  test('branching an unknown id is 404 "commit not found"; by_vm answers the hybrid body', async () => {
    const poly = await local.api('POST', `/vm/${randomUUID()}/branch`);
    contract.check(poly, 'POST', '/api/v1/vm/{vm_or_commit_id}/branch');
    expect(poly.json()).toEqual({ success: false, error: 'commit not found' });

    const byVm = await local.api('POST', `/vm/branch/by_vm/${randomUUID()}`);
    contract.check(byVm, 'POST', '/api/v1/vm/branch/by_vm/{vm_id}');
    expect(byVm.status).toBe(404);
    expect(byVm.json()).toEqual({ vms: [], error: 'parent vm not found' });

    const byCommit = await local.api('POST', `/vm/branch/by_commit/${randomUUID()}`);
    // The spec says NewVmsResponse; the server's commit lookup fails before the action and sends a plain ErrorResponse (reference §11).
    contract.check(byCommit, 'POST', '/api/v1/vm/branch/by_commit/{commit_id}', { schema: 'ErrorResponse', reason: 'commit lookup failures use ErrorResponse' });
    expect(byCommit.status).toBe(404);
    expect(byCommit.json()).toEqual({ success: false, error: 'commit not found' });

    const byRef = await local.api('POST', '/vm/branch/by_ref/repo/tag');
    contract.check(byRef, 'POST', '/api/v1/vm/branch/by_ref/{repo_name}/{tag_name}');
    expect(byRef.json()).toEqual({ vms: [], error: 'tag not found' });
  });
});
