import { spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { repoRoot } from '../../../core/base/repo-root';
import { devOverridesCliConfig } from '../../../bridges/terraform/dev-overrides';

/**
 * Runs the real terraform CLI against a provider through dev_overrides, in a
 * temporary directory that is removed afterwards. Terraform is optional on a
 * developer machine: `findTerraform` returns undefined (and the suites say
 * SKIPPED loudly) when it is not on PATH.
 */

export function findTerraform(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'terraform');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** Prints the loud skip line the README promises, once per suite. */
export function announceSkip(suite: string): void {
  process.stderr.write(`\n########## SKIPPED: terraform not found on PATH: ${suite} did not run ##########\n\n`);
}

export interface TerraformResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for assertions on messages. */
  output: string;
}

export interface RunningTerraform {
  done: Promise<TerraformResult>;
  /** stdout and stderr so far. */
  output(): string;
  /** Ctrl-C: SIGINT to the whole process group. */
  interrupt(): void;
  /** A crash: SIGKILL to the whole process group (terraform and the providers it started). */
  kill(): void;
  /** terraform's process id (undefined if it did not start). */
  pid: number | undefined;
}

export interface TerraformWorkspaceOptions {
  terraform: string;
  /** Provider source address → directory holding `terraform-provider-<type>`. */
  devOverrides: Record<string, string>;
  /** Extra environment for terraform (and so for the provider it starts); a function gets the workspace directory. */
  env?: Record<string, string> | ((workspaceDir: string) => Record<string, string>);
}

export class TerraformWorkspace {
  readonly dir: string;
  readonly workDir: string;
  private readonly cliConfigPath: string;
  private readonly env: Record<string, string>;

  constructor(private readonly options: TerraformWorkspaceOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'tfbridge-terraform-'));
    this.env = typeof options.env === 'function' ? options.env(this.dir) : (options.env ?? {});
    this.workDir = join(this.dir, 'work');
    mkdirSync(this.workDir);
    this.cliConfigPath = join(this.dir, 'terraform.rc');
    writeFileSync(this.cliConfigPath, devOverridesCliConfig(options.devOverrides));
  }

  /** Writes main.tf (replacing the previous one). */
  writeConfig(hcl: string, file = 'main.tf'): void {
    writeFileSync(join(this.workDir, file), hcl);
  }

  run(args: string[], timeoutMs = 90_000): Promise<TerraformResult> {
    return this.start(args, timeoutMs).done;
  }

  /**
   * Starts terraform in its own process group, as a shell does for a
   * foreground job, so `interrupt()` is a Ctrl-C: SIGINT to terraform and to
   * the provider processes it started.
   */
  start(args: string[], timeoutMs = 90_000): RunningTerraform {
    let output = '';
    let interrupt = (): void => undefined;
    let kill = (): void => undefined;
    let pid: number | undefined;
    const done = new Promise<TerraformResult>((resolvePromise, reject) => {
      const child = spawn(this.options.terraform, [...args], {
        cwd: this.workDir,
        detached: true,
        env: {
          ...process.env,
          TF_CLI_CONFIG_FILE: this.cliConfigPath,
          TF_IN_AUTOMATION: '1',
          CHECKPOINT_DISABLE: '1',
          TF_INPUT: '0',
          ...this.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => ((stdout += chunk), (output += chunk)));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => ((stderr += chunk), (output += chunk)));
      const group = child.pid;
      pid = group;
      interrupt = () => {
        if (group !== undefined) process.kill(-group, 'SIGINT');
      };
      kill = () => {
        if (group !== undefined) process.kill(-group, 'SIGKILL');
      };
      const timer = setTimeout(() => {
        if (group !== undefined) process.kill(-group, 'SIGKILL');
        reject(new Error(`terraform ${args.join(' ')} ran longer than ${timeoutMs} ms\n${stdout}\n${stderr}`));
      }, timeoutMs);
      child.once('error', reject);
      child.once('close', (code) => {
        clearTimeout(timer);
        resolvePromise({ code, stdout, stderr, output: `${stdout}\n${stderr}` });
      });
    });
    return { done, output: () => output, interrupt: () => interrupt(), kill: () => kill(), pid };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A directory holding `terraform-provider-<type>`, an executable that execs
 * node on `script`. The caller removes `dir` when done.
 */
export function providerLauncher(type: string, script: string): { dir: string } {
  const dir = mkdtempSync(join(tmpdir(), `tfbridge-provider-${type}-`));
  const launcher = join(dir, `terraform-provider-${type}`);
  writeFileSync(launcher, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(script)} "$@"\n`);
  chmodSync(launcher, 0o755);
  return { dir };
}

/**
 * How Terraform runs the real provider built at `buildRoot`: the repository's
 * bin/terraform-provider-vers, told by VERS_BUILD_DIR which compiled tree to
 * run (dist/ under `make test`, a private one during development).
 */
export function realProvider(buildRoot: string): { devOverrides: Record<string, string>; env: Record<string, string> } {
  return { devOverrides: { 'hdr/vers': join(repoRoot(), 'bin') }, env: { VERS_BUILD_DIR: resolve(buildRoot) } };
}
