// WorkSpaces connection alias sharing as the handler models it: the properties, the reads and the permission writes.
import {
  type ConnectionAlias,
  DescribeConnectionAliasesCommand,
  DescribeConnectionAliasPermissionsCommand,
  UpdateConnectionAliasPermissionCommand,
  WorkSpacesClient,
} from '@aws-sdk/client-workspaces';
import { SSMClient } from '@aws-sdk/client-ssm';
import { OnDelete } from '../../lib/common/on-delete';
import { ACCOUNT_ID_PATTERN, ALIAS_ID_PATTERN, Prop, statePath } from '../../lib/workspaces/contract';
import { OperatorError, errorMessage, errorName } from '../common/errors';
import { log } from '../common/log';
import { asString, listItems, parseOnDelete, repeated, shown, sortedUnique, stringList } from '../common/props';
import { type LambdaContextLike, sleep, throttledMessage } from '../common/sdk';
import { StateStore } from '../common/state-store';

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

export interface Meta extends Record<string, unknown> {
  /** The accounts this resource last declared; absent only in records written by hand. */
  readonly declared?: string[];
}

export interface Deps {
  readonly workspaces: WorkSpacesClient;
  readonly ssm: SSMClient;
  readonly context?: LambdaContextLike;
}

export interface Step {
  readonly account: string;
  /** true shares the alias with the account, false unshares it. */
  readonly share: boolean;
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
  // The rules the construct applies at synth, applied again here: a token list (a CommaDelimitedList parameter, an
  // import) is only known now, and an empty one would unshare every account this resource shared and keep the lock.
  const raw = props[Prop.SHARED_ACCOUNT_IDS];
  const items = listItems(raw, Prop.SHARED_ACCOUNT_IDS);
  const onDelete = parseOnDelete(props);
  if (items.every((a) => a === '')) {
    throw new OperatorError(
      `Property ${Prop.SHARED_ACCOUNT_IDS} of alias ${aliasId} is empty (got ${shown(raw)}): list at least one 12-digit account id to share it with. ` +
        'An empty CommaDelimitedList parameter arrives as [""]: give the parameter a value. Nothing was changed. ' +
        'To stop sharing the alias, remove the ConnectionAliasSharing instead (its Delete unshares what it shared).',
    );
  }
  const bad = items.filter((a) => !ACCOUNT_ID_PATTERN.test(a));
  if (bad.length > 0) {
    throw new OperatorError(
      `Property ${Prop.SHARED_ACCOUNT_IDS} has invalid account id(s) ${bad.map((a) => `'${a}'`).join(', ')} (got ${shown(raw)}): each must be 12 digits. Nothing was changed.`,
    );
  }
  const twice = repeated(items);
  if (twice.length > 0) {
    throw new OperatorError(`Property ${Prop.SHARED_ACCOUNT_IDS} lists ${twice.join(', ')} more than once (got ${shown(raw)}): list each account once. Nothing was changed.`);
  }
  const accounts = sortedUnique(items);
  if (ownAccount && accounts.includes(ownAccount)) {
    throw new OperatorError(`Property ${Prop.SHARED_ACCOUNT_IDS} includes ${ownAccount}, the account that owns alias ${aliasId}: list only other accounts.`);
  }
  return { aliasId, accounts, onDelete };
}

export { parseOnDelete } from '../common/props';

