import type { CheckFailure } from '../base/check-failure';
import type { PropertyBag } from '../base/json';
import type { Logger } from '../base/logging';

/**
 * The shape every resource lifecycle of the core has. It is the shape of a
 * Pulumi dynamic resource provider (check/diff/create/read/update/delete on
 * camelCase property bags as schema.json defines them), so the Pulumi plugin,
 * the dynamic resources and the Terraform bridge all drive the same objects
 * and only translate values and errors.
 */

export interface CheckResult {
  /** The inputs with defaults applied and derived values (such as file hashes) filled in. */
  inputs: PropertyBag;
  failures: CheckFailure[];
}

export interface DiffResult {
  /** Whether anything differs between the recorded outputs and the new inputs. */
  changes: boolean;
  /** Top-level properties whose change forces a replacement. */
  replaces: string[];
  /** Top-level properties that change (in place or by replacement). */
  changedKeys: string[];
  /** Top-level output properties that will not change. */
  stables: string[];
  /** The old resource must go before the new one exists (it cannot exist twice). */
  deleteBeforeReplace: boolean;
  /** Set only with `replaces`: what the replacement's `create` needs from the resource it replaces. */
  carry?: ReplacementCarry;
  /**
   * Inputs whose old value was never known (Vers does not report them, e.g.
   * a VM's sizes after an import) and that take the new value without a
   * change. An engine that can only record them by an update says so.
   */
  adopted?: string[];
}

/**
 * Values a replacement carries from the old resource into the `create` of
 * its successor. Both engines forget the old state before that create runs
 * (Terraform plans it from a null prior, Pulumi re-checks with no olds), so
 * what the new resource must keep from the old one — a Provision's pinned
 * SSH host key — travels beside the replacement: `diff` returns it, the
 * bridge holds it until the create (`carry-store.ts`; Terraform also keeps
 * it in the plan's private data until the destroy half of the replacement)
 * and hands `values` to `create`. Carried values are never secret: they may
 * sit in a plan file.
 */
export interface ReplacementCarry {
  /**
   * Checked inputs the successor must have for the carry to apply, such as
   * `{ vmId }`: a bridge hands the values to no other create.
   */
  appliesTo: PropertyBag;
  /** What the successor's `create` receives as `carried`. */
  values: PropertyBag;
}

export interface CreateResult {
  id: string;
  outs: PropertyBag;
}

export interface ReadResult {
  id: string;
  /** Current outputs (inputs included, so diffs against them work). */
  outs: PropertyBag;
}

export interface LifecycleContext {
  /** The configured provider (API client, SSH settings). */
  readonly provider: unknown;
  readonly logger: Logger;
  /** Aborted when the engine cancels (Terraform StopProvider, Pulumi Cancel). */
  readonly signal: AbortSignal;
  /** True in a preview / plan: nothing may be created or changed. */
  readonly preview?: boolean;
  /**
   * A name of the resource instance that the engine gives on create, stable
   * across runs and unique per instance: Pulumi's URN. With it, a create
   * finds the VM an interrupted earlier create of the same instance made
   * (request-token.ts). Terraform and Pulumi dynamic providers give none.
   */
  readonly instanceKey?: string;
}

export interface ResourceLifecycle {
  /** The Pulumi type token, e.g. `vers:index:Vm`. */
  readonly token: string;
  /** Validate and normalise inputs. Never calls the API; reads local files only. */
  check(news: PropertyBag, olds: PropertyBag | undefined): Promise<CheckResult>;
  /** Compare recorded outputs with checked new inputs. Never calls the API. */
  diff(id: string, olds: PropertyBag, news: PropertyBag): Promise<DiffResult>;
  /**
   * Create the resource. When a failure happens after something exists that
   * must be recorded (a VM that failed to boot or to provision), throws a
   * `PartialCreateError` carrying the id and outputs. `carried` is the
   * `values` of the `carry` the replacing diff returned, when this create is
   * that replacement (see `ReplacementCarry`).
   */
  create(inputs: PropertyBag, ctx: LifecycleContext, carried?: PropertyBag): Promise<CreateResult>;
  /** Refresh. Resolves `undefined` when the resource no longer exists. */
  read(id: string, olds: PropertyBag | undefined, ctx: LifecycleContext): Promise<ReadResult | undefined>;
  /** Change in place what `diff` did not mark for replacement. */
  update(id: string, olds: PropertyBag, news: PropertyBag, ctx: LifecycleContext): Promise<PropertyBag>;
  /** Delete. Deleting something already gone succeeds. */
  delete(id: string, olds: PropertyBag, ctx: LifecycleContext): Promise<void>;
}

export interface FunctionLifecycle {
  /** The Pulumi function token, e.g. `vers:index:getVms`. */
  readonly token: string;
  check(args: PropertyBag): Promise<CheckFailure[]>;
  invoke(args: PropertyBag, ctx: LifecycleContext): Promise<PropertyBag>;
}
