import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FaultInjector } from './faults';
import type { HandlerContext } from './handlers/context';
import { createRequestListener } from './http-dispatch';
import { Branches } from './models/branches';
import { CommitStore } from './models/commits';
import { VmStore } from './models/vms';
import type { VersLocalOptions } from './options';
import { RequestStats } from './request-stats';
import { API_PREFIX } from './routes';
import { startSshGateway } from './gateway';
import { createSandboxDriver } from './sandbox';
import { ensureTlsMaterial } from './tls';

/** The ready line's fields: everything a client needs to use this vers-local. */
export interface VersLocalReady {
  /** e.g. `http://127.0.0.1:PORT/api/v1`. */
  base_url: string;
  /** Secret: printed once on stdout for the client, never logged. */
  api_key: string;
  /** SSH SNI is `{vm_id}.{vm_domain}`. */
  vm_domain: string;
  /** `host:port` of the TLS/SNI SSH gateway. */
  ssh_gateway: string;
  /** PEM of the CA that signed the gateway's (and, with --https, the API's) certificate. */
  tls_ca_file: string;
  state_dir: string;
}

/** A running vers-local (API, gateway, sandboxes), in this process. */
export interface VersLocal {
  readonly ready: VersLocalReady;
  /** Stop listening, destroy every VM, and remove the state dir if vers-local created it. Idempotent. */
  close(): Promise<void>;
}

/** A random key in the real format: a UUID key id followed by 64 hex characters. */
export function generateApiKey(): string {
  return `${randomUUID()}${randomBytes(32).toString('hex')}`;
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolveListen(server.address() as AddressInfo);
    });
  });
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Start vers-local: state dir, CA, sandbox driver, commits from a previous
 * run, the HTTP(S) API and the SSH gateway. On failure everything already
 * started is torn down again before the error is thrown.
 */
export async function startVersLocal(options: VersLocalOptions, log: (line: string) => void): Promise<VersLocal> {
  const ownsStateDir = options.stateDir === undefined;
  const stateDir = options.stateDir !== undefined ? resolve(options.stateDir) : await mkdtemp(join(tmpdir(), 'vers-local-'));
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const teardown: Array<() => Promise<void>> = [];
  const unwind = async (): Promise<void> => {
    for (const step of teardown.reverse()) {
      try {
        await step();
      } catch (error) {
        log(`shutdown step failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    teardown.length = 0;
    if (ownsStateDir) await rm(stateDir, { recursive: true, force: true });
  };

  try {
    const apiKey = options.apiKey ?? generateApiKey();
    // The gateway's domain is the VM domain without its leading "vm." (SNI `{vm_id}.vm.<domain>`).
    const domain = options.vmDomain.slice('vm.'.length);
    const tls = await ensureTlsMaterial({ stateDir, domain });
    const driver = createSandboxDriver({ stateDir, logger: (line) => log(`sandbox: ${line}`) });
    const commits = new CommitStore(stateDir);
    await commits.load();
    const faults = new FaultInjector(options.faults, options.seed);
    const stats = new RequestStats();
    const vms = new VmStore({
      driver,
      commits,
      limits: {
        maxVcpuPerVm: options.maxVcpuPerVm,
        maxMemMibPerVm: options.maxMemoryMibPerVm,
        maxFsMibPerVm: options.maxDiskMibPerVm,
        orgVcpuQuota: options.vcpuQuota,
        orgMemMibQuota: options.memoryQuotaMib,
      },
      bootDelayMs: options.bootDelayMs,
      faults,
      log,
    });
    teardown.push(() => vms.shutdown());
    const ctx: HandlerContext = {
      vms,
      commits,
      branches: new Branches(vms, commits),
      faults,
      stats,
      defaultSeed: options.seed,
      reset: async () => {
        await vms.destroyAll(true);
        await commits.clear();
        stats.clear();
        faults.clear();
      },
    };

    const listener = createRequestListener({ apiKey, ctx, maxBodyBytes: options.maxBodyBytes, log, verbose: options.verbose });
    const server = options.https ? createHttpsServer({ cert: tls.certPem, key: tls.keyPem, minVersion: 'TLSv1.2' }, listener) : createHttpServer(listener);
    // Long exec streams must not be cut by Node's default request timeout.
    server.requestTimeout = 0;
    const address = await listen(server, options.apiPort, options.host);
    teardown.push(
      () =>
        new Promise<void>((resolveClose) => {
          server.close(() => resolveClose());
          server.closeAllConnections();
        }),
    );

    const gateway = await startSshGateway({
      tls: { certPem: tls.certPem, keyPem: tls.keyPem },
      resolveSandbox: (vmId) => vms.sandboxForSsh(vmId),
      domain,
      host: options.host,
      port: options.gatewayPort,
      logger: (line) => {
        if (options.verbose) log(line);
      },
    });
    // Stop new SSH sessions before the VMs behind them go.
    teardown.push(() => gateway.close());

    const ready: VersLocalReady = {
      base_url: `${options.https ? 'https' : 'http'}://${hostForUrl(options.host)}:${address.port}${API_PREFIX}`,
      api_key: apiKey,
      vm_domain: options.vmDomain,
      ssh_gateway: `${hostForUrl(gateway.host)}:${gateway.port}`,
      tls_ca_file: tls.caCertPath,
      state_dir: stateDir,
    };
    log(`listening on ${ready.base_url}; state dir ${stateDir}`);

    let closing: Promise<void> | undefined;
    return {
      ready,
      close: () => (closing ??= unwind()),
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}
