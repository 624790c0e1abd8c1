import { randomUUID } from 'node:crypto';
import { REQUEST_TOKEN_LABEL, requestTokenFor, waitForVmState, withoutRequestToken, type Vm, type VmMetadata } from '../client';
import { CreateOutcomeUnknownError, NotFoundError, PartialCreateError, ProviderError } from '../base/errors';
import { info, providerOf, type VersProvider } from '../provider';
import { checkResource } from './check';
import { diffResource } from './diff';
import type { DiffResult, LifecycleContext, ReadResult, ResourceLifecycle } from './types';
import type { JsonValue, PropertyBag } from '../base/json';
import { stringMap } from './string-map';

/**
 * What Vm, VmBranch and VmRestore share: the connection outputs of a VM,
 * settling a new VM (boot wait, labels, key, desired state) with partial
 * state on failure, in-place label/state changes, refresh and delete.
 */

export type DesiredState = 'running' | 'paused';


function desiredStateOf(value: JsonValue | undefined): DesiredState {
  return value === 'paused' ? 'paused' : 'running';
}

/** How a VM is reached and where it came from, from its metadata: the VM resources' outputs and getVms' items. */
export function vmAddressOutputs(provider: VersProvider, vmId: string, metadata: VmMetadata): { sshHost: string; ip: string; parentCommitId: string } {
  return { sshHost: provider.sshHostOf(vmId), ip: metadata.ip, parentCommitId: metadata.parent_commit_id ?? '' };
}

/**
 * Refresh a VM's outputs from the API. `undefined` when the VM is gone.
 * The private key can only be fetched while the VM runs, so a known key is
 * kept. `desiredState` reflects a running/paused VM as it is, so a VM paused
 * behind the configuration's back shows up as a change.
 */
