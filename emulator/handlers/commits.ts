import { COMMIT_PAGE_DEFAULT, COMMIT_PAGE_MAX, type CommitPage } from '../models/commits';
import type { HandlerContext } from './context';
import { absentable, bool, optional, required, string, struct } from './json-decode';
import { jsonBody, pathUuid, queryInteger, queryParams, type ApiRequest } from './request';
import { empty, json, type Reply } from './reply';
import { commitEntityJson, commitInfoJson } from './serialize';

/** Handlers of the commit endpoints (reference §4.3). */

const UpdateCommitRequest = struct('UpdateCommitRequest', {
  is_public: required(bool),
  name: absentable(optional(string)),
  description: absentable(optional(string)),
});

const i64 = queryInteger(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);

/** limit/offset are query parameters (the spec's `in: path` is a generator bug); limit is clamped to 1..100. */
function pageQuery(req: ApiRequest): { limit: number; offset: number } {
  const { limit, offset } = queryParams(req, { limit: i64, offset: i64 });
  return { limit: Math.min(COMMIT_PAGE_MAX, Math.max(1, limit ?? COMMIT_PAGE_DEFAULT)), offset: Math.max(0, offset ?? 0) };
}

function pageJson(page: CommitPage): Reply {
  return json(200, { commits: page.commits.map(commitInfoJson), total: page.total, limit: page.limit, offset: page.offset });
}

export async function listCommits(req: ApiRequest, ctx: HandlerContext): Promise<Reply> {
  const { limit, offset } = pageQuery(req);
  return pageJson(ctx.commits.list(req.ownerId, limit, offset));
}

export async function listPublicCommits(req: ApiRequest, ctx: HandlerContext): Promise<Reply> {
  const { limit, offset } = pageQuery(req);
  return pageJson(ctx.commits.listPublic(limit, offset));
}

export async function updateCommit(req: ApiRequest, ctx: HandlerContext): Promise<Reply> {
  const commitId = pathUuid(req, 'commit_id');
  const body = jsonBody(req, UpdateCommitRequest);
  const updated = await ctx.commits.update(commitId, req.ownerId, { isPublic: body.is_public, name: body.name, description: body.description });
  return json(200, commitInfoJson(updated));
}

export async function deleteCommit(req: ApiRequest, ctx: HandlerContext): Promise<Reply> {
  const commitId = pathUuid(req, 'commit_id');
  await ctx.commits.delete(commitId, req.ownerId, ctx.vms.activeVmsFromCommit(commitId));
  await ctx.commits.collectGarbage(ctx.vms.layersInUse());
  return empty(204);
}

export async function listParentCommits(req: ApiRequest, ctx: HandlerContext): Promise<Reply> {
  const commitId = pathUuid(req, 'commit_id');
  return json(200, ctx.commits.parents(commitId, req.ownerId).map(commitEntityJson));
}
