// Handler of Custom::PartnerConnectionPreferences. Reads as the lifecycle: onCreate / onUpdate / onDelete, each
// shaped read -> plan -> apply: the reads gather the live preferences and the stored state, a pure function
// (plan.ts) decides, and apply writes exactly what the plan says. The `plan` command runs the same reads and plan.
import { PartnerCentralAccountClient } from '@aws-sdk/client-partnercentral-account';
import { SSMClient } from '@aws-sdk/client-ssm';
import type {
  CloudFormationCustomResourceCreateEvent,
  CloudFormationCustomResourceDeleteEvent,
  CloudFormationCustomResourceEvent,
  CloudFormationCustomResourceUpdateEvent,
} from 'aws-lambda';
import { OnDelete } from '../../lib/common/on-delete';
import { API_REGION, Attr, Prop } from '../../lib/partner-central/contract';
import { OperatorError, errorMessage } from '../common/errors';
import { eventSummary, log } from '../common/log';
import { refuseForeignStack } from '../common/origin';
import { ownership, requesterOf } from '../common/plan';
import { newReconcileValue } from '../common/props';
import { type LambdaContextLike, clock, namingOperations, retryConfig, sleep, throttledMessage } from '../common/sdk';
import { type Claim, LockHeldError, type StateStore, type Stored, UnreadableStateError, ownerOf } from '../common/state-store';
import { type PreferencesPlan, planPreferences, planPreferencesDelete } from './plan';
import {
  type Budget,
  CONFLICT_RETRY,
  type Desired,
  type Live,
  PartnerCentralError,
  type Preferences,
  type WriteTrace,
  catalogOfArn,
  converge,
  describeChange,
  digest,
  getPreferences,
  lenientCatalog,
  lenientPreferences,
  parseOnDelete,
  parseProps,
  snapshotOf,
  stateStore,
  stateSummary,
  undoOwnWrite,
  what,
} from './preferences';

export { CONFLICT_RETRY, converge, type Budget, type ConflictRetry } from './preferences';

export interface Clients {
  readonly partnerCentral: PartnerCentralAccountClient;
  readonly ssm: SSMClient;
}

export interface Response {
  PhysicalResourceId: string;
  Data?: Record<string, string>;
}

// Both clients in the API's only region, whatever the stack's region. No explicit endpoint, so that
// AWS_ENDPOINT_URL_* can point them at a local emulator.
const clients: Clients = {
  partnerCentral: namingOperations(new PartnerCentralAccountClient({ region: API_REGION, ...retryConfig() })),
  ssm: namingOperations(new SSMClient({ region: API_REGION, ...retryConfig() })),
};

