import type { VmCommitEntity } from '../client';
import { providerOf } from '../provider';
import { validateInputs } from '../schema/input-validator';
import type { FunctionLifecycle } from './types';

/** `vers:index:getCommit` / data `vers_commit`: a commit by id, with its ancestry (nearest first). */

const TOKEN = 'vers:index:getCommit';

function summary(entity: VmCommitEntity): { commitId: string; name: string; description: string; parentVmId: string; createdAt: string; isPublic: boolean } {
  return {
    commitId: entity.id,
    name: entity.name,
    description: entity.description ?? '',
    parentVmId: entity.parent_vm_id ?? '',
    createdAt: entity.created_at,
    isPublic: entity.is_public,
  };
}

export const getCommit: FunctionLifecycle = {
  token: TOKEN,

  async check(args) {
    return validateInputs(TOKEN, args);
  },

  async invoke(args, ctx) {
    const [commit, ...ancestors] = await providerOf(ctx).client.getCommitParents(args.commitId as string, { signal: ctx.signal });
    if (commit === undefined) throw new Error(`the Vers API returned an empty ancestry for commit ${String(args.commitId)}`);
    return { ...summary(commit), ownerId: commit.owner_id, ancestry: ancestors.map(summary) };
  },
};