export async function readVmOutputs(
  provider: VersProvider,
  vmId: string,
  olds: PropertyBag,
  signal: AbortSignal,
): Promise<PropertyBag | undefined> {
  let status: Vm;
  try {
    status = await provider.client.getVmStatus(vmId, { signal });
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
  const metadata = await provider.client.getVmMetadata(vmId, { signal });
  let sshPrivateKey = typeof olds.sshPrivateKey === 'string' ? olds.sshPrivateKey : '';
  if (sshPrivateKey === '' && status.state === 'running') {
    sshPrivateKey = (await provider.client.getSshKey(vmId, { signal })).ssh_private_key;
  }
  const outs: PropertyBag = {
    ...olds,
    labels: withoutRequestToken(status.labels),
    state: status.state,
    ...vmAddressOutputs(provider, vmId, metadata),
    sshPort: provider.sshPort,
    sshPrivateKey,
    createdAt: status.created_at,
  };
  if (status.state === 'running' || status.state === 'paused') outs.desiredState = status.state;
  else outs.desiredState ??= 'running';
  return outs;
}

/** How long a failed create may spend marking its VM as recorded, ms. */
const FINISH_MARK_DEADLINE_MS = 10_000;

/** How to keep or remove something that no state records, for messages. */
export function importOrDelete(typeToken: string, id: string): string {
  return `keep it with \`terraform import <address> ${id}\` (Terraform) or \`pulumi import ${typeToken} <name> ${id}\` (Pulumi), or delete it`;
}

export interface VmCreateStart {
  /** The create's request token (request-token.ts). */
  requestToken: string;
  /** A VM an interrupted earlier create of the same instance made (same token), to adopt instead of making one. */
  leftBehind: string | undefined;
}

/**
 * The request token of a new VM and, when the engine names the instance
 * (Pulumi's URN), the VM an interrupted earlier create of it left: one
 * listing per create. Without an instance key nothing can find such a VM,
 * so nothing is listed (Terraform: `terraform import`, docs/after-a-crash.md).
 */
export async function startVmCreate(ctx: LifecycleContext, typeToken: string, what: string): Promise<VmCreateStart> {
  const requestToken = requestTokenFor(ctx.instanceKey);
  if (ctx.instanceKey === undefined) return { requestToken, leftBehind: undefined };
  const left = (await providerOf(ctx).client.listVms({ signal: ctx.signal })).filter((vm) => vm.labels?.[REQUEST_TOKEN_LABEL] === requestToken).map((vm) => vm.vm_id);
  if (left.length > 1) {
    throw new CreateOutcomeUnknownError(
      `VMs ${left.join(', ')} all carry this resource's request token (${REQUEST_TOKEN_LABEL}=${requestToken}): earlier creates of it were interrupted more than once. ` +
        `For each, ${importOrDelete(typeToken, '<vm id>')}; then run again`,
      { candidateVmIds: left, requestToken, operation: 'create' },
    );
  }
  const [leftBehind] = left;
  if (leftBehind !== undefined) ctx.logger.log('warn', `adopting VM ${leftBehind} (${what}): an earlier create of this resource made it and was interrupted before it finished`);
  return { requestToken, leftBehind };
}

/** Say a new VM's id the instant Vers returned it: until the create finishes, nothing else records it. */
export function announceNewVm(ctx: LifecycleContext, typeToken: string, vmId: string, what: string): void {
  ctx.logger.log(
    'warn',
    `VM ${vmId} created (${what}); it is recorded in the state only when this create finishes. If the run is interrupted before, ${importOrDelete(typeToken, vmId)} (see "After a crash" in docs/after-a-crash.md)`,
  );
}

export interface SettleOptions {
  /** Poll status until the VM runs (new root VMs start `booting`). */
  waitBoot: boolean;
  /** The create's request token: the VM gets it, with the configured labels, first thing. */
  requestToken: string;
  /** The VM carries its labels and request token from creation (a root VM this call made). */
  labelledAtCreation: boolean;
  /** Outputs known before settling, kept in the partial state if settling fails. */
  knownOuts: PropertyBag;
}

/**
 * Bring a freshly created VM to its configured shape and read its outputs.
 * A restored or branched VM gets its labels and the create's request token
 * first, so no other create's recovery takes it for its own. With an
 * instance key (Pulumi), the token is replaced by a fresh one once the
 * create is done, so a later replacement of the same instance (same URN)
 * does not take this VM for one an interrupted create left. Any failure
 * once the VM exists is a PartialCreateError carrying the VM id and what is
 * known, so the engines record (taint) the VM instead of losing it —
 * unless the VM no longer exists (Vers deletes a VM whose boot failed).
 */
export async function settleNewVm(
  vmId: string,
  inputs: PropertyBag,
  ctx: LifecycleContext,
  options: SettleOptions,
): Promise<PropertyBag> {
  const provider = providerOf(ctx);
  const partial: PropertyBag = {
    ...inputs,
    ...options.knownOuts,
    state: 'booting',
    desiredState: inputs.desiredState ?? 'running',
    sshHost: provider.sshHostOf(vmId),
    sshPort: provider.sshPort,
    sshPrivateKey: '',
    ip: '',
    createdAt: '',
    parentCommitId: '',
  };
  const labels = stringMap(inputs.labels);
  const finished = async (callOptions: { signal?: AbortSignal; deadlineAt?: number }): Promise<void> => {
    if (ctx.instanceKey !== undefined) await provider.client.setLabels(vmId, { ...labels, [REQUEST_TOKEN_LABEL]: randomUUID() }, callOptions);
  };
  try {
    if (!options.labelledAtCreation) await provider.client.setLabels(vmId, { ...labels, [REQUEST_TOKEN_LABEL]: options.requestToken }, { signal: ctx.signal });
    if (options.waitBoot) {
      info(ctx, `waiting for VM ${vmId} to boot`);
      await waitForVmState((id, call) => provider.client.getVmStatus(id, call), vmId, 'running', {
        timeoutMs: provider.config.bootTimeoutMs,
        signal: ctx.signal,
        onProgress: (message) => info(ctx, message),
      });
      info(ctx, `VM ${vmId} is running`);
    }
    let outs = await readVmOutputs(provider, vmId, partial, ctx.signal);
    if (outs === undefined) throw new NotFoundError({ method: 'GET', path: `/vm/${vmId}/status`, status: 404, serverMessage: 'not found' });
    if (inputs.desiredState === 'paused' && outs.state !== 'paused') {
      await provider.client.setVmState(vmId, 'Paused', { signal: ctx.signal });
      info(ctx, `VM ${vmId} paused`);
      outs = (await readVmOutputs(provider, vmId, outs, ctx.signal)) ?? outs;
    }
    await finished({ signal: ctx.signal });
    return { ...outs, ...(typeof inputs.desiredState === 'string' ? { desiredState: inputs.desiredState } : {}), labels };
  } catch (error) {
    if (await vmIsGone(provider, vmId)) {
      throw new ProviderError('VM_LOST', `VM ${vmId} no longer exists after its creation (Vers deletes a VM whose boot failed): ${messageOf(error)}`, {
        cause: error,
        resource: vmId,
      });
    }
    // The engine records the VM from this error: it is no longer a create left unfinished (even when cancelled).
    await finished({ deadlineAt: Date.now() + FINISH_MARK_DEADLINE_MS }).catch(() => undefined);
    throw new PartialCreateError(vmId, partial, error, { resource: vmId, operation: 'create' });
  }
}

async function vmIsGone(provider: VersProvider, vmId: string): Promise<boolean> {
  try {
    await provider.client.getVmStatus(vmId);
    return false;
  } catch (error) {
    return error instanceof NotFoundError;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Apply in-place changes shared by every VM resource: labels and desired state. */
export async function updateVmInPlace(
  vmId: string,
  olds: PropertyBag,
  news: PropertyBag,
  ctx: LifecycleContext,
  changedKeys: readonly string[],
): Promise<PropertyBag> {
  const provider = providerOf(ctx);
  if (changedKeys.includes('labels')) {
    await provider.client.setLabels(vmId, stringMap(news.labels), { signal: ctx.signal });
    info(ctx, `VM ${vmId}: labels updated`);
  }
  if (changedKeys.includes('desiredState')) {
    const target = desiredStateOf(news.desiredState);
    await provider.client.setVmState(vmId, target === 'paused' ? 'Paused' : 'Running', { signal: ctx.signal });
    info(ctx, `VM ${vmId}: ${target === 'paused' ? 'paused' : 'resumed'}`);
  }
  const outs = await readVmOutputs(provider, vmId, { ...olds, ...news }, ctx.signal);
  if (outs === undefined) {
    throw new NotFoundError(
      { method: 'GET', path: `/vm/${vmId}/status`, status: 404, serverMessage: 'not found' },
      'the VM was deleted outside this configuration; refresh to plan its re-creation',
    );
  }
  // An unset desired state reports the VM's current one (read put it in outs).
  return { ...outs, ...news, labels: stringMap(news.labels), desiredState: typeof news.desiredState === 'string' ? news.desiredState : (outs.desiredState ?? 'running') };
}

/** Refresh shared by VM resources; `undefined` when the VM is gone. */
export async function readVm(id: string, olds: PropertyBag | undefined, ctx: LifecycleContext): Promise<ReadResult | undefined> {
  const outs = await readVmOutputs(providerOf(ctx), id, olds ?? {}, ctx.signal);
  return outs === undefined ? undefined : { id, outs };
}

/** Delete a VM; a VM already gone counts as deleted. */
export async function deleteVm(id: string, ctx: LifecycleContext): Promise<void> {
  const result = await providerOf(ctx).client.deleteVm(id, { signal: ctx.signal });
  info(ctx, result.alreadyDeleted ? `VM ${id} was already deleted` : `VM ${id} deleted`);
}

/** Outputs the state change of a VM recomputes. */
export function vmVolatileOutputs(changedKeys: readonly string[]): string[] {
  return changedKeys.includes('desiredState') ? ['state', 'sshPrivateKey'] : [];
}


/**
 * check, diff, update and delete of a VM resource whose only in-place
 * changes are labels and desired state (VmRestore, VmBranch).
 */
export function vmResourceParts(token: string, unreported: readonly string[] = []): Pick<ResourceLifecycle, 'check' | 'diff' | 'update' | 'delete'> {
  const diff = async (_id: string, olds: PropertyBag, news: PropertyBag): Promise<DiffResult> =>
    diffResource(token, olds, news, { volatileOutputs: vmVolatileOutputs, unreported });
  return {
    check: async (news) => checkResource(token, news),
    diff,
    update: async (id, olds, news, ctx) => updateVmInPlace(id, olds, news, ctx, (await diff(id, olds, news)).changedKeys),
    delete: async (id, _olds, ctx) => deleteVm(id, ctx),
  };
}
