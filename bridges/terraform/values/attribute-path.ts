import { terraformNameOf, type FieldNames } from '../schema/name-map';

/** One step of a tfplugin6 AttributePath, in proto-loader's snake_case object form. */
export type AttributePathStep = { attribute_name: string } | { element_key_string: string } | { element_key_int: number };

export interface TerraformPath {
  steps: AttributePathStep[];
  /** The path as users write it in HCL terms, e.g. `file[1].source`. */
  text: string;
  /** False when part of the core's path has no Terraform name; `steps` then stop before it. */
  complete: boolean;
}

const TOKEN = /\.?([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*"|'[^']*')\]/gy;

/**
 * Translates a core property path in camelCase spelling (`files[1].source`,
 * `labels["env"]`, `timeout`) to a Terraform attribute path (`file[1].source`,
 * `labels["env"]`, `timeout`) with the generated name map. A name inside a
 * map is a key, not an attribute, and is never renamed.
 */
export function propertyPathToTerraform(path: string, names: FieldNames): TerraformPath {
  const steps: AttributePathStep[] = [];
  let text = '';
  let current: FieldNames | undefined = names;
  let position = 0;
  while (position < path.length) {
    TOKEN.lastIndex = position;
    const match = TOKEN.exec(path);
    if (match === null) return { steps, text: text === '' ? path : text, complete: false };
    position = TOKEN.lastIndex;
    const [, name, index, quoted] = match;
    if (name !== undefined) {
      if (current === undefined) {
        steps.push({ element_key_string: name });
        text += `[${JSON.stringify(name)}]`;
        continue;
      }
      const terraformName: string | undefined = terraformNameOf(current, name) ?? (name in current ? name : undefined);
      if (terraformName === undefined) return { steps, text: text === '' ? path : text, complete: false };
      steps.push({ attribute_name: terraformName });
      text += text === '' ? terraformName : `.${terraformName}`;
      current = current[terraformName]?.attributes;
    } else if (index !== undefined) {
      steps.push({ element_key_int: Number(index) });
      text += `[${index}]`;
    } else if (quoted !== undefined) {
      const key = quoted.startsWith('"') ? (JSON.parse(quoted) as string) : quoted.slice(1, -1);
      steps.push({ element_key_string: key });
      text += `[${JSON.stringify(key)}]`;
    }
  }
  return { steps, text: text === '' ? path : text, complete: path.length > 0 };
}

/** `[attribute_name: id]`-style single-step path. */
export function attributePath(name: string): AttributePathStep[] {
  return [{ attribute_name: name }];
}
