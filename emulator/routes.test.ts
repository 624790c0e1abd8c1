import { matchRoute } from './routes';

describe('the route table', () => {
  test('static segments win over parameters, as in axum', () => {
    const match = matchRoute('POST', '/api/v1/vm/branch/by_vm/0b7e0f5c-7c39-4f0e-9d2a-6a3f3e1c2b1a');
    expect(match.kind === 'found' && match.route.template).toBe('/api/v1/vm/branch/by_vm/{vm_id}');
  });

  test('path parameters are captured by name', () => {
    const match = matchRoute('GET', '/api/v1/vm/abc/status');
    expect(match.kind === 'found' && match.params).toEqual({ vm_id: 'abc' });
  });

  test('a known path with the wrong method is 405 with the allowed methods', () => {
    expect(matchRoute('GET', '/api/v1/vm/new_root')).toEqual({ kind: 'method-not-allowed', template: '/api/v1/vm/new_root', allowed: ['POST'] });
  });

  test('unknown paths, trailing slashes and empty segments are not found', () => {
    expect(matchRoute('GET', '/api/v1/nothing').kind).toBe('not-found');
    expect(matchRoute('GET', '/api/v1/vms/').kind).toBe('not-found');
    expect(matchRoute('GET', '/api/v1/vm//status').kind).toBe('not-found');
  });

  test('both /vms and /vm list VMs', () => {
    expect(matchRoute('GET', '/api/v1/vms').kind).toBe('found');
    expect(matchRoute('GET', '/api/v1/vm').kind).toBe('found');
  });
});
