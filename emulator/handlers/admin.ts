import { parseFaultConfig } from '../faults';
import { BadRequestError } from '../models/errors';
import { OptionsError } from '../option-errors';
import type { HandlerContext } from './context';
import type { ApiRequest } from './request';
import { json, type Reply } from './reply';

/** The emulator controls under `/_vers-local/` (not part of the Vers API; never subject to faults). */

export async function getFaults(_req: ApiRequest, ctx: HandlerContext): Promise<Reply> {
  return json(200, ctx.faults.config);
}

/** Replace the fault configuration; the body is a FaultConfig (see emulator/faults.ts). */
export async function putFaults(req: ApiRequest, ctx: HandlerContext): Promise<Reply> {
  let parsed: unknown;
  try {
    parsed = req.body.length === 0 ? {} : JSON.parse(req.body.toString('utf8'));
  } catch (error) {
    throw new BadRequestError(`fault config is not JSON: ${(error as Error).message}`, 'INVALID_FAULT_CONFIG');
  }
  try {
    ctx.faults.set(parseFaultConfig(parsed, ctx.defaultSeed));
  } catch (error) {
    if (error instanceof OptionsError) throw new BadRequestError(error.message, 'INVALID_FAULT_CONFIG');
    throw error;
  }
  return json(200, ctx.faults.config);
}

export async function getStats(_req: ApiRequest, ctx: HandlerContext): Promise<Reply> {
  return json(200, ctx.stats.snapshot());
}

/** Every VM created since start (or the last reset), deleted ones included, oldest first. */
export async function getHistory(_req: ApiRequest, ctx: HandlerContext): Promise<Reply> {
  return json(200, {
    vms: ctx.vms.allEver().map((vm) => ({
      vm_id: vm.id,
      origin: vm.origin,
      labels: { ...vm.labels },
      state: vm.deletedAt === null ? vm.state : 'deleted',
      created_at: vm.createdAt.toChronoJson(),
      deleted_at: vm.deletedAt?.toChronoJson() ?? null,
      parent_commit_id: vm.parentCommitId,
      boot_failed: vm.bootFailed,
    })),
  });
}

export async function reset(_req: ApiRequest, ctx: HandlerContext): Promise<Reply> {
  await ctx.reset();
  return json(200, { reset: true });
}
