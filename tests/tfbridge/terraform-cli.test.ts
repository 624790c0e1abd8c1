import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TerraformWorkspace, announceSkip, findTerraform, providerLauncher, realProvider } from './harness/terraform-cli';

/**
 * The bridge driven by the real terraform CLI (v1.11.4 is the target) through
 * dev_overrides: Terraform core applies its own checks to every plan and
 * result (AssertPlanValid, AssertObjectCompatible, no unknowns in state), so
 * these runs catch protocol mistakes no harness can. The fixture provider
 * serves a test-only lifecycle (tests/tfbridge/fixtures); the real provider
 * is checked here only up to its provider block; resource behaviour against
 * vers-local belongs to the end-to-end suites.
 */

const terraform = findTerraform();
const BUILD_ROOT = join(__dirname, '..', '..');
const FIXTURE_PROVIDER = join(__dirname, 'fixtures', 'fixture-provider-main.js');
const suite = terraform === undefined ? describe.skip : describe;
if (terraform === undefined) announceSkip('tests/tfbridge/terraform-cli.test.ts');

const FIXTURE_HEADER = `
terraform {
  required_providers {
    fixture = { source = "hdr/fixture" }
  }
}

provider "fixture" {
  endpoint = "http://fixture.invalid"
  token    = var.token
}

variable "token" {
  type      = string
  sensitive = true
  default   = "fixture-token-123456"
}
`;

function thingConfig(options: { name: string; env: string; secondPartSize?: number; extra?: string }): string {
  return `${FIXTURE_HEADER}
resource "fixture_thing" "a" {
  name     = "${options.name}"
  tags     = { env = "${options.env}" }
  anything = { k = 1, l = ["a", true] }

  part {
    part_name = "p1"
  }
  part {
    part_name = "p2"
    size      = ${options.secondPartSize ?? 5}
  }
}

data "fixture_thing" "lookup" {
  name = fixture_thing.a.name
}

output "serial" {
  value = fixture_thing.a.serial
}

output "looked_up_serial" {
  value = data.fixture_thing.lookup.serial
}
${options.extra ?? ''}`;
}

