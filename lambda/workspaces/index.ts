// Handler of Custom::ConnectionAliasSharing: shares one WorkSpaces connection alias with the declared accounts.
// Reads as the lifecycle: onCreate / onUpdate / onDelete, each shaped read -> plan -> apply: the reads gather the
// alias, its shares and the stored state (sharing.ts), a pure function decides (plan.ts, where the sharing rules
// are), and apply writes exactly the plan's steps. The `plan` command runs the same reads and plan.
//
// The new record is saved before any permission write: a repeated delivery then sees its own earlier shares as
// declared by this resource, never as pre-existing. A failed write puts everything back.
import type {
  CloudFormationCustomResourceCreateEvent,
  CloudFormationCustomResourceDeleteEvent,
  CloudFormationCustomResourceEvent,
  CloudFormationCustomResourceUpdateEvent,
} from 'aws-lambda';
import type { ConnectionAlias } from '@aws-sdk/client-workspaces';
import { WorkSpacesClient } from '@aws-sdk/client-workspaces';
import { SSMClient } from '@aws-sdk/client-ssm';
import { OnDelete } from '../../lib/common/on-delete';
import { ALIAS_ID_PATTERN, Attr, Prop } from '../../lib/workspaces/contract';
import { OperatorError, errorMessage, errorName } from '../common/errors';
import { eventSummary, log } from '../common/log';
import { refuseForeignStack } from '../common/origin';
import { ownership, requesterOf } from '../common/plan';
import { newReconcileValue } from '../common/props';
import { type LambdaContextLike, clock, namingOperations, retryConfig, throttledMessage } from '../common/sdk';
import { type Claim, type Owner, type StateRecord, StateStore, type Stored, UnreadableStateError, ownerOf } from '../common/state-store';
import { type SharingPlan, planSharing, planSharingDelete } from './plan';
import {
  AliasUnavailableError,
  ApplyError,
  type Deps,
  type Desired,
  type Meta,
  type Snapshot,
  type Step,
  accountOf,
  applySteps,
  explain,
  lenientAccounts,
  parseOnDelete,
  parseProps,
  readAlias,
  readShares,
  storeFor,
  undo,
  withUndo,
} from './sharing';

export { POLL_MS, RESERVE_MS, MAX_WAIT_MS, type Snapshot, type Deps, type Step, type Desired } from './sharing';
export { accountOf, applySteps, describeAlias, parseOnDelete, parseProps, readAlias, readShares } from './sharing';
export { planSteps } from './plan';

