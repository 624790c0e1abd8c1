import type { PropertyBag } from './json';

/**
 * The one error hierarchy of the core. Callers branch on the class or on the
 * stable `code`, never on message text. Messages say what failed, with which
 * input, and what to do next; they never contain secrets (API keys, private
 * keys, URL credentials).
 */

/** Where an error happened, for messages and for engines that show context. */
export interface ErrorContext {
  /** The resource type token or id the operation worked on, e.g. `vers:index:Vm` or a VM id. */
  resource?: string;
  /** What was being done, e.g. `createRootVm`, `ssh connect`, `provision`. */
  operation?: string;
  /** The `x-request-id` of the API call involved, for support requests. */
  requestId?: string;
}

export interface ProviderErrorOptions extends ErrorContext {
  cause?: unknown;
}

/** Base of every error the core throws on purpose. */
export class ProviderError extends Error {
  /** Stable machine-readable code (SCREAMING_SNAKE); one per class unless documented. */
  readonly code: string;
  readonly resource?: string;
  readonly operation?: string;
  readonly requestId?: string;

  constructor(code: string, message: string, options: ProviderErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    if (options.resource !== undefined) this.resource = options.resource;
    if (options.operation !== undefined) this.operation = options.operation;
    if (options.requestId !== undefined) this.requestId = options.requestId;
  }
}

/** Thrown when the provider configuration (arguments or VERS_* environment) is missing or malformed. */
export class ConfigError extends ProviderError {
  /** The configuration key in snake_case, as users write it (`base_url`, `api_key`). */
  readonly option: string;

  constructor(option: string, message: string, options: ProviderErrorOptions = {}) {
    super('CONFIG_INVALID', message, options);
    this.option = option;
  }
}

/** Thrown when an input value (resource property, option object) breaks a rule, before anything is called. */
export class ValidationError extends ProviderError {
  /** Property path, e.g. `files[1].mode` or `retry.limit`. */
  readonly property: string;
  /** The rule broken, written for the user, e.g. `must be an absolute path`. */
  readonly rule: string;

  constructor(property: string, rule: string, options: ProviderErrorOptions = {}) {
    super('VALIDATION_FAILED', `${property} ${rule}`, options);
    this.property = property;
    this.rule = rule;
  }
}

export interface ApiErrorDetails extends ProviderErrorOptions {
  /** HTTP method, upper case. */
  method: string;
  /** Request path without query string or credentials, e.g. `/api/v1/vm/…/status`. */
  path: string;
  status: number;
  /** The server's message: `error` of a JSON body, or the plain-text body (trimmed, bounded). */
  serverMessage: string;
  /** VM ids a failed branch call created before failing (`{"vms":[…],"error"}` bodies). */
  partialVmIds?: readonly string[];
}

/** Thrown when the Vers API answers with an error status that no more specific class covers. */
export class ApiError extends ProviderError {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly serverMessage: string;
  readonly partialVmIds: readonly string[];

  constructor(details: ApiErrorDetails, code = 'API_ERROR', hint?: string) {
    super(code, apiErrorMessage(details, hint), details);
    this.method = details.method;
    this.path = details.path;
    this.status = details.status;
    this.serverMessage = details.serverMessage;
    this.partialVmIds = details.partialVmIds ?? [];
  }
}

/** Thrown on 401, or on the gateway's plain-text `403 Forbidden`: the API key was refused. */
export class AuthError extends ApiError {
  constructor(details: ApiErrorDetails) {
    super(details, 'AUTH_FAILED', 'the API key was rejected; check VERS_API_KEY (or the provider api_key) and that the key is still valid');
  }
}

/** Thrown on 404: the VM or commit does not exist (any more). */
export class NotFoundError extends ApiError {
  constructor(details: ApiErrorDetails, hint?: string) {
    super(details, 'NOT_FOUND', hint);
  }
}

