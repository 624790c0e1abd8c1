import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, ForbiddenError, NotFoundError } from './errors';
import { Timestamp } from './timestamp';

/** The VM configuration a commit remembers; VMs restored from it inherit these. */
export interface CommitVmConfig {
  vcpuCount: number;
  memSizeMib: number;
  fsSizeMib: number;
  imageName: string;
  kernelName: string;
}

/** One commit (snapshot) as vers-local stores it. */
export interface CommitRecord {
  id: string;
  /** API key id of the creator. */
  ownerId: string;
  /** The VM it was taken from. */
  parentVmId: string | null;
  /** That VM's previous commit, or the commit the VM came from. */
  grandparentCommitId: string | null;
  name: string;
  description: string | null;
  createdAt: Timestamp;
  isPublic: boolean;
  deletedAt: Timestamp | null;
  /** Ids of the commits whose layers make up this snapshot, this commit's own first. */
  layerChain: string[];
  /** True once a deleted commit's layer directory has been removed. */
  layerPurged: boolean;
  vmConfig: CommitVmConfig;
}

/** The on-disk form of a CommitRecord (`commits/<id>/commit.json`). */
interface StoredCommit extends Omit<CommitRecord, 'createdAt' | 'deletedAt'> {
  createdAtMicros: number;
  deletedAtMicros: number | null;
}

/** A page of commits, as `GET /commits` answers it. */
export interface CommitPage {
  commits: CommitRecord[];
  total: number;
  limit: number;
  offset: number;
}

/** Default and maximum page size of the commit lists (reference §4.3). */
export const COMMIT_PAGE_DEFAULT = 50;
export const COMMIT_PAGE_MAX = 100;

/**
 * Commits and their snapshot layers under `<stateDir>/commits/<id>/`. Metadata
 * is written to disk so a state dir given by the user survives a restart.
 * Deletion is soft (the server keeps the row); a deleted commit's layer is
 * removed once no other commit or live VM stacks on it.
 */
export class CommitStore {
  private readonly commits = new Map<string, CommitRecord>();
  /** Ids chosen for commits still being snapshotted; they block reuse like existing ones. */
  private readonly reserved = new Set<string>();
  private readonly root: string;

  constructor(stateDir: string) {
    this.root = join(stateDir, 'commits');
  }

