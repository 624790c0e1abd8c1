import { isAbsolute, normalize } from 'node:path';
import { SandboxValidationError } from './errors';
import type { SandboxDriverOptions } from './types';

/** SandboxDriverOptions with every default applied. */
export interface ResolvedSandboxDriverOptions {
  stateDir: string;
  cgroupPrefix: string;
  logger: (line: string) => void;
  startTimeoutMs: number;
}

const SYSTEM_DIRS = ['/bin', '/boot', '/dev', '/etc', '/home', '/lib', '/lib64', '/opt', '/proc', '/root', '/run', '/sbin', '/sys', '/tmp', '/usr', '/var'];

const KNOWN_KEYS: readonly (keyof SandboxDriverOptions)[] = ['stateDir', 'cgroupPrefix', 'logger', 'startTimeoutMs'];

function invalid(option: string, message: string): SandboxValidationError {
  return new SandboxValidationError('INVALID_OPTIONS', option, `sandbox driver option ${option}: ${message}`);
}

/** Check createSandboxDriver's options at runtime and fill in the defaults documented on SandboxDriverOptions. */
export function resolveSandboxDriverOptions(options: unknown): ResolvedSandboxDriverOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalid('options', 'must be an object with at least stateDir');
  }
  const raw = options as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!(KNOWN_KEYS as readonly string[]).includes(key)) throw invalid(key, `unknown option (known: ${KNOWN_KEYS.join(', ')})`);
  }
  const { stateDir, cgroupPrefix, logger, startTimeoutMs } = raw;
  if (typeof stateDir !== 'string' || !isAbsolute(stateDir)) throw invalid('stateDir', 'must be an absolute path');
  const normalizedStateDir = normalize(stateDir).replace(/\/+$/, '');
  if (normalizedStateDir === '' || SYSTEM_DIRS.includes(normalizedStateDir)) {
    // Root VMs see the host's files but not the state dir, which is hidden from them: hiding a system directory would break them.
    throw invalid('stateDir', `must be a dedicated directory, not / or a system directory (${SYSTEM_DIRS.join(', ')})`);
  }
  // The state dir appears in overlay mount options and shell arguments: keep it to characters those take literally.
  if (/[:,\\\n\0]/.test(normalizedStateDir)) throw invalid('stateDir', 'must not contain ":", ",", "\\", newlines or NUL');
  if (cgroupPrefix !== undefined && (typeof cgroupPrefix !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(cgroupPrefix))) {
    throw invalid('cgroupPrefix', 'must be 1-64 characters of letters, digits, "_", "." and "-", starting with a letter or digit');
  }
  if (logger !== undefined && typeof logger !== 'function') throw invalid('logger', 'must be a function (line: string) => void');
  if (startTimeoutMs !== undefined && (typeof startTimeoutMs !== 'number' || !Number.isInteger(startTimeoutMs) || startTimeoutMs < 100 || startTimeoutMs > 600000)) {
    throw invalid('startTimeoutMs', 'must be an integer from 100 to 600000');
  }
  return {
    stateDir: normalizedStateDir,
    cgroupPrefix: (cgroupPrefix as string | undefined) ?? `vers-local-${process.pid}`,
    logger: (logger as ((line: string) => void) | undefined) ?? (() => undefined),
    startTimeoutMs: (startTimeoutMs as number | undefined) ?? 15000,
  };
}
