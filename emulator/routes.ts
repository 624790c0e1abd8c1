import * as admin from './handlers/admin';
import * as commits from './handlers/commits';
import type { Handler } from './handlers/context';
import * as exec from './handlers/exec';
import * as system from './handlers/system';
import * as vms from './handlers/vms';

/** The Vers REST API prefix (reference §1.1). */
export const API_PREFIX = '/api/v1';
/** vers-local's own controls, outside the Vers API. */
export const ADMIN_PREFIX = '/_vers-local';

export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Full path with `{param}` segments, e.g. `/api/v1/vm/{vm_id}/status`. */
  readonly template: string;
  readonly handler: Handler;
}

const r = (method: Route['method'], path: string, handler: Handler, prefix = API_PREFIX): Route => ({ method, template: prefix + path, handler });

/** Method + path → handler. The same route table the real server's axum router has, for the parts vers-local implements. */
export const ROUTES: readonly Route[] = [
  r('POST', '/vm/new_root', vms.createNewRootVm),
  r('POST', '/vm/from_commit', vms.restoreFromCommit),
  r('GET', '/vms', vms.listVms),
  r('GET', '/vm', vms.listVms),
  r('GET', '/vm/{vm_id}/status', vms.vmStatus),
  r('GET', '/vm/{vm_id}/metadata', vms.vmMetadata),
  r('DELETE', '/vm/{vm_id}', vms.deleteVm),
  r('PATCH', '/vm/{vm_id}/state', vms.updateVmState),
  r('POST', '/vm/{vm_id}/commit', vms.commitVm),
  r('POST', '/vm/{vm_or_commit_id}/branch', vms.branchVm),
  r('POST', '/vm/branch/by_vm/{vm_id}', vms.branchByVm),
  r('POST', '/vm/branch/by_commit/{commit_id}', vms.branchByCommit),
  r('POST', '/vm/branch/by_tag/{tag_name}', vms.branchByTag),
  r('POST', '/vm/branch/by_ref/{repo_name}/{tag_name}', vms.branchByTag),
  r('GET', '/vm/{vm_id}/ssh_key', vms.vmSshKey),
  r('PATCH', '/vm/{vm_id}/disk', vms.resizeVmDisk),
  r('PATCH', '/vm/{vm_id}/label', vms.labelVm),
  r('POST', '/vm/{vm_id}/exec', exec.execVm),
  r('POST', '/vm/{vm_id}/exec/stream', exec.execVmStream),
  r('GET', '/vm/{vm_id}/files', exec.readFileVm),
  r('PUT', '/vm/{vm_id}/files', exec.writeFileVm),
  r('GET', '/commits', commits.listCommits),
  r('GET', '/commits/public', commits.listPublicCommits),
  r('PATCH', '/commits/{commit_id}', commits.updateCommit),
  r('DELETE', '/commits/{commit_id}', commits.deleteCommit),
  r('GET', '/vm/commits/{commit_id}/parents', commits.listParentCommits),
  r('POST', '/keys/validate', system.validateKey),
  r('GET', '/system/version', system.systemVersion),

  r('GET', '/faults', admin.getFaults, ADMIN_PREFIX),
  r('PUT', '/faults', admin.putFaults, ADMIN_PREFIX),
  r('GET', '/stats', admin.getStats, ADMIN_PREFIX),
  r('GET', '/history', admin.getHistory, ADMIN_PREFIX),
  r('POST', '/reset', admin.reset, ADMIN_PREFIX),
];

export type RouteMatch =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  /** The path exists with other methods: axum's 405 with an Allow header. */
  | { kind: 'method-not-allowed'; template: string; allowed: string[] }
  | { kind: 'not-found' };

type Segment = { static: string } | { param: string };

const compiled = ROUTES.map((route) => ({
  route,
  segments: route.template
    .split('/')
    .slice(1)
    .map((s): Segment => (s.startsWith('{') && s.endsWith('}') ? { param: s.slice(1, -1) } : { static: s })),
}));

/** Static segments win over parameters, segment by segment from the left (matchit's priority). */
function moreSpecific(a: readonly Segment[], b: readonly Segment[]): boolean {
  for (let i = 0; i < a.length; i++) {
    const aStatic = 'static' in a[i]!;
    const bStatic = 'static' in b[i]!;
    if (aStatic !== bStatic) return aStatic;
  }
  return false;
}

export function matchRoute(method: string, path: string): RouteMatch {
  const parts = path.split('/').slice(1);
  let best: { template: string; segments: readonly Segment[] } | undefined;
  for (const { route, segments } of compiled) {
    if (segments.length !== parts.length) continue;
    const fits = segments.every((segment, i) => ('static' in segment ? segment.static === parts[i] : parts[i] !== ''));
    if (fits && (best === undefined || moreSpecific(segments, best.segments))) best = { template: route.template, segments };
  }
  if (best === undefined) return { kind: 'not-found' };
  const candidates = compiled.filter((c) => c.route.template === best!.template);
  const lookup = method === 'HEAD' ? 'GET' : method;
  const chosen = candidates.find((c) => c.route.method === lookup);
  if (chosen === undefined) return { kind: 'method-not-allowed', template: best.template, allowed: candidates.map((c) => c.route.method) };
  const params: Record<string, string> = {};
  chosen.segments.forEach((segment, i) => {
    if ('param' in segment) params[segment.param] = safeDecode(parts[i]!);
  });
  return { kind: 'found', route: chosen.route, params };
}

function safeDecode(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
