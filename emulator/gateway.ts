import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer, type TLSSocket } from 'node:tls';
import { SandboxError, SandboxValidationError } from './sandbox/errors';
import type { Sandbox } from './sandbox/types';

/** Options of startSshGateway; unknown keys and wrong types are rejected (SandboxValidationError, INVALID_OPTIONS). */
export interface SshGatewayOptions {
  /** The TLS identity presented to every client, e.g. from ensureTlsMaterial(). Required. */
  tls: { certPem: string; keyPem: string };
  /** Finds the VM a connection is for. Resolve undefined to refuse it (unknown, deleted, or paused and refused); it may also take its time (a slow sshd start). Required. */
  resolveSandbox: (vmId: string) => Promise<Sandbox | undefined>;
  /** DNS domain of VM hostnames: the SNI must be `<vm uuid>.vm.<domain>`. Default "vers.sh". */
  domain?: string;
  /** Address to listen on. Default "127.0.0.1". */
  host?: string;
  /** TCP port; 0 picks a free one. Default 0. */
  port?: number;
  /** A client must finish the TLS handshake within this many ms. Default 10000. */
  handshakeTimeoutMs?: number;
  /** Receives one line per connection event. Default: discarded. */
  logger?: (line: string) => void;
}

/** Connection counters since the gateway started. */
export interface SshGatewayStats {
  /** TCP connections accepted. */
  total: number;
  /** Connections open now (handshaking, resolving or piping). */
  active: number;
  /** Connections that ended in failure: TLS error, bad SNI, unknown VM, sshd failure. */
  errors: number;
}

/** A running SSH-over-TLS gateway. */
export interface SshGateway {
  readonly host: string;
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  readonly domain: string;
  stats(): SshGatewayStats;
  /** Stop listening and end every session. Idempotent. */
  close(): Promise<void>;
}

const KNOWN_KEYS: readonly (keyof SshGatewayOptions)[] = ['tls', 'resolveSandbox', 'domain', 'host', 'port', 'handshakeTimeoutMs', 'logger'];
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

function invalid(option: string, message: string): SandboxValidationError {
  return new SandboxValidationError('INVALID_OPTIONS', option, `SSH gateway option ${option}: ${message}`);
}

interface ResolvedGatewayOptions {
  tls: { certPem: string; keyPem: string };
  resolveSandbox: (vmId: string) => Promise<Sandbox | undefined>;
  domain: string;
  host: string;
  port: number;
  handshakeTimeoutMs: number;
  logger: (line: string) => void;
}

function resolveOptions(options: unknown): ResolvedGatewayOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw invalid('options', 'must be an object with tls and resolveSandbox');
  const raw = options as Record<string, unknown>;
  for (const key of Object.keys(raw)) if (!(KNOWN_KEYS as readonly string[]).includes(key)) throw invalid(key, `unknown option (known: ${KNOWN_KEYS.join(', ')})`);
  const tls = raw.tls as Record<string, unknown> | undefined;
  if (typeof tls !== 'object' || tls === null || typeof tls.certPem !== 'string' || typeof tls.keyPem !== 'string') {
    throw invalid('tls', 'must be { certPem: string, keyPem: string }');
  }
  if (typeof raw.resolveSandbox !== 'function') throw invalid('resolveSandbox', 'must be a function (vmId) => Promise<Sandbox | undefined>');
  const domain = raw.domain ?? 'vers.sh';
  if (typeof domain !== 'string' || !/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(domain)) throw invalid('domain', `must be a lowercase DNS name, got ${JSON.stringify(domain)}`);
  const host = raw.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '') throw invalid('host', 'must be an address to listen on');
  const port = raw.port ?? 0;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) throw invalid('port', 'must be an integer from 0 to 65535');
  const handshakeTimeoutMs = raw.handshakeTimeoutMs ?? 10000;
  if (typeof handshakeTimeoutMs !== 'number' || !Number.isInteger(handshakeTimeoutMs) || handshakeTimeoutMs < 100) throw invalid('handshakeTimeoutMs', 'must be an integer ≥ 100');
  if (raw.logger !== undefined && typeof raw.logger !== 'function') throw invalid('logger', 'must be a function (line: string) => void');
  return {
    tls: { certPem: tls.certPem, keyPem: tls.keyPem },
    resolveSandbox: raw.resolveSandbox as ResolvedGatewayOptions['resolveSandbox'],
    domain,
    host,
    port,
    handshakeTimeoutMs,
    logger: (raw.logger as ((line: string) => void) | undefined) ?? (() => undefined),
  };
}

