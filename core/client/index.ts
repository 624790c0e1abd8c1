export { VersClient, REQUEST_TOKEN_LABEL, requestTokenFor, withoutRequestToken } from './vers-client';
export type { BranchOptions, CallOptions, CommitVmOptions, CreateRootVmOptions, DeleteResult, ListCommitsOptions, SkipWaitBootOptions } from './vers-client';
export { DEFAULT_DEADLINES, DEFAULT_RETRY, DEFAULT_TIMEOUTS, resolveClientOptions } from './options';
export type { ClientOptions, Deadlines, RetryOptions, Timeouts } from './options';
export { waitForVmState } from './wait-for-vm-state';
export type { VmStatusReader, WaitForVmStateOptions } from './wait-for-vm-state';
export type * from './types';
