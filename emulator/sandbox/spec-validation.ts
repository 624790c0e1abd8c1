import { statSync } from 'node:fs';
import { isAbsolute, normalize } from 'node:path';
import { SandboxValidationError } from './errors';
import type { ExecRequest, SandboxSpec } from './types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Largest disk or memory size accepted, in MiB (1 TiB): a tmpfs or cgroup limit beyond it is a typo. */
const MAX_SIZE_MIB = 1024 * 1024;

function invalidSpec(vmId: string | undefined, field: string, message: string): SandboxValidationError {
  return new SandboxValidationError('INVALID_SPEC', field, `sandbox spec ${field}: ${message}`, { vmId, operation: 'create' });
}

/** Check a SandboxSpec before anything is started; returns the layer paths normalised. */
export function validateSpec(spec: SandboxSpec): string[] {
  const vmId = typeof spec.vmId === 'string' ? spec.vmId : undefined;
  if (vmId === undefined || !UUID.test(vmId)) throw invalidSpec(undefined, 'vmId', 'must be a lowercase UUID');
  for (const field of ['fsSizeMib', 'memSizeMib', 'vcpuCount'] as const) {
    const value = spec[field];
    const max = field === 'vcpuCount' ? 1024 : MAX_SIZE_MIB;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
      throw invalidSpec(vmId, field, `must be an integer from 1 to ${max}`);
    }
  }
  if (typeof spec.authorizedKey !== 'string' || !/^ssh-[a-z0-9-]+ [A-Za-z0-9+/=]+( [^\n]*)?$/.test(spec.authorizedKey.trim())) {
    throw invalidSpec(vmId, 'authorizedKey', 'must be one OpenSSH public key line ("ssh-ed25519 AAAA…")');
  }
  const hostKey = spec.hostKeyOpenSsh;
  if (typeof hostKey !== 'string' || !hostKey.trimStart().startsWith('-----BEGIN OPENSSH PRIVATE KEY-----') || /\nEND\n/.test(hostKey)) {
    // The key's text is never echoed: it is a secret.
    throw invalidSpec(vmId, 'hostKeyOpenSsh', 'must be an OpenSSH private key (-----BEGIN OPENSSH PRIVATE KEY-----)');
  }
  if (!Array.isArray(spec.layers)) throw invalidSpec(vmId, 'layers', 'must be an array of directories');
  return spec.layers.map((layer, index) => {
    const field = `layers[${index}]`;
    if (typeof layer !== 'string' || !isAbsolute(layer)) throw invalidSpec(vmId, field, 'must be an absolute path');
    // Overlay mount options separate layers with ":" and options with ","; shell arguments stay literal otherwise.
    if (/[:,\\\n\0]/.test(layer)) throw invalidSpec(vmId, field, `${layer} must not contain ":", ",", "\\" or newlines`);
    let isDirectory = false;
    try {
      isDirectory = statSync(layer).isDirectory();
    } catch {
      isDirectory = false;
    }
    if (!isDirectory) throw invalidSpec(vmId, field, `${layer} is not a directory`);
    return normalize(layer).replace(/\/+$/, '');
  });
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Check an ExecRequest; the message names the bad field. */
export function validateExecRequest(vmId: string, req: ExecRequest): void {
  const bad = (field: string, message: string): SandboxValidationError =>
    new SandboxValidationError('INVALID_REQUEST', field, `exec ${field}: ${message}`, { vmId, operation: 'exec' });
  if (!Array.isArray(req.command) || req.command.length === 0 || req.command.some((arg) => typeof arg !== 'string' || arg.includes('\0'))) {
    throw bad('command', 'must be a non-empty array of strings without NUL bytes');
  }
  if (req.command[0] === '') throw bad('command', 'the program name must not be empty');
  if (req.env !== undefined) {
    for (const [name, value] of Object.entries(req.env)) {
      if (!ENV_NAME.test(name)) throw bad('env', `${JSON.stringify(name)} is not a valid variable name`);
      if (typeof value !== 'string' || value.includes('\0')) throw bad('env', `value of ${name} must be a string without NUL bytes`);
    }
  }
  if (req.workingDir !== undefined && (typeof req.workingDir !== 'string' || req.workingDir === '' || req.workingDir.includes('\0'))) {
    throw bad('workingDir', 'must be a non-empty path without NUL bytes');
  }
  if (req.stdin !== undefined && !Buffer.isBuffer(req.stdin)) throw bad('stdin', 'must be a Buffer');
  if (req.timeoutSecs !== undefined && (typeof req.timeoutSecs !== 'number' || !Number.isFinite(req.timeoutSecs) || req.timeoutSecs < 0)) {
    throw bad('timeoutSecs', 'must be a number ≥ 0');
  }
}

/** Check a path given to readFile or writeFile: absolute, no NUL. */
export function validateVmPath(vmId: string, operation: string, path: string): void {
  if (typeof path !== 'string' || !path.startsWith('/') || path.includes('\0')) {
    throw new SandboxValidationError('INVALID_PATH', 'path', `${operation}: path must be absolute and free of NUL bytes, got ${JSON.stringify(path)}`, { vmId, operation });
  }
}

export { UUID as VM_ID_PATTERN };
