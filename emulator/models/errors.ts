/**
 * Errors raised by vers-local's models. Each one carries the HTTP status and
 * the body shape the real Vers server answers with, so handlers serialise
 * them without knowing the rule that failed. Messages are the server's own
 * strings (reference §2) wherever those are known.
 */

/** How the error is written on the wire. */
export type ErrorBodyShape =
  /** `{"success":false,"error":msg}` — every ordinary application error. */
  | 'error-response'
  /** `{"vms":[…created so far…],"error":msg}` — the branch endpoints' hybrid body. */
  | 'new-vms-response';

/** Base of every model error: a status, a stable code and the server's message. */
export class VersLocalApiError extends Error {
  readonly status: number;
  /** Stable machine code (SCREAMING_SNAKE), for logs and tests; never sent on the wire. */
  readonly code: string;
  readonly shape: ErrorBodyShape;
  /** VM ids already created when a branch failed part-way (hybrid body only). */
  readonly createdVmIds: readonly string[];

  constructor(status: number, code: string, message: string, options?: { cause?: unknown; shape?: ErrorBodyShape; createdVmIds?: readonly string[] }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.shape = options?.shape ?? 'error-response';
    this.createdVmIds = options?.createdVmIds ?? [];
  }

  /** The same error re-shaped as a branch endpoint's hybrid body. */
  asNewVmsResponse(createdVmIds: readonly string[]): VersLocalApiError {
    return new VersLocalApiError(this.status, this.code, this.message, { cause: this, shape: 'new-vms-response', createdVmIds });
  }
}

/** Thrown when a VM, commit or tag does not exist (or is deleted) for the caller. */
export class NotFoundError extends VersLocalApiError {
  constructor(message: string, code = 'NOT_FOUND') {
    super(404, code, message);
  }
}

/** Thrown when the caller may not act on the object; also DELETE of an unknown VM (the server hides existence). */
export class ForbiddenError extends VersLocalApiError {
  constructor(message = 'Forbidden', code = 'FORBIDDEN') {
    super(403, code, message);
  }
}

/** Thrown when the org's vCPU or memory quota would be exceeded. */
export class QuotaExceededError extends VersLocalApiError {
  constructor(message: string) {
    super(403, 'QUOTA_EXCEEDED', message);
  }
}

/** Thrown when the request conflicts with existing state (commit in use, commit id taken). */
export class ConflictError extends VersLocalApiError {
  constructor(message: string, code = 'CONFLICT') {
    super(409, code, message);
  }
}

/** Thrown for a semantically invalid value the server checks itself (e.g. a malformed ref). */
export class BadRequestError extends VersLocalApiError {
  constructor(message: string, code = 'BAD_REQUEST') {
    super(400, code, message);
  }
}

/**
 * Thrown when the VM's node refuses an operation. The orchestrator wraps the
 * node's `{"error": …}` body into a 500, as the real server does.
 */
export class NodeRefusedError extends VersLocalApiError {
  constructor(nodeMessage: string, code = 'NODE_REFUSED', cause?: unknown) {
    super(500, code, `db error: 500: ${JSON.stringify({ error: nodeMessage })}`, { cause });
  }
}

/** Thrown when vers-local itself fails (sandbox start, snapshot I/O); the real server answers 500 too. */
export class InternalError extends VersLocalApiError {
  constructor(message: string, cause?: unknown, code = 'INTERNAL') {
    super(500, code, message, { cause });
  }
}
