import { spawn, type ChildProcess } from 'node:child_process';
import { join, relative, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Empty } from 'google-protobuf/google/protobuf/empty_pb';
import { Struct } from 'google-protobuf/google/protobuf/struct_pb';
import { EngineService, type IEngineServer } from '@pulumi/pulumi/proto/engine_grpc_pb';
import { ResourceProviderClient } from '@pulumi/pulumi/proto/provider_grpc_pb';
import * as pb from '@pulumi/pulumi/proto/provider_pb';
import { initFailureOf } from '../../bridges/pulumi/grpc-errors';
import { repoRoot } from '../../core/base/repo-root';

/**
 * The engine's side of the plugin protocol, for tests: starts
 * `bin/pulumi-resource-vers` the way the Pulumi engine does (its gRPC
 * address as the argument, PULUMI_CONFIG in the environment), reads the
 * port line, and drives RPCs with plain JavaScript values. A fake Engine
 * service receives the plugin's Log calls.
 */

export const SECRET_SIG_KEY = '4dabf18193072939515e22adb298388d';
export const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';
export const UNKNOWN_VALUE = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';

export type Props = Record<string, unknown>;

export interface EngineLogEntry {
  severity: number;
  message: string;
  urn: string;
}

export interface CheckOutcome {
  inputs: Props;
  failures: { property: string; reason: string }[];
}

export interface DiffOutcome {
  changes: 'unknown' | 'none' | 'some';
  replaces: string[];
  stables: string[];
  deleteBeforeReplace: boolean;
  diffs: string[];
  detailedDiff: Record<string, { kind: string; inputDiff: boolean }>;
}

export interface StartPluginOptions {
  /** Extra environment (PULUMI_CONFIG, VERS_*) for the plugin process. */
  env?: Record<string, string>;
  /** Start without a fake engine (no engine address argument). */
  withoutEngine?: boolean;
  /** Another provider executable and its leading arguments; default `bin/pulumi-resource-vers --logtostderr -v=9`. */
  command?: string[];
  /** Working directory (the engine uses the project directory). Default the repository root. */
  cwd?: string;
}

/** `secret(value)` in the engine's wire form. */
export function secret(value: unknown): Props {
  return { [SECRET_SIG_KEY]: SECRET_SIG, value };
}

export function isSecret(value: unknown): value is { value: unknown } {
  return typeof value === 'object' && value !== null && (value as Props)[SECRET_SIG_KEY] === SECRET_SIG;
}

/** The compiled tree these tests run from (dist/ or .build/<name>/), for VERS_BUILD_DIR. */
export function buildDirectory(): string {
  return relative(repoRoot(), resolve(__dirname, '..', '..'));
}

export function urnOf(type: string, name: string, stack = 'test', project = 'vers-tests'): string {
  return `urn:pulumi:${stack}::${project}::${type}::${name}`;
}

/** Called on every engine log entry (each harness's waiters check their own list). */
const logWaiters = new Set<() => void>();

export class PluginHarness {
  private constructor(
    private readonly child: ChildProcess,
    private readonly client: ResourceProviderClient,
    private readonly engine: grpc.Server | undefined,
    readonly port: number,
    /** What the plugin sent to the fake engine's Log RPC. */
    readonly logs: EngineLogEntry[],
    private readonly output: { stderr: string; stdoutAfterPort: string },
  ) {}

  /** Resolves with the first engine log entry (already sent or still to come) that `matches`. */
  waitForLog(matches: (entry: EngineLogEntry) => boolean, timeoutMs = 20_000): Promise<EngineLogEntry> {
    return new Promise((resolveEntry, reject) => {
      const check = (): void => {
        const found = this.logs.find(matches);
        if (found === undefined) return;
        cleanup();
        resolveEntry(found);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no matching engine log entry within ${timeoutMs} ms; got ${JSON.stringify(this.logs)}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        logWaiters.delete(check);
      };
      logWaiters.add(check);
      check();
    });
  }

