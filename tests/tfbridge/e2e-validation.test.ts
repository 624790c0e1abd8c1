import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { announceSkip, findTerraform } from './harness/terraform-cli';
import { apiRequestCount, useVersLocalForTerraform } from './harness/vers-local-terraform';

/**
 * Bad input never reaches Vers: `terraform validate` (and `terraform plan`)
 * reject it with one diagnostic per broken attribute, pointing at the
 * attribute's own line, while vers-local counts no API request at all.
 */

const terraform = findTerraform();
const BUILD_ROOT = join(__dirname, '..', '..');
const suite = terraform === undefined ? describe.skip : describe;
if (terraform === undefined) announceSkip('tests/tfbridge/e2e-validation.test.ts');

const CONFIG = `terraform {
  required_providers {
    vers = { source = "hdr/vers" }
  }
}

provider "vers" {}

resource "vers_vm" "negative" {
  vcpu_count   = -1
  mem_size_mib = -512
  fs_size_mib  = -5
}

resource "vers_provision" "both" {
  vm_id = "01234567-89ab-cdef-0123-456789abcdef"
  file {
    source      = "exists.txt"
    content     = "inline"
    destination = "/tmp/both"
  }
}

resource "vers_provision" "missing" {
  vm_id = "01234567-89ab-cdef-0123-456789abcdef"
  file {
    content     = "fine"
    destination = "/tmp/fine"
  }
  file {
    source      = "missing.txt"
    destination = "/tmp/missing"
  }
}

resource "vers_provision" "shapes" {
  vm_id   = "01234567-89ab-cdef-0123-456789abcdef"
  timeout = "forever"
  file {
    content     = "x"
    destination = "relative/path"
    mode        = "999"
  }
}

resource "vers_provision" "two_spellings" {
  vm_id = "01234567-89ab-cdef-0123-456789abcdef"
  files = [{ content = "a", destination = "/tmp/a" }]
  file {
    content     = "b"
    destination = "/tmp/b"
  }
}

resource "vers_provision" "older_spelling" {
  vm_id = "01234567-89ab-cdef-0123-456789abcdef"
  files = [{ content = "x", destination = "relative/path" }]
}

resource "vers_vm_restore" "bad_commit" {
  commit_id = "not-a-uuid"
}

data "vers_commit" "bad_lookup" {
  commit_id = "nope"
}
`;

/** The 1-based line of the first line of CONFIG containing `text` after the line containing `after`. */
function lineOf(text: string, after: string): number {
  const lines = CONFIG.split('\n');
  const start = lines.findIndex((line) => line.includes(after));
  const index = lines.findIndex((line, i) => i > start && line.includes(text));
  if (start === -1 || index === -1) throw new Error(`test bug: ${text} after ${after} is not in CONFIG`);
  return index + 1;
}

interface Expected {
  attribute: string;
  address: string;
  line: number;
  message: RegExp;
}

const EXPECTED: Expected[] = [
  { attribute: 'vcpu_count', address: 'vers_vm.negative', line: lineOf('vcpu_count', '"negative"'), message: /vcpu_count must be at least 1/ },
  { attribute: 'mem_size_mib', address: 'vers_vm.negative', line: lineOf('mem_size_mib', '"negative"'), message: /mem_size_mib must be at least 128/ },
  { attribute: 'fs_size_mib', address: 'vers_vm.negative', line: lineOf('fs_size_mib', '"negative"'), message: /fs_size_mib must be at least 512/ },
  { attribute: 'file[0]', address: 'vers_provision.both', line: lineOf('resource "vers_provision" "both"', 'provider "vers"'), message: /file\[0\] must set exactly one of `source` and `content`/ },
  { attribute: 'file[1].source', address: 'vers_provision.missing', line: lineOf('missing.txt', '"missing"'), message: /file\[1\]\.source file not found: .*missing\.txt/ },
  { attribute: 'timeout', address: 'vers_provision.shapes', line: lineOf('timeout', '"shapes"'), message: /timeout must be a duration such as 90s, 10m or 1h30m/ },
  { attribute: 'file[0].destination', address: 'vers_provision.shapes', line: lineOf('destination', '"shapes"'), message: /file\[0\]\.destination must be an absolute path/ },
  { attribute: 'file[0].mode', address: 'vers_provision.shapes', line: lineOf('mode', '"shapes"'), message: /file\[0\]\.mode must be octal permission bits/ },
  // The earlier provider's spelling: the failure points at what the configuration wrote.
  { attribute: 'files[0].destination', address: 'vers_provision.older_spelling', line: lineOf('files', '"older_spelling"'), message: /files\[0\]\.destination must be an absolute path/ },
  { attribute: 'commit_id', address: 'vers_vm_restore.bad_commit', line: lineOf('commit_id', '"bad_commit"'), message: /commit_id must be a UUID/ },
  { attribute: 'commit_id', address: 'data.vers_commit.bad_lookup', line: lineOf('commit_id', '"bad_lookup"'), message: /commit_id must be a UUID/ },
];

/** Each `Error:` diagnostic of terraform's -no-color output, as one line (terraform wraps long details). */
function diagnostics(output: string): string[] {
  return output
    .split(/\n(?=Error: )/)
    .filter((block) => block.startsWith('Error: '))
    .map((block) => block.replace(/\s+/g, ' '));
}

suite('terraform rejects bad input against vers-local before any API call', () => {
  const fixture = useVersLocalForTerraform(terraform as string, BUILD_ROOT);

  test.each([['validate'], ['plan']])('terraform %s reports every broken attribute at its own line and sends nothing to Vers', async (command) => {
    const workspace = fixture.workspace();
    workspace.writeConfig(CONFIG);
    writeFileSync(join(workspace.workDir, 'exists.txt'), 'present\n');
    const before = await apiRequestCount(fixture.local);
    const result = await workspace.run([command, '-no-color']);
    expect(result.code).toBe(1);
    const found = diagnostics(result.output);
    for (const expected of EXPECTED) {
      const block = found.find(
        (text) => text.startsWith(`Error: Invalid value for ${expected.attribute} with `) && text.includes(`with ${expected.address},`) && text.includes(`on main.tf line ${expected.line},`),
      );
      expect({ expected: `${expected.address} ${expected.attribute} at line ${expected.line}`, block: block ?? result.output }).toEqual({
        expected: `${expected.address} ${expected.attribute} at line ${expected.line}`,
        block: expect.stringMatching(expected.message),
      });
    }
    // Both spellings of the file list at once: one error on `files` that says which to keep.
    const conflict = found.find((text) => text.startsWith('Error: Conflicting spellings: `files` and `file` blocks'));
    expect(conflict).toContain(`with vers_provision.two_spellings, on main.tf line ${lineOf('files', '"two_spellings"')},`);
    expect(conflict).toContain('Keep the `file` blocks (the current spelling) and remove `files`');
    // Nothing else: one diagnostic per broken attribute, none for the valid ones.
    expect(found).toHaveLength(EXPECTED.length + 1);
    expect(await apiRequestCount(fixture.local)).toBe(before);
  });
});