/**
 * Start the SSH-over-TLS gateway, as Vers's proxy does on port 443: TLS with
 * the `*.vm.<domain>` certificate, the VM chosen by SNI `<uuid>.vm.<domain>`,
 * then the raw SSH bytes piped to a fresh sshd inside that VM. Works with the
 * official recipe `ssh -o ProxyCommand="openssl s_client -quiet -connect
 * 127.0.0.1:PORT -servername %h" root@<uuid>.vm.<domain>`.
 */
export async function startSshGateway(options: SshGatewayOptions): Promise<SshGateway> {
  const config = resolveOptions(options);
  const { logger } = config;
  const sniPattern = new RegExp(`^(${UUID})\\.vm\\.${config.domain.replace(/\./g, '\\.')}$`);
  const counters: SshGatewayStats = { total: 0, active: 0, errors: 0 };
  const sockets = new Set<Socket>();
  const sessions = new Set<Duplex>();
  const failed = new WeakSet<Socket>();
  let closing: Promise<void> | undefined;
  /** Resolvers waiting for the last connection to emit 'close' (the server's own close callback can come first). */
  const drained: Array<() => void> = [];

  const fail = (socket: Socket, why: string): void => {
    if (!failed.has(socket)) {
      failed.add(socket);
      counters.errors += 1;
    }
    logger(`gateway: ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'} closed: ${why}`);
    socket.destroy();
  };

  const server = createServer({ cert: config.tls.certPem, key: config.tls.keyPem, minVersion: 'TLSv1.2', handshakeTimeout: config.handshakeTimeoutMs });

  server.on('connection', (socket: Socket) => {
    counters.total += 1;
    counters.active += 1;
    sockets.add(socket);
    socket.once('close', () => {
      counters.active -= 1;
      sockets.delete(socket);
      if (sockets.size === 0) for (const notify of drained.splice(0)) notify();
    });
  });

  server.on('tlsClientError', (error, socket) => fail(socket, `TLS handshake failed: ${error.message}`));

  server.on('secureConnection', (socket: TLSSocket) => {
    void pipeToVm(socket);
  });

  async function pipeToVm(socket: TLSSocket): Promise<void> {
    // Node sets `servername` on server-side TLS sockets from the ClientHello; its typings omit it.
    const servername = (socket as TLSSocket & { servername?: string | false }).servername;
    const sni = typeof servername === 'string' ? servername.toLowerCase() : '';
    const vmId = sniPattern.exec(sni)?.[1];
    if (vmId === undefined) return fail(socket, `SNI ${JSON.stringify(sni)} is not <vm id>.vm.${config.domain}`);
    let sandbox: Sandbox | undefined;
    try {
      sandbox = await config.resolveSandbox(vmId);
    } catch (error) {
      return fail(socket, `looking up VM ${vmId} failed: ${(error as Error).message}`);
    }
    if (sandbox === undefined) return fail(socket, `VM ${vmId} is unknown, deleted or refusing connections`);
    if (socket.destroyed || closing !== undefined) return fail(socket, 'closed while the VM was looked up');
    let session: Duplex;
    try {
      session = await sandbox.openSshSession();
    } catch (error) {
      return fail(socket, `cannot start sshd in VM ${vmId}: ${(error as Error).message}`);
    }
    if (socket.destroyed || closing !== undefined) {
      session.destroy();
      return fail(socket, 'closed while sshd started');
    }
    sessions.add(session);
    logger(`gateway: ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'} connected to VM ${vmId}`);
    socket.pipe(session);
    session.pipe(socket);
    session.on('error', (error) => {
      // Destroying the session (client gone, gateway closing) aborts its streams: that is no failure.
      if (closing !== undefined || socket.destroyed || error.name === 'AbortError') return;
      fail(socket, `sshd stream of VM ${vmId} failed: ${error.message}`);
    });
    session.on('close', () => {
      sessions.delete(session);
      socket.end();
    });
    socket.on('error', (error) => logger(`gateway: connection to VM ${vmId}: ${error.message}`));
    socket.on('close', () => session.destroy());
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new SandboxError('GATEWAY_LISTEN_FAILED', `SSH gateway cannot listen on ${config.host}:${config.port}: ${error.message}`, { cause: error })));
    server.listen(config.port, config.host, () => resolve());
  });
  server.on('error', (error) => logger(`gateway: server error: ${error.message}`));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  logger(`gateway: listening on ${config.host}:${port} for *.vm.${config.domain}`);

  return {
    host: config.host,
    port,
    domain: config.domain,
    stats: () => ({ ...counters }),
    close: () => {
      if (closing === undefined) {
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        const connectionsClosed = new Promise<void>((resolve) => {
          if (sockets.size === 0) resolve();
          else drained.push(resolve);
        });
        for (const session of sessions) session.destroy();
        for (const socket of sockets) socket.destroy();
        closing = Promise.all([serverClosed, connectionsClosed]).then(() => undefined);
      }
      return closing;
    },
  };
}