  static async start(options: StartPluginOptions = {}): Promise<PluginHarness> {
    const logs: EngineLogEntry[] = [];
    let engine: grpc.Server | undefined;
    let engineAddress = '127.0.0.1:1';
    if (options.withoutEngine !== true) {
      engine = new grpc.Server();
      const implementation: Partial<IEngineServer> = {
        log: (call, callback) => {
          logs.push({ severity: call.request.getSeverity(), message: call.request.getMessage(), urn: call.request.getUrn() });
          for (const waiter of [...logWaiters]) waiter();
          callback(null, new Empty());
        },
      };
      engine.addService(EngineService, implementation as IEngineServer);
      const enginePort = await new Promise<number>((ok, fail) =>
        engine?.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => (error ? fail(error) : ok(port))),
      );
      engineAddress = `127.0.0.1:${enginePort}`;
    }
    const [executable, ...leading] = options.command ?? [join(repoRoot(), 'bin', 'pulumi-resource-vers'), '--logtostderr', '-v=9'];
    const child = spawn(executable as string, [...leading, engineAddress], {
      cwd: options.cwd ?? repoRoot(),
      env: { ...process.env, VERS_BUILD_DIR: buildDirectory(), ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = { stderr: '', stdoutAfterPort: '' };
    child.stderr?.on('data', (chunk: Buffer) => {
      output.stderr += chunk.toString('utf8');
    });
    const port = await new Promise<number>((ok, fail) => {
      let out = '';
      let portSeen = false;
      const timer = setTimeout(() => fail(new Error(`plugin printed no port within 20s; stderr: ${output.stderr}`)), 20_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        if (portSeen) {
          output.stdoutAfterPort += chunk.toString('utf8');
          return;
        }
        out += chunk.toString('utf8');
        const newline = out.indexOf('\n');
        if (newline < 0) return;
        portSeen = true;
        clearTimeout(timer);
        output.stdoutAfterPort += out.slice(newline + 1);
        const text = out.slice(0, newline).trim();
        if (!/^\d+$/.test(text)) fail(new Error(`first stdout line is not a port: ${JSON.stringify(text)}`));
        else ok(Number(text));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`plugin exited with ${code} before printing its port; stderr: ${output.stderr}`));
      });
    });
    const client = new ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    return new PluginHarness(child, client, engine, port, logs, output);
  }

  /** Everything the plugin wrote to stderr so far. */
  get stderr(): string {
    return this.output.stderr;
  }

  /** What the plugin wrote to stdout after the port line (the engine expects nothing). */
  get stdoutAfterPort(): string {
    return this.output.stdoutAfterPort;
  }

  /** Call one RPC by name with a protobuf request. */
  call<Res>(method: string, request: unknown): Promise<Res> {
    return new Promise<Res>((ok, fail) => {
      const fn = (this.client as unknown as Record<string, (req: unknown, cb: (error: grpc.ServiceError | null, res: Res) => void) => void>)[method];
      if (fn === undefined) throw new Error(`no RPC ${method}`);
      fn.call(this.client, request, (error, response) => (error ? fail(error) : ok(response)));
    });
  }

  async handshake(): Promise<pb.ProviderHandshakeResponse.AsObject> {
    const request = new pb.ProviderHandshakeRequest();
    request.setEngineAddress('127.0.0.1:1');
    return (await this.call<pb.ProviderHandshakeResponse>('handshake', request)).toObject();
  }

  async checkConfig(news: Props, olds: Props = {}): Promise<CheckOutcome> {
    const request = new pb.CheckRequest();
    request.setUrn(urnOf('pulumi:providers:vers', 'default'));
    request.setOlds(toStruct(olds));
    request.setNews(toStruct(news));
    return checkOutcome(await this.call<pb.CheckResponse>('checkConfig', request));
  }

  async diffConfig(olds: Props, news: Props): Promise<DiffOutcome> {
    const request = new pb.DiffRequest();
    request.setUrn(urnOf('pulumi:providers:vers', 'default'));
    request.setOlds(toStruct(olds));
    request.setNews(toStruct(news));
    return diffOutcome(await this.call<pb.DiffResponse>('diffConfig', request));
  }

  async configure(args: Props, variables: Record<string, string> = {}): Promise<pb.ConfigureResponse.AsObject> {
    const request = new pb.ConfigureRequest();
    request.setArgs(toStruct(args));
    for (const [key, value] of Object.entries(variables)) request.getVariablesMap().set(key, value);
    request.setAcceptsecrets(true);
    request.setAcceptresources(true);
    request.setSendsOldInputs(true);
    request.setSendsOldInputsToDelete(true);
    return (await this.call<pb.ConfigureResponse>('configure', request)).toObject();
  }

  async check(type: string, name: string, news: Props, olds: Props = {}): Promise<CheckOutcome> {
    const request = new pb.CheckRequest();
    identify(request, type, name);
    request.setOlds(toStruct(olds));
    request.setNews(toStruct(news));
    return checkOutcome(await this.call<pb.CheckResponse>('check', request));
  }

  async diff(type: string, name: string, id: string, olds: Props, news: Props, options: { oldInputs?: Props; ignoreChanges?: string[] } = {}): Promise<DiffOutcome> {
    const request = new pb.DiffRequest();
    request.setId(id);
    identify(request, type, name);
    request.setOlds(toStruct(olds));
    request.setNews(toStruct(news));
    request.setOldInputs(toStruct(options.oldInputs ?? {}));
    request.setIgnorechangesList(options.ignoreChanges ?? []);
    return diffOutcome(await this.call<pb.DiffResponse>('diff', request));
  }

  async create(type: string, name: string, properties: Props, options: { preview?: boolean; timeoutSeconds?: number } = {}): Promise<{ id: string; properties: Props }> {
    const request = new pb.CreateRequest();
    identify(request, type, name);
    request.setProperties(toStruct(properties));
    request.setPreview(options.preview === true);
    request.setTimeout(options.timeoutSeconds ?? 0);
    const response = await this.call<pb.CreateResponse>('create', request);
    return { id: response.getId(), properties: (response.getProperties()?.toJavaScript() ?? {}) as Props };
  }

  async read(type: string, name: string, id: string, properties: Props = {}, inputs: Props = {}): Promise<{ id: string; properties: Props; inputs: Props }> {
    const request = new pb.ReadRequest();
    request.setId(id);
    identify(request, type, name);
    request.setProperties(toStruct(properties));
    request.setInputs(toStruct(inputs));
    const response = await this.call<pb.ReadResponse>('read', request);
    return {
      id: response.getId(),
      properties: (response.getProperties()?.toJavaScript() ?? {}) as Props,
      inputs: (response.getInputs()?.toJavaScript() ?? {}) as Props,
    };
  }

  async update(type: string, name: string, id: string, olds: Props, news: Props, options: { preview?: boolean; oldInputs?: Props } = {}): Promise<Props> {
    const request = new pb.UpdateRequest();
    request.setId(id);
    identify(request, type, name);
    request.setOlds(toStruct(olds));
    request.setNews(toStruct(news));
    request.setOldInputs(toStruct(options.oldInputs ?? {}));
    request.setPreview(options.preview === true);
    const response = await this.call<pb.UpdateResponse>('update', request);
    return (response.getProperties()?.toJavaScript() ?? {}) as Props;
  }

  async delete(type: string, name: string, id: string, properties: Props, oldInputs: Props = {}): Promise<void> {
    const request = new pb.DeleteRequest();
    request.setId(id);
    identify(request, type, name);
    request.setProperties(toStruct(properties));
    request.setOldInputs(toStruct(oldInputs));
    await this.call<Empty>('delete', request);
  }

  async invoke(token: string, args: Props): Promise<{ result: Props; failures: { property: string; reason: string }[] }> {
    const request = new pb.InvokeRequest();
    request.setTok(token);
    request.setArgs(toStruct(args));
    const response = await this.call<pb.InvokeResponse>('invoke', request);
    return {
      result: (response.getReturn()?.toJavaScript() ?? {}) as Props,
      failures: response.getFailuresList().map((failure) => ({ property: failure.getProperty(), reason: failure.getReason() })),
    };
  }

  async cancel(): Promise<void> {
    await this.call<Empty>('cancel', new Empty());
  }

  /** Close the client, stop the plugin (SIGTERM, then SIGKILL) and the fake engine. */
  /** A crash: SIGKILL the plugin process and wait for its exit. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((done) => this.child.once('exit', () => done()));
      this.child.kill('SIGKILL');
      await exited;
    }
  }

  async close(): Promise<void> {
    this.client.close();
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((done) => this.child.once('exit', () => done()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (this.engine !== undefined) await new Promise<void>((done) => this.engine?.tryShutdown(() => done()));
  }
}

/** The resource a request is about, as the engine names it. */
function identify(request: { setUrn(urn: string): unknown; setType(type: string): unknown; setName(name: string): unknown }, type: string, name: string): void {
  request.setUrn(urnOf(type, name));
  request.setType(type);
  request.setName(name);
}

