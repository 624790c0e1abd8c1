/**
 * Entry point of `pulumi-resource-vers`, the Vers resource plugin the
 * Pulumi engine starts as `pulumi-resource-vers [--logtostderr] [-v=N]
 * [--tracing <endpoint>] <engine-address>`. It serves the ResourceProvider
 * gRPC service and prints its port as the only first line of stdout; after
 * that, stdout stays silent (logs go to the engine or stderr).
 */

export interface PluginArguments {
  /** Engine gRPC address, for Log calls. */
  engineAddress?: string;
}

/** The engine's flags are accepted and ignored; the first other argument is the engine address. */
export function parsePluginArguments(argv: readonly string[]): PluginArguments {
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--logtostderr' || arg.startsWith('-v=') || arg.startsWith('--tracing=') || arg.startsWith('--logflow')) continue;
    if (arg === '--tracing') {
      i++;
      continue;
    }
    rest.push(arg);
  }
  return rest[0] === undefined ? {} : { engineAddress: rest[0] };
}

/** Serve until SIGTERM/SIGINT; bin/pulumi-resource-vers calls this. */
export async function main(): Promise<void> {
  process.on('uncaughtException', (error) => {
    process.stderr.write(`pulumi-resource-vers: uncaught error: ${error.stack ?? error.message}\n`);
    process.exitCode = 1;
  });
  // Loaded after the handlers are installed, so a broken install reports itself on stderr.
  const { startProviderServer } = require('./server') as typeof import('./server');
  const server = await startProviderServer(parsePluginArguments(process.argv.slice(2)));
  // The engine reads this line byte by byte to find the port.
  process.stdout.write(`${server.port}\n`);
  // Message classes and the core load now, while the engine connects (or with its first call).
  setImmediate(() => {
    try {
      server.load();
    } catch (error) {
      process.stderr.write(`pulumi-resource-vers: cannot load the provider: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
  });
  const stop = (): void => {
    void server.shutdown().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** Started directly (`node main.js`) or by bin/pulumi-resource-vers. */
export function runMain(): void {
  main().catch((error: unknown) => {
    process.stderr.write(`pulumi-resource-vers: cannot start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}

if (require.main === module) runMain();
