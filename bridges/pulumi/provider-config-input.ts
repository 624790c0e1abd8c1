import type { ProviderConfigInput } from '../../core/facade';
import { loadPackageSchema } from '../../core/schema/package-schema';
import type { CheckFailure } from '../../core/base/check-failure';
import type { JsonValue, PropertyBag } from '../../core/base/json';
import { isUnknown } from '../../core/base/unknown';

/**
 * Where Pulumi puts provider configuration, gathered into the core's
 * `ProviderConfigInput`:
 * - `ConfigureRequest.args` / `CheckRequest.news` (an explicit
 *   `new vers.Provider(...)`, or the stack's `vers:*` config for the default
 *   provider) — typed values, except that SDK Provider classes send
 *   non-string inputs JSON-encoded, so booleans may arrive as "true";
 * - `ConfigureRequest.variables`, keyed `vers:config:<key>`, string values;
 * - the `PULUMI_CONFIG` environment variable (JSON object of the stack's
 *   config for this provider).
 * Earlier sources win; `configureProvider` then falls back to VERS_* env.
 */

const PACKAGE = 'vers';
/** Properties the engine adds to every provider's inputs; they are not configuration. */
const ENGINE_PROPERTIES: ReadonlySet<string> = new Set(['version', 'pluginDownloadURL']);

export interface ConfigTranslation {
  input: ProviderConfigInput;
  failures: CheckFailure[];
  /** Keys whose value is not known yet (preview); left out of `input`. */
  unknownKeys: string[];
}

/** The declared configuration keys (camelCase) and their types, from schema.json. */
export function configKeyTypes(): ReadonlyMap<string, string> {
  const variables = loadPackageSchema().config.variables;
  return new Map(Object.entries(variables).map(([key, spec]) => [key, spec.type ?? 'string']));
}

/** Provider inputs (Check/Configure args) → config input, with failures that name the property. */
export function configFromProperties(bag: PropertyBag): ConfigTranslation {
  const types = configKeyTypes();
  const input: Record<string, string | boolean> = {};
  const failures: CheckFailure[] = [];
  const unknownKeys: string[] = [];
  for (const [key, value] of Object.entries(bag)) {
    if (ENGINE_PROPERTIES.has(key) || value === null) continue;
    const type = types.get(key);
    if (type === undefined) {
      failures.push({ property: key, reason: `is not a vers configuration key; known keys: ${[...types.keys()].join(', ')}` });
      continue;
    }
    if (isUnknown(value)) {
      unknownKeys.push(key);
      continue;
    }
    const coerced = coerce(value, type);
    if (coerced === undefined) failures.push({ property: key, reason: `must be a ${type}` });
    else input[key] = coerced;
  }
  return { input: input as ProviderConfigInput, failures, unknownKeys };
}

/** `ConfigureRequest.variables` (`vers:config:apiKey` → "…") → config properties. */
export function propertiesFromVariables(variables: ReadonlyMap<string, string> | Iterable<[string, string]>): PropertyBag {
  const bag: PropertyBag = {};
  for (const [fullKey, value] of variables) {
    const key = stripNamespace(fullKey);
    if (key !== undefined) bag[key] = value;
  }
  return bag;
}

/** The `PULUMI_CONFIG` environment variable → config properties (unparseable text counts as none). */
export function propertiesFromPulumiConfigEnv(text: string | undefined): PropertyBag {
  if (text === undefined || text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
  const bag: PropertyBag = {};
  for (const [fullKey, value] of Object.entries(parsed as Record<string, JsonValue>)) {
    const key = stripNamespace(fullKey);
    if (key !== undefined) bag[key] = value;
  }
  return bag;
}

/** Merge property sources; the first source that sets a key wins. */
export function firstSetWins(...sources: PropertyBag[]): PropertyBag {
  const merged: PropertyBag = {};
  for (const source of sources) {
    for (const [key, value] of Object.entries(source)) {
      if (merged[key] === undefined && value !== null && value !== '') merged[key] = value;
    }
  }
  return merged;
}

/** The camelCase config key of a ConfigError option (`api_key` → `apiKey`). */
export function configPropertyOf(option: string): string {
  return option.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}

function stripNamespace(fullKey: string): string | undefined {
  if (!fullKey.includes(':')) return configKeyTypes().has(fullKey) ? fullKey : undefined;
  const parts = fullKey.split(':');
  if (parts[0] !== PACKAGE) return undefined;
  // `vers:config:apiKey` (variables) or `vers:apiKey` (stack config form).
  if (parts.length === 3 && parts[1] === 'config') return parts[2];
  if (parts.length === 2) return parts[1];
  return undefined;
}

function coerce(value: JsonValue, type: string): string | boolean | undefined {
  if (type === 'boolean') {
    if (typeof value === 'boolean') return value;
    if (typeof value === 'string') {
      const text = value.trim().toLowerCase();
      if (text === 'true') return true;
      if (text === 'false') return false;
    }
    return undefined;
  }
  return typeof value === 'string' ? value : undefined;
}
