import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from '../../../bridges/terraform/plugin/handshake';
import { loadServiceDefinitions, type ServiceDefinitions } from './proto-definitions';
import { generateServerCertificate, toPem, type ServerCertificate } from '../../../bridges/terraform/plugin/self-signed-cert';

/**
 * Plays Terraform core's side of go-plugin for the protocol tests: starts a
 * provider executable with the environment Terraform gives it, reads the
 * handshake with go-plugin's exact acceptance rules, connects with mutual
 * TLS as Terraform does, and shuts the process down the way Terraform does.
 */

export interface ParsedHandshake {
  coreVersion: number;
  protocolVersion: number;
  network: 'tcp' | 'unix';
  address: string;
  /** PEM of the server certificate from the 6th field (when longer than 50 characters). */
  serverCertPem?: string;
}

/** go-plugin client.go's rules for the first stdout line. */
export function parseHandshake(line: string): ParsedHandshake {
  const parts = line.trim().split('|');
  if (parts.length < 4) throw new Error(`Unrecognized remote plugin message: ${line}`);
  if (parts[0] !== '1') throw new Error(`incompatible core API version with plugin: ${parts[0]}`);
  const protocolVersion = Number(parts[1]);
  if (protocolVersion !== 5 && protocolVersion !== 6) throw new Error(`unsupported plugin protocol ${parts[1]}`);
  if (parts[2] !== 'tcp' && parts[2] !== 'unix') throw new Error(`unknown address type ${parts[2]}`);
  if ((parts[4] ?? 'netrpc') !== 'grpc') throw new Error(`protocol ${parts[4]} is not grpc`);
  const certField = parts[5] ?? '';
  let serverCertPem: string | undefined;
  if (certField.length > 50) {
    // Go's base64.RawStdEncoding: standard alphabet, and padding is an error.
    if (!/^[A-Za-z0-9+/]+$/.test(certField)) throw new Error('server cert is not unpadded standard base64');
    serverCertPem = new X509Certificate(Buffer.from(certField, 'base64')).toString();
  }
  return { coreVersion: 1, protocolVersion, network: parts[2], address: parts[3] as string, ...(serverCertPem === undefined ? {} : { serverCertPem }) };
}

export interface StartProviderOptions {
  /** The executable (or `node`) and its arguments. */
  command: string;
  args?: string[];
  /** Extra environment on top of the inherited one (Terraform passes its own through). */
  env?: Record<string, string>;
  /** Default "5,6", as Terraform sends it. */
  protocolVersions?: string;
  /** Leave out the magic cookie (a user running the binary by hand). */
  withoutCookie?: boolean;
  /** Terraform's client certificate; a fresh one by default. */
  clientCertificate?: ServerCertificate;
}

export interface ProviderProcess {
  child: ChildProcess;
  handshakeLine: string;
  handshake: ParsedHandshake;
  clientCertificate: ServerCertificate;
  /** Everything the provider wrote to stdout (must be the handshake only). */
  stdout(): string;
  stderr(): string;
  /** A client for a service, with the given client credentials (Terraform's by default). */
  client(service: keyof ServiceDefinitions, certificate?: ServerCertificate | 'none'): grpc.Client;
  /** Calls a unary RPC of tfplugin6.Provider (or another service). */
  call<T = Record<string, unknown>>(rpc: string, request?: unknown, service?: keyof ServiceDefinitions): Promise<T>;
  /** GRPCController.Shutdown, then waits (5 s at most) for the exit: how long it took and how it ended. */
  shutdown(): Promise<{ elapsedMs: number; exit: { code: number | null; signal: NodeJS.Signals | null } | 'still running' }>;
  /** SIGKILL when still running (test clean-up). */
  kill(): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let definitions: ServiceDefinitions | undefined;

export function serviceDefinitions(): ServiceDefinitions {
  definitions ??= loadServiceDefinitions();
  return definitions;
}

/** Starts the provider and waits for its handshake (go-plugin waits up to a minute; tests, 20 s). */
export async function startProvider(options: StartProviderOptions): Promise<ProviderProcess> {
  const clientCertificate = options.clientCertificate ?? generateServerCertificate();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PLUGIN_MIN_PORT: '10000',
    PLUGIN_MAX_PORT: '25000',
    PLUGIN_PROTOCOL_VERSIONS: options.protocolVersions ?? '5,6',
    PLUGIN_CLIENT_CERT: clientCertificate.certPem,
    ...options.env,
  };
  if (options.withoutCookie) delete env[MAGIC_COOKIE_KEY];
  else env[MAGIC_COOKIE_KEY] = MAGIC_COOKIE_VALUE;
  const child = spawn(options.command, options.args ?? [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const handshakeLine = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no handshake within 20 s; stderr: ${stderr}`)), 20_000);
    const onData = (): void => {
      const newline = stdout.indexOf('\n');
      if (newline >= 0) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve(stdout.slice(0, newline + 1));
      }
    };
    child.stdout.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`provider exited (${code ?? signal}) before its handshake; stderr: ${stderr}`));
    });
  });
  const handshake = parseHandshake(handshakeLine);
  const clients: grpc.Client[] = [];

  const makeClient = (service: keyof ServiceDefinitions, certificate: ServerCertificate | 'none' = clientCertificate): grpc.Client => {
    const Client = grpc.makeGenericClientConstructor(serviceDefinitions()[service], service);
    const root = handshake.serverCertPem === undefined ? undefined : Buffer.from(handshake.serverCertPem);
    const credentials =
      root === undefined
        ? grpc.credentials.createInsecure()
        : certificate === 'none'
          ? grpc.credentials.createSsl(root)
          : grpc.credentials.createSsl(root, Buffer.from(certificate.keyPem), Buffer.from(certificate.certPem));
    const target = handshake.network === 'unix' ? `unix://${handshake.address}` : handshake.address;
    const client = new Client(target, credentials, {
      'grpc.ssl_target_name_override': 'localhost',
      'grpc.default_authority': 'localhost',
      'grpc.max_receive_message_length': -1,
    });
    clients.push(client);
    return client;
  };

  const providerClient = makeClient('provider');
  const call = <T>(rpc: string, request: unknown = {}, service: keyof ServiceDefinitions = 'provider'): Promise<T> => {
    const client = service === 'provider' ? providerClient : makeClient(service);
    const method = (client as unknown as Record<string, (request: unknown, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response: T) => void) => void>)[rpc];
    if (method === undefined) throw new Error(`no RPC ${rpc} on ${service}`);
    return new Promise<T>((resolve, reject) => {
      method.call(client, request, { deadline: Date.now() + 60_000 }, (error, response) => (error ? reject(error) : resolve(response)));
    });
  };

  return {
    child,
    handshakeLine,
    handshake,
    clientCertificate,
    stdout: () => stdout,
    stderr: () => stderr,
    client: makeClient,
    call,
    exited,
    async shutdown() {
      const started = Date.now();
      await call('Shutdown', {}, 'controller').catch(() => undefined); // go-plugin ignores this error too.
      clients.forEach((client) => client.close());
      let timer: NodeJS.Timeout | undefined;
      const exit = await Promise.race([exited, new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), 5000)))]);
      clearTimeout(timer);
      return { elapsedMs: Date.now() - started, exit };
    },
    kill() {
      clients.forEach((client) => client.close());
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

export { toPem };
