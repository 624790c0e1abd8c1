import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Empty } from 'google-protobuf/google/protobuf/empty_pb';
import { ResourceProviderClient } from '@pulumi/pulumi/proto/provider_grpc_pb';
import { repoRoot } from '../core/base/repo-root';
import { releaseDirectory, releaseLayout } from '../packaging/layout';
import { NODE_RUNTIME_VERSION, NODE_RUNTIMES, hostPlatform } from '../packaging/node-runtime';
import { generateServerCertificate } from '../bridges/terraform/plugin/self-signed-cert';
import { startProvider } from '../tests/tfbridge/harness/provider-process';
import { integerFlag, runMain } from './lib/args';
import { buildDirectory } from './lib/build-dir';
import { machineInfo } from './lib/machine';
import { alternate, compared, printReport, saveReport, series, single, type BenchmarkReport } from './lib/report';

/**
 * Benchmark 2, provider start-up. Terraform starts the provider once per
 * phase (3–4 times per apply), so this is paid often.
 *
 *   node                 spawn `node -e 'process.stdout.write("\n")'` → its line (bare Node start-up)
 *   terraform-provider   spawn bin/terraform-provider-vers with the environment Terraform
 *                        sets (magic cookie, PLUGIN_PROTOCOL_VERSIONS, PLUGIN_CLIENT_CERT)
 *                        → go-plugin handshake line; then, in the same run, the time until
 *                        GetProviderSchema is answered over mutual TLS (informational)
 *   pulumi-plugin        spawn bin/pulumi-resource-vers → port line; then until GetPluginInfo
 *                        is answered (informational)
 *   release executables  the same two for the linux amd64 executables of dist/release (Node
 *                        24 single-executable applications, `make release`), against bare
 *                        `node -e` and against the Node 24 they embed, spawned the same way
 *
 * Rounds alternate node, node 24, terraform, pulumi, and the release's two; one warm-up round
 * is discarded. Target: each provider within 1.5× of bare Node (median of per-round ratios).
 * `node dist/bench/startup.js [--rounds N]` (default 15). Without dist/release the release
 * executables are left out (said on stderr).
 */

const clientCertificate = generateServerCertificate();

function elapsedMs(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e6;
}

/** spawn → first stdout line of bare node (this one, or another `node` executable). */
function timeBareNode(node = process.execPath): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(node, ['-e', 'process.stdout.write("\\n")'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let elapsed: number | undefined;
    child.stdout.on('data', () => (elapsed ??= elapsedMs(started)));
    child.once('error', reject);
    child.once('close', () => (elapsed === undefined ? reject(new Error('node printed nothing')) : resolve(elapsed)));
  });
}

interface Executable {
  command: string;
  env: Record<string, string>;
}

/** This checkout's launchers, running the compiled tree on this machine's node. */
const DEVELOPMENT: Record<'terraform' | 'pulumi', Executable> = {
  terraform: { command: join(repoRoot(), 'bin', 'terraform-provider-vers'), env: { VERS_BUILD_DIR: buildDirectory() } },
  pulumi: { command: join(repoRoot(), 'bin', 'pulumi-resource-vers'), env: { VERS_BUILD_DIR: buildDirectory() } },
};

/** The release's linux amd64 executables, unpacked into bench/out/startup-release (undefined without a release). */
function releaseExecutables(): { terraform: Executable; pulumi: Executable; node24: string } | undefined {
  const layout = releaseLayout();
  const dir = releaseDirectory();
  const node24 = join(repoRoot(), '.build', 'node-runtimes', `${NODE_RUNTIMES.linux_amd64.npmPackage}-${NODE_RUNTIME_VERSION}`, 'bin', 'node');
  if (hostPlatform() !== 'linux_amd64' || !existsSync(join(dir, layout.terraformZip('linux_amd64'))) || !existsSync(node24)) {
    process.stderr.write('startup: no linux amd64 release in dist/release (run `make release`): release executables left out\n');
    return undefined;
  }
  const out = join(repoRoot(), 'bench', 'out', 'startup-release');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  execFileSync('unzip', ['-q', join(dir, layout.terraformZip('linux_amd64')), layout.terraformExecutable, '-d', out]);
  execFileSync('tar', ['-xzf', join(dir, layout.pulumiTarball('linux_amd64')), '-C', out, layout.pulumiExecutable]);
  return { terraform: { command: join(out, layout.terraformExecutable), env: {} }, pulumi: { command: join(out, layout.pulumiExecutable), env: {} }, node24 };
}

async function timeTerraformProvider(executable: Executable, firstRpc: number[]): Promise<number> {
  const started = process.hrtime.bigint();
  const provider = await startProvider({ command: executable.command, env: executable.env, clientCertificate });
  const handshake = elapsedMs(started);
  try {
    const schema = await provider.call<{ resource_schemas?: Record<string, unknown> }>('GetProviderSchema');
    firstRpc.push(elapsedMs(started));
    if (Object.keys(schema.resource_schemas ?? {}).length === 0) throw new Error('GetProviderSchema returned no resources');
    const stop = await provider.shutdown();
    if (stop.exit === 'still running') throw new Error('terraform-provider-vers did not exit after Shutdown');
  } finally {
    provider.kill();
  }
  return handshake;
}

