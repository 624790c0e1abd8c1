import { checkHostRequirements } from './host-requirements';
import { OptionsError } from './option-errors';
import { HelpRequested, parseOptions, usage } from './options';
import { startVersLocal, type VersLocal } from './server';

/**
 * `bin/vers-local`: check the host, start, print the ready line on stdout,
 * log to stderr, and stop cleanly on SIGTERM/SIGINT.
 */

// Whoever started us may be gone (a killed test run, a closed terminal): a write to its pipe
// then fails with EPIPE, which must not crash the shutdown that removes every VM.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

function log(line: string): void {
  process.stderr.write(`[vers-local ${new Date().toISOString()}] ${line}\n`);
}

async function main(): Promise<number> {
  let options;
  try {
    options = parseOptions(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof HelpRequested) {
      process.stdout.write(`${usage()}\n`);
      return 0;
    }
    if (error instanceof OptionsError) {
      process.stderr.write(`vers-local: ${error.message}\n`);
      return 2;
    }
    throw error;
  }

  const missing = await checkHostRequirements();
  if (missing.length > 0) {
    process.stderr.write(`vers-local cannot start on this host; missing:\n${missing.map((m) => `  - ${m}`).join('\n')}\n`);
    return 1;
  }

  let local: VersLocal | undefined;
  let stopRequested = false;
  let finish: (code: number) => void = () => undefined;
  const stopped = new Promise<number>((resolveStopped) => (finish = resolveStopped));
  const close = (started: VersLocal): void => {
    started.close().then(
      () => finish(0),
      (error: unknown) => {
        log(`stopping failed: ${error instanceof Error ? error.message : String(error)}`);
        finish(1);
      },
    );
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopRequested) {
        log(`${signal} again: still stopping`);
        return;
      }
      stopRequested = true;
      log(`${signal}: stopping, removing every VM`);
      // A signal during start is handled once start has finished.
      if (local !== undefined) close(local);
    });
  }

  try {
    local = await startVersLocal(options, log);
  } catch (error) {
    log(`failed to start: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  if (stopRequested) {
    close(local);
    return stopped;
  }
  process.stdout.write(`${JSON.stringify(local.ready)}\n`);
  log('ready');
  return stopped;
}

main().then(
  (code) => {
    process.exitCode = code;
    // Let stdout/stderr flush, then leave even if a stray handle remains.
    setTimeout(() => process.exit(code), 50).unref();
  },
  (error: unknown) => {
    log(`fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