suite('terraform CLI with the fixture provider (hdr/fixture)', () => {
  let workspace: TerraformWorkspace;
  let launcherDir: string;

  beforeAll(() => {
    launcherDir = providerLauncher('fixture', FIXTURE_PROVIDER).dir;
  });

  beforeEach(() => {
    // Each workspace keeps its things in its own file.
    workspace = new TerraformWorkspace({ terraform: terraform as string, devOverrides: { 'hdr/fixture': launcherDir }, env: (dir) => ({ FIXTURE_STORE: join(dir, 'things.json') }) });
  });

  afterEach(() => workspace.dispose());

  afterAll(() => rmSync(launcherDir, { recursive: true, force: true }));

  test('validate accepts a valid configuration and points a check failure at the offending line', async () => {
    workspace.writeConfig(thingConfig({ name: 'alpha', env: 'dev' }));
    const valid = await workspace.run(['validate', '-no-color']);
    expect(valid.output).toContain('Success! The configuration is valid');
    expect(valid.code).toBe(0);

    workspace.writeConfig(thingConfig({ name: 'alpha', env: 'dev', secondPartSize: 0 }));
    const invalid = await workspace.run(['validate', '-no-color']);
    expect(invalid.code).toBe(1);
    expect(invalid.output).toContain('Error: Invalid value for part[1].size');
    expect(invalid.output).toMatch(/on main\.tf line \d+, in resource "fixture_thing" "a":\s*\n\s*\d+:\s+size\s+= 0/);
    expect(invalid.output).toContain('part[1].size must be at least 1.');
  });

  test('plan shows computed attributes as known after apply, check defaults as values and sensitive inputs hidden', async () => {
    workspace.writeConfig(thingConfig({ name: 'alpha', env: 'dev', extra: 'resource "fixture_thing" "s" {\n  name = "s"\n  secret_value = "hush-hush-1234"\n}\n' }));
    const plan = await workspace.run(['plan', '-no-color']);
    expect(plan.code).toBe(0);
    expect(plan.output).toContain('Plan: 2 to add, 0 to change, 0 to destroy.');
    expect(plan.output).toMatch(/\+ serial\s+= \(known after apply\)/);
    expect(plan.output).toMatch(/\+ size\s+= 3/);
    expect(plan.output).toMatch(/\+ digest\s+= "[0-9a-f]{12}"/);
    expect(plan.output).toMatch(/\+ secret_value\s+= \(sensitive value\)/);
    expect(plan.output).not.toContain('hush-hush-1234');
    expect(plan.output).toContain('will be read during apply');
  });

  test('apply creates and reads the data source, and a second plan finds no changes', async () => {
    workspace.writeConfig(thingConfig({ name: 'alpha', env: 'dev' }));
    const apply = await workspace.run(['apply', '-auto-approve', '-no-color']);
    expect(apply.code).toBe(0);
    expect(apply.output).toContain('Apply complete! Resources: 1 added, 0 changed, 0 destroyed.');
    const serial = /serial = "(serial-thing-[0-9a-f]+)"/.exec(apply.output)?.[1];
    expect(serial).toBeDefined();
    expect(apply.output).toContain(`looked_up_serial = "${serial}"`);
    const state = JSON.parse(readFileSync(join(workspace.workDir, 'terraform.tfstate'), 'utf8')) as {
      resources: Array<{ mode: string; instances: Array<{ attributes: Record<string, unknown>; sensitive_attributes: unknown[] }> }>;
    };
    const managed = state.resources.find((resource) => resource.mode === 'managed')!.instances[0]!;
    expect(managed.attributes).toMatchObject({ name: 'alpha', size: 3, revision: 0, anything: { value: { k: 1, l: ['a', true] } } });
    expect((managed.attributes.part as unknown[]).length).toBe(2);

    const again = await workspace.run(['plan', '-no-color', '-detailed-exitcode']);
    expect(again.output).toContain('No changes.');
    expect(again.code).toBe(0);
  });

  test('an in-place update, a replacement, an import and a destroy', async () => {
    workspace.writeConfig(thingConfig({ name: 'alpha', env: 'dev' }));
    expect((await workspace.run(['apply', '-auto-approve', '-no-color'])).code).toBe(0);

    workspace.writeConfig(thingConfig({ name: 'alpha', env: 'prod' }));
    const update = await workspace.run(['apply', '-auto-approve', '-no-color']);
    expect(update.output).toContain('will be updated in-place');
    expect(update.output).toMatch(/~ revision\s+= 0 -> \(known after apply\)/);
    expect(update.output).toContain('Apply complete! Resources: 0 added, 1 changed, 0 destroyed.');

    workspace.writeConfig(thingConfig({ name: 'beta', env: 'prod' }));
    const replace = await workspace.run(['apply', '-auto-approve', '-no-color']);
    expect(replace.output).toMatch(/~ name\s+= "alpha" -> "beta" # forces replacement/);
    expect(replace.output).toContain('Apply complete! Resources: 1 added, 0 changed, 1 destroyed.');

    const things = JSON.parse(readFileSync(join(workspace.dir, 'things.json'), 'utf8')) as Record<string, unknown>;
    const [id] = Object.keys(things);
    workspace.writeConfig(thingConfig({ name: 'beta', env: 'prod', extra: 'resource "fixture_thing" "copy" {\n  name = "beta"\n  tags = { env = "prod" }\n  anything = { k = 1, l = ["a", true] }\n  part {\n    part_name = "p1"\n  }\n  part {\n    part_name = "p2"\n    size = 5\n  }\n}\n' }));
    const imported = await workspace.run(['import', '-no-color', 'fixture_thing.copy', String(id)]);
    expect(imported.output).toContain('Import successful!');
    const planAfterImport = await workspace.run(['plan', '-no-color']);
    expect(planAfterImport.output).toContain('No changes.');
    expect((await workspace.run(['state', 'rm', 'fixture_thing.copy'])).code).toBe(0);

    const missing = await workspace.run(['import', '-no-color', 'fixture_thing.copy', 'thing-does-not-exist']);
    expect(missing.code).toBe(1);
    expect(missing.output).toContain('Cannot import non-existent remote object');

    workspace.writeConfig(thingConfig({ name: 'beta', env: 'prod' }));
    const destroy = await workspace.run(['destroy', '-auto-approve', '-no-color']);
    expect(destroy.output).toContain('Destroy complete! Resources: 1 destroyed.');
    expect(JSON.parse(readFileSync(join(workspace.dir, 'things.json'), 'utf8'))).toEqual({});
  });

  test('Ctrl-C during a long create: the provider survives the SIGINT, Terraform sends StopProvider and the create is cancelled', async () => {
    workspace.writeConfig(`${FIXTURE_HEADER}\nresource "fixture_thing" "slow" {\n  name = "slow"\n  sleep_ms = 120000\n}\n`);
    const running = workspace.start(['apply', '-auto-approve', '-no-color']);
    const deadline = Date.now() + 30_000;
    while (!running.output().includes('fixture_thing.slow: Creating...') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(running.output()).toContain('fixture_thing.slow: Creating...');
    const interrupted = Date.now();
    running.interrupt();
    const result = await running.done;
    expect(Date.now() - interrupted).toBeLessThan(10_000);
    expect(result.code).toBe(1);
    expect(result.output).toContain('Interrupt received');
    expect(result.output).toContain('Error: Error creating fixture_thing');
    expect(result.output).toContain('creating the thing was cancelled');
    expect(result.output).not.toContain('Plugin did not respond');
  });

  test('a create that fails after the thing exists leaves it in state as tainted', async () => {
    workspace.writeConfig(`${FIXTURE_HEADER}\nresource "fixture_thing" "half" {\n  name = "half"\n  fail_after_create = true\n}\n`);
    const apply = await workspace.run(['apply', '-auto-approve', '-no-color']);
    expect(apply.code).toBe(1);
    expect(apply.output).toContain('Error: Error creating fixture_thing: created but not completed');
    const plan = await workspace.run(['plan', '-no-color']);
    expect(plan.output).toContain('is tainted, so must be replaced');
    expect((await workspace.run(['destroy', '-auto-approve', '-no-color'])).code).toBe(0);
  });
});

suite('terraform CLI with the real provider (hdr/vers), provider block only', () => {
  let workspace: TerraformWorkspace;

  beforeEach(() => {
    workspace = new TerraformWorkspace({ terraform: terraform as string, ...realProvider(BUILD_ROOT) });
  });

  afterEach(() => workspace.dispose());

  const header = (providerBody: string): string => `
terraform {
  required_providers {
    vers = { source = "hdr/vers" }
  }
}

provider "vers" {
${providerBody}
}
`;

  test('validate and plan succeed with a valid provider block', async () => {
    workspace.writeConfig(header('  base_url = "https://api.vers.sh/api/v1"\n  api_key  = "not-checked-until-a-call-is-made"'));
    const validate = await workspace.run(['validate', '-no-color']);
    expect(validate.output).toContain('Success! The configuration is valid');
    const plan = await workspace.run(['plan', '-no-color']);
    expect(plan.code).toBe(0);
    expect(plan.output).toContain('No changes.');
  });

  test('an invalid base_url is reported against the provider block with the core\'s reason', async () => {
    // Terraform validates a provider block only when something uses the provider.
    workspace.writeConfig(`${header('  base_url = "ftp://api.vers.sh"')}\ndata "vers_vms" "all" {}\n`);
    const validate = await workspace.run(['validate', '-no-color']);
    expect(validate.code).toBe(1);
    expect(validate.output).toContain('Error: Invalid value for base_url');
    expect(validate.output).toMatch(/base_url must use http or https/);
    expect(validate.output).toMatch(/on main\.tf line \d+, in provider "vers":/);
  });
});
