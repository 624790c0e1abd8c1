import { createInterface } from 'node:readline';
import type { ProviderConfigInput } from '../../core/settings';
import { configureProvider } from '../../core/provider';
import { resourceLifecycles } from '../../core/resources/registry';
import type { LogLevel, Logger } from '../../core/base/logging';
import type { PropertyBag } from '../../core/base/json';
import { peakRssMib, resetPeakRss } from './peak-rss';

/**
 * A provider-like process for the transport benchmark: the core loaded as a
 * provider process has it, one Provision `create` per job. Jobs arrive as
 * JSON lines on stdin ({id, inputs}); each answer is a JSON line on stdout
 * with the create's wall time, the process's peak RSS during the job, and
 * how much command output reached the logger (which counts and drops it, as
 * the Terraform bridge would forward it to its log).
 * Configuration: BENCH_PROVIDER_CONFIG (a ProviderConfigInput as JSON).
 */

export interface ProvisionJob {
  id: string;
  inputs: PropertyBag;
}

export interface ProvisionAnswer {
  id: string;
  createMs: number;
  peakRssMib: number;
  logLines: number;
  logBytes: number;
  error?: string;
}

class CountingLogger implements Logger {
  lines = 0;
  bytes = 0;
  log(_level: LogLevel, message: string): void {
    this.lines++;
    this.bytes += message.length + 1;
  }
}

async function runJob(job: ProvisionJob, provider: ReturnType<typeof configureProvider>): Promise<ProvisionAnswer> {
  const lifecycle = resourceLifecycles['vers:index:Provision'];
  if (lifecycle === undefined) throw new Error('no vers:index:Provision lifecycle');
  const logger = new CountingLogger();
  const ctx = { provider, logger, signal: new AbortController().signal };
  // check (hashing, defaults) is plan-time work; only create is the transport.
  const checked = await lifecycle.check(job.inputs, undefined);
  if (checked.failures.length > 0) throw new Error(`check failed: ${JSON.stringify(checked.failures)}`);
  global.gc?.();
  resetPeakRss();
  const started = process.hrtime.bigint();
  await lifecycle.create(checked.inputs, ctx);
  const createMs = Number(process.hrtime.bigint() - started) / 1e6;
  return { id: job.id, createMs, peakRssMib: peakRssMib(), logLines: logger.lines, logBytes: logger.bytes };
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env.BENCH_PROVIDER_CONFIG ?? '{}') as ProviderConfigInput;
  const provider = configureProvider(config, {});
  const answer = (value: ProvisionAnswer): void => void process.stdout.write(`${JSON.stringify(value)}\n`);
  answer({ id: 'ready', createMs: 0, peakRssMib: peakRssMib(), logLines: 0, logBytes: 0 });
  for await (const line of createInterface({ input: process.stdin })) {
    const job = JSON.parse(line) as ProvisionJob;
    try {
      answer(await runJob(job, provider));
    } catch (error) {
      answer({ id: job.id, createMs: 0, peakRssMib: peakRssMib(), logLines: 0, logBytes: 0, error: error instanceof Error ? error.message : String(error) });
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`provision worker failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
