// The one lifecycle every kind of resource goes through (issue 15). The Create/Update/Delete rules are written once,
// here; a kind (lambda/<kind>/index.ts) supplies only its reads, its pure plan, its writes and its undo.
//
// The rules:
// - Before any read or write, an event for another stack is refused (origin.ts); the invocation's clock starts.
// - Create, and an Update that changes what the resource manages (a replacement: a new physical id), claim the
//   setting in Parameter Store with a snapshot of what was there (one create-only write that is also the lock), then
//   apply the plan. The claim says whether it is free, ours already (a repeated delivery), a stale claim of this
//   resource's earlier stack (taken over), or held by another resource (refused, before any write).
// - An Update in place reads the state and the live setting, claims only when there is no record of ours (state lost,
//   or a stale claim), and applies the plan. An Update that cannot be applied now (the setting gone, access lost,
//   values refused) while it declares what this resource last applied (a rollback, or the same Update again)
//   succeeds with a warning, so a rollback cannot get stuck; so does one whose properties this version refuses but an
//   earlier one applied.
// - A failed write is undone by the kind (only this invocation's own writes); the engine puts the state back as it
//   was before this invocation (releases a claim it made, puts back a stale claim it took over or a record it saved).
// - Delete acts only on a record this resource owns, then removes it; an unreadable record that names another owner
//   is left alone.
// - Errors leave with a message for the operator (throttling that outlasted the invocation said with what to do).
import type {
  CloudFormationCustomResourceCreateEvent,
  CloudFormationCustomResourceDeleteEvent,
  CloudFormationCustomResourceEvent,
  CloudFormationCustomResourceUpdateEvent,
} from 'aws-lambda';
import { OnDelete } from '../../lib/common/on-delete';
import { OperatorError, errorMessage } from './errors';
import { type LogFields, eventSummary, log } from './log';
import { refuseForeignStack } from './origin';
import { type Ownership, ownership, requesterOf } from './plan';
import { newReconcileValue } from './props';
import { type LambdaContextLike, clock, throttledMessage } from './sdk';
import { type Claim, type StateRecord, type StateStore, type Stored, UnreadableStateError, ownerOf } from './state-store';

export interface Response {
  PhysicalResourceId: string;
  Data?: Record<string, string>;
}

export type CreateEvent = CloudFormationCustomResourceCreateEvent;
export type UpdateEvent = CloudFormationCustomResourceUpdateEvent;
export type DeleteEvent = CloudFormationCustomResourceDeleteEvent;
/** Who sends an event: enough to tell whose a claim is. */
export type Requester = { readonly StackId: string; readonly LogicalResourceId: string };

/** `create`: Create, and a replacement (claim first). `update`: an Update in place. */
export type Phase = 'create' | 'update';

/** What the engine needs to know of a kind's plan. */
export interface EnginePlan {
  readonly action: string;
  /** Who holds the setting, as this resource sees it (common/plan.ts). */
  readonly ownership: Ownership;
  /** Why the deployment fails (`blocked`). */
  readonly reason?: string;
}

export interface PlanFacts<D, S, R> {
  readonly phase: Phase;
  readonly desired: D;
  readonly event: CreateEvent | UpdateEvent;
  readonly reads: R;
  /** The state as an Update in place read it (absent in the create phase, which claims without reading). */
  readonly stored?: Stored<S>;
  /** The claim this invocation made, once made: a plan after the claim sees who holds the setting. */
  readonly claim?: Claim<S>;
}

export interface WriteContext<D, S, R, P, T> {
  readonly phase: Phase;
  readonly desired: D;
  readonly event: CreateEvent | UpdateEvent;
  readonly reads: R;
  readonly plan: P;
  /** What the writes record of themselves, for the undo: the kind's own shape. */
  readonly trace: T;
  readonly store: StateStore<S>;
  /** The claim this invocation made, if it made one. */
  readonly claim?: Claim<S>;
}

export interface UndoContext<D, S, R, P, T> extends WriteContext<D, S, R, P, T> {
  /** The failure of the writes. */
  readonly cause: unknown;
  /**
   * Puts the state back as it was before this invocation: removes the record it created, or puts back the stale claim
   * it took over or the record it overwrote.
   */
  release(): Promise<void>;
}