export async function handler(event: CloudFormationCustomResourceEvent, context?: LambdaContextLike): Promise<Response> {
  log.info('request', eventSummary(event));
  // Before any read or write, and outside the try below: the refusal is its own message.
  refuseForeignStack(event);
  clock.begin(context);
  const budget: Budget = { retry: CONFLICT_RETRY, remainingMs: () => clock.remainingMs(), sleep };
  try {
    switch (event.RequestType) {
      case 'Create':
        return await onCreate(event, clients, budget);
      case 'Update':
        return await onUpdate(event, clients, budget);
      case 'Delete':
        return await onDelete(event, clients, budget);
    }
  } catch (err) {
    throw operatorMessage(err);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Lifecycle

export async function onCreate(event: CloudFormationCustomResourceCreateEvent, c: Clients, budget = defaultBudget()): Promise<Response> {
  return applyAsNewOwner(parseProps(event.ResourceProperties), event, c, budget);
}

export async function onUpdate(event: CloudFormationCustomResourceUpdateEvent, c: Clients, budget = defaultBudget()): Promise<Response> {
  let desired: Desired;
  try {
    desired = parseProps(event.ResourceProperties);
  } catch (err) {
    return alreadyApplied(err, event, c);
  }
  const managed = catalogOfArn(event.PhysicalResourceId) ?? lenientCatalog(event.OldResourceProperties);
  if (desired.catalog !== managed) {
    // Replacement: the new ARN makes CloudFormation send Delete for the old one (in the cleanup phase), which
    // restores the old catalog. Compared with the physical id, not the old properties: a rollback's old properties
    // are the rejected values.
    log.info('catalog changed: managing the new catalog as a new resource', { from: managed, to: desired.catalog });
    return applyAsNewOwner(desired, event, c, budget);
  }

  const reconcile = newReconcileValue(event, Prop.RECONCILE);
  if (reconcile) log.info('reconcile requested: an ordinary Update, converging whatever drifted', { catalog: desired.catalog, reconcile });
  const owner = ownerOf(event);
  const store = stateStore(c.ssm, desired.catalog);
  // Independent reads, side by side: one round trip less on the deployment's critical path.
  const [storedRead, liveRead] = await Promise.allSettled([store.read(), getPreferences(c.partnerCentral, desired.catalog)]);
  if (storedRead.status === 'rejected') throw storedRead.reason;
  const stored = storedRead.value;
  if (liveRead.status === 'rejected') return cannotApply(liveRead.reason, desired, stored, event);
  const live = liveRead.value;

  let plan = planPreferences({ desired, requester: requesterOf(event), stored, live });
  if (plan.action === 'blocked') throw new LockHeldError(store.base, plan.holder!, what(desired.catalog), API_REGION);
  let names = stored.names;
  if (plan.ownership !== 'ours') {
    // No record (state lost, or a resource deployed before the state existed), or the stale claim of an earlier
    // stack of this name: claim now; the best snapshot left is what is there now, or the stale claim's own.
    const claim = await store.claim(owner, snapshotOf(live), { applied: plan.applied });
    plan = replan(desired, event, claim, live);
    names = claim.names;
    if (claim.outcome === 'created') {
      log.warn('no saved state for this resource: took the current preferences as the snapshot to restore at Delete', {
        catalog: desired.catalog,
        accessType: live.accessType,
        excludedCount: live.excludedParticipantIds.length,
      });
    }
  }
  if (plan.drift.drifted) {
    // The store keeps only a digest of what was applied; the old properties say what it was, when they match it.
    const before = lenientPreferences(event.OldResourceProperties);
    const known = before && digest(before) === stored.record?.meta.applied;
    log.warn('drift: the preferences were changed outside this stack since it last applied them; converging', {
      catalog: desired.catalog,
      liveRevision: live.revision,
      ...(known ? describeChange(before, live) : { live: stateSummary(live) }),
    });
  }
  log.info('plan', { catalog: desired.catalog, action: plan.action, writes: plan.writes.map((w) => w.summary) });

  let result: { live: Live; wrote: boolean };
  try {
    result = await converge(c.partnerCentral, desired.catalog, desired, budget, live);
  } catch (err) {
    return cannotApply(err, desired, stored, event);
  }
  if (plan.recordApplied && plan.ownership === 'ours') {
    await store.save({ owner, snapshot: plan.snapshot, meta: { applied: plan.applied } }, names);
  }
  return respond(result.live);
}

export async function onDelete(event: CloudFormationCustomResourceDeleteEvent, c: Clients, budget = defaultBudget()): Promise<Response> {
  const physicalId = event.PhysicalResourceId;
  const catalog = catalogOfArn(physicalId);
  if (!catalog) {
    // The framework's CREATE_FAILED marker or any id this handler never returned: nothing of ours exists.
    log.info('physical id is not a preferences ARN of this handler: nothing to delete', { physicalId });
    return { PhysicalResourceId: physicalId };
  }
  const store = stateStore(c.ssm, catalog);
  let stored: Stored<Preferences>;
  try {
    stored = await store.read();
  } catch (err) {
    // An unreadable record another resource's header names is not ours to fail on; ours (or nobody's) is reported.
    if (err instanceof UnreadableStateError && err.owner && ownership(err.owner, requesterOf(event)) !== 'ours') {
      log.warn('the saved state is unreadable and belongs to another resource: leaving it and the preferences as they are', { catalog, owner: err.owner });
      return { PhysicalResourceId: physicalId };
    }
    throw err;
  }
  // Read -> plan -> apply, with the pure plan of the Delete the `plan` command prints (plan.ts, planPreferencesDelete);
  // converge reads the live preferences itself, with the Revision its write needs.
  const plan = planPreferencesDelete({ catalog, requester: requesterOf(event), onDelete: parseOnDeleteLeniently(event.ResourceProperties[Prop.ON_DELETE]), stored });
  if (!plan.owned) {
    // Not ours (never claimed, already deleted, or held by another resource): touching it would undo someone else.
    log.info('no state owned by this resource: leaving the preferences as they are', { catalog, owner: stored.owner });
    return { PhysicalResourceId: physicalId };
  }
  if (plan.restore) {
    const result = await converge(c.partnerCentral, catalog, plan.restore, budget);
    log.info('restored the preferences found at Create', { catalog, wrote: result.wrote, revision: result.live.revision });
  } else {
    log.info('OnDelete is RETAIN: leaving the preferences as they are', { catalog });
  }
  await store.remove(stored.names);
  return { PhysicalResourceId: physicalId };
}

/**
 * Create (and replacement): claim the catalog with a snapshot of what was there, then apply the plan. A failed
 * Create gets no Delete from the Provider framework, so it undoes its own work before it throws.
 */
async function applyAsNewOwner(
  desired: Desired,
  event: CloudFormationCustomResourceCreateEvent | CloudFormationCustomResourceUpdateEvent,
  c: Clients,
  budget: Budget,
): Promise<Response> {
  const store = stateStore(c.ssm, desired.catalog);
  // No read of the store first: the claim itself (one create-only write that also holds the snapshot) says whether
  // the catalog is free, ours from an earlier delivery of this same Create, a stale claim of this resource's earlier
  // stack, or held by another resource (LockHeldError).
  const found = await getPreferences(c.partnerCentral, desired.catalog);
  const first = planPreferences({ desired, requester: requesterOf(event), live: found });
  const claim = await store.claim(ownerOf(event), snapshotOf(found), { applied: first.applied });
  const plan = claim.outcome === 'created' ? first : replan(desired, event, claim, found);
  if (claim.outcome === 'ours') {
    // The same Create delivered again: keep the snapshot taken before our first write, never re-snapshot our own
    // state. Not undone on failure, since the first delivery may have succeeded.
    log.info('state already owned by this resource (repeated delivery): converging with the stored snapshot', { catalog: desired.catalog });
  }
  log.info('plan', { catalog: desired.catalog, action: plan.action, writes: plan.writes.map((w) => w.summary), claim: claim.outcome });
  const writes: WriteTrace = {};
  try {
    const result = await converge(c.partnerCentral, desired.catalog, desired, budget, found, writes);
    if (claim.outcome === 'ours' && plan.recordApplied) await store.save({ ...claim.record, meta: { applied: plan.applied } }, claim.names);
    return respond(result.live);
  } catch (err) {
    if (claim.outcome !== 'ours') throw await undoCreate(c, store, desired.catalog, found, claim, writes, err);
    throw err;
  }
}

/** The plan once the claim has said who holds the catalog: the stored snapshot is the one to keep. */
function replan(desired: Desired, event: { StackId: string; LogicalResourceId: string }, claim: Claim<Preferences>, live: Live): PreferencesPlan {
  return planPreferences({ desired, requester: requesterOf(event), stored: { record: claim.record, owner: claim.record.owner, names: claim.names }, live });
}

/**
 * Undoes a failed Create: puts back what this invocation found, but only over its own write (the Revision that
 * write returned): when no write of ours landed, or someone wrote after it, the live preferences are someone else's
 * and stay. Then releases the claim, or puts back the stale claim it took over. Returns the error to throw, which
 * says what was undone.
 */
async function undoCreate(c: Clients, store: StateStore<Preferences>, catalog: string, found: Preferences, claim: Claim<Preferences>, writes: WriteTrace, cause: unknown): Promise<unknown> {
  log.error('create failed: undoing its own write, if any, and releasing the claim', { catalog, error: errorMessage(cause), wroteRevision: writes.landed?.revision });
  clock.undoing();
  try {
    const undone = await undoOwnWrite(c.partnerCentral, catalog, found, writes);
    log.info('undo of the failed create', { catalog, restored: undone.restored, liveRevision: undone.live?.revision, note: undone.note });
    if (claim.outcome === 'takeover' && claim.previous) await store.save(claim.previous, claim.names);
    else await store.remove(claim.names);
    const released = claim.outcome === 'takeover' ? 'the earlier claim was put back' : 'the claim was released';
    return new OperatorError(`${errorMessage(operatorMessage(cause))} ${undone.note} Nothing else was changed: ${released}.`);
  } catch (undoErr) {
    log.error('could not undo the failed create', { catalog, error: errorMessage(undoErr) });
    return new OperatorError(
      `${errorMessage(operatorMessage(cause))} Undoing the create also failed (${errorMessage(operatorMessage(undoErr))}): check the connection ` +
        `preferences of catalog ${catalog} and the SSM parameters under ${store.base} in ${API_REGION} before retrying.`,
    );
  }
}

/**
 * An Update whose reads or write failed. When the declared state is the one this resource last applied (a rollback,
 * or the same Update again) and the failure says it cannot be applied (access lost, values refused), there is
 * nothing this Update can or needs to do: succeed with a warning, so a rollback can never get stuck. Otherwise fail.
 */
function cannotApply(err: unknown, desired: Desired, stored: Stored<Preferences>, event: CloudFormationCustomResourceUpdateEvent): Response {
  const lastApplied = stored.record?.meta.applied;
  const applicable = err instanceof PartnerCentralError && (err.kind === 'access' || err.kind === 'validation');
  if (!(applicable && ownsRecord(stored, event) && lastApplied === digest(desired))) throw err;
  const warning =
    `Nothing was written: the declared preferences of catalog ${desired.catalog} (${stateSummary(desired)}) are what this resource last ` +
    `applied, and they cannot be applied again now: ${errorMessage(err)}`;
  log.warn('rollback or repeated update that cannot be applied: succeeding without writing', { catalog: desired.catalog, error: errorMessage(err) });
  return { PhysicalResourceId: event.PhysicalResourceId, Data: { Warning: warning.slice(0, 1000) } };
}

/**
 * Properties this version refuses, in an Update. An earlier version of this handler accepted some values it now
 * refuses (an empty item of a token list, a repeat): when the refused properties are, read by those earlier rules,
 * exactly what this resource last applied (a rollback to them, or the same Update again), succeed without writing,
 * so a rollback can never get stuck on them. Otherwise the refusal stands.
 */
async function alreadyApplied(err: unknown, event: CloudFormationCustomResourceUpdateEvent, c: Clients): Promise<Response> {
  let earlier: Desired;
  try {
    earlier = parseProps(event.ResourceProperties, { legacyLists: true });
  } catch {
    throw err;
  }
  if (catalogOfArn(event.PhysicalResourceId) !== earlier.catalog) throw err;
  const stored = await stateStore(c.ssm, earlier.catalog).read();
  if (!ownsRecord(stored, event) || stored.record?.meta.applied !== digest(earlier)) throw err;
  const warning = `Nothing was written: the preferences of catalog ${earlier.catalog} are what this resource last applied, but its properties are now refused: ${errorMessage(err)}`;
  log.warn('refused properties that this resource already applied (a rollback or a repeated update): succeeding without writing', { catalog: earlier.catalog, error: errorMessage(err) });
  return { PhysicalResourceId: event.PhysicalResourceId, Data: { Warning: warning.slice(0, 1000) } };
}

function ownsRecord(stored: Stored<Preferences>, event: { StackId: string; LogicalResourceId: string }): boolean {
  return !!stored.record && ownership(stored.owner, requesterOf(event)) === 'ours';
}

function respond(live: Live): Response {
  return {
    PhysicalResourceId: live.arn,
    Data: {
      [Attr.ARN]: live.arn,
      [Attr.REVISION]: String(live.revision),
      [Attr.UPDATED_AT]: live.updatedAt ? new Date(live.updatedAt).toISOString() : '',
    },
  };
}

/** Throttling that outlasted the invocation, said with what to do; other errors as they are. */
function operatorMessage(err: unknown): unknown {
  if (err instanceof OperatorError) return err;
  const op = (err as { $operation?: string }).$operation ?? 'a Parameter Store call';
  const throttled = throttledMessage(err, 'SSM Parameter Store', op);
  return throttled ? new OperatorError(throttled) : err;
}

function parseOnDeleteLeniently(value: unknown): OnDelete {
  try {
    return parseOnDelete(value);
  } catch {
    // Delete must not fail on a value that was valid when it was deployed; restoring is the documented default.
    return OnDelete.RESTORE;
  }
}


function defaultBudget(): Budget {
  return { retry: CONFLICT_RETRY, remainingMs: () => clock.remainingMs(), sleep };
}
