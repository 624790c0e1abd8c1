import { writeSync } from 'node:fs';
import { GrpcServer, type GrpcCall, type GrpcHandler, type UnaryCallback } from '../../grpc/grpc-server';
import type { StderrLogger } from '../log/stderr-logger';
import { formatHandshake, hasMagicCookie, negotiateProtocolVersion, NOT_A_COMMAND_MESSAGE } from './handshake';
import { generateServerCertificate } from './self-signed-cert';

/**
 * A go-plugin gRPC server as Terraform expects it: refuses to run without the
 * magic cookie, serves TLS with client-certificate verification when
 * Terraform passes PLUGIN_CLIENT_CERT (AutoMTLS), prints the handshake line as
 * the only output on stdout, serves the go-plugin side services, and exits as
 * soon as GRPCController.Shutdown arrives.
 *
 * Start-up is on the path of every Terraform phase, so the handshake line is
 * printed as soon as the listener is bound (node:http2, no grpc-js), and the
 * services (codec, provider service, core) load right after it, while
 * Terraform connects, or at the latest when the first request arrives.
 */

export interface PluginServerOptions {
  logger: StderrLogger;
  /** The tfplugin6.Provider handlers; called once, after the handshake line. */
  providerHandlers: () => Readonly<Record<string, GrpcHandler>>;
  /** Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Called instead of process.exit (tests). Default: process.exit. */
  exit?: (code: number) => void;
}

export interface RunningPluginServer {
  server: GrpcServer;
  handshake: string;
}

/** How often the server checks that Terraform (its parent) is still alive. */
const PARENT_CHECK_MS = 2000;

export async function startPluginServer(options: PluginServerOptions): Promise<RunningPluginServer | undefined> {
  const env = options.env ?? process.env;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  if (!hasMagicCookie(env)) {
    process.stderr.write(NOT_A_COMMAND_MESSAGE);
    exit(1);
    return undefined;
  }
  // Ctrl-C reaches the whole process group; Terraform then sends StopProvider. Never die of SIGINT.
  process.on('SIGINT', () => options.logger.log('debug', 'SIGINT ignored: waiting for Terraform to stop or shut down the provider'));

  const clientCert = env.PLUGIN_CLIENT_CERT;
  let certDer: Buffer | undefined;
  let tls: { keyPem: string; certPem: string; clientCaPem: string } | undefined;
  if (clientCert !== undefined && clientCert.trim() !== '') {
    // Only the Terraform process holding the matching key may call us.
    const certificate = generateServerCertificate();
    certDer = certificate.certDer;
    tls = { keyPem: certificate.keyPem, certPem: certificate.certPem, clientCaPem: clientCert };
  } else {
    // TF_DISABLE_PLUGIN_TLS: Terraform's plugin SDK test mode.
    options.logger.log('warn', 'PLUGIN_CLIENT_CERT is not set: serving without TLS');
  }

  let loaded = false;
  const load = (): void => {
    if (loaded) return;
    addServices(server, options, exit);
    loaded = true;
  };
  const server = new GrpcServer({ ...(tls === undefined ? {} : { tls }), beforeRequest: load });
  const port = await server.listen('127.0.0.1', 0);
  const handshake = formatHandshake({ protocolVersion: negotiateProtocolVersion(env), network: 'tcp', address: `127.0.0.1:${port}`, certDer });
  // Synchronous, so the line is complete on stdout before anything else can happen.
  writeSync(1, handshake);
  options.logger.log('debug', `serving tfplugin6 on 127.0.0.1:${port}${certDer === undefined ? ' without TLS' : ' with mutual TLS'}`);
  setImmediate(() => {
    try {
      load();
    } catch (error) {
      // The first request retries and answers INTERNAL with this reason.
      options.logger.log('error', `cannot load the provider's services: ${error instanceof Error ? error.message : String(error)}`);
    }
  });

  watchParent(options.logger, exit);
  return { server, handshake };
}

function addServices(server: GrpcServer, options: PluginServerOptions, exit: (code: number) => void): void {
  const { codecServiceDefinitions } = require('./codec-definitions') as typeof import('./codec-definitions');
  const definitions = codecServiceDefinitions();
  server.addService(definitions.provider, options.providerHandlers());
  server.addService(definitions.controller, {
    Shutdown: (_call: GrpcCall, callback: UnaryCallback) => {
      options.logger.log('debug', 'GRPCController.Shutdown: exiting');
      callback(null, {});
      // Terraform kills us 2 s after Shutdown; leave as soon as the reply is on its way.
      setImmediate(() => exit(0));
    },
  });
  server.addService(definitions.stdio, {
    // Nothing is ever forwarded (logs go to stderr directly); the stream just stays open.
    StreamStdio: (call: GrpcCall) => {
      call.on('cancelled', () => call.end());
    },
  });
  server.addService(definitions.broker, {
    StartStream: (call: GrpcCall) => {
      call.on('data', () => undefined);
      call.on('end', () => call.end());
      call.on('cancelled', () => call.end());
    },
  });
  server.addService(definitions.health, {
    Check: (call: GrpcCall, callback: UnaryCallback) => {
      const service = (call.request as { service?: string }).service ?? '';
      callback(null, { status: service === '' || service === 'plugin' ? 'SERVING' : 'SERVICE_UNKNOWN' });
    },
    Watch: (call: GrpcCall) => {
      call.write({ status: 'SERVING' });
      call.on('cancelled', () => call.end());
    },
  });
}

/** Leave when Terraform is gone (killed without a Shutdown), instead of lingering as an orphan. */
function watchParent(logger: StderrLogger, exit: (code: number) => void): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      logger.log('warn', 'Terraform went away without shutting the provider down: exiting');
      exit(0);
    }
  }, PARENT_CHECK_MS);
  timer.unref();
}