/** A partial failure's record (ErrorResourceInitFailed) from a failed call, if it carried one. */
export function partialFailureOf(error: unknown): { id: string; properties: Props; reasons: string[] } | undefined {
  return initFailureOf((error as grpc.ServiceError).metadata);
}

export function toStruct(value: Props): Struct {
  return Struct.fromJavaScript(value as Parameters<typeof Struct.fromJavaScript>[0]);
}

function checkOutcome(response: pb.CheckResponse): CheckOutcome {
  return {
    inputs: (response.getInputs()?.toJavaScript() ?? {}) as Props,
    failures: response.getFailuresList().map((failure) => ({ property: failure.getProperty(), reason: failure.getReason() })),
  };
}

const KIND_NAMES = ['add', 'add-replace', 'delete', 'delete-replace', 'update', 'update-replace'];
const CHANGES = ['unknown', 'none', 'some'] as const;

function diffOutcome(response: pb.DiffResponse): DiffOutcome {
  const detailedDiff: DiffOutcome['detailedDiff'] = {};
  response.getDetaileddiffMap().forEach((entry, key) => {
    detailedDiff[key] = { kind: KIND_NAMES[entry.getKind()] ?? String(entry.getKind()), inputDiff: entry.getInputdiff() };
  });
  return {
    changes: CHANGES[response.getChanges()] ?? 'unknown',
    replaces: response.getReplacesList(),
    stables: response.getStablesList(),
    deleteBeforeReplace: response.getDeletebeforereplace(),
    diffs: response.getDiffsList(),
    detailedDiff,
  };
}