export interface Result {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

// Once per container; the region and any AWS_ENDPOINT_URL_* override come from the environment.
const workspaces = namingOperations(new WorkSpacesClient({ ...retryConfig() }));
const ssm = namingOperations(new SSMClient({ ...retryConfig() }));

export async function handler(event: CloudFormationCustomResourceEvent, context?: LambdaContextLike): Promise<Result> {
  log.info('event', eventSummary(event));
  // Before any read or write, and outside the try below: the refusal is its own message.
  refuseForeignStack(event);
  clock.begin(context);
  const deps: Deps = { workspaces, ssm, context };
  try {
    switch (event.RequestType) {
      case 'Create':
        return await onCreate(event, deps);
      case 'Update':
        return await onUpdate(event, deps);
      case 'Delete':
        return await onDelete(event, deps);
    }
  } catch (err) {
    if (err instanceof OperatorError) throw err;
    const throttled = throttledMessage(err, 'SSM Parameter Store', (err as { $operation?: string }).$operation ?? 'a Parameter Store call');
    throw throttled ? new OperatorError(throttled) : err;
  }
}

export async function onCreate(event: CloudFormationCustomResourceCreateEvent, deps: Deps): Promise<Result> {
  return claimAndApply(event, parseProps(event.ResourceProperties, accountOf(event)), deps);
}

export async function onUpdate(event: CloudFormationCustomResourceUpdateEvent, deps: Deps): Promise<Result> {
  const account = accountOf(event);
  let desired: Desired;
  try {
    desired = parseProps(event.ResourceProperties, account);
  } catch (err) {
    return alreadyApplied(err, event, deps);
  }
  if (desired.aliasId !== event.PhysicalResourceId) {
    // A new alias is a replacement: share it as a Create would, and return its id. CloudFormation then deletes the
    // old physical id (in the cleanup phase), which reverses the old alias's shares. A failure undoes this alias's
    // shares and keeps the old id.
    log.info('replacement', { from: event.PhysicalResourceId, to: desired.aliasId });
    return claimAndApply(event, desired, deps);
  }
  const reconcile = newReconcileValue(event, Prop.RECONCILE);
  if (reconcile) log.info('reconcile requested: an ordinary Update, converging whatever drifted', { aliasId: desired.aliasId, reconcile });
  const store = storeFor(deps.ssm, desired.aliasId);
  let alias: ConnectionAlias;
  let current: Set<string>;
  let stored: Stored<Snapshot>;
  try {
    alias = await readAlias(deps, desired.aliasId, account, { forDelete: false });
    // Independent reads, side by side: one round trip less on the deployment's critical path.
    [current, stored] = await Promise.all([readShares(deps.workspaces, desired.aliasId), store.read()]);
  } catch (err) {
    return cannotApply(err, desired, event, store);
  }
  const fallbackDeclared = lenientAccounts(event.OldResourceProperties);
  const common = { desired, store, owner: ownerOf(event), current, onFailure: 'putBack' as const };
  let plan = planSharing({ desired, requester: requesterOf(event), alias, current, stored, fallbackDeclared });
  if (plan.ownership === 'other') throw new OperatorError(plan.reason!);
  let input: ApplyInput = { ...common, plan, names: stored.names, prev: stored.record ? { record: stored.record, names: stored.names } : undefined, created: false };
  if (plan.ownership !== 'ours' || !stored.record) {
    // The state was deleted outside the stack (or this is a stale claim of an earlier stack of this name). Without a
    // record nobody knows which shares predate this resource, so every declared account shared now is taken as
    // pre-existing: Delete will then leave them shared rather than risk cutting off access someone else granted.
    if (!stored.owner) log.warn('state missing: taking the current shares of declared accounts as pre-existing', { aliasId: desired.aliasId, base: store.base });
    const claim = await claimFor(store, event, desired, current);
    plan = planAfterClaim(desired, event, alias, current, claim, desired.accounts);
    input = { ...common, plan, names: claim.names, prev: previousOf(claim), created: claim.outcome === 'created', tookOver: claim.outcome === 'takeover' };
  }
  try {
    return await apply(deps, input);
  } catch (err) {
    return cannotApply(err, desired, event, store, stored);
  }
}

/**
 * Create, and a replacement onto a new alias: claim the alias with the declared accounts already shared as the
 * snapshot (one create-only write), then apply the plan.
 */
async function claimAndApply(event: CloudFormationCustomResourceCreateEvent | CloudFormationCustomResourceUpdateEvent, desired: Desired, deps: Deps): Promise<Result> {
  const alias = await readAlias(deps, desired.aliasId, accountOf(event), { forDelete: false });
  const current = await readShares(deps.workspaces, desired.aliasId);
  const store = storeFor(deps.ssm, desired.aliasId);
  // Before the claim, so that a blocked unshare leaves nothing behind: the first plan sees the alias as free.
  const first = planSharing({ desired, requester: requesterOf(event), alias, current, fallbackDeclared: desired.accounts });
  if (first.action === 'blocked') throw new OperatorError(first.reason!);
  const claim = await claimFor(store, event, desired, current);
  const plan = planAfterClaim(desired, event, alias, current, claim, desired.accounts);
  return apply(deps, {
    desired,
    plan,
    store,
    owner: ownerOf(event),
    current,
    names: claim.names,
    prev: previousOf(claim),
    // A failed Create gets no Delete from the framework: it unshares every account this resource shared and releases
    // the claim. A repeated delivery that fails does the same: its first delivery's shares are this Create's too.
    // A failed takeover puts the stale claim back as it was.
    onFailure: claim.outcome === 'takeover' ? 'putBack' : 'undoAll',
    created: claim.outcome === 'created',
    tookOver: claim.outcome === 'takeover',
  });
}

/** The record to put back if this event fails: a stale claim's as it was, or ours from an earlier delivery. */
function previousOf(claim: Claim<Snapshot>): ApplyInput['prev'] {
  if (claim.outcome === 'takeover' && claim.previous) return { record: claim.previous, names: claim.names };
  return claim.outcome === 'ours' ? { record: claim.record, names: claim.names } : undefined;
}

/** Claims the alias; the snapshot is which declared accounts were already shared before this resource. */
function claimFor(store: StateStore<Snapshot>, event: { StackId: string; LogicalResourceId: string }, desired: Desired, current: ReadonlySet<string>): Promise<Claim<Snapshot>> {
  return store.claim(ownerOf(event), { preShared: desired.accounts.filter((a) => current.has(a)) }, { declared: desired.accounts });
}

/** The plan once the claim has said who holds the alias: a stale holder's record tells what it declared before. */
function planAfterClaim(
  desired: Desired,
  event: { StackId: string; LogicalResourceId: string },
  alias: ConnectionAlias,
  current: ReadonlySet<string>,
  claim: Claim<Snapshot>,
  fallbackDeclared: string[],
): SharingPlan {
  const record = claim.outcome === 'takeover' && claim.previous ? { ...claim.previous, owner: claim.record.owner } : claim.record;
  return planSharing({ desired, requester: requesterOf(event), alias, current, stored: { record, owner: record.owner, names: claim.names }, fallbackDeclared });
}

export async function onDelete(event: CloudFormationCustomResourceDeleteEvent, deps: Deps): Promise<Result> {
  const aliasId = event.PhysicalResourceId;
  const done = { PhysicalResourceId: aliasId };
  if (!ALIAS_ID_PATTERN.test(aliasId)) {
    // The framework's CREATE_FAILED marker or any id this handler never returned: nothing of ours exists.
    log.info('delete of an id this handler never created: nothing to do', { physicalResourceId: aliasId });
    return done;
  }
  const account = accountOf(event);
  const store = storeFor(deps.ssm, aliasId);
  let found: Stored<Snapshot>;
  try {
    found = await store.read();
  } catch (err) {
    // An unreadable record another resource's header names is not ours to fail on; ours (or nobody's) is reported.
    if (err instanceof UnreadableStateError && err.owner && ownership(err.owner, requesterOf(event)) !== 'ours') {
      log.warn('the saved state is unreadable and belongs to another resource: nothing to do', { aliasId, holder: err.owner });
      return done;
    }
    throw err;
  }
  // Read -> plan -> apply, with the pure plan of the Delete the `plan` command prints (plan.ts, planSharingDelete).
  const facts = { aliasId, requester: requesterOf(event), onDelete: lenientOnDelete(event.ResourceProperties), stored: found, fallbackDeclared: lenientAccounts(event.ResourceProperties) };
  let plan = planSharingDelete(facts);
  if (!plan.removesState && plan.action !== 'blocked') {
    log.warn('the alias is managed by another resource: nothing to do', { aliasId, holder: found.owner });
    return done;
  }
  const alias = await readAlias(deps, aliasId, account, { forDelete: true });
  plan = planSharingDelete({ ...facts, alias });
  if (plan.needsShares) plan = planSharingDelete({ ...facts, alias, current: await readShares(deps.workspaces, aliasId) });
  else if (alias && !found.record) log.warn('no saved state: leaving every share in place', { aliasId, base: store.base });
  else if (alias) log.info('OnDelete RETAIN: leaving every share in place', { aliasId });
  // The alias (and with it every share) gone, RETAIN or no record: only our bookkeeping is left.
  if (plan.action === 'blocked') throw new OperatorError(plan.reason!);
  if (plan.steps.length) log.info('delete plan', { aliasId, steps: plan.steps, preShared: found.record?.snapshot.preShared });
  try {
    await applySteps(deps.workspaces, aliasId, plan.steps);
  } catch (err) {
    // No put back: the resource is on its way out, and a retried Delete continues from here with the state kept.
    throw new OperatorError(explain(err, aliasId));
  }
  await store.remove(found.names);
  return done;
}

interface ApplyInput {
  readonly desired: Desired;
  readonly plan: SharingPlan;
  readonly store: StateStore<Snapshot>;
  readonly owner: Owner;
  /** The accounts the alias was shared with when this invocation read it. */
  readonly current: ReadonlySet<string>;
  /** The parameter names stored now. */
  readonly names: string[];
  /** The record to put back when a change fails (a record found before this invocation, or a stale claim's). */
  readonly prev: { record: StateRecord<Snapshot>; names: string[] } | undefined;
  /**
   * undoAll: a failed Create gets no Delete from the framework, so unshare every declared account this resource
   * shared and remove the state. putBack: reverse this invocation's writes and restore the previous record.
   */
  readonly onFailure: 'undoAll' | 'putBack';
  /** This invocation created the record (released on failure when there is nothing to put back). */
  readonly created: boolean;
  /** This invocation took over a stale claim (`prev` is that claim, put back on failure). */
  readonly tookOver?: boolean;
}

/** A write of the plan failed; everything this invocation changed was put back (or the message says what was not). */
class ApplyFailedError extends OperatorError {
  constructor(
    message: string,
    readonly causeName: string | undefined,
  ) {
    super(message);
    this.name = 'ApplyFailedError';
  }
}

/** Saves the record (if it changes) before any permission write, then makes exactly the plan's writes. */
async function apply(deps: Deps, input: ApplyInput): Promise<Result> {
  const { desired, plan, store } = input;
  const aliasId = desired.aliasId;
  if (plan.action === 'blocked') {
    // Before any permission write: leave everything as it was, bar the claim this invocation made or took over.
    await release(input, false);
    throw new OperatorError(plan.reason!);
  }
  if (plan.drift.drifted) log.warn('drift: declared accounts were unshared outside the stack; sharing again', { aliasId, detail: plan.drift.detail });
  log.info('plan', { aliasId, action: plan.action, steps: plan.steps, preShared: plan.next.snapshot.preShared });
  let names = input.names;
  const saved = plan.recordChanged && !input.created;
  if (saved) names = await store.save({ owner: input.owner, snapshot: plan.next.snapshot, meta: plan.next.meta }, names);

  try {
    await applySteps(deps.workspaces, aliasId, plan.steps);
  } catch (err) {
    const message = explain(err, aliasId);
    clock.undoing();
    // Put back only what this invocation changed and nobody changed after it: an account someone else unshared (or
    // shared again) since our write is left as they set it.
    const now = await readShares(deps.workspaces, aliasId).catch(() => undefined);
    const standing = (steps: readonly Step[]) => (now ? steps.filter((s) => now.has(s.account) === s.share) : steps);
    const applied = err instanceof ApplyError ? err.applied : [];
    const undoFailures = await undo(deps.workspaces, aliasId, standing(applied));
    const changedSince = applied.filter((s) => !standing([s]).length).map((s) => s.account);
    if (changedSince.length) log.warn('changed by someone else since this invocation wrote it: not undone', { aliasId, accounts: changedSince });
    if (input.onFailure === 'undoAll') {
      // An earlier delivery of this same Create may have shared accounts too: shared now, declared, not pre-shared.
      const preShared = plan.next.snapshot.preShared;
      const earlier: Step[] = desired.accounts.filter((a) => input.current.has(a) && !preShared.includes(a)).map((account) => ({ account, share: true }));
      undoFailures.push(...(await undo(deps.workspaces, aliasId, standing(earlier))));
      await store.remove();
    } else {
      await release({ ...input, names }, saved);
    }
    const cause = err instanceof ApplyError ? err.cause : err;
    throw new ApplyFailedError(withUndo(message, aliasId, undoFailures), errorName(cause));
  }
  return {
    PhysicalResourceId: aliasId,
    Data: { [Attr.ALIAS_ID]: aliasId, [Attr.SHARED_ACCOUNT_IDS]: desired.accounts.join(',') },
  };
}

/** Puts the record back as it was before this invocation: none if it created it, else the previous one if it wrote. */
async function release(input: ApplyInput, wrote: boolean): Promise<void> {
  if (input.created) await input.store.remove(input.names);
  else if ((wrote || input.tookOver) && input.prev) await input.store.save(input.prev.record, input.names);
}

/** Failures that mean the declared sharing cannot be applied now: the alias is gone, or access is. */
const CANNOT_APPLY = new Set(['AccessDeniedException', 'ResourceNotFoundException', 'InvalidParameterValuesException', 'OperationNotSupportedException', 'InvalidResourceStateException']);

/**
 * An Update whose reads or writes failed. When the declared accounts are the ones this resource last applied (a
 * rollback, or the same Update again) and the failure says they cannot be applied now (the alias is gone or being
 * deleted, access is denied, the values are refused), there is nothing this Update can or needs to do: succeed with
 * a warning, so a rollback can never get stuck. Otherwise fail as the error says.
 */
async function cannotApply(err: unknown, desired: Desired, event: CloudFormationCustomResourceUpdateEvent, store: StateStore<Snapshot>, stored?: Stored<Snapshot>): Promise<Result> {
  const name = err instanceof ApplyFailedError ? err.causeName : errorName(err);
  if (!(err instanceof AliasUnavailableError) && !CANNOT_APPLY.has(name ?? '')) throw err;
  const found = stored ?? (await store.read().catch(() => undefined));
  const declared = (found?.record?.meta as Meta | undefined)?.declared;
  const ours = found?.record && ownership(found.owner, requesterOf(event)) === 'ours';
  if (!ours || !declared || JSON.stringify([...declared].sort()) !== JSON.stringify(desired.accounts)) throw err;
  const warning =
    `Nothing was written: the declared accounts of alias ${desired.aliasId} (${desired.accounts.join(', ')}) are what this resource last ` +
    `applied, and they cannot be applied again now: ${errorMessage(err)}`;
  log.warn('rollback or repeated update that cannot be applied: succeeding without writing', { aliasId: desired.aliasId, error: errorMessage(err) });
  return { PhysicalResourceId: event.PhysicalResourceId, Data: { [Attr.ALIAS_ID]: desired.aliasId, [Attr.SHARED_ACCOUNT_IDS]: desired.accounts.join(','), Warning: warning.slice(0, 1000) } };
}

/**
 * Properties this version refuses, in an Update. An earlier version of this handler accepted some values it now
 * refuses (an empty token list, an empty item, a repeat): when the refused properties are, read by those earlier
 * rules, exactly the accounts this resource last applied (a rollback to them, or the same Update again), succeed
 * without writing, so a rollback can never get stuck on them. Otherwise the refusal stands.
 */
async function alreadyApplied(err: unknown, event: CloudFormationCustomResourceUpdateEvent, deps: Deps): Promise<Result> {
  const aliasId = event.PhysicalResourceId;
  if (typeof event.ResourceProperties[Prop.ALIAS_ID] !== 'string' || event.ResourceProperties[Prop.ALIAS_ID].trim() !== aliasId || !ALIAS_ID_PATTERN.test(aliasId)) throw err;
  const stored = await storeFor(deps.ssm, aliasId).read();
  const declared = (stored.record?.meta as Meta | undefined)?.declared;
  const earlier = lenientAccounts(event.ResourceProperties);
  const ours = stored.record && ownership(stored.owner, requesterOf(event)) === 'ours';
  if (!ours || !declared || JSON.stringify([...declared].sort()) !== JSON.stringify(earlier)) throw err;
  const warning = `Nothing was written: the shares of alias ${aliasId} are what this resource last applied, but its properties are now refused: ${errorMessage(err)}`;
  log.warn('refused properties that this resource already applied (a rollback or a repeated update): succeeding without writing', { aliasId, error: errorMessage(err) });
  return { PhysicalResourceId: aliasId, Data: { [Attr.ALIAS_ID]: aliasId, [Attr.SHARED_ACCOUNT_IDS]: earlier.join(','), Warning: warning.slice(0, 1000) } };
}

function lenientOnDelete(props: Record<string, unknown>): OnDelete {
  try {
    return parseOnDelete(props);
  } catch {
    // Delete must not fail on a value that was valid when it was deployed; restoring is the documented default.
    return OnDelete.RESTORE;
  }
}
