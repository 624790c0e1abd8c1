import { randomUUID } from 'node:crypto';
import type { RecordedRequest, ScriptedHandler, ScriptedReply } from './scripted-api-server';

/**
 * A small model of one Vers organisation for client unit tests, below the
 * HTTP boundary: VMs and commits with server-side creation times, a server
 * clock that may run ahead of or behind this machine's, and per-route
 * fault rules that fail a request before it runs or lose its answer after
 * it ran (the case in which a retried create would make a second VM).
 * Every answer carries the server's `Date` header, as real servers send it.
 */

export const ORG_OWNER = '0b3c1f6e-2a4d-4c8e-9f10-1234567890ab';

export interface OrgVm {
  vm_id: string;
  /** Server time, ms since the epoch. */
  createdAt: number;
  labels: Record<string, string>;
  parent_commit_id: string | null;
  grandparent_vm_id: string | null;
  state: 'booting' | 'running' | 'paused';
}

export interface OrgCommit {
  id: string;
  createdAt: number;
  parent_vm_id: string | null;
}

export interface OrgFaultRule {
  /** `"METHOD /path-regex"`, matched against the path without query, e.g. `POST /api/v1/vm/from_commit`. */
  route: string;
  /** `before`: the request does not run; `after`: it runs, then its answer is replaced. */
  phase: 'before' | 'after';
  reply: ScriptedReply;
  /** How many requests it applies to; default every one. */
  times?: number;
}

export class ScriptedVersOrg {
  readonly vms = new Map<string, OrgVm>();
  readonly commits = new Map<string, OrgCommit>();
  /** Server clock minus this machine's clock, ms. */
  serverOffsetMs = 0;
  faults: OrgFaultRule[] = [];
  /** Requests the model handled (faulted ones included), `METHOD path`. */
  readonly log: string[] = [];
  /** Runs before a request that is not failed `before` is handled: another client acting at that moment. */
  beforeRun: ((route: string) => void) | undefined;

  now(): number {
    return Date.now() + this.serverOffsetMs;
  }

  /** Add a VM as if it had been created `ageMs` ago by the server's clock. */
  addVm(fields: Partial<OrgVm> & { ageMs?: number } = {}): OrgVm {
    const { ageMs = 0, ...rest } = fields;
    const vm: OrgVm = { vm_id: randomUUID(), createdAt: this.now() - ageMs, labels: {}, parent_commit_id: null, grandparent_vm_id: null, state: 'running', ...rest };
    this.vms.set(vm.vm_id, vm);
    return vm;
  }

  addCommit(fields: Partial<OrgCommit> & { ageMs?: number } = {}): OrgCommit {
    const { ageMs = 0, ...rest } = fields;
    const commit: OrgCommit = { id: randomUUID(), createdAt: this.now() - ageMs, parent_vm_id: null, ...rest };
    this.commits.set(commit.id, commit);
    return commit;
  }

  /** VMs whose parent commit is `commitId`, oldest first. */
  childrenOf(commitId: string): OrgVm[] {
    return [...this.vms.values()].filter((vm) => vm.parent_commit_id === commitId).sort((a, b) => a.createdAt - b.createdAt);
  }

  handler(): ScriptedHandler {
    return (request) => this.handle(request);
  }

  private handle(request: RecordedRequest): ScriptedReply {
    const path = request.url.split('?')[0] ?? '';
    const route = `${request.method} ${path}`;
    this.log.push(route);
    const rule = this.faults.find((candidate) => {
      if (candidate.times === 0) return false;
      const [method = '', pattern = ''] = candidate.route.split(' ', 2);
      return method === request.method && new RegExp(`^${pattern}$`).test(path);
    });
    if (rule !== undefined && rule.times !== undefined) rule.times -= 1;
    if (rule?.phase === 'before') return this.dated(rule.reply);
    this.beforeRun?.(route);
    const answer = this.route(request, path);
    return this.dated(rule?.phase === 'after' ? rule.reply : answer);
  }

  private dated(reply: ScriptedReply): ScriptedReply {
    if (typeof reply === 'string') return reply;
    return { ...reply, headers: { date: new Date(this.now()).toUTCString(), ...(reply.headers ?? {}) } };
  }

