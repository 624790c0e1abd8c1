import { spawn } from 'node:child_process';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Empty } from 'google-protobuf/google/protobuf/empty_pb';
import { ResourceProviderClient } from '@pulumi/pulumi/proto/provider_grpc_pb';
import { repoRoot } from '../core/base/repo-root';
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
 *
 * Rounds alternate node, terraform, pulumi; one warm-up round is discarded.
 * Target: each provider within 1.5× of bare Node (median of per-round ratios).
 * `node dist/bench/startup.js [--rounds N]` (default 15).
 */

const clientCertificate = generateServerCertificate();

function elapsedMs(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e6;
}

/** spawn → first stdout line of bare node. */
function timeBareNode(): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, ['-e', 'process.stdout.write("\\n")'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let elapsed: number | undefined;
    child.stdout.on('data', () => (elapsed ??= elapsedMs(started)));
    child.once('error', reject);
    child.once('close', () => (elapsed === undefined ? reject(new Error('node printed nothing')) : resolve(elapsed)));
  });
}

async function timeTerraformProvider(firstRpc: number[]): Promise<number> {
  const started = process.hrtime.bigint();
  const provider = await startProvider({ command: join(repoRoot(), 'bin', 'terraform-provider-vers'), env: { VERS_BUILD_DIR: buildDirectory() }, clientCertificate });
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

async function timePulumiPlugin(firstRpc: number[]): Promise<number> {
  const started = process.hrtime.bigint();
  const child = spawn(join(repoRoot(), 'bin', 'pulumi-resource-vers'), [], { env: { ...process.env, VERS_BUILD_DIR: buildDirectory() }, stdio: ['ignore', 'pipe', 'pipe'] });
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
  const tfFirstRpc: number[] = [];
  const pulumiFirstRpc: number[] = [];
  // Warm-up: file cache, the harness's own proto loading.
  await timeBareNode();
  await timeTerraformProvider([]);
  await timePulumiPlugin([]);
  const runs = await alternate(rounds, {
    node: timeBareNode,
    terraform: () => timeTerraformProvider(tfFirstRpc),
    pulumi: () => timePulumiPlugin(pulumiFirstRpc),
  });
  const node = series('node -e', 'ms', runs.node);
  const report: BenchmarkReport = {
    name: 'startup',
    title: '2. Provider start-up',
    scenario: 'Spawn → handshake line (terraform-provider-vers, with the environment Terraform sets) or port line (pulumi-resource-vers), against bare `node -e` spawned the same way (spawn → its first stdout line). Rounds alternate node, terraform, pulumi.',
    settings: { rounds, warmupRounds: 1, via: 'bin/ executables' },
    machine,
    figures: [
      compared('terraform_handshake', 'terraform-provider-vers: spawn → handshake line', series('terraform-provider-vers', 'ms', runs.terraform), node, { of: 'ratio', atMost: 1.5, text: 'within 1.5× of bare node' }),
      compared('pulumi_port', 'pulumi-resource-vers: spawn → port line', series('pulumi-resource-vers', 'ms', runs.pulumi), node, { of: 'ratio', atMost: 1.5, text: 'within 1.5× of bare node' }),
      single('terraform_first_rpc', 'terraform-provider-vers: spawn → GetProviderSchema answered (mutual TLS)', series('terraform-provider-vers', 'ms', tfFirstRpc), undefined, 'informational: what Terraform waits for before planning'),
      single('pulumi_first_rpc', 'pulumi-resource-vers: spawn → GetPluginInfo answered', series('pulumi-resource-vers', 'ms', pulumiFirstRpc), undefined, 'informational'),
    ],
  };
  printReport(report);
  saveReport(report);
}

runMain('startup', main);
