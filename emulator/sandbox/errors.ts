/**
 * Errors raised by vers-local's sandboxes, the SSH gateway and its TLS
 * material. Every error has a stable SCREAMING_SNAKE `code` that the HTTP
 * layer maps to a status; messages never contain key material.
 */

export type SandboxErrorCode =
  /** A driver, gateway or TLS option is unknown or has the wrong type. */
  | 'INVALID_OPTIONS'
  /** A SandboxSpec field is malformed (id, layer path, size, key). */
  | 'INVALID_SPEC'
  /** An exec request is malformed (empty argv, bad env name). */
  | 'INVALID_REQUEST'
  /** A file path is not absolute or contains a NUL byte. */
  | 'INVALID_PATH'
  /** The VM's namespaces, mounts or init did not come up. */
  | 'SANDBOX_START_FAILED'
  /** The sandbox was destroyed or its init died; nothing runs any more. */
  | 'SANDBOX_NOT_RUNNING'
  /** The VM is paused (frozen); exec and file operations are refused. */
  | 'VM_PAUSED'
  /** readFile of a path that does not exist inside the VM. */
  | 'FILE_NOT_FOUND'
  /** readFile or writeFile of a path that is a directory. */
  | 'NOT_A_FILE'
  /** writeFile into a directory that does not exist and createDirs was false. */
  | 'PARENT_NOT_FOUND'
  /** The VM's disk (its writable layer) is full. */
  | 'DISK_FULL'
  /** Any other failure of readFile or writeFile inside the VM. */
  | 'FILE_OPERATION_FAILED'
  /** The command could not be started inside the VM. */
  | 'EXEC_FAILED'
  /** Copying the writable layer failed, or the destination already exists. */
  | 'SNAPSHOT_FAILED'
  /** Growing the writable layer failed. */
  | 'RESIZE_FAILED'
  /** Creating, freezing, thawing or removing a cgroup failed. */
  | 'CGROUP_FAILED'
  /** Tearing a sandbox down left something behind (named in the message). */
  | 'DESTROY_FAILED'
  /** The sshd of a new SSH session could not be started. */
  | 'SSH_SESSION_FAILED'
  /** The CA or the server certificate could not be made or read. */
  | 'TLS_SETUP_FAILED'
  /** The SSH gateway could not listen on its address. */
  | 'GATEWAY_LISTEN_FAILED';

export interface SandboxErrorContext {
  /** The VM concerned, when there is one. */
  vmId?: string;
  /** What was being done, e.g. `create`, `snapshot`, `writeFile`. */
  operation?: string;
  cause?: unknown;
}

/** Base of every sandbox, gateway and TLS error. */
export class SandboxError extends Error {
  readonly code: SandboxErrorCode;
  readonly vmId: string | undefined;
  readonly operation: string | undefined;

  constructor(code: SandboxErrorCode, message: string, context: SandboxErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.name = new.target.name;
    this.code = code;
    this.vmId = context.vmId;
    this.operation = context.operation;
  }
}

/** Thrown when driver, gateway or TLS options, a spec or a request are invalid; `option` names the offending field. */
export class SandboxValidationError extends SandboxError {
  readonly option: string;

  constructor(code: 'INVALID_OPTIONS' | 'INVALID_SPEC' | 'INVALID_REQUEST' | 'INVALID_PATH', option: string, message: string, context: SandboxErrorContext = {}) {
    super(code, message, context);
    this.option = option;
  }
}

/** Thrown when an operation needs a running, unpaused sandbox and this one is not. */
export class SandboxStateError extends SandboxError {
  constructor(code: 'SANDBOX_NOT_RUNNING' | 'VM_PAUSED', vmId: string, operation: string) {
    const why = code === 'VM_PAUSED' ? `VM ${vmId} is paused` : `VM ${vmId} is not running (destroyed or its init exited)`;
    super(code, `cannot ${operation}: ${why}`, { vmId, operation });
  }
}

/** Thrown by readFile/writeFile for a problem with the path inside the VM; `path` is the VM path. */
export class SandboxFileError extends SandboxError {
  readonly path: string;

  constructor(
    code: 'FILE_NOT_FOUND' | 'NOT_A_FILE' | 'PARENT_NOT_FOUND' | 'DISK_FULL' | 'FILE_OPERATION_FAILED',
    path: string,
    message: string,
    context: SandboxErrorContext = {},
  ) {
    super(code, message, context);
    this.path = path;
  }
}

/** Thrown when a host command the sandbox relies on fails; the message carries the command's stderr tail. */
export class SandboxHostError extends SandboxError {}