/** Update properties this version refuses, read by the rules of an earlier version that accepted them. */
export interface EarlierProps<S> {
  /** The key the physical id names, which those properties name too. */
  readonly key: string;
  /** The record says this resource last applied exactly those properties. */
  lastApplied(record: StateRecord<S>): boolean;
  /** `the shares of alias wsca-...`: what the warning says is unchanged. */
  readonly what: string;
  /** The attributes of the response (the Warning is added), from the record this resource last saved. */
  data(record: StateRecord<S>): Record<string, string>;
}

/**
 * One kind of resource. `D`: its parsed properties; `S`: the snapshot it stores; `R`: its reads of the live setting;
 * `P`: its plan; `T`: what its writes trace for the undo; `DP`: its plan of a Delete.
 */
export interface Kind<D, S, R, P extends EnginePlan, T, DP> {
  /** The log field that names the managed setting (`catalog`, `aliasId`). */
  readonly field: string;
  /** The property whose new value only asks for a reconcile (logged). */
  readonly reconcileProp?: string;
  /** When the record of a plan is saved: before the writes (a repeated delivery then sees them as its own) or after. */
  readonly saveRecord: 'beforeWrites' | 'afterWrites';
  /** Log messages that name the kind's setting. */
  readonly texts: { readonly event: string; readonly replacement: string; readonly unknownId: string };

  // ---- properties ----
  /** Parses current and older property shapes; throws an OperatorError naming the property. */
  parse(props: Record<string, unknown>, event: CreateEvent | UpdateEvent): D;
  /** The key of the setting the properties manage (catalog, alias id): what the state path and the lock name. */
  keyOf(desired: D): string;
  /** Update: the key the resource manages now (its physical id); another key in the properties is a replacement. */
  managedKey(event: UpdateEvent): string | undefined;
  /** Delete: the key of the physical id, or undefined for an id this handler never returned. */
  deleteKey(physicalId: string): string | undefined;
  /** OnDelete of the properties; may throw (a Delete then restores, the documented default). */
  onDeleteOf(props: Record<string, unknown>): OnDelete;
  /** See EarlierProps; undefined when no earlier rule explains the refused properties. */
  earlier?(event: UpdateEvent): EarlierProps<S> | undefined;
  store(key: string): StateStore<S>;

  // ---- read -> plan -> apply ----
  read(desired: D, event: CreateEvent | UpdateEvent): Promise<R>;
  plan(facts: PlanFacts<D, S, R>): P;
  /** What a claim stores: the snapshot of what is there now, and the bookkeeping. */
  claimOf(desired: D, reads: R, plan: P): { snapshot: S; meta: Record<string, unknown> };
  /**
   * The record to save before the writes, or after them (`response`: what they answered), or undefined when the record
   * stored (or just claimed) already says it.
   */
  recordOf(plan: P, response?: Response): { snapshot: S; meta: Record<string, unknown> } | undefined;
  /** The error for an Update in place of a setting another resource holds; default: the plan's reason. */
  refuseHeld?(plan: P, desired: D, store: StateStore<S>): Error;
  /** Logs that an Update found no record: the live setting becomes the snapshot. */
  warnNoState(desired: D, reads: R, store: StateStore<S>): void;
  /** Logs the plan's drift, if any. */
  warnDrift?(facts: PlanFacts<D, S, R>, plan: P): void;
  /** The fields of the `plan` log line. */
  planLog(plan: P): LogFields;
  newTrace(): T;
  /** Makes exactly the plan's writes and answers. */
  write(c: WriteContext<D, S, R, P, T>): Promise<Response>;
  /**
   * After `write` failed: undoes this invocation's own writes and (through `c.release`, where the kind's rules say
   * so) its state, and returns the error to throw, saying what was undone.
   */
  undo(c: UndoContext<D, S, R, P, T>): Promise<unknown>;

  // ---- rollbacks that cannot get stuck ----
  /** The failure says the declared state cannot be applied now (gone, access lost, values refused). */
  cannotApplyNow(err: unknown): boolean;
  /** The record says this resource last applied exactly `desired`. */
  lastApplied(record: StateRecord<S>, desired: D): boolean;
  /** `the declared accounts of alias wsca-... (111111111111)`: what the warning says is unchanged. */
  declared(desired: D): string;
  /** The attributes of a response that wrote nothing (the Warning is added), given the record this resource saved. */
  data(desired: D, record: StateRecord<S>): Record<string, string>;

  // ---- Delete ----
  /** The Delete's reads and pure plan; undefined (after logging why) when nothing of this resource's is there. */
  planDelete(f: { key: string; event: DeleteEvent; stored: Stored<S>; onDelete: OnDelete }): Promise<DP | undefined>;
  /** Makes the Delete's writes; the engine then removes the state. */
  applyDelete(key: string, plan: DP, stored: Stored<S>): Promise<void>;
}