/** Thrown on 409: the resource is in a state that forbids the operation (sleeping VM, commit with live VMs). */
export class ConflictError extends ApiError {
  constructor(details: ApiErrorDetails, hint?: string) {
    super(details, 'CONFLICT', hint);
  }
}

/** Thrown on the 403 organisation quota messages (vCPU or memory limit exceeded). */
export class QuotaError extends ApiError {
  constructor(details: ApiErrorDetails) {
    super(details, 'QUOTA_EXCEEDED', 'delete or shrink other VMs of the organisation, or ask Vers to raise the limit');
  }
}

/** Thrown when the Vers API cannot be reached (refused, reset, DNS) after the retries allowed. */
export class NetworkError extends ProviderError {
  constructor(message: string, options: ProviderErrorOptions = {}) {
    super('NETWORK_ERROR', message, options);
  }
}

/** Thrown when a phase (HTTP request, boot, SSH connect, command, provisioning) runs past its limit. */
export class TimeoutError extends ProviderError {
  /** `request`, `boot`, `ssh-connect`, `command`, `provisioning`, … */
  readonly phase: string;
  readonly limitMs: number;
  /** For an API call that ran out of time: how many attempts it made. */
  readonly attempts?: number;

  constructor(phase: string, limitMs: number, message: string, options: ProviderErrorOptions & { attempts?: number } = {}) {
    super('TIMEOUT', `${message} (${phase} limit ${formatDuration(limitMs)})`, options);
    this.phase = phase;
    this.limitMs = limitMs;
    if (options.attempts !== undefined) this.attempts = options.attempts;
  }
}

/**
 * Thrown when the answer to a create was lost after Vers may have acted on
 * it, and the client cannot tell what it made: several VMs could be this
 * call's, or the API could not be read before the call's deadline. Nothing
 * was adopted and nothing is sent again; the message names the VMs (or the
 * label, or the commit id) to look for and how to import or delete them, so
 * the next run does not silently make a second one.
 */
export class CreateOutcomeUnknownError extends ProviderError {
  /** VMs that may be the one this call made. */
  readonly candidateVmIds: readonly string[];
  /** The `vers.sh/request-token` label value the call's VM carries, when it carries one from creation. */
  readonly requestToken?: string;
  /** The id the lost commit has, if it was made. */
  readonly commitId?: string;

  constructor(message: string, details: ProviderErrorOptions & { candidateVmIds?: readonly string[]; requestToken?: string; commitId?: string } = {}) {
    super('CREATE_OUTCOME_UNKNOWN', message, details);
    this.candidateVmIds = details.candidateVmIds ?? [];
    if (details.requestToken !== undefined) this.requestToken = details.requestToken;
    if (details.commitId !== undefined) this.commitId = details.commitId;
  }
}

/** Thrown when a VM ends in a state other than the one waited for (e.g. `dead` while booting). */
export class VmStateError extends ProviderError {
  readonly vmId: string;
  readonly state: string;
  readonly expected: string;

  constructor(vmId: string, state: string, expected: string, options: ProviderErrorOptions = {}) {
    super('VM_UNEXPECTED_STATE', `VM ${vmId} is ${state}, expected ${expected}; inspect it with GET /vm/${vmId}/status or recreate it`, options);
    this.vmId = vmId;
    this.state = state;
    this.expected = expected;
  }
}

/** Thrown when the SSH-over-TLS transport fails: TLS, handshake, authentication, SFTP or a dropped connection. */
export class SshError extends ProviderError {
  constructor(message: string, options: ProviderErrorOptions = {}, code = 'SSH_FAILED') {
    super(code, message, options);
  }
}

/** Thrown when a file does not fit on the VM's disk (ENOSPC): the upload left nothing behind. */
export class DiskFullError extends SshError {
  constructor(
    /** The file in the VM that was to be written. */
    readonly destination: string,
    readonly sizeBytes: number,
    /** Free space of the filesystem holding the destination, as the VM reported it. */
    readonly freeBytes: number,
    message: string,
    options: ProviderErrorOptions = {},
  ) {
    super(message, options, 'DISK_FULL');
  }
}

