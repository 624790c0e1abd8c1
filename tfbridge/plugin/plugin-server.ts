import { writeSync } from 'node:fs';
import type * as grpc from '@grpc/grpc-js';
import type { StderrLogger } from '../log/stderr-logger';
import { formatHandshake, hasMagicCookie, negotiateProtocolVersion, NOT_A_COMMAND_MESSAGE } from './handshake';
import { loadServiceDefinitions, type ServiceDefinitions } from './proto-definitions';
import { generateServerCertificate } from './self-signed-cert';

/**
 * A go-plugin gRPC server as Terraform expects it: refuses to run without the
 * magic cookie, serves TLS with client-certificate verification when
 * Terraform passes PLUGIN_CLIENT_CERT (AutoMTLS), prints the handshake line as
 * the only output on stdout, serves the go-plugin side services, and exits as
 * soon as GRPCController.Shutdown arrives.
 */

export interface PluginServerOptions {
  logger: StderrLogger;
  /** The tfplugin6.Provider handlers, built once the service definitions are loaded. */
  providerHandlers: (definitions: ServiceDefinitions) => grpc.UntypedServiceImplementation;
  /** Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Called instead of process.exit (tests). Default: process.exit. */
  exit?: (code: number) => void;
}

export interface RunningPluginServer {
  server: grpc.Server;
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

  const grpcModule = require('@grpc/grpc-js') as typeof grpc;
  const definitions = loadServiceDefinitions();
  const server = new grpcModule.Server({
    'grpc.max_receive_message_length': 256 * 1024 * 1024,
    'grpc.max_send_message_length': 256 * 1024 * 1024,
  });
  server.addService(definitions.provider, options.providerHandlers(definitions));
  server.addService(definitions.controller, {
    Shutdown: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      options.logger.log('debug', 'GRPCController.Shutdown: exiting');
      callback(null, {});
      // Terraform kills us 2 s after Shutdown; leave as soon as the reply is on its way.
      setImmediate(() => exit(0));
    },
  });
  server.addService(definitions.stdio, {
    // Nothing is ever forwarded (logs go to stderr directly); the stream just stays open.
    StreamStdio: (call: grpc.ServerWritableStream<unknown, unknown>) => {
      call.on('cancelled', () => call.end());
    },
  });
  server.addService(definitions.broker, {
    StartStream: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
      call.on('data', () => undefined);
      call.on('end', () => call.end());
      call.on('cancelled', () => call.end());
    },
  });
  server.addService(definitions.health, {
    Check: (call: grpc.ServerUnaryCall<{ service?: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const service = call.request.service ?? '';
      callback(null, { status: service === '' || service === 'plugin' ? 'SERVING' : 'SERVICE_UNKNOWN' });
    },
    Watch: (call: grpc.ServerWritableStream<{ service?: string }, unknown>) => {
      call.write({ status: 'SERVING' });
      call.on('cancelled', () => call.end());
    },
  });

  const clientCert = env.PLUGIN_CLIENT_CERT;
  let credentials: grpc.ServerCredentials;
  let certDer: Buffer | undefined;
  if (clientCert !== undefined && clientCert.trim() !== '') {
    const certificate = generateServerCertificate();
    certDer = certificate.certDer;
    credentials = grpcModule.ServerCredentials.createSsl(
      Buffer.from(clientCert),
      [{ private_key: Buffer.from(certificate.keyPem), cert_chain: Buffer.from(certificate.certPem) }],
      true, // Only the Terraform process holding the matching key may call us.
    );
  } else {
    // TF_DISABLE_PLUGIN_TLS: Terraform's plugin SDK test mode.
    options.logger.log('warn', 'PLUGIN_CLIENT_CERT is not set: serving without TLS');
    credentials = grpcModule.ServerCredentials.createInsecure();
  }

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', credentials, (error, boundPort) => (error ? reject(error) : resolve(boundPort)));
  });
  const handshake = formatHandshake({ protocolVersion: negotiateProtocolVersion(env), network: 'tcp', address: `127.0.0.1:${port}`, certDer });
  // Synchronous, so the line is complete on stdout before anything else can happen.
  writeSync(1, handshake);
  options.logger.log('debug', `serving tfplugin6 on 127.0.0.1:${port}${certDer === undefined ? ' without TLS' : ' with mutual TLS'}`);

  watchParent(options.logger, exit);
  return { server, handshake };
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