/** The handler of a kind: refuses foreign stacks, starts the clock, runs the lifecycle, formats errors. */
export async function handle<D, S, R, P extends EnginePlan, T, DP>(
  kind: Kind<D, S, R, P, T, DP>,
  event: CloudFormationCustomResourceEvent,
  context?: LambdaContextLike,
): Promise<Response> {
  log.info(kind.texts.event, eventSummary(event));
  // Before any read or write, and outside the try below: the refusal is its own message.
  refuseForeignStack(event);
  clock.begin(context);
  try {
    switch (event.RequestType) {
      case 'Create':
        return await onCreate(kind, event);
      case 'Update':
        return await onUpdate(kind, event);
      case 'Delete':
        return await onDelete(kind, event);
    }
  } catch (err) {
    throw operatorMessage(err);
  }
}

export async function onCreate<D, S, R, P extends EnginePlan, T, DP>(kind: Kind<D, S, R, P, T, DP>, event: CreateEvent): Promise<Response> {
  return claimAndApply(kind, kind.parse(event.ResourceProperties, event), event);
}

export async function onUpdate<D, S, R, P extends EnginePlan, T, DP>(kind: Kind<D, S, R, P, T, DP>, event: UpdateEvent): Promise<Response> {
  let desired: D;
  try {
    desired = kind.parse(event.ResourceProperties, event);
  } catch (err) {
    return alreadyApplied(kind, err, event);
  }
  const key = kind.keyOf(desired);
  const managed = kind.managedKey(event);
  if (key !== managed) {
    // Replacement: the new physical id makes CloudFormation send Delete for the old one (in the cleanup phase), which
    // reverses it. Compared with the physical id, not the old properties: a rollback's old properties are the
    // rejected values. A failure undoes the new setting's claim and keeps the old id.
    log.info(kind.texts.replacement, { from: managed, to: key });
    return claimAndApply(kind, desired, event);
  }
  const reconcile = kind.reconcileProp ? newReconcileValue(event, kind.reconcileProp) : undefined;
  if (reconcile) log.info('reconcile requested: an ordinary Update, converging whatever drifted', { [kind.field]: key, reconcile });

  const store = kind.store(key);
  // Independent reads, side by side: one round trip less on the deployment's critical path.
  const [storedRead, liveRead] = await Promise.allSettled([store.read(), kind.read(desired, event)]);
  if (storedRead.status === 'rejected') throw storedRead.reason;
  const stored = storedRead.value;
  if (liveRead.status === 'rejected') return cannotApply(kind, liveRead.reason, desired, event, store, stored);
  const reads = liveRead.value;

  const facts: PlanFacts<D, S, R> = { phase: 'update', desired, event, reads, stored };
  let plan = kind.plan(facts);
  if (plan.ownership === 'other') throw kind.refuseHeld?.(plan, desired, store) ?? new OperatorError(plan.reason!);
  let hold: Hold<S> = { names: stored.names, prev: stored.record ? { record: stored.record, names: stored.names } : undefined, created: false, tookOver: false, saved: false };
  let claim: Claim<S> | undefined;
  if (plan.ownership !== 'ours') {
    // No record (state lost, or a resource deployed before the state existed), or the stale claim of an earlier stack
    // of this name: claim now; the best snapshot left is what is there now, or the stale claim's own.
    if (!stored.owner) kind.warnNoState(desired, reads, store);
    const { snapshot, meta } = kind.claimOf(desired, reads, plan);
    claim = await store.claim(ownerOf(event), snapshot, meta);
    plan = kind.plan({ ...facts, claim });
    hold = holdOf(claim);
  }
  let response: Response;
  try {
    response = await apply(kind, { phase: 'update', desired, event, reads, plan, trace: kind.newTrace(), store, claim }, hold, { ...facts, claim });
  } catch (err) {
    return cannotApply(kind, err, desired, event, store, stored);
  }
  await saveAfter(kind, store, event, plan, hold, response);
  return response;
}

