/**
 * Finding secrets in captured text: the needles one secret leaves (a whole
 * API key, its secret half, a private key or any line of its body), and
 * copies of Terraform documents with the values Terraform marks sensitive
 * taken out, so that what remains can be searched.
 */

export interface Needle {
  /** What the needle is, for messages (never the secret itself). */
  label: string;
  text: string;
}

/** The API key and its 64-hex secret half (which identifies the key alone). */
export function apiKeyNeedles(apiKey: string): Needle[] {
  return [
    { label: 'the API key', text: apiKey },
    { label: 'the secret half of the API key', text: apiKey.slice(36) },
  ];
}

/**
 * A PEM private key and every base64 line of its body that no other of the
 * given keys shares (the shared ones are format boilerplate, not secret), so
 * a partly printed key is found too.
 */
export function privateKeyNeedles(keys: ReadonlyMap<string, string>): Needle[] {
  const bodyLines = (pem: string): string[] =>
    pem
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.length >= 16 && !line.startsWith('-----'));
  const counts = new Map<string, number>();
  for (const pem of keys.values()) for (const line of new Set(bodyLines(pem))) counts.set(line, (counts.get(line) ?? 0) + 1);
  const needles: Needle[] = [];
  for (const [owner, pem] of keys) {
    needles.push({ label: `the private key of ${owner}`, text: pem.trim() });
    bodyLines(pem).forEach((line, index) => {
      if (counts.get(line) === 1) needles.push({ label: `line ${index + 1} of the private key of ${owner}`, text: line });
    });
  }
  return needles;
}

/** Plain canary secrets, each by its label. */
export function canaryNeedles(canaries: Readonly<Record<string, string>>): Needle[] {
  return Object.entries(canaries).map(([label, text]) => ({ label, text }));
}

/** `where: label` for every needle found in `text`. */
export function findNeedles(where: string, text: string, needles: readonly Needle[]): string[] {
  return needles.filter((needle) => text.includes(needle.text)).map((needle) => `${where}: ${needle.label}`);
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * `value` without the parts `mask` marks: Terraform's `sensitive_values` /
 * `after_sensitive` shape (true = sensitive, objects and arrays mirror the value).
 */
export function withoutMasked(value: Json, mask: Json | undefined): Json {
  if (mask === true) return '(sensitive)';
  if (mask === undefined || mask === null || mask === false || typeof mask !== 'object' || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item, index) => withoutMasked(item, Array.isArray(mask) ? mask[index] : undefined));
  const out: { [key: string]: Json } = {};
  for (const [key, item] of Object.entries(value)) out[key] = withoutMasked(item, Array.isArray(mask) ? undefined : mask[key]);
  return out;
}

/**
 * The JSON of `terraform show -json` (a plan or a state) with every value
 * Terraform marks sensitive taken out: `values`/`sensitive_values`,
 * `before`/`before_sensitive`, `after`/`after_sensitive`, and sensitive outputs.
 */
export function planOrStateWithoutSensitive(document: Json): Json {
  if (document === null || typeof document !== 'object') return document;
  if (Array.isArray(document)) return document.map(planOrStateWithoutSensitive);
  const out: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(document)) out[key] = planOrStateWithoutSensitive(value);
  const pairs: Array<[string, string]> = [
    ['values', 'sensitive_values'],
    ['before', 'before_sensitive'],
    ['after', 'after_sensitive'],
  ];
  for (const [valueKey, maskKey] of pairs) {
    if (valueKey in document && maskKey in document) out[valueKey] = withoutMasked(document[valueKey] as Json, document[maskKey]);
  }
  if (document.sensitive === true && 'value' in document) out.value = '(sensitive)';
  return out;
}

/**
 * A plan's JSON without Terraform's echo of the user's own inputs: the
 * `variables` it was run with and the `configuration` (the .tf files,
 * literals included). A value written into a .tf file or passed as a
 * variable is there by the user's hand, whatever the provider does; every
 * value the provider's schema governs is in `planned_values`,
 * `resource_changes` and `prior_state`, which stay.
 */
export function planWithoutUserInputs(document: Json): Json {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) return document;
  const { variables: _variables, configuration: _configuration, ...rest } = document;
  return rest;
}

/** A state file (format 4) with the attributes each instance lists in `sensitive_attributes` taken out. */
export function stateFileWithoutSensitive(state: Json): Json {
  if (state === null || typeof state !== 'object' || Array.isArray(state)) return state;
  const resources = Array.isArray(state.resources) ? state.resources : [];
  return {
    ...state,
    resources: resources.map((resource) => {
      if (resource === null || typeof resource !== 'object' || Array.isArray(resource) || !Array.isArray(resource.instances)) return resource;
      return {
        ...resource,
        instances: resource.instances.map((instance) => {
          if (instance === null || typeof instance !== 'object' || Array.isArray(instance)) return instance;
          let attributes = instance.attributes ?? null;
          for (const path of Array.isArray(instance.sensitive_attributes) ? instance.sensitive_attributes : []) attributes = withoutPath(attributes, Array.isArray(path) ? path : []);
          return { ...instance, attributes };
        }),
      };
    }),
    outputs: Object.fromEntries(
      Object.entries((state.outputs ?? {}) as { [key: string]: Json }).map(([name, output]) => [
        name,
        output !== null && typeof output === 'object' && !Array.isArray(output) && output.sensitive === true ? { ...output, value: '(sensitive)' } : output,
      ]),
    ),
  };
}

/** `value` with the element at a cty path (`[{type:'get_attr',value:'x'},{type:'index',value:{value:0}}]`) replaced. */
function withoutPath(value: Json, path: Json[]): Json {
  if (path.length === 0) return '(sensitive)';
  const [step, ...rest] = path;
  if (step === null || typeof step !== 'object' || Array.isArray(step) || value === null || typeof value !== 'object') return value;
  const key = step.type === 'get_attr' ? step.value : typeof step.value === 'object' && step.value !== null && !Array.isArray(step.value) ? step.value.value : step.value;
  if (Array.isArray(value)) {
    if (typeof key !== 'number' || key >= value.length) return value;
    return value.map((item, index) => (index === key ? withoutPath(item, rest) : item));
  }
  if (typeof key !== 'string' || !(key in value)) return value;
  return { ...value, [key]: withoutPath(value[key] as Json, rest) };
}
