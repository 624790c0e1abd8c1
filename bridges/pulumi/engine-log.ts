import type { Client } from '@grpc/grpc-js';
import type { LogLevel, Logger } from '../../core/base/logging';

/**
 * Progress and diagnostics to the Pulumi engine's `Engine.Log` RPC, tagged
 * with the resource URN so `pulumi up` shows them on the resource's row.
 * Without an engine address (or when the engine cannot be reached) lines go
 * to stderr, which the engine also collects; never to stdout, whose first
 * line is the port. Every message passes through `redact` first.
 */
export interface EngineLogOptions {
  /** `host:port` of the engine's gRPC service (the plugin's first argument); none → stderr only. */
  engineAddress?: string;
  /** Removes secrets from text before it leaves the process. */
  redact: (text: string) => string;
}

const SEVERITY: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export class EngineLog {
  private engineAddress: string | undefined;
  private readonly redact: (text: string) => string;
  private client: (Client & { log: (request: unknown, callback: (error: Error | null) => void) => unknown }) | undefined;

  constructor(options: EngineLogOptions) {
    this.engineAddress = options.engineAddress;
    this.redact = options.redact;
  }

  /** The engine address given later by `Attach` (a provider started for debugging). */
  attach(engineAddress: string): void {
    this.close();
    this.engineAddress = engineAddress;
  }

  /** A core `Logger` whose lines carry this URN. */
  forResource(urn: string): Logger {
    return { log: (level, message) => this.log(level, message, urn) };
  }

  log(level: LogLevel, message: string, urn = ''): void {
    const text = this.redact(message);
    const client = this.engineClient();
    if (client === undefined) {
      this.toStderr(level, text, urn);
      return;
    }
    const { LogRequest } = require('@pulumi/pulumi/proto/engine_pb') as typeof import('@pulumi/pulumi/proto/engine_pb');
    const request = new LogRequest();
    request.setSeverity(SEVERITY[level]);
    request.setMessage(text);
    request.setUrn(urn);
    client.log(request, (error) => {
      if (error !== null) this.toStderr(level, text, urn);
    });
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }

  private engineClient(): EngineLog['client'] {
    if (this.engineAddress === undefined || this.engineAddress === '') return undefined;
    if (this.client === undefined) {
      // Loaded on first use: start-up stays cheap when nothing is logged.
      const grpc = require('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
      const { EngineClient } = require('@pulumi/pulumi/proto/engine_grpc_pb') as typeof import('@pulumi/pulumi/proto/engine_grpc_pb');
      this.client = new EngineClient(this.engineAddress, grpc.credentials.createInsecure()) as unknown as EngineLog['client'];
    }
    return this.client;
  }

  private toStderr(level: LogLevel, text: string, urn: string): void {
    const where = urn === '' ? '' : ` ${urn}`;
    process.stderr.write(`[vers ${level}]${where} ${text}\n`);
  }
}