export async function onDelete<D, S, R, P extends EnginePlan, T, DP>(kind: Kind<D, S, R, P, T, DP>, event: DeleteEvent): Promise<Response> {
  const physicalId = event.PhysicalResourceId;
  const done = { PhysicalResourceId: physicalId };
  const key = kind.deleteKey(physicalId);
  if (!key) {
    // The framework's CREATE_FAILED marker or any id this handler never returned: nothing of ours exists.
    log.info(kind.texts.unknownId, { physicalResourceId: physicalId });
    return done;
  }
  const store = kind.store(key);
  let stored: Stored<S>;
  try {
    stored = await store.read();
  } catch (err) {
    // An unreadable record another resource's header names is not ours to fail on; ours (or nobody's) is reported.
    if (err instanceof UnreadableStateError && err.owner && ownership(err.owner, requesterOf(event)) !== 'ours') {
      log.warn('the saved state is unreadable and belongs to another resource: leaving it, and what it manages, as they are', { [kind.field]: key, owner: err.owner });
      return done;
    }
    throw err;
  }
  const plan = await kind.planDelete({ key, event, stored, onDelete: lenientOnDelete(kind, event.ResourceProperties) });
  if (plan === undefined) return done;
  await kind.applyDelete(key, plan, stored);
  await store.remove(stored.names);
  return done;
}

/** What this invocation holds of the state, to put it back on failure. */
interface Hold<S> {
  /** The parameter names stored now. */
  names: string[];
  /** The record to put back (found before this invocation, a stale claim taken over, or ours from a first delivery). */
  readonly prev?: { readonly record: StateRecord<S>; readonly names: string[] };
  /** This invocation created the record: released on failure. */
  readonly created: boolean;
  /** This invocation took over a stale claim: `prev` is put back on failure. */
  readonly tookOver: boolean;
  /** This invocation saved a record before its writes: `prev` is put back on failure. */
  saved: boolean;
}

function holdOf<S>(claim: Claim<S>): Hold<S> {
  const prev = claim.outcome === 'takeover' && claim.previous ? { record: claim.previous, names: claim.names } : claim.outcome === 'ours' ? { record: claim.record, names: claim.names } : undefined;
  return { names: claim.names, prev, created: claim.outcome === 'created', tookOver: claim.outcome === 'takeover', saved: false };
}

async function release<S>(store: StateStore<S>, hold: Hold<S>): Promise<void> {
  if (hold.created) await store.remove(hold.names);
  else if ((hold.saved || hold.tookOver) && hold.prev) await store.save(hold.prev.record, hold.names);
}

/**
 * Create (and replacement): claim the setting with a snapshot of what was there, then apply the plan. No read of the
 * store first: the claim itself says whether the setting is free, ours from an earlier delivery of this same event,
 * a stale claim of this resource's earlier stack, or held by another resource (LockHeldError). A failed Create gets
 * no Delete from the Provider framework, so it undoes its own work before it throws.
 */
async function claimAndApply<D, S, R, P extends EnginePlan, T, DP>(kind: Kind<D, S, R, P, T, DP>, desired: D, event: CreateEvent | UpdateEvent): Promise<Response> {
  const key = kind.keyOf(desired);
  const store = kind.store(key);
  const reads = await kind.read(desired, event);
  const facts: PlanFacts<D, S, R> = { phase: 'create', desired, event, reads };
  // Before the claim, so that a plan that cannot be applied leaves nothing behind.
  const first = kind.plan(facts);
  if (first.action === 'blocked') throw new OperatorError(first.reason!);
  const { snapshot, meta } = kind.claimOf(desired, reads, first);
  const claim = await store.claim(ownerOf(event), snapshot, meta);
  const plan = kind.plan({ ...facts, claim });
  if (claim.outcome === 'ours') {
    // The same Create delivered again: keep the snapshot taken before our first write, never re-snapshot our own state.
    log.info('state already owned by this resource (repeated delivery): converging with the stored snapshot', { [kind.field]: key });
  }
  const hold = holdOf(claim);
  const response = await apply(kind, { phase: 'create', desired, event, reads, plan, trace: kind.newTrace(), store, claim }, hold, { ...facts, claim });
  await saveAfter(kind, store, event, plan, hold, response);
  return response;
}

/** The plan's writes, with the record saved first when the kind says so; a failed write undone. */
async function apply<D, S, R, P extends EnginePlan, T, DP>(kind: Kind<D, S, R, P, T, DP>, c: WriteContext<D, S, R, P, T>, hold: Hold<S>, facts: PlanFacts<D, S, R>): Promise<Response> {
  const key = kind.keyOf(c.desired);
  if (c.plan.action === 'blocked') {
    // Before any write: leave everything as it was, bar the claim this invocation made or took over.
    await release(c.store, hold);
    throw new OperatorError(c.plan.reason!);
  }
  kind.warnDrift?.(facts, c.plan);
  log.info('plan', { [kind.field]: key, action: c.plan.action, ...kind.planLog(c.plan), ...(c.claim && c.phase === 'create' ? { claim: c.claim.outcome } : {}) });
  const record = kind.saveRecord === 'beforeWrites' ? kind.recordOf(c.plan) : undefined;
  if (record) {
    hold.names = await c.store.save({ owner: ownerOf(c.event), ...record }, hold.names);
    hold.saved = true;
  }
  try {
    return await kind.write(c);
  } catch (cause) {
    throw await kind.undo({ ...c, cause, release: () => release(c.store, hold) });
  }
}