  /** Read the commits a previous run left in the state dir; drop snapshots that never finished. */
  async load(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    for (const entry of await readdir(this.root, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const metaPath = join(this.root, entry.name, 'commit.json');
      if (!existsSync(metaPath)) {
        // A snapshot interrupted by a crash: nothing refers to it.
        await rm(join(this.root, entry.name), { recursive: true, force: true });
        continue;
      }
      const stored = JSON.parse(await readFile(metaPath, 'utf8')) as StoredCommit;
      const { createdAtMicros, deletedAtMicros, ...rest } = stored;
      this.commits.set(stored.id, {
        ...rest,
        createdAt: Timestamp.fromEpochMicros(createdAtMicros),
        deletedAt: deletedAtMicros === null ? null : Timestamp.fromEpochMicros(deletedAtMicros),
      });
    }
  }

  /** Directory holding a commit's snapshot layer. */
  layerDir(commitId: string): string {
    return join(this.root, commitId, 'layer');
  }

  /** The layer directories of a chain of commit ids, in the same order. */
  layerDirs(chain: readonly string[]): string[] {
    return chain.map((id) => this.layerDir(id));
  }

  /**
   * Claim an id for a commit about to be taken: the client's, which must be
   * new (the server's primary key would refuse it), or a fresh UUID v4.
   */
  async reserve(requestedId: string | undefined, newId: () => string): Promise<string> {
    const id = requestedId ?? newId();
    if (this.commits.has(id) || this.reserved.has(id)) {
      throw new ConflictError(`commit ${id} already exists`, 'COMMIT_ID_TAKEN');
    }
    this.reserved.add(id);
    await mkdir(join(this.root, id), { recursive: true });
    return id;
  }

  /** Give back an id whose snapshot failed, removing whatever was written. */
  async release(id: string): Promise<void> {
    this.reserved.delete(id);
    if (!this.commits.has(id)) await rm(join(this.root, id), { recursive: true, force: true });
  }

  /** Record a finished snapshot (its layer is already in layerDir(id)). */
  async add(record: CommitRecord): Promise<void> {
    await this.persist(record);
    this.commits.set(record.id, record);
    this.reserved.delete(record.id);
  }

  /** A live commit the caller may read: its own, or a public one. */
  getReadable(commitId: string, ownerId: string, notFoundMessage = 'commit not found'): CommitRecord {
    const commit = this.commits.get(commitId);
    if (commit === undefined || commit.deletedAt !== null) throw new NotFoundError(notFoundMessage, 'COMMIT_NOT_FOUND');
    if (commit.ownerId !== ownerId && !commit.isPublic) throw new ForbiddenError('Forbidden');
    return commit;
  }

  /** The caller's live commits, newest first. */
  list(ownerId: string, limit: number, offset: number): CommitPage {
    return page(this.live().filter((c) => c.ownerId === ownerId), limit, offset);
  }

  /** Everyone's public live commits, newest first. */
  listPublic(limit: number, offset: number): CommitPage {
    return page(this.live().filter((c) => c.isPublic), limit, offset);
  }

  /** PATCH: visibility is required; blank name/description are ignored as the server does. */
  async update(commitId: string, ownerId: string, change: { isPublic: boolean; name?: string | null; description?: string | null }): Promise<CommitRecord> {
    const commit = this.commits.get(commitId);
    if (commit === undefined || commit.deletedAt !== null) throw new NotFoundError('not found', 'COMMIT_NOT_FOUND');
    if (commit.ownerId !== ownerId) throw new ForbiddenError('Forbidden');
    const updated: CommitRecord = {
      ...commit,
      isPublic: change.isPublic,
      name: isBlank(change.name) ? commit.name : change.name!,
      description: isBlank(change.description) ? commit.description : change.description!,
    };
    await this.persist(updated);
    this.commits.set(commitId, updated);
    return updated;
  }

  /**
   * Soft-delete a commit. `activeVmCount` is the number of live VMs created
   * from it; while there are any, the server refuses with 409.
   */
  async delete(commitId: string, ownerId: string, activeVmCount: number): Promise<void> {
    const commit = this.commits.get(commitId);
    if (commit === undefined || commit.deletedAt !== null) throw new NotFoundError('commit not found', 'COMMIT_NOT_FOUND');
    if (commit.ownerId !== ownerId) throw new ForbiddenError('Forbidden');
    if (activeVmCount > 0) throw new ConflictError(`commit still has ${activeVmCount} active VM(s)`, 'COMMIT_IN_USE');
    const deleted: CommitRecord = { ...commit, deletedAt: Timestamp.now() };
    await this.persist(deleted);
    this.commits.set(commitId, deleted);
  }

  /** The commit and its ancestors through grandparent_commit_id, stopping at a deleted one. */
  parents(commitId: string, ownerId: string): CommitRecord[] {
    const chain: CommitRecord[] = [this.getReadable(commitId, ownerId)];
    for (let next = chain[0]!.grandparentCommitId; next !== null; ) {
      const commit = this.commits.get(next);
      if (commit === undefined || commit.deletedAt !== null) break;
      if (commit.ownerId !== ownerId && !commit.isPublic) throw new ForbiddenError('Forbidden');
      chain.push(commit);
      next = commit.grandparentCommitId;
    }
    return chain;
  }

  /**
   * Remove the layers of deleted commits that nothing stacks on any more.
   * `layersInUse` holds the commit ids in the layer lists of live VMs.
   */
  async collectGarbage(layersInUse: ReadonlySet<string>): Promise<void> {
    const needed = new Set(layersInUse);
    for (const commit of this.live()) for (const id of commit.layerChain) needed.add(id);
    for (const commit of this.commits.values()) {
      if (commit.deletedAt === null || commit.layerPurged || needed.has(commit.id)) continue;
      await rm(this.layerDir(commit.id), { recursive: true, force: true });
      const purged = { ...commit, layerPurged: true };
      await this.persist(purged);
      this.commits.set(commit.id, purged);
    }
  }

  /** Forget every commit and delete its files (admin reset). */
  async clear(): Promise<void> {
    this.commits.clear();
    this.reserved.clear();
    await rm(this.root, { recursive: true, force: true });
    await mkdir(this.root, { recursive: true });
  }

  private live(): CommitRecord[] {
    return [...this.commits.values()]
      .filter((c) => c.deletedAt === null)
      .sort((a, b) => b.createdAt.epochMicros - a.createdAt.epochMicros);
  }

  private async persist(record: CommitRecord): Promise<void> {
    const { createdAt, deletedAt, ...rest } = record;
    const stored: StoredCommit = { ...rest, createdAtMicros: createdAt.epochMicros, deletedAtMicros: deletedAt?.epochMicros ?? null };
    const dir = join(this.root, record.id);
    await mkdir(dir, { recursive: true });
    // Write-then-rename so a crash never leaves half a commit.json.
    const temporary = join(dir, 'commit.json.tmp');
    await writeFile(temporary, JSON.stringify(stored, null, 2));
    await rename(temporary, join(dir, 'commit.json'));
  }
}

function page(all: CommitRecord[], limit: number, offset: number): CommitPage {
  return { commits: all.slice(offset, offset + limit), total: all.length, limit, offset };
}

function isBlank(value: string | null | undefined): boolean {
  return value === undefined || value === null || value.trim() === '';
}
