export { createSandboxDriver } from './driver';
export { SandboxError, SandboxFileError, SandboxHostError, SandboxStateError, SandboxValidationError } from './errors';
export type { SandboxErrorCode, SandboxErrorContext } from './errors';
export type { ExecRequest, ExecResult, ExecStream, Sandbox, SandboxDriver, SandboxDriverOptions, SandboxSpec } from './types';
