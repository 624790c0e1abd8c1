import type { FaultInjector } from '../faults';
import type { Branches } from '../models/branches';
import type { CommitStore } from '../models/commits';
import type { VmStore } from '../models/vms';
import type { RequestStats } from '../request-stats';
import type { ApiRequest } from './request';
import type { Reply } from './reply';

/** Everything handlers may use: the models and the emulator controls. */
export interface HandlerContext {
  readonly vms: VmStore;
  readonly commits: CommitStore;
  readonly branches: Branches;
  readonly faults: FaultInjector;
  readonly stats: RequestStats;
  /** Destroy every VM, forget commits, history, stats and faults (POST /_vers-local/reset). */
  reset(): Promise<void>;
  /** Seed that `/_vers-local/faults` falls back to when a config gives none. */
  readonly defaultSeed: number;
}

export type Handler = (req: ApiRequest, ctx: HandlerContext) => Promise<Reply>;
