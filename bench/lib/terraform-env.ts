import { resolve } from 'node:path';
import { findTerraform, realProvider, TerraformWorkspace } from '../../tests/tfbridge/harness/terraform-cli';
import type { VersLocalProcess } from '../../tests/helpers/vers-local';
import { buildDirectory } from './build-dir';

/**
 * A Terraform working directory wired to this checkout's provider (through
 * dev_overrides and bin/terraform-provider-vers running this build) and to a
 * vers-local through the VERS_* environment, as a user would set it.
 */
export function terraformWorkspace(local: VersLocalProcess, extraEnv: Record<string, string> = {}): TerraformWorkspace {
  const terraform = findTerraform();
  if (terraform === undefined) throw new Error('terraform is not on PATH: this benchmark needs it');
  const provider = realProvider(resolve(buildDirectory()));
  const { ready } = local;
  return new TerraformWorkspace({
    terraform,
    devOverrides: provider.devOverrides,
    env: {
      ...provider.env,
      VERS_API_KEY: ready.api_key,
      VERS_BASE_URL: ready.base_url,
      VERS_VM_DOMAIN: ready.vm_domain,
      VERS_SSH_GATEWAY: ready.ssh_gateway,
      VERS_CA_FILE: ready.tls_ca_file,
      ...extraEnv,
    },
  });
}

/** Runs terraform and throws with its output unless it exits 0; returns the wall time in ms. */
export async function terraformOk(workspace: TerraformWorkspace, args: string[], timeoutMs = 600_000): Promise<number> {
  const started = process.hrtime.bigint();
  const result = await workspace.run(args, timeoutMs);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.code !== 0) throw new Error(`terraform ${args.join(' ')} exited ${result.code}:\n${result.output.slice(-6000)}`);
  return ms;
}

/**
 * The start of the Terraform benchmarks' configuration: the provider, a
 * `workers` variable (default 0) and the golden VM (with `goldenVmBody` as its
 * arguments) and commit `vers_vm_commit.golden` that workers restore from.
 */
export function goldenConfig(goldenVmBody: string): string {
  return `
terraform {
  required_providers {
    vers = { source = "hdr/vers" }
  }
}

provider "vers" {}

variable "workers" {
  type    = number
  default = 0
}

resource "vers_vm" "golden_base" {
${goldenVmBody}
}

resource "vers_vm_commit" "golden" {
  vm_id       = vers_vm.golden_base.id
  keep_paused = false
}
`;
}

/** Destroys what was applied (reporting, not throwing, a failure), then removes the workspace. */
export async function destroyAndDispose(workspace: TerraformWorkspace | undefined, applied: boolean): Promise<void> {
  if (workspace === undefined) return;
  if (applied) await terraformOk(workspace, ['destroy', '-auto-approve', '-input=false', '-no-color']).catch((error: unknown) => process.stderr.write(`destroy failed: ${String(error)}\n`));
  workspace.dispose();
}