  private route(request: RecordedRequest, path: string): ScriptedReply {
    const body = request.body === '' ? {} : (JSON.parse(request.body) as Record<string, unknown>);
    const api = path.replace(/^\/api\/v1/, '');
    let match: RegExpExecArray | null;
    if (request.method === 'GET' && api === '/vms') return { status: 200, body: [...this.vms.values()].map((vm) => this.vmBody(vm)) };
    if (request.method === 'POST' && api === '/vm/new_root') {
      const config = (body.vm_config ?? {}) as { labels?: Record<string, string> };
      const vm = this.addVm({ labels: { ...(config.labels ?? {}) }, state: 'booting' });
      return { status: 201, body: { vm_id: vm.vm_id } };
    }
    if (request.method === 'POST' && api === '/vm/from_commit') {
      const commit = this.commits.get(String(body.commit_id));
      if (commit === undefined) return { status: 404, body: { success: false, error: 'commit not found' } };
      const vm = this.addVm({ parent_commit_id: commit.id, grandparent_vm_id: commit.parent_vm_id });
      return { status: 201, body: { vm_id: vm.vm_id } };
    }
    if (request.method === 'POST' && (match = /^\/vm\/branch\/by_vm\/([^/]+)$/.exec(api)) !== null) {
      const source = this.vms.get(match[1] as string);
      if (source === undefined) return { status: 404, body: { success: false, error: 'vm not found' } };
      const commit = this.addCommit({ parent_vm_id: source.vm_id });
      const vm = this.addVm({ parent_commit_id: commit.id, grandparent_vm_id: source.vm_id });
      return { status: 201, body: { vms: [{ vm_id: vm.vm_id }] } };
    }
    if (request.method === 'POST' && (match = /^\/vm\/([^/]+)\/commit$/.exec(api)) !== null) {
      const id = typeof body.commit_id === 'string' ? body.commit_id : randomUUID();
      if (this.commits.has(id)) return { status: 409, body: { success: false, error: `commit ${id} already exists` } };
      this.addCommit({ id, parent_vm_id: match[1] as string });
      return { status: 201, body: { commit_id: id } };
    }
    if (request.method === 'PATCH' && (match = /^\/vm\/([^/]+)\/label$/.exec(api)) !== null) {
      const vm = this.vms.get(match[1] as string);
      if (vm === undefined) return { status: 404, body: { success: false, error: 'vm not found' } };
      vm.labels = { ...((body.labels as Record<string, string> | null) ?? {}) };
      return { status: 200 };
    }
    if ((match = /^\/vm\/([^/]+)\/(status|metadata)$/.exec(api)) !== null) {
      const vm = this.vms.get(match[1] as string);
      if (vm === undefined) return { status: 404, body: { success: false, error: 'not found' } };
      if (vm.state === 'booting') vm.state = 'running';
      return { status: 200, body: match[2] === 'status' ? this.vmBody(vm) : this.metadataBody(vm) };
    }
    if (request.method === 'DELETE' && (match = /^\/vm\/([^/]+)$/.exec(api)) !== null) {
      if (!this.vms.delete(match[1] as string)) return { status: 403, body: { success: false, error: 'Forbidden' } };
      return { status: 200, body: { vm_id: match[1] } };
    }
    if (request.method === 'DELETE' && (match = /^\/commits\/([^/]+)$/.exec(api)) !== null) {
      const children = this.childrenOf(match[1] as string).length;
      if (children > 0) return { status: 409, body: { success: false, error: `commit still has ${children} active VM(s)` } };
      if (!this.commits.delete(match[1] as string)) return { status: 404, body: { success: false, error: 'commit not found' } };
      return { status: 204 };
    }
    if ((match = /^\/vm\/commits\/([^/]+)\/parents$/.exec(api)) !== null) {
      const commit = this.commits.get(match[1] as string);
      if (commit === undefined) return { status: 404, body: { success: false, error: 'commit not found' } };
      return {
        status: 200,
        body: [{ id: commit.id, parent_vm_id: commit.parent_vm_id, grandparent_commit_id: null, owner_id: ORG_OWNER, name: `commit ${commit.id}`, description: null, created_at: iso(commit.createdAt), is_public: false }],
      };
    }
    return { status: 404, body: '' };
  }

  private vmBody(vm: OrgVm): object {
    return { vm_id: vm.vm_id, owner_id: ORG_OWNER, created_at: iso(vm.createdAt), state: vm.state, labels: vm.labels };
  }

  private metadataBody(vm: OrgVm): object {
    return { ...this.vmBody(vm), ip: 'fd00::1', deleted_at: null, parent_commit_id: vm.parent_commit_id, grandparent_vm_id: vm.grandparent_vm_id };
  }
}

/** chrono's rendering: microseconds. */
function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}