/** The declared accounts of properties that were valid when they were deployed; never throws. */
export function lenientAccounts(props: Record<string, unknown> | undefined): string[] {
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

export function storeFor(client: SSMClient, aliasId: string): StateStore<Snapshot> {
  return new StateStore<Snapshot>(client, statePath(aliasId), `the sharing of WorkSpaces connection alias ${aliasId}`);
}

export function region(): string {
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

/** DescribeConnectionAliases takes at most 25 alias ids (and returns at most 25 per page). */
export const DESCRIBE_ALIASES_MAX = 25;

/**
 * Many aliases at once, by 25 ids a call, following NextToken: what {@link describeAlias} reads of each, for the
 * `plan` command. An id the service does not know is simply absent (a chunk refused with ResourceNotFoundException,
 * whose behaviour for a list is UNVERIFIED, is read again one id at a time).
 */
export async function describeAliases(client: WorkSpacesClient, aliasIds: readonly string[]): Promise<Map<string, ConnectionAlias>> {
  const found = new Map<string, ConnectionAlias>();
  const ids = [...new Set(aliasIds)];
  for (let i = 0; i < ids.length; i += DESCRIBE_ALIASES_MAX) {
    const chunk = ids.slice(i, i + DESCRIBE_ALIASES_MAX);
    try {
      let NextToken: string | undefined;
      do {
        const out = await client.send(new DescribeConnectionAliasesCommand({ AliasIds: chunk, Limit: DESCRIBE_ALIASES_MAX, NextToken }));
        for (const a of out.ConnectionAliases ?? []) if (a.AliasId && chunk.includes(a.AliasId)) found.set(a.AliasId, a);
        NextToken = out.NextToken;
      } while (NextToken);
    } catch (err) {
      if (errorName(err) !== 'ResourceNotFoundException') throw err;
      for (const id of chunk) {
        const alias = await describeAlias(client, id);
        if (alias) found.set(id, alias);
      }
    }
  }
  return found;
}

/** The alias cannot be shared by this account: missing, being deleted, or owned by another account. */
export class AliasUnavailableError extends OperatorError {
  constructor(message: string) {
    super(message);
    this.name = 'AliasUnavailableError';
  }
}

/** Why the alias cannot be shared by `account` (missing, DELETING, another owner), or undefined when it can. */
export function aliasProblem(alias: ConnectionAlias | undefined, aliasId: string, account: string, inRegion: string = region()): string | undefined {
  if (!alias) return `Connection alias ${aliasId} was not found in ${inRegion} of account ${account}. Check the alias id, and deploy the stack in the alias's region.`;
  if (alias.OwnerAccountId && alias.OwnerAccountId !== account) {
    return `Connection alias ${aliasId} is owned by account ${alias.OwnerAccountId}, not by ${account}: only the owner can share it. Deploy this resource in the owner's account.`;
  }
  if (alias.State === 'DELETING') return `Connection alias ${aliasId} is being deleted (state DELETING): it cannot be shared. Use another alias.`;
  return undefined;
}

/**
 * The alias, once it is CREATED. Waits (bounded) while it is CREATING. For a change, a missing, DELETING or foreign
 * alias fails with a message that says which (AliasUnavailableError); for a Delete it returns undefined: there is
 * nothing left to reverse.
 */
export async function readAlias(deps: Deps, aliasId: string, account: string, opts: { forDelete: false }): Promise<ConnectionAlias>;
export async function readAlias(deps: Deps, aliasId: string, account: string, opts: { forDelete: true }): Promise<ConnectionAlias | undefined>;
export async function readAlias(deps: Deps, aliasId: string, account: string, opts: { forDelete: boolean }): Promise<ConnectionAlias | undefined> {
  const remaining = deps.context?.getRemainingTimeInMillis?.() ?? 300_000;
  const waitMs = Math.max(0, Math.min(MAX_WAIT_MS, remaining - RESERVE_MS));
  const deadline = Date.now() + waitMs;
  for (;;) {
    const alias = await describeAlias(deps.workspaces, aliasId);
    const problem = aliasProblem(alias, aliasId, account);
    if (problem) {
      if (opts.forDelete) {
        if (alias) log.warn('alias owned by another account or being deleted: nothing of ours to reverse', { aliasId, ownerAccountId: alias.OwnerAccountId, state: alias.State });
        return undefined;
      }
      throw new AliasUnavailableError(problem);
    }
    if (alias!.State !== 'CREATING') return alias;
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

export class ApplyError extends Error {
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
export async function undo(client: WorkSpacesClient, aliasId: string, applied: readonly Step[]): Promise<Step[]> {
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
export function explain(err: unknown, aliasId: string): string {
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
      return (
        throttledMessage(cause, 'WorkSpaces', `UpdateConnectionAliasPermission (${verb} ${aliasId} with ${account})`) ??
        `Could not ${verb} connection alias ${aliasId} with account ${account}: ${errorName(cause) ?? 'Error'}: ${errorMessage(cause)}`
      );
  }
}

export function withUndo(message: string, aliasId: string, failed: readonly Step[]): string {
  if (failed.length === 0) return `${message} Changes made before the failure were undone.`;
  const what = failed.map((s) => `${s.share ? 'unshare from' : 'share again with'} ${s.account}`).join(', ');
  return (
    `${message} Undoing the earlier changes also failed (${what}): check the alias's shares with ` +
    `aws workspaces describe-connection-alias-permissions --alias-id ${aliasId} --region ${region()}.`
  );
}