async function saveAfter<D, S, R, P extends EnginePlan, T, DP>(kind: Kind<D, S, R, P, T, DP>, store: StateStore<S>, event: Requester, plan: P, hold: Hold<S>, response: Response): Promise<void> {
  const record = kind.saveRecord === 'afterWrites' ? kind.recordOf(plan, response) : undefined;
  if (record) hold.names = await store.save({ owner: ownerOf(event), ...record }, hold.names);
}

function ownsRecord<S>(stored: Stored<S> | undefined, event: Requester): stored is Stored<S> & { record: StateRecord<S> } {
  return !!stored?.record && ownership(stored.owner, requesterOf(event)) === 'ours';
}

/**
 * An Update whose reads or writes failed. When the declared state is the one this resource last applied (a rollback,
 * or the same Update again) and the failure says it cannot be applied now, there is nothing this Update can or needs
 * to do: succeed with a warning, so a rollback can never get stuck. Otherwise fail as the error says.
 */
async function cannotApply<D, S, R, P extends EnginePlan, T, DP>(
  kind: Kind<D, S, R, P, T, DP>,
  err: unknown,
  desired: D,
  event: UpdateEvent,
  store: StateStore<S>,
  stored?: Stored<S>,
): Promise<Response> {
  if (!kind.cannotApplyNow(err)) throw err;
  const found = stored ?? (await store.read().catch(() => undefined));
  if (!ownsRecord(found, event) || !kind.lastApplied(found.record, desired)) throw err;
  const warning = `Nothing was written: ${kind.declared(desired)} are what this resource last applied, and they cannot be applied again now: ${errorMessage(err)}`;
  log.warn('rollback or repeated update that cannot be applied: succeeding without writing', { [kind.field]: kind.keyOf(desired), error: errorMessage(err) });
  return { PhysicalResourceId: event.PhysicalResourceId, Data: { ...kind.data(desired, found.record), Warning: warning.slice(0, 1000) } };
}

/**
 * Properties this version refuses, in an Update. An earlier version of this handler accepted some values it now
 * refuses (an empty token list, an empty item, a repeat): when the refused properties are, read by those earlier
 * rules, exactly what this resource last applied (a rollback to them, or the same Update again), succeed without
 * writing, so a rollback can never get stuck on them. Otherwise the refusal stands.
 */
async function alreadyApplied<D, S, R, P extends EnginePlan, T, DP>(kind: Kind<D, S, R, P, T, DP>, err: unknown, event: UpdateEvent): Promise<Response> {
  const earlier = kind.earlier?.(event);
  if (!earlier) throw err;
  const stored = await kind.store(earlier.key).read();
  if (!ownsRecord(stored, event) || !earlier.lastApplied(stored.record)) throw err;
  const warning = `Nothing was written: ${earlier.what} are what this resource last applied, but its properties are now refused: ${errorMessage(err)}`;
  log.warn('refused properties that this resource already applied (a rollback or a repeated update): succeeding without writing', { [kind.field]: earlier.key, error: errorMessage(err) });
  return { PhysicalResourceId: event.PhysicalResourceId, Data: { ...earlier.data(stored.record), Warning: warning.slice(0, 1000) } };
}

function lenientOnDelete(kind: { onDeleteOf(props: Record<string, unknown>): OnDelete }, props: Record<string, unknown>): OnDelete {
  try {
    return kind.onDeleteOf(props);
  } catch {
    // Delete must not fail on a value that was valid when it was deployed; restoring is the documented default.
    return OnDelete.RESTORE;
  }
}

/** Throttling that outlasted the invocation, said with what to do; other errors as they are. */
export function operatorMessage(err: unknown): unknown {
  if (err instanceof OperatorError) return err;
  const op = (err as { $operation?: string }).$operation ?? 'a Parameter Store call';
  const throttled = throttledMessage(err, 'SSM Parameter Store', op);
  return throttled ? new OperatorError(throttled) : err;
}
