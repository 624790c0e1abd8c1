import { ApiError, PartialCreateError, ValidationError } from '../../core/base/errors';
import { DiagnosticBuilder } from './diagnostics';
import { CtyTypeError } from './errors';
import { SecretRedactor } from '../../core/base/redaction';
import type { FieldNames } from './schema/name-map';

const names: FieldNames = { base_url: { property: 'baseUrl' }, file: { property: 'files', attributes: { source: { property: 'source' } } } };

function builder(...secrets: string[]): DiagnosticBuilder {
  const redactor = new SecretRedactor();
  secrets.forEach((secret) => redactor.remember(secret));
  return new DiagnosticBuilder(redactor);
}

describe('diagnostics built from the core', () => {
  test('a check failure names the Terraform path once, even when the reason already starts with it', () => {
    const [first, second] = builder().checkFailures(
      [
        { property: 'files[1].source', reason: 'must be a readable file' },
        { property: 'baseUrl', reason: 'base_url must use http or https' },
      ],
      names,
    );
    expect(first).toEqual({
      severity: 'ERROR',
      summary: 'Invalid value for file[1].source',
      detail: 'file[1].source must be a readable file.',
      attribute: { steps: [{ attribute_name: 'file' }, { element_key_int: 1 }, { attribute_name: 'source' }] },
    });
    expect(second?.detail).toBe('base_url must use http or https.');
  });

  test('core errors keep their message and code; bridge errors are reported as bugs', () => {
    const api = new ApiError({ method: 'POST', path: '/api/v1/vm/new_root', status: 500, serverMessage: 'boom', requestId: 'req-1' });
    expect(builder().fromError(api, 'creating vers_vm')).toMatchObject({ summary: 'Error creating vers_vm', detail: expect.stringMatching(/HTTP 500[\s\S]*error code API_ERROR, request id req-1/) });
    expect(builder().fromError(new CtyTypeError('size: expected a number, got string'), 'creating vers_vm')).toMatchObject({
      summary: 'Unexpected error creating vers_vm',
      detail: expect.stringMatching(/expected a number[\s\S]*TFBRIDGE_VALUE_TYPE[\s\S]*bug in terraform-provider-vers/),
    });
    expect(builder().fromError(new ValidationError('files[0].source', 'cannot be read'), 'checking', names)).toMatchObject({
      summary: 'Invalid value for file[0].source',
      attribute: { steps: [{ attribute_name: 'file' }, { element_key_int: 0 }, { attribute_name: 'source' }] },
    });
    expect(builder().fromError(new PartialCreateError('vm-1', {}, new Error('boot failed')), 'creating vers_vm').detail).toMatch(/tainted/);
  });

  test('secrets are blanked out of summaries and details, including JSON-quoted multi-line ones', () => {
    const key = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n';
    const diagnostic = builder('tok-123456789', key).error(`token tok-123456789 refused`, `sent ${JSON.stringify(key)}`);
    expect(diagnostic.summary).toBe('token [REDACTED] refused');
    expect(diagnostic.detail).not.toContain('b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ');
  });
});
