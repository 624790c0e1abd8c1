import * as pulumi from '@pulumi/pulumi';
import type { GetCommitArgs, GetCommitOutputArgs, GetCommitResult } from '../get-commit';
import type { GetVmsArgs, GetVmsOutputArgs, GetVmsResult } from '../get-vms';
import type * as runtime from './run-lifecycle';

/**
 * `vers.dynamic.getVms` / `getCommit`: the provider functions run inside
 * the program, for stacks that use the dynamic resources and no plugin (the
 * dynamic-provider host has no Invoke). Configuration: the stack's `vers:*`
 * config, then VERS_* environment variables.
 */

export async function getVms(args: GetVmsArgs = {}): Promise<GetVmsResult> {
  return (await invokeInProgram('vers:index:getVms', { ...args })) as unknown as GetVmsResult;
}

export function getVmsOutput(args: GetVmsOutputArgs = {}): pulumi.Output<GetVmsResult> {
  return pulumi.output(args).apply((plain) => getVms(plain as GetVmsArgs));
}

export async function getCommit(args: GetCommitArgs): Promise<GetCommitResult> {
  return (await invokeInProgram('vers:index:getCommit', { ...args })) as unknown as GetCommitResult;
}

export function getCommitOutput(args: GetCommitOutputArgs): pulumi.Output<GetCommitResult> {
  return pulumi.output(args).apply((plain) => getCommit(plain as GetCommitArgs));
}

async function invokeInProgram(token: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  // The core is loaded only when a function is called.
  const core = require('./run-lifecycle') as typeof runtime;
  const stackConfig = core.readStackConfig({ get: (key) => pulumi.runtime.getConfig(key) });
  return core.invoke(token, args, stackConfig);
}