/** Thrown when the VM's SSH host key differs from the one recorded earlier. */
export class HostKeyMismatchError extends SshError {
  readonly expected: string;
  readonly seen: string;

  constructor(host: string, expected: string, seen: string, options: ProviderErrorOptions = {}) {
    super(
      `SSH host key of ${host} changed: expected ${expected}, server presented ${seen}. ` +
        'Either this is not the VM that was provisioned (replaced behind the configuration) or the connection is intercepted; refusing to connect. ' +
        'Refreshing does not help: the recorded key stays with the provisioning resource. A new VM (a new vm_id) is provisioned without a recorded key. ' +
        "To accept this VM's new key on purpose, forget the recorded one and apply again: " +
        'Terraform `terraform state rm <address of the vers_provision>`, Pulumi `pulumi state delete <urn of the Provision>`.',
      options,
      'HOST_KEY_MISMATCH',
    );
    this.expected = expected;
    this.seen = seen;
  }
}

/**
 * Thrown when a command run over SSH exits non-zero (or is killed by a
 * signal). It names the command by position, never by its text: a secret
 * interpolated into a command is not known to be one (Terraform sends no
 * sensitivity to providers).
 */
export class CommandFailedError extends ProviderError {
  /** Which command, e.g. `commands[1]`. */
  readonly commandName: string;
  /** Exit status, or null when a signal ended the command. */
  readonly exitCode: number | null;
  readonly signal?: string;
  /** The last lines of the command's stderr (bounded, secrets blanked). */
  readonly stderrTail: string;

  constructor(commandName: string, exitCode: number | null, stderrTail: string, options: ProviderErrorOptions & { signal?: string } = {}) {
    const how = exitCode === null ? `was killed by signal ${options.signal ?? 'unknown'}` : `exited with code ${exitCode}`;
    const tail = stderrTail.trim() === '' ? ' (no stderr output)' : `; last lines of stderr:\n${stderrTail.replace(/\s+$/, '')}`;
    super('COMMAND_FAILED', `${commandName} ${how}${tail}`, options);
    this.commandName = commandName;
    this.exitCode = exitCode;
    if (options.signal !== undefined) this.signal = options.signal;
    this.stderrTail = stderrTail;
  }
}

/** Thrown when the caller's AbortSignal fired (engine cancel, StopProvider). */
export class CancelledError extends ProviderError {
  constructor(what: string, options: ProviderErrorOptions = {}) {
    super('CANCELLED', `${what} was cancelled`, options);
  }
}

/**
 * Thrown by a create that failed after the resource came to exist (a VM that
 * failed to boot or to provision): engines record `id` and `outs` so the
 * resource is tracked (and can be deleted) instead of leaking.
 */
export class PartialCreateError extends ProviderError {
  readonly id: string;
  readonly outs: PropertyBag;

  constructor(id: string, outs: PropertyBag, cause: unknown, options: ErrorContext = {}) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('PARTIAL_CREATE', `${id} was created but not completed: ${reason}`, { ...options, cause });
    this.id = id;
    this.outs = outs;
  }
}

function apiErrorMessage(details: ApiErrorDetails, hint?: string): string {
  const server = details.serverMessage === '' ? '(empty body)' : JSON.stringify(truncate(details.serverMessage, 500));
  const request = details.requestId === undefined ? '' : ` [request id ${details.requestId}]`;
  const next = hint === undefined ? '' : `; ${hint}`;
  return `Vers API ${details.method} ${details.path} failed with HTTP ${details.status}: ${server}${next}${request}`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** `1500` → `1.5s`, `120000` → `2m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000 || ms % 60_000 !== 0) return `${Number((ms / 1000).toFixed(1))}s`;
  return `${ms / 60_000}m`;
}
