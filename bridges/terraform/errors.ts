import { ProviderError } from '../../core/base/errors';

/**
 * The bridge's own errors, in the core's hierarchy. Both mean a bug (in the
 * bridge, the generated schema or the core), never a user mistake, so their
 * diagnostics ask for a report.
 */

/** Thrown when a value does not match the cty type the schema gives it, naming the attribute path. */
export class CtyTypeError extends ProviderError {
  constructor(message: string) {
    super('TFBRIDGE_VALUE_TYPE', message, { operation: 'translate value' });
  }
}

/** Thrown when Terraform names a resource or data source type the generated schema or the core does not have. */
export class UnknownTypeError extends ProviderError {
  constructor(kind: string, typeName: string, token?: string) {
    super(
      'TFBRIDGE_UNKNOWN_TYPE',
      token === undefined ? `terraform-provider-vers has no ${kind} type ${JSON.stringify(typeName)}` : `the core has no lifecycle for ${kind} ${typeName} (${token})`,
      { resource: typeName },
    );
  }
}

/** Whether an error is one of the bridge's own (a bug to report). */
export function isBridgeError(error: unknown): boolean {
  return error instanceof ProviderError && error.code.startsWith('TFBRIDGE_');
}
