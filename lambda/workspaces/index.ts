// Handler of Custom::ConnectionAliasSharing: shares one WorkSpaces connection alias with the declared accounts.
//
// The rules, in one place:
// - Only declared accounts are ever written; an account the alias is shared with but that is not declared here is
//   never touched. Unshares are applied before shares, so a one-account limit is freed before it is needed.
// - The state store (SSM, /cdk-connection-sharing/workspaces/<aliasId>, in the Lambda's region) holds the owner
//   (the lock), `snapshot.preShared` (the declared accounts the alias was already shared with before this resource
//   declared them) and `meta.declared` (the accounts this resource last declared).
// - An account keeps its pre-shared status while it stays declared. A newly declared account is pre-shared if the
//   alias is already shared with it. An account that leaves the declaration is unshared only if it is not
//   pre-shared (this resource shared it), and drops out of the snapshot either way.
// - The new record is saved before any permission write: a repeated delivery then sees its own earlier shares as
//   declared by this resource, never as pre-existing.
// - Delete with RESTORE unshares the declared accounts that are not pre-shared; RETAIN unshares nothing.
import type {
  CloudFormationCustomResourceCreateEvent,
  CloudFormationCustomResourceDeleteEvent,
  CloudFormationCustomResourceEvent,
  CloudFormationCustomResourceUpdateEvent,
} from 'aws-lambda';
import {
  type ConnectionAlias,
  DescribeConnectionAliasesCommand,
  DescribeConnectionAliasPermissionsCommand,
  UpdateConnectionAliasPermissionCommand,
  WorkSpacesClient,
} from '@aws-sdk/client-workspaces';
import { SSMClient } from '@aws-sdk/client-ssm';
import { OnDelete } from '../../lib/common/on-delete';
import { ACCOUNT_ID_PATTERN, ALIAS_ID_PATTERN, Attr, Prop, statePath } from '../../lib/workspaces/contract';
import { OperatorError, errorMessage, errorName } from '../common/errors';
import { eventSummary, log } from '../common/log';
import { asString, optionalString, sortedUnique, stringList } from '../common/props';
import { type LambdaContextLike, sdkRetryConfig, sleep } from '../common/sdk';
import { type Owner, type StateRecord, StateStore, sameOwner } from '../common/state-store';

/** How often an alias still CREATING is read again. */
export const POLL_MS = 5_000;
/** Time kept back from the Lambda's remaining time for the work after the wait, including undoing a failure. */
export const RESERVE_MS = 60_000;
/** The longest wait for an alias to become CREATED, whatever time the Lambda has left. */
export const MAX_WAIT_MS = 180_000;

export interface Snapshot {
  /** Declared accounts the alias was already shared with before this resource declared them. */
  readonly preShared: string[];
}

interface Meta extends Record<string, unknown> {
  /** The accounts this resource last declared; absent only in records written by hand. */
  readonly declared?: string[];
}

export interface Deps {
  readonly workspaces: WorkSpacesClient;
  readonly ssm: SSMClient;
  readonly context?: LambdaContextLike;
}

