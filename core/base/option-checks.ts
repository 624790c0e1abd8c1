import { ValidationError } from './errors';

/**
 * Runtime checks for option objects: TypeScript types vanish at runtime, and
 * options also arrive from JavaScript callers, so a typo (`retry.limt`) or a
 * wrong type must fail loudly with the option's name.
 */

export type OptionRule =
  | { kind: 'integer'; min: number; max?: number }
  | { kind: 'number'; min: number; max?: number }
  | { kind: 'boolean' }
  | { kind: 'string' }
  | { kind: 'function' }
  | { kind: 'object' }
  | { kind: 'signal' }
  | { kind: 'nested'; rules: OptionRules };

export type OptionRules = Readonly<Record<string, OptionRule>>;

/** Check `value` against `rules`; `name` is the option path used in errors (e.g. `ClientOptions`). */
export function checkOptions(value: unknown, rules: OptionRules, name: string): void {
  if (value === undefined) return;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError(name, 'must be an object');
  }
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    const rule = rules[key];
    const path = `${name}.${key}`;
    if (rule === undefined) {
      throw new ValidationError(path, `is not a known option; known options: ${Object.keys(rules).join(', ')}`);
    }
    if (field === undefined) continue;
    checkRule(field, rule, path);
  }
}

function checkRule(field: unknown, rule: OptionRule, path: string): void {
  switch (rule.kind) {
    case 'integer':
    case 'number': {
      const ok = typeof field === 'number' && Number.isFinite(field) && (rule.kind === 'number' || Number.isInteger(field));
      if (!ok || (field as number) < rule.min || (rule.max !== undefined && (field as number) > rule.max)) {
        const range = rule.max === undefined ? `>= ${rule.min}` : `from ${rule.min} to ${rule.max}`;
        throw new ValidationError(path, `must be ${rule.kind === 'integer' ? 'an integer' : 'a number'} ${range}, got ${JSON.stringify(field)}`);
      }
      return;
    }
    case 'boolean':
    case 'string':
    case 'function':
      if (typeof field !== rule.kind) throw new ValidationError(path, `must be a ${rule.kind}, got ${typeof field}`);
      return;
    case 'object':
      if (field === null || typeof field !== 'object') throw new ValidationError(path, `must be an object, got ${typeof field}`);
      return;
    case 'signal':
      if (!(field instanceof AbortSignal)) throw new ValidationError(path, 'must be an AbortSignal');
      return;
    case 'nested':
      checkOptions(field, rule.rules, path);
      return;
  }
}

/** `{a: undefined}` must not overwrite a default. */
export function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  if (value === undefined) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
