import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../../core/base/repo-root';
import { startVersLocal, type StartVersLocalOptions, type VersLocalProcess } from '../../helpers/vers-local';
import { TerraformWorkspace, realProvider, type TerraformResult } from './terraform-cli';

/**
 * What the end-to-end suites share: a terraform workspace wired to a
 * vers-local (the VERS_* variables of its ready line) and to the real
 * provider, the examples copied into it, and readers for the state and the
 * outputs terraform wrote.
 */

export interface StateInstance {
  index_key?: number | string;
  schema_version?: number;
  attributes: Record<string, unknown>;
  sensitive_attributes: unknown[];
  status?: string;
}

export interface StateFile {
  resources: Array<{ mode: string; type: string; name: string; instances: StateInstance[] }>;
}

/** A workspace whose terraform runs the provider built at `buildRoot` against `local`; `extraEnv` (TF_VAR_*, …) wins. */
export function versLocalWorkspace(terraform: string, local: VersLocalProcess, buildRoot: string, extraEnv: Record<string, string> = {}): TerraformWorkspace {
  const provider = realProvider(buildRoot);
  return new TerraformWorkspace({
    terraform,
    devOverrides: provider.devOverrides,
    env: {
      ...provider.env,
      VERS_BASE_URL: local.ready.base_url,
      VERS_API_KEY: local.ready.api_key,
      VERS_VM_DOMAIN: local.ready.vm_domain,
      VERS_SSH_GATEWAY: local.ready.ssh_gateway,
      VERS_CA_FILE: local.ready.tls_ca_file,
      ...extraEnv,
    },
  });
}

/** Copies examples/<name> (everything but local state) into the workspace's work dir. */
export function copyExample(workspace: TerraformWorkspace, name: string): void {
  cpSync(join(repoRoot(), 'examples', name), workspace.workDir, {
    recursive: true,
    filter: (source) => !/(^|\/)(\.terraform[^/]*|terraform\.tfstate[^/]*)$/.test(source),
  });
}

export function readState(workspace: TerraformWorkspace): StateFile {
  return JSON.parse(readFileSync(join(workspace.workDir, 'terraform.tfstate'), 'utf8')) as StateFile;
}

/** One instance of a managed resource (or data source, with mode `data`) in the state; `index` for count. */
export function stateInstance(workspace: TerraformWorkspace, address: string, options: { index?: number; mode?: 'managed' | 'data' } = {}): StateInstance {
  const [type, name] = address.split('.');
  const resource = readState(workspace).resources.find((item) => item.mode === (options.mode ?? 'managed') && item.type === type && item.name === name);
  const instance = resource?.instances.find((item) => (options.index === undefined ? item.index_key === undefined : item.index_key === options.index));
  if (instance === undefined) throw new Error(`${address}${options.index === undefined ? '' : `[${options.index}]`} is not in the state`);
  return instance;
}

/** Runs terraform and throws with its output unless it exits 0. */
export async function terraformOk(workspace: TerraformWorkspace, args: string[], timeoutMs?: number): Promise<string> {
  const result = await workspace.run(args, timeoutMs);
  if (result.code !== 0) throw new Error(`terraform ${args.join(' ')} exited ${result.code}:\n${result.output}`);
  return result.output;
}

export function apply(workspace: TerraformWorkspace, extraArgs: string[] = []): Promise<string> {
  return terraformOk(workspace, ['apply', '-auto-approve', '-no-color', '-compact-warnings', ...extraArgs]);
}

export function destroy(workspace: TerraformWorkspace, extraArgs: string[] = []): Promise<string> {
  return terraformOk(workspace, ['destroy', '-auto-approve', '-no-color', '-compact-warnings', ...extraArgs]);
}

/** `terraform plan -detailed-exitcode`: code 0 means no changes, 2 means changes, 1 an error. */
export function plan(workspace: TerraformWorkspace, extraArgs: string[] = []): Promise<TerraformResult> {
  return workspace.run(['plan', '-detailed-exitcode', '-no-color', '-compact-warnings', ...extraArgs]);
}

/** `terraform output -json`, values only. */
export async function outputs(workspace: TerraformWorkspace): Promise<Record<string, unknown>> {
  const result = await workspace.run(['output', '-json']);
  if (result.code !== 0) throw new Error(`terraform output exited ${result.code}:\n${result.output}`);
  const parsed = JSON.parse(result.stdout) as Record<string, { value: unknown }>;
  return Object.fromEntries(Object.entries(parsed).map(([name, output]) => [name, output.value]));
}

/** Requests vers-local has answered under /api/v1 so far (its controls are not counted). */
export async function apiRequestCount(local: VersLocalProcess): Promise<number> {
  return (await local.admin('GET', '/stats')).json<{ total: number }>().total;
}

/** Ids of the VMs vers-local lists now. */
export async function vmIds(local: VersLocalProcess): Promise<string[]> {
  return (await local.api('GET', '/vms')).json<Array<{ vm_id: string }>>().map((vm) => vm.vm_id).sort();
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** One vers-local per test file, for terraform suites. */
export interface VersLocalTerraformFixture {
  /** The running vers-local (set once beforeAll has run). */
  readonly local: VersLocalProcess;
  /** A fresh workspace wired to it (plus `extraEnv`), disposed after the test. */
  workspace(extraEnv?: Record<string, string>): TerraformWorkspace;
  /** `ssh root@vm command` with the official recipe; throws with ssh's stderr unless it exits 0. */
  sshOk(vmId: string, command: string): Promise<string>;
}

/**
 * Registers the jest hooks of a terraform suite against vers-local: start it
 * before the tests; after each test dispose its workspaces and reset
 * vers-local (so a failed scenario leaves no VM to eat the next one's quota);
 * at the end stop it, which fails on anything left behind.
 */
export function useVersLocalForTerraform(terraform: string, buildRoot: string, options: StartVersLocalOptions = {}): VersLocalTerraformFixture {
  let local: VersLocalProcess | undefined;
  const workspaces: TerraformWorkspace[] = [];
  const running = (): VersLocalProcess => {
    if (local === undefined) throw new Error('vers-local is not started yet: use the fixture inside tests or hooks');
    return local;
  };

  beforeAll(async () => {
    local = await startVersLocal(options);
  });

  afterEach(async () => {
    while (workspaces.length > 0) workspaces.pop()!.dispose();
    if (local !== undefined) await local.admin('POST', '/reset');
  });

  afterAll(async () => {
    const report = await local?.stop();
    expect(report?.exitCode ?? 0).toBe(0);
  });

  return {
    get local() {
      return running();
    },
    workspace(extraEnv) {
      const created = versLocalWorkspace(terraform, running(), buildRoot, extraEnv);
      workspaces.push(created);
      return created;
    },
    async sshOk(vmId, command) {
      const run = await running().ssh(vmId, command);
      if (run.code !== 0) throw new Error(`ssh into ${vmId} (${command}) exited ${run.code}: ${run.stderr}`);
      return run.stdout;
    },
  };
}
