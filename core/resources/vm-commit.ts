import { randomUUID } from 'node:crypto';
import type { VmCommitEntity } from '../client';
import { ConflictError, NotFoundError, PartialCreateError } from '../base/errors';
import { info, providerOf, type VersProvider } from '../provider';
import { checkResource } from './check';
import { diffResource } from './diff';
import type { PropertyBag } from '../base/json';
import type { ResourceLifecycle } from './types';
import { importOrDelete } from './vm-common';

/**
 * `vers:index:VmCommit` / `vers_vm_commit`: a snapshot of a VM. The id is
 * the commit id, chosen by the client so that a retried commit call is
 * recognised instead of duplicated. Commits outlive the configuration unless
 * `deleteOnDestroy`.
 */

const TOKEN = 'vers:index:VmCommit';

async function readCommit(provider: VersProvider, commitId: string, signal: AbortSignal): Promise<VmCommitEntity | undefined> {
  try {
    const chain = await provider.client.getCommitParents(commitId, { signal });
    return chain[0];
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

function commitOutputs(entity: VmCommitEntity, base: PropertyBag): PropertyBag {
  return {
    vmId: entity.parent_vm_id ?? '',
    ...base,
    commitId: entity.id,
    name: entity.name,
    description: entity.description ?? '',
    isPublic: entity.is_public,
    createdAt: entity.created_at,
    parentCommitId: entity.grandparent_commit_id ?? '',
  };
}

export const vmCommit: ResourceLifecycle = {
  token: TOKEN,

  async check(news) {
    return checkResource(TOKEN, news);
  },

  async diff(_id, olds, news) {
    // How a commit was taken and what the configuration attaches to it are not
    // recorded by Vers: an imported commit adopts them from the configuration.
    return diffResource(TOKEN, olds, news, { unreported: ['keepPaused', 'triggers', 'deleteOnDestroy'] });
  },

  async create(inputs, ctx) {
    const provider = providerOf(ctx);
    const vmId = inputs.vmId as string;
    info(ctx, `committing VM ${vmId}${inputs.keepPaused === true ? ' (keeping it paused)' : ''}`);
    // The id is chosen here, so it can be said before Vers makes the commit: a crash from now on leaves a
    // commit that no state records. (It is random, not derived from the URN: a replacement with the same
    // inputs would otherwise reuse the id of the commit it replaces.)
    const chosenId = randomUUID();
    ctx.logger.log(
      'warn',
      `commit ${chosenId} of VM ${vmId} requested; it is recorded in the state only when this create finishes. If the run is interrupted before, ` +
        `${importOrDelete(TOKEN, chosenId)} (see "After a crash" in docs/after-a-crash.md)`,
    );
    const { commit_id: commitId } = await provider.client.commitVm(vmId, {
      commitId: chosenId,
      keepPaused: inputs.keepPaused === true,
      ...(typeof inputs.name === 'string' ? { name: inputs.name } : {}),
      ...(typeof inputs.description === 'string' ? { description: inputs.description } : {}),
      signal: ctx.signal,
    });
    info(ctx, `commit ${commitId} of VM ${vmId} created`);
    const partial: PropertyBag = { ...inputs, commitId, name: inputs.name ?? '', description: inputs.description ?? '', isPublic: false, createdAt: '', parentCommitId: '' };
    try {
      if (inputs.isPublic === true) {
        await provider.client.updateCommit(commitId, { is_public: true }, { signal: ctx.signal });
        info(ctx, `commit ${commitId} made public`);
      }
      const entity = await readCommit(provider, commitId, ctx.signal);
      if (entity === undefined) throw new NotFoundError({ method: 'GET', path: `/vm/commits/${commitId}/parents`, status: 404, serverMessage: 'commit not found' });
      return { id: commitId, outs: commitOutputs(entity, inputs) };
    } catch (error) {
      throw new PartialCreateError(commitId, partial, error, { resource: commitId, operation: 'create' });
    }
  },

  async read(id, olds, ctx) {
    const entity = await readCommit(providerOf(ctx), id, ctx.signal);
    if (entity === undefined) return undefined;
    return { id, outs: commitOutputs(entity, olds ?? {}) };
  },

  async update(id, olds, news, ctx) {
    const provider = providerOf(ctx);
    const { changedKeys } = await this.diff(id, olds, news);
    if (changedKeys.some((key) => key === 'name' || key === 'description' || key === 'isPublic')) {
      await provider.client.updateCommit(
        id,
        {
          is_public: news.isPublic === true,
          ...(typeof news.name === 'string' ? { name: news.name } : {}),
          ...(typeof news.description === 'string' ? { description: news.description } : {}),
        },
        { signal: ctx.signal },
      );
      info(ctx, `commit ${id} updated`);
    }
    const entity = await readCommit(provider, id, ctx.signal);
    if (entity === undefined) {
      throw new NotFoundError(
        { method: 'GET', path: `/vm/commits/${id}/parents`, status: 404, serverMessage: 'commit not found' },
        'the commit was deleted outside this configuration; refresh to plan a new one',
      );
    }
    return commitOutputs(entity, { ...olds, ...news });
  },

  async delete(id, olds, ctx) {
    if (olds.deleteOnDestroy !== true) {
      info(ctx, `commit ${id} kept (delete_on_destroy is false); only the resource is forgotten`);
      return;
    }
    const client = providerOf(ctx).client;
    try {
      const result = await client.deleteCommit(id, { signal: ctx.signal });
      info(ctx, result.alreadyDeleted ? `commit ${id} was already deleted` : `commit ${id} deleted`);
    } catch (error) {
      if (error instanceof ConflictError) {
        // Name the VMs in the way: one that no state records (an orphan) is otherwise hard to find.
        const users = await client.vmsFromCommit(id, { signal: ctx.signal }).catch(() => undefined);
        const which = users === undefined || users.length === 0 ? '' : ` (${users.join(', ')}; one that no state records can be deleted with DELETE /api/v1/vm/<id>, or imported)`;
        throw new ConflictError(
          { method: error.method, path: error.path, status: error.status, serverMessage: error.serverMessage, ...(error.requestId ? { requestId: error.requestId } : {}) },
          `delete the VMs restored or branched from this commit first${which}, or set delete_on_destroy = false to keep it`,
        );
      }
      throw error;
    }
  },
};
