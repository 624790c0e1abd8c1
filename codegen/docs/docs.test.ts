import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DocsError, GENERATED_BANNER, docsSourcesFromRepository, extractExampleRegions, renderDocs, staleDocs, typeLabel, writeDocs, type DocsSources } from './docs';

describe('make docs (codegen/docs/docs.ts)', () => {
  let sources: DocsSources;
  let pages: Record<string, string>;

  beforeAll(() => {
    sources = docsSourcesFromRepository();
    pages = renderDocs(sources);
  });

  test('docs/ matches a fresh generation from schema.json, bridges/terraform/generated and examples/ (run `make docs` when this fails)', () => {
    expect(staleDocs(undefined, pages)).toEqual([]);
  });

  test('there is one page per resource and data source in the registry layout, plus the provider index', () => {
    expect(Object.keys(pages).sort()).toEqual([
      'data-sources/commit.md',
      'data-sources/vms.md',
      'index.md',
      'resources/provision.md',
      'resources/vm.md',
      'resources/vm_branch.md',
      'resources/vm_commit.md',
      'resources/vm_restore.md',
    ]);
    for (const [name, page] of Object.entries(pages)) {
      expect({ name, head: page.split('\n').slice(0, 6) }).toEqual({
        name,
        head: ['---', GENERATED_BANNER, expect.stringMatching(/^page_title: ".+"$/), 'subcategory: ""', 'description: |-', expect.stringMatching(/^ {2}\S/)],
      });
      expect(page).toContain('## Example Usage');
      expect(page).toContain('## Schema');
      expect(page.endsWith('\n') && !page.endsWith('\n\n')).toBe(true);
    }
    expect(pages['resources/vm.md']).toContain('page_title: "vers_vm Resource - terraform-provider-vers"');
    expect(pages['data-sources/vms.md']).toContain('# vers_vms (Data Source)');
  });

  test('Example Usage is the marked region of an example, without the markers', () => {
    const vm = pages['resources/vm.md']!;
    expect(vm).toContain('From `examples/basic-vm/main.tf`:\n\n```terraform\nresource "vers_vm" "example" {\n');
    const branch = pages['resources/vm_branch.md']!;
    expect(branch).toMatch(/```terraform\n# A scratch copy[^]*resource "vers_vm_branch" "app_scratch" \{[^]*\n\}\n```/);
    for (const page of Object.values(pages)) expect(page).not.toContain('docs:');
  });

  test('the schema lists Required, Optional and Read-Only attributes with types, defaults, sensitivity and a nested section for the file block', () => {
    const provision = pages['resources/provision.md']!;
    expect(provision).toMatch(/### Required\n\n- `vm_id` \(String\) /);
    expect(provision).toMatch(/- `timeout` \(String\) .* Defaults to `"10m"`\.\n/);
    expect(provision).toMatch(/- `file` \(Block List\) .*\(see \[below for nested schema\]\(#nestedblock--file\)\)\n/);
    expect(provision).toMatch(/- `commands` \(List of String\) /);
    expect(provision).toMatch(/### Read-Only\n\n- `id` \(String\) [^\n]*\n- `ssh_host_key` \(String\) /);
    expect(provision).toContain('<a id="nestedblock--file"></a>\n### Nested Schema for `file`\n\nRequired:\n\n- `destination` (String) ');
    expect(provision).toMatch(/Optional:\n\n- `content` \(String, Sensitive\) [^\n]*\n- `mode` \(String\) .* Defaults to `"0644"`\.\n- `source` \(String\) /);
    expect(provision).toMatch(/- `environment` \(Map of String, Sensitive\) /);
    expect(provision).toMatch(/Read-Only:\n\n- `sha256` \(String, Sensitive\) /);
    // The older spelling of the file blocks: a nested attribute with the same attributes and flags.
    expect(provision).toMatch(/- `files` \(Attributes List\) The same files as `file` blocks[^\n]*\(see \[below for nested schema\]\(#nestedatt--files\)\)\n/);
    expect(provision).toContain('<a id="nestedatt--files"></a>\n### Nested Schema for `files`\n\nRequired:\n\n- `destination` (String) ');
    // Optional attributes sort with blocks by name.
    expect(provision.indexOf('- `environment`')).toBeLessThan(provision.indexOf('- `file`'));
    expect(provision.indexOf('- `file`')).toBeLessThan(provision.indexOf('- `timeout`'));

    const vm = pages['resources/vm.md']!;
    expect(vm).toMatch(/- `ssh_private_key` \(String, Sensitive\) /);
    expect(vm).toMatch(/- `wait_boot` \(Boolean\) .* Defaults to `true`\.\n/);
    expect(vm).toMatch(/- `labels` \(Map of String\) /);
    const readOnly = vm.slice(vm.indexOf('### Read-Only'));
    expect(readOnly).toContain('- `state` (String)');
    expect(readOnly).not.toContain('- `labels`');
  });

  test('list-of-object attributes of data sources get a nested section with descriptions from schema.json', () => {
    const vms = pages['data-sources/vms.md']!;
    expect(vms).toMatch(/- `vms` \(List of Object\) The VMs\. \(see \[below for nested schema\]\(#nestedatt--vms\)\)/);
    expect(vms).toContain('<a id="nestedatt--vms"></a>\n### Nested Schema for `vms`\n\nRead-Only:\n\n- `created_at` (String) When the VM was created (RFC 3339).');
    // An alias in an object repeats its property, with the alias's own description.
    expect(vms).toMatch(/- `id` \(String\) The VM id, the same as `vm_id`/);
    for (const name of ['ip', 'ssh_host', 'parent_commit_id']) expect(vms).toContain(`- \`${name}\` (String) `);
    expect(pages['data-sources/commit.md']).toMatch(/### Required\n\n- `commit_id` \(String\) /);
    expect(pages['data-sources/commit.md']).toContain('### Nested Schema for `ancestry`');
  });

  test('importable resources show `terraform import` and an import block; vers_provision says why it cannot be imported', () => {
    for (const [page, address, id] of [
      ['resources/vm.md', 'vers_vm.example', '<vm id>'],
      ['resources/vm_branch.md', 'vers_vm_branch.example', '<vm id>'],
      ['resources/vm_restore.md', 'vers_vm_restore.example', '<vm id>'],
      ['resources/vm_commit.md', 'vers_vm_commit.example', '<commit id>'],
    ] as const) {
      expect(pages[page]).toContain(`\`\`\`shell\nterraform import ${address} ${id}\n\`\`\``);
      expect(pages[page]).toContain(`import {\n  to = ${address}\n  id = "${id}"\n}`);
    }
    expect(pages['resources/provision.md']).toMatch(/## Import\n\nImport is not supported\. A provisioning run cannot be imported/);
    // What an import cannot know, from codegen/terraform/overrides.json.
    expect(pages['resources/vm.md']).toMatch(/\n```\n\nVers does not report a VM's `vcpu_count`[^\n]*the first plan is empty[^\n]*\n$/);
  });

  test('the provider page documents every setting with its environment variable and links every page', () => {
    const index = pages['index.md']!;
    expect(index).toMatch(/- `api_key` \(String, Sensitive\) .* Can also be set with the `VERS_API_KEY` environment variable\.\n/);
    expect(index).toMatch(/- `base_url` \(String\) .* Defaults to `"https:\/\/api\.vers\.sh\/api\/v1"`\. Can also be set with the `VERS_BASE_URL` environment variable\.\n/);
    for (const page of Object.keys(pages).filter((name) => name !== 'index.md')) expect(index).toContain(`](${page}): `);
    expect(index).toContain('provider "vers" {');
  });

  test('extractExampleRegions dedents a region and reports unclosed, unopened and nested markers with file and line', () => {
    const text = ['x = 1', '  # docs:example resource.vers_vm', '  resource "vers_vm" "a" {', '    labels = {}', '  }', '', '  # docs:end', 'y = 2'].join('\n');
    expect(extractExampleRegions('examples/e/main.tf', text)).toEqual([
      { key: 'resource.vers_vm', file: 'examples/e/main.tf', hcl: 'resource "vers_vm" "a" {\n  labels = {}\n}' },
    ]);
    expect(() => extractExampleRegions('f.tf', '# docs:example provider\nprovider "vers" {}\n')).toThrow(/f\.tf:1: docs:example provider is never closed/);
    expect(() => extractExampleRegions('f.tf', 'a = 1\n# docs:end\n')).toThrow(/f\.tf:2: # docs:end without a # docs:example/);
    expect(() => extractExampleRegions('f.tf', '# docs:example provider\n# docs:example data.vers_vms\n')).toThrow(/f\.tf:2: docs:example data\.vers_vms starts inside docs:example provider/);
  });

  test('a page without an example, an example marked twice or a region naming no page is an error that says what to do', () => {
    const without = { ...sources, examples: sources.examples.filter((region) => region.key !== 'data.vers_vms') };
    expect(() => renderDocs(without)).toThrow(DocsError);
    expect(() => renderDocs(without)).toThrow(/no example is marked for data\.vers_vms: add a # docs:example/);
    const twice = { ...sources, examples: [...sources.examples, { key: 'provider', file: 'examples/other/main.tf', hcl: '' }] };
    expect(() => renderDocs(twice)).toThrow(/docs:example provider is marked twice: in examples\/basic-vm\/main\.tf and in examples\/other\/main\.tf/);
    const typo = { ...sources, examples: [...sources.examples, { key: 'resource.vers_vmm', file: 'examples/x.tf', hcl: '' }] };
    expect(() => renderDocs(typo)).toThrow(/examples\/x\.tf: docs:example resource\.vers_vmm names no page/);
  });

  test('typeLabel spells cty types as the registry does', () => {
    expect(typeLabel('string')).toBe('String');
    expect(typeLabel('bool')).toBe('Boolean');
    expect(typeLabel(['map', 'string'])).toBe('Map of String');
    expect(typeLabel(['list', ['object', { a: 'string' }]])).toBe('List of Object');
    expect(typeLabel(['set', 'number'])).toBe('Set of Number');
  });

  test('writeDocs writes changed pages only, and removes generated pages that lost their source but never hand-written ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tfbridge-docs-'));
    try {
      expect(writeDocs(dir, pages).sort()).toEqual(Object.keys(pages).sort());
      expect(staleDocs(dir, pages)).toEqual([]);
      const indexPath = join(dir, 'index.md');
      const before = statSync(indexPath).mtimeMs;
      writeFileSync(join(dir, 'resources', 'gone.md'), `---\n${GENERATED_BANNER}\n---\n`);
      writeFileSync(join(dir, 'resources', 'hand-written.md'), '# notes\n');
      writeFileSync(join(dir, 'data-sources', 'vms.md'), 'edited by hand\n');
      expect(staleDocs(dir, pages).sort()).toEqual(['data-sources/vms.md', 'resources/gone.md']);
      expect(writeDocs(dir, pages).sort()).toEqual(['data-sources/vms.md', 'resources/gone.md']);
      expect(existsSync(join(dir, 'resources', 'gone.md'))).toBe(false);
      expect(readFileSync(join(dir, 'resources', 'hand-written.md'), 'utf8')).toBe('# notes\n');
      expect(statSync(indexPath).mtimeMs).toBe(before);
      expect(staleDocs(dir, pages)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
