import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { VersLocalProcess } from '../../helpers/vers-local';
import { announceSkip, findTerraform, realProvider, TerraformWorkspace, type RunningTerraform, type TerraformResult } from '../../tfbridge/harness/terraform-cli';
import { copyExample, type StateFile } from '../../tfbridge/harness/vers-local-terraform';
import { vmHistory } from './vm-history';

/**
 * A terraform workspace for the reliability suites: the real provider against
 * one vers-local, every run recorded (its output, and the VM ids the state
 * held afterwards, so an audit can tell a tracked VM from an orphan).
 */

export const terraform = findTerraform();
/** The compiled tree these tests run from (this file is <out>/tests/reliability/harness/). */
export const BUILD_ROOT = resolve(__dirname, '..', '..', '..');

/** `describe`, or `describe.skip` with the loud skip line when terraform is missing. */
export function terraformSuite(file: string): jest.Describe {
  if (terraform !== undefined) return describe;
  announceSkip(file);
  return describe.skip;
}

export const PROVIDER_HEADER = `terraform {
  required_providers {
    vers = { source = "hdr/vers" }
  }
}
`;

/** The VERS_* variables that point the provider at `local`. */
export function versLocalEnv(local: VersLocalProcess): Record<string, string> {
  return {
    VERS_BASE_URL: local.ready.base_url,
    VERS_API_KEY: local.ready.api_key,
    VERS_VM_DOMAIN: local.ready.vm_domain,
    VERS_SSH_GATEWAY: local.ready.ssh_gateway,
    VERS_CA_FILE: local.ready.tls_ca_file,
  };
}

export interface ReliabilityWorkspaceOptions {
  /** Extra environment (overrides the VERS_* of `local`); a function gets the workspace directory. */
  env?: Record<string, string> | ((workspaceDir: string) => Record<string, string>);
}

/** Resource types whose id is a VM id. */
const VM_TYPES: ReadonlySet<string> = new Set(['vers_vm', 'vers_vm_restore', 'vers_vm_branch']);

export class ReliabilityWorkspace {
  readonly workspace: TerraformWorkspace;
  /** Every VM id a state file held after any run (tainted and deposed objects included). */
  readonly vmIdsSeenInState = new Set<string>();
  /** Every run, in order: its arguments and result. */
  readonly transcript: Array<{ args: string[]; result: TerraformResult }> = [];

  constructor(local: VersLocalProcess, options: ReliabilityWorkspaceOptions = {}) {
    const provider = realProvider(BUILD_ROOT);
    this.workspace = new TerraformWorkspace({
      terraform: terraform as string,
      devOverrides: provider.devOverrides,
      env: (dir) => ({ ...provider.env, ...versLocalEnv(local), ...(typeof options.env === 'function' ? options.env(dir) : (options.env ?? {})) }),
    });
  }

  get workDir(): string {
    return this.workspace.workDir;
  }

  get dir(): string {
    return this.workspace.dir;
  }

  /** examples/<name>, as a user would run it. */
  useExample(name: string): void {
    copyExample(this.workspace, name);
  }

  writeConfig(hcl: string, file = 'main.tf'): void {
    this.workspace.writeConfig(hcl, file);
  }

  async run(args: string[], timeoutMs = 240_000): Promise<TerraformResult> {
    const result = await this.workspace.run(args, timeoutMs);
    this.record(args, result);
    return result;
  }

  /** Like `run`, but throws with terraform's output unless it exits 0. */
  async ok(args: string[], timeoutMs?: number): Promise<string> {
    const result = await this.run(args, timeoutMs);
    if (result.code !== 0) throw new Error(`terraform ${args.join(' ')} exited ${result.code}:\n${result.output}`);
    return result.output;
  }

  start(args: string[], timeoutMs = 240_000): RunningTerraform {
    const running = this.workspace.start(args, timeoutMs);
    return {
      ...running,
      done: running.done.then((result) => {
        this.record(args, result);
        return result;
      }),
    };
  }

  /** The state file, or undefined before the first apply. */
  state(): StateFile | undefined {
    const path = join(this.workDir, 'terraform.tfstate');
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as StateFile) : undefined;
  }

  /** `type.name` or `type.name[i]` of every managed instance in the state, with its status (`tainted`) if any. */
  instances(): Array<{ address: string; id: string; status: string | undefined; deposed: boolean }> {
    const out: Array<{ address: string; id: string; status: string | undefined; deposed: boolean }> = [];
    for (const resource of this.state()?.resources ?? []) {
      if (resource.mode !== 'managed') continue;
      for (const instance of resource.instances) {
        const key = instance.index_key === undefined ? '' : `[${typeof instance.index_key === 'string' ? JSON.stringify(instance.index_key) : instance.index_key}]`;
        out.push({
          address: `${resource.type}.${resource.name}${key}`,
          id: String(instance.attributes.id),
          status: instance.status,
          deposed: (instance as { deposed?: string }).deposed !== undefined,
        });
      }
    }
    return out;
  }

  /** Ids of the VMs the state holds now. */
  vmIdsInState(): string[] {
    const ids: string[] = [];
    for (const resource of this.state()?.resources ?? []) {
      if (resource.mode === 'managed' && VM_TYPES.has(resource.type)) for (const instance of resource.instances) ids.push(String(instance.attributes.id));
    }
    return ids.sort();
  }

  dispose(): void {
    this.workspace.dispose();
  }

  private record(args: string[], result: TerraformResult): void {
    this.transcript.push({ args, result });
    for (const id of this.vmIdsInState()) this.vmIdsSeenInState.add(id);
  }
}

/** `terraform apply` flags for unattended runs. */
export const APPLY = ['apply', '-auto-approve', '-no-color', '-compact-warnings'];
export const DESTROY = ['destroy', '-auto-approve', '-no-color', '-compact-warnings'];

/** Ids of the VMs vers-local holds now, from its admin API (never subject to injected faults). */
export async function liveVmIds(local: VersLocalProcess): Promise<string[]> {
  return (await vmHistory(local))
    .filter((vm) => vm.state !== 'deleted')
    .map((vm) => vm.vm_id)
    .sort();
}

/** Poll `probe` every `everyMs` until it returns true; throws after `timeoutMs`. */
export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000, everyMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, everyMs));
  }
}