async function timePulumiPlugin(executable: Executable, firstRpc: number[]): Promise<number> {
  const started = process.hrtime.bigint();
  const child = spawn(executable.command, [], { env: { ...process.env, ...executable.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  try {
    const { port, elapsed } = await new Promise<{ port: number; elapsed: number }>((resolve, reject) => {
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        const newline = stdout.indexOf('\n');
        if (newline >= 0) resolve({ port: Number(stdout.slice(0, newline)), elapsed: elapsedMs(started) });
      });
      void exited.then(() => reject(new Error(`pulumi-resource-vers exited before its port line: ${stderr}`)));
    });
    const client = new ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      await new Promise<void>((resolve, reject) => client.getPluginInfo(new Empty(), (error) => (error ? reject(error) : resolve())));
      firstRpc.push(elapsedMs(started));
    } finally {
      client.close();
    }
    return elapsed;
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

async function main(): Promise<void> {
  const rounds = integerFlag(process.argv.slice(2), '--rounds', 15, 5, 200);
  const machine = machineInfo();
  const release = releaseExecutables();
  const firstRpc = { terraform: [] as number[], pulumi: [] as number[], releaseTerraform: [] as number[], releasePulumi: [] as number[] };
  // Warm-up: file cache, the harness's own proto loading.
  await timeBareNode();
  await timeTerraformProvider(DEVELOPMENT.terraform, []);
  await timePulumiPlugin(DEVELOPMENT.pulumi, []);
  const contenders: Record<string, () => Promise<number>> = {
    node: () => timeBareNode(),
    terraform: () => timeTerraformProvider(DEVELOPMENT.terraform, firstRpc.terraform),
    pulumi: () => timePulumiPlugin(DEVELOPMENT.pulumi, firstRpc.pulumi),
  };
  if (release !== undefined) {
    await timeBareNode(release.node24);
    await timeTerraformProvider(release.terraform, []);
    await timePulumiPlugin(release.pulumi, []);
    contenders.node24 = () => timeBareNode(release.node24);
    contenders.releaseTerraform = () => timeTerraformProvider(release.terraform, firstRpc.releaseTerraform);
    contenders.releasePulumi = () => timePulumiPlugin(release.pulumi, firstRpc.releasePulumi);
  }
  const runs = await alternate(rounds, contenders);
  const node = series('node -e', 'ms', runs.node as number[]);
  const withinNode = { of: 'ratio', atMost: 1.5, text: 'within 1.5× of bare node' } as const;
  const figures = [
    compared('terraform_handshake', 'terraform-provider-vers: spawn → handshake line', series('terraform-provider-vers', 'ms', runs.terraform as number[]), node, withinNode),
    compared('pulumi_port', 'pulumi-resource-vers: spawn → port line', series('pulumi-resource-vers', 'ms', runs.pulumi as number[]), node, withinNode),
    single('terraform_first_rpc', 'terraform-provider-vers: spawn → GetProviderSchema answered (mutual TLS)', series('terraform-provider-vers', 'ms', firstRpc.terraform), undefined, 'informational: what Terraform waits for before planning'),
    single('pulumi_first_rpc', 'pulumi-resource-vers: spawn → GetPluginInfo answered', series('pulumi-resource-vers', 'ms', firstRpc.pulumi), undefined, 'informational'),
  ];
  if (release !== undefined) {
    const node24 = series(`node ${NODE_RUNTIME_VERSION} -e`, 'ms', runs.node24 as number[]);
    const releaseTerraform = series('release terraform-provider-vers', 'ms', runs.releaseTerraform as number[]);
    const releasePulumi = series('release pulumi-resource-vers', 'ms', runs.releasePulumi as number[]);
    figures.push(
      compared('release_terraform_handshake', 'release terraform-provider-vers (linux amd64 executable): spawn → handshake line', releaseTerraform, node, withinNode),
      compared('release_pulumi_port', 'release pulumi-resource-vers (linux amd64 executable): spawn → port line', releasePulumi, node, withinNode),
      compared('release_terraform_handshake_node24', 'release terraform-provider-vers against the Node it embeds', releaseTerraform, node24, undefined, 'informational: what the provider adds to its own runtime'),
      compared('release_pulumi_port_node24', 'release pulumi-resource-vers against the Node it embeds', releasePulumi, node24, undefined, 'informational'),
      single('release_terraform_first_rpc', 'release terraform-provider-vers: spawn → GetProviderSchema answered (mutual TLS)', series('release terraform-provider-vers', 'ms', firstRpc.releaseTerraform), undefined, 'informational'),
      single('release_pulumi_first_rpc', 'release pulumi-resource-vers: spawn → GetPluginInfo answered', series('release pulumi-resource-vers', 'ms', firstRpc.releasePulumi), undefined, 'informational'),
    );
  }
  const report: BenchmarkReport = {
    name: 'startup',
    title: '2. Provider start-up',
    scenario:
      'Spawn → handshake line (terraform-provider-vers, with the environment Terraform sets) or port line (pulumi-resource-vers), against bare `node -e` spawned the same way (spawn → its first stdout line). Rounds alternate node, terraform, pulumi, and with a release in dist/release also bare Node 24 and the release executables (Node 24 single-executable applications).',
    settings: { rounds, warmupRounds: 1, via: release === undefined ? 'bin/ executables' : 'bin/ executables and the linux amd64 release executables' },
    machine,
    figures,
  };
  printReport(report);
  saveReport(report);
}

runMain('startup', main);
