/**
 * Thrown when a vers-local option (flag, environment variable, fault JSON or
 * admin request) is unknown or has the wrong type; the message names it.
 */
export class OptionsError extends Error {
  readonly code = 'INVALID_OPTION';

  constructor(message: string) {
    super(message);
    this.name = 'OptionsError';
  }
}

/** A plain JSON object, or an OptionsError naming `where`. */
export function expectObject(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new OptionsError(`${where} must be a JSON object`);
  return value as Record<string, unknown>;
}

/** Reject keys a typed options object does not know. */
export function rejectUnknownKeys(value: Record<string, unknown>, known: readonly string[], where: string): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw new OptionsError(`unknown ${where} option "${key}" (known: ${known.join(', ')})`);
  }
}

export function expectNumber(value: unknown, where: string, min: number, max: number, integer = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new OptionsError(`${where} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function expectString(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new OptionsError(`${where} must be a string, got ${JSON.stringify(value)}`);
  return value;
}