export interface Result {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

export interface Step {
  readonly account: string;
  /** true shares the alias with the account, false unshares it. */
  readonly share: boolean;
}

// Once per container; the region and any AWS_ENDPOINT_URL_* override come from the environment.
const workspaces = new WorkSpacesClient({ ...sdkRetryConfig });
const ssm = new SSMClient({ ...sdkRetryConfig });

export async function handler(event: CloudFormationCustomResourceEvent, context?: LambdaContextLike): Promise<Result> {
  log.info('event', eventSummary(event));
  const deps: Deps = { workspaces, ssm, context };
  switch (event.RequestType) {
    case 'Create':
      return onCreate(event, deps);
    case 'Update':
      return onUpdate(event, deps);
    case 'Delete':
      return onDelete(event, deps);
  }
}

export async function onCreate(event: CloudFormationCustomResourceCreateEvent, deps: Deps): Promise<Result> {
  // A repeated delivery that fails still undoes everything: its first delivery's shares are this Create's too.
  return claimAndConverge(event, parseProps(event.ResourceProperties, accountOf(event)), deps, 'undoAll');
}

export async function onUpdate(event: CloudFormationCustomResourceUpdateEvent, deps: Deps): Promise<Result> {
  const account = accountOf(event);
  const desired = parseProps(event.ResourceProperties, account);
  if (desired.aliasId !== event.PhysicalResourceId) {
    // A new alias is a replacement: share it as a Create would, and return its id. CloudFormation then deletes the
    // old physical id, which reverses the old alias's shares. A failure undoes this alias's shares and keeps the old id.
    log.info('replacement', { from: event.PhysicalResourceId, to: desired.aliasId });
    return claimAndConverge(event, desired, deps, 'putBack');
  }
  const oldDeclared = lenientAccounts(event.OldResourceProperties);
  const owner = ownerOf(event);
  const alias = await readAlias(deps, desired.aliasId, account, { forDelete: false });
  const store = storeFor(deps.ssm, desired.aliasId);
  // Independent reads, side by side: one round trip less on the deployment's critical path.
  const [current, found] = await Promise.all([readShares(deps.workspaces, desired.aliasId), store.read()]);
  if (found.owner && !sameOwner(found.owner, owner)) {
    throw new OperatorError(
      `The sharing of connection alias ${desired.aliasId} is now managed by resource ${found.owner.logicalResourceId} of stack ` +
        `${found.owner.stackId}, not by this resource. Nothing was changed. Remove one of the two resources.`,
    );
  }
  if (!found.record) {
    // The state was deleted outside the stack. Without it nobody knows which shares predate this resource, so every
    // declared account shared now is taken as pre-existing: Delete will then leave them shared rather than risk
    // cutting off access someone else granted.
    log.warn('state missing: taking the current shares of declared accounts as pre-existing', { aliasId: desired.aliasId, base: store.base });
    const claimed = await claimFor(store, owner, desired, current);
    return converge(deps, { desired, alias, current, store, record: claimed.record, prev: undefined, fallbackDeclared: desired.accounts, onFailure: 'putBack' });
  }
  return converge(deps, {
    desired,
    alias,
    current,
    store,
    record: found.record,
    prev: { record: found.record, names: found.names },
    fallbackDeclared: oldDeclared,
    onFailure: 'putBack',
  });
}

/**
 * Create, and a replacement onto a new alias: claim the alias with the declared accounts already shared as the
 * snapshot, then converge. `ifAlreadyOurs` is what a failure does when the claim finds this resource's own record
 * (a repeated delivery, or a rollback onto an alias this resource still manages).
 */
async function claimAndConverge(
  event: CloudFormationCustomResourceCreateEvent | CloudFormationCustomResourceUpdateEvent,
  desired: Desired,
  deps: Deps,
  ifAlreadyOurs: ConvergeInput['onFailure'],
): Promise<Result> {
  const alias = await readAlias(deps, desired.aliasId, accountOf(event), { forDelete: false });
  const current = await readShares(deps.workspaces, desired.aliasId);
  const store = storeFor(deps.ssm, desired.aliasId);
  const claimed = await claimFor(store, ownerOf(event), desired, current);
  // Found already ours: the record claimed before our own writes is the true snapshot.
  const prev = claimed.created ? undefined : { record: claimed.record };
  return converge(deps, {
    desired,
    alias,
    current,
    store,
    record: claimed.record,
    prev,
    fallbackDeclared: desired.accounts,
    onFailure: claimed.created ? 'undoAll' : ifAlreadyOurs,
  });
}

/** Claims the alias; the snapshot is which declared accounts were already shared before this resource. */
function claimFor(store: ReturnType<typeof storeFor>, owner: Owner, desired: Desired, current: Set<string>) {
  return store.claim(owner, { preShared: desired.accounts.filter((a) => current.has(a)) }, { declared: desired.accounts });
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
  const owner = ownerOf(event);
  const store = storeFor(deps.ssm, aliasId);
  const found = await store.read();
  if (found.owner && !sameOwner(found.owner, owner)) {
    log.warn('the alias is managed by another resource: nothing to do', { aliasId, holder: found.owner });
    return done;
  }
  const onDeleteMode = parseOnDelete(event.ResourceProperties);
  const alias = await readAlias(deps, aliasId, account, { forDelete: true });
  if (!alias) {
    // The alias (and with it every share) is gone: only our bookkeeping is left.
    await store.remove(found.names);
    return done;
  }
  if (onDeleteMode === OnDelete.RETAIN || !found.record) {
    if (!found.record) log.warn('no saved state: leaving every share in place', { aliasId, base: store.base });
    else log.info('OnDelete RETAIN: leaving every share in place', { aliasId });
    await store.remove(found.names);
    return done;
  }
  const declared = (found.record.meta as Meta).declared ?? lenientAccounts(event.ResourceProperties);
  const preShared = new Set(found.record.snapshot.preShared);
  const current = await readShares(deps.workspaces, aliasId);
  const steps = planSteps(current, [], declared.filter((a) => !preShared.has(a)));
  log.info('delete plan', { aliasId, steps, preShared: [...preShared] });
  checkAssociations(alias, steps);
  try {
    await applySteps(deps.workspaces, aliasId, steps);
  } catch (err) {
    // No put back: the resource is on its way out, and a retried Delete continues from here with the state kept.
    throw new OperatorError(explain(err, aliasId));
  }
  await store.remove(found.names);
  return done;
}

interface ConvergeInput {
  readonly desired: Desired;
  readonly alias: ConnectionAlias;
  readonly current: ReadonlySet<string>;
  readonly store: StateStore<Snapshot>;
  /** The record in the store now. */
  readonly record: StateRecord<Snapshot>;
  /** The record found before this invocation, if it did not create it; restored when an Update fails. */
  readonly prev: { record: StateRecord<Snapshot>; names?: string[] } | undefined;
  /** The previously declared accounts, for records without `meta.declared`. */
  readonly fallbackDeclared: string[];
  /**
   * undoAll: a failed Create gets no Delete from the framework, so unshare every account this resource shared and
   * remove the state. putBack: reverse this invocation's writes and restore the previous record.
   */
  readonly onFailure: 'undoAll' | 'putBack';
}

async function converge(deps: Deps, input: ConvergeInput): Promise<Result> {
  const { desired, alias, current, store, record } = input;
  const aliasId = desired.aliasId;
  const prevDeclared = (record.meta as Meta).declared ?? input.fallbackDeclared;
  const prevPre = new Set(record.snapshot.preShared);
  const newDeclared = desired.accounts;

  const preShared = newDeclared.filter((a) => (prevDeclared.includes(a) ? prevPre.has(a) : current.has(a)));
  const next: StateRecord<Snapshot> = { owner: record.owner, snapshot: { preShared }, meta: { ...record.meta, declared: newDeclared } };
  const removed = prevDeclared.filter((a) => !newDeclared.includes(a) && !prevPre.has(a));
  const steps = planSteps(current, newDeclared, removed);

  const drifted = prevDeclared.filter((a) => newDeclared.includes(a) && !current.has(a));
  if (drifted.length > 0) log.warn('drift: declared accounts were unshared outside the stack; sharing again', { aliasId, accounts: drifted });
  log.info('plan', { aliasId, steps, preShared });

  const changed = JSON.stringify(next.snapshot) !== JSON.stringify(record.snapshot) || JSON.stringify(newDeclared) !== JSON.stringify(prevDeclared);
  try {
    // Before any write, so that a blocked unshare leaves everything as it was (bar a claim made just now).
    checkAssociations(alias, steps);
  } catch (err) {
    if (!input.prev) await store.remove();
    throw err;
  }
  if (changed) await store.save(next, input.prev?.names ?? (await store.read()).names);

  try {
    await applySteps(deps.workspaces, aliasId, steps);
  } catch (err) {
    const message = explain(err, aliasId);
    const undoFailures = await undo(deps.workspaces, aliasId, err instanceof ApplyError ? err.applied : []);
    if (input.onFailure === 'undoAll') {
      // An earlier delivery of this same Create may have shared accounts too: shared now, declared, not pre-shared.
      const earlier = newDeclared.filter((a) => current.has(a) && !preShared.includes(a)).map((account) => ({ account, share: true }));
      undoFailures.push(...(await undo(deps.workspaces, aliasId, earlier)));
      await store.remove();
    } else if (!input.prev) {
      await store.remove();
    } else if (changed) {
      await store.save(input.prev.record, (await store.read()).names);
    }
    throw new OperatorError(withUndo(message, aliasId, undoFailures));
  }
  return {
    PhysicalResourceId: aliasId,
    Data: { [Attr.ALIAS_ID]: aliasId, [Attr.SHARED_ACCOUNT_IDS]: newDeclared.join(',') },
  };
}

// ---- properties ----

export interface Desired {
  readonly aliasId: string;
  readonly accounts: string[];
  readonly onDelete: OnDelete;
}

export function parseProps(props: Record<string, unknown>, ownAccount: string | undefined): Desired {
  const aliasId = asString(props[Prop.ALIAS_ID], Prop.ALIAS_ID).trim();
  if (!ALIAS_ID_PATTERN.test(aliasId)) {
    throw new OperatorError(`Property ${Prop.ALIAS_ID} '${aliasId}' is not a connection alias id (${ALIAS_ID_PATTERN.source}).`);
  }
  const accounts = stringList(props[Prop.SHARED_ACCOUNT_IDS], Prop.SHARED_ACCOUNT_IDS);
  const bad = accounts.filter((a) => !ACCOUNT_ID_PATTERN.test(a));
  if (bad.length > 0) throw new OperatorError(`Property ${Prop.SHARED_ACCOUNT_IDS} has invalid account id(s) ${bad.join(', ')}: each must be 12 digits.`);
  if (ownAccount && accounts.includes(ownAccount)) {
    throw new OperatorError(`Property ${Prop.SHARED_ACCOUNT_IDS} includes ${ownAccount}, the account that owns alias ${aliasId}: list only other accounts.`);
  }
  return { aliasId, accounts, onDelete: parseOnDelete(props) };
}

export function parseOnDelete(props: Record<string, unknown>): OnDelete {
  const value = optionalString(props[Prop.ON_DELETE], Prop.ON_DELETE)?.trim().toUpperCase();
  if (value === undefined) return OnDelete.RESTORE;
  if (!(Object.values(OnDelete) as string[]).includes(value)) {
    throw new OperatorError(`Property ${Prop.ON_DELETE} '${value}' is invalid: use one of ${Object.values(OnDelete).join(', ')}.`);
  }
  return value as OnDelete;
}

/** The declared accounts of properties that were valid when they were deployed; never throws. */
function lenientAccounts(props: Record<string, unknown> | undefined): string[] {
  try {
    return stringList(props?.[Prop.SHARED_ACCOUNT_IDS], Prop.SHARED_ACCOUNT_IDS).filter((a) => ACCOUNT_ID_PATTERN.test(a));
  } catch {
    return [];
  }
}

/** The deploying account, from the event's own ARNs: no STS call, so no extra permission. */
export function accountOf(event: { StackId: string; ServiceToken?: string }): string {
  for (const arn of [event.StackId, event.ServiceToken]) {
    const account = arn?.split(':')[4];
    if (account && ACCOUNT_ID_PATTERN.test(account)) return account;
  }
  throw new OperatorError('Could not tell the deploying account from the event (StackId and ServiceToken).');
}

function ownerOf(event: { StackId: string; LogicalResourceId: string }): Owner {
  return { stackId: event.StackId, logicalResourceId: event.LogicalResourceId };
}

function storeFor(client: SSMClient, aliasId: string): StateStore<Snapshot> {
  return new StateStore<Snapshot>(client, statePath(aliasId), `the sharing of WorkSpaces connection alias ${aliasId}`);
}

function region(): string {
  return process.env.AWS_REGION ?? 'this region';
}

// ---- WorkSpaces ----

export async function describeAlias(client: WorkSpacesClient, aliasId: string): Promise<ConnectionAlias | undefined> {
  try {
    const out = await client.send(new DescribeConnectionAliasesCommand({ AliasIds: [aliasId] }));
    return out.ConnectionAliases?.find((a) => a.AliasId === aliasId);
  } catch (err) {
    if (errorName(err) === 'ResourceNotFoundException') return undefined;
    throw err;
  }
}

/**
 * The alias, once it is CREATED. Waits (bounded) while it is CREATING. For a change, a missing, DELETING or foreign
 * alias fails with a message that says which; for a Delete it returns undefined: there is nothing left to reverse.
 */
export async function readAlias(deps: Deps, aliasId: string, account: string, opts: { forDelete: false }): Promise<ConnectionAlias>;
export async function readAlias(deps: Deps, aliasId: string, account: string, opts: { forDelete: true }): Promise<ConnectionAlias | undefined>;
export async function readAlias(deps: Deps, aliasId: string, account: string, opts: { forDelete: boolean }): Promise<ConnectionAlias | undefined> {
  const remaining = deps.context?.getRemainingTimeInMillis?.() ?? 300_000;
  const waitMs = Math.max(0, Math.min(MAX_WAIT_MS, remaining - RESERVE_MS));
  const deadline = Date.now() + waitMs;
  for (;;) {
    const alias = await describeAlias(deps.workspaces, aliasId);
    if (!alias) {
      if (opts.forDelete) return undefined;
      throw new OperatorError(
        `Connection alias ${aliasId} was not found in ${region()} of account ${account}. Check the alias id, and deploy the stack in the alias's region.`,
      );
    }
    if (alias.OwnerAccountId && alias.OwnerAccountId !== account) {
      if (opts.forDelete) {
        log.warn('alias owned by another account: nothing of ours to reverse', { aliasId, ownerAccountId: alias.OwnerAccountId });
        return undefined;
      }
      throw new OperatorError(
        `Connection alias ${aliasId} is owned by account ${alias.OwnerAccountId}, not by ${account}: only the owner can share it. ` +
          "Deploy this resource in the owner's account.",
      );
    }
    if (alias.State === 'DELETING') {
      if (opts.forDelete) return undefined;
      throw new OperatorError(`Connection alias ${aliasId} is being deleted (state DELETING): it cannot be shared. Use another alias.`);
    }
    if (alias.State !== 'CREATING') return alias;
    if (Date.now() + POLL_MS > deadline) {
      throw new OperatorError(
        `Connection alias ${aliasId} is still CREATING after ${Math.round(waitMs / 1000)} s. Nothing was changed: retry once it is CREATED.`,
      );
    }
    log.info('alias still CREATING: waiting', { aliasId, pollMs: POLL_MS });
    await sleep(POLL_MS);
  }
}

/** The accounts the alias is shared with, following NextToken (the API has no SDK paginator). */
export async function readShares(client: WorkSpacesClient, aliasId: string): Promise<Set<string>> {
  const shared = new Set<string>();
  let NextToken: string | undefined;
  do {
    const page = await client.send(new DescribeConnectionAliasPermissionsCommand({ AliasId: aliasId, NextToken }));
    for (const p of page.ConnectionAliasPermissions ?? []) if (p.SharedAccountId && p.AllowAssociation !== false) shared.add(p.SharedAccountId);
    NextToken = page.NextToken;
  } while (NextToken);
  return shared;
}

/** Unshares first (sorted), then shares (sorted); accounts already in the wanted state are left out. */
export function planSteps(current: ReadonlySet<string>, share: Iterable<string>, unshare: Iterable<string>): Step[] {
  const unshares = sortedUnique([...unshare]).filter((a) => current.has(a));
  const shares = sortedUnique([...share]).filter((a) => !current.has(a));
  return [...unshares.map((account) => ({ account, share: false })), ...shares.map((account) => ({ account, share: true }))];
}

/** Fails before any write if an account to unshare has associated the alias with one of its directories. */
export function checkAssociations(alias: ConnectionAlias, steps: readonly Step[]): void {
  const unsharing = new Set(steps.filter((s) => !s.share).map((s) => s.account));
  const blocking = (alias.Associations ?? []).filter(
    (a) => a.AssociatedAccountId && unsharing.has(a.AssociatedAccountId) && a.AssociationStatus !== 'NOT_ASSOCIATED',
  );
  if (blocking.length === 0) return;
  const which = blocking.map((a) => `account ${a.AssociatedAccountId} with directory ${a.ResourceId ?? '(unknown)'} (${a.AssociationStatus})`).join('; ');
  throw new OperatorError(
    `Cannot unshare connection alias ${alias.AliasId}: it is associated by ${which}. Nothing was changed. ` +
      'That account must disassociate the alias from its directory first (DisassociateConnectionAlias), then retry.',
  );
}

class ApplyError extends Error {
  constructor(
    readonly applied: Step[],
    readonly step: Step,
    readonly cause: unknown,
  ) {
    super(errorMessage(cause));
    this.name = errorName(cause) ?? 'Error';
  }
}

async function setShared(client: WorkSpacesClient, aliasId: string, step: Step): Promise<void> {
  await client.send(
    new UpdateConnectionAliasPermissionCommand({
      AliasId: aliasId,
      ConnectionAliasPermission: { SharedAccountId: step.account, AllowAssociation: step.share },
    }),
  );
}

/** Applies the steps in order; on a failure throws an ApplyError that lists the steps already applied. */
export async function applySteps(client: WorkSpacesClient, aliasId: string, steps: readonly Step[]): Promise<void> {
  const applied: Step[] = [];
  for (const step of steps) {
    try {
      await setShared(client, aliasId, step);
    } catch (err) {
      throw new ApplyError(applied, step, err);
    }
    log.info(step.share ? 'shared' : 'unshared', { aliasId, account: step.account });
    applied.push(step);
  }
}

/** Reverses the steps, last first; returns the ones it could not reverse instead of throwing, so all are tried. */
async function undo(client: WorkSpacesClient, aliasId: string, applied: readonly Step[]): Promise<Step[]> {
  const failed: Step[] = [];
  for (const step of [...applied].reverse()) {
    const inverse = { account: step.account, share: !step.share };
    try {
      await setShared(client, aliasId, inverse);
      log.info('undone', { aliasId, ...inverse });
    } catch (err) {
      log.error('undo failed', { aliasId, ...inverse, error: errorName(err), message: errorMessage(err) });
      failed.push(step);
    }
  }
  return failed;
}

/** What went wrong and what to do, from a failed write. */
function explain(err: unknown, aliasId: string): string {
  const step = err instanceof ApplyError ? err.step : undefined;
  const cause = err instanceof ApplyError ? err.cause : err;
  const account = step?.account ?? '(unknown)';
  const verb = step?.share === false ? 'unshare' : 'share';
  switch (errorName(cause)) {
    case 'ResourceAssociatedException':
      return (
        `Could not unshare connection alias ${aliasId} from account ${account}: that account has associated it with a directory. ` +
        'It must disassociate the alias first (DisassociateConnectionAlias), then retry.'
      );
    case 'ResourceLimitExceededException':
      return (
        `Could not share connection alias ${aliasId} with account ${account}: the alias is at its sharing limit ` +
        '(WorkSpaces allows one shared account per alias per region). Unshare it from the other account, or declare one account only, then retry.'
      );
    case 'InvalidResourceStateException':
      return `Could not ${verb} connection alias ${aliasId} with account ${account}: the alias is not in a state that allows it (it must be CREATED). Wait until it is CREATED, then retry.`;
    case 'ResourceNotFoundException':
      return `Could not ${verb} connection alias ${aliasId} with account ${account}: the alias no longer exists in ${region()}.`;
    default:
      return `Could not ${verb} connection alias ${aliasId} with account ${account}: ${errorName(cause) ?? 'Error'}: ${errorMessage(cause)}`;
  }
}

function withUndo(message: string, aliasId: string, failed: readonly Step[]): string {
  if (failed.length === 0) return `${message} Changes made before the failure were undone.`;
  const what = failed.map((s) => `${s.share ? 'unshare from' : 'share again with'} ${s.account}`).join(', ');
  return (
    `${message} Undoing the earlier changes also failed (${what}): check the alias's shares with ` +
    `aws workspaces describe-connection-alias-permissions --alias-id ${aliasId} --region ${region()}.`
  );
}
