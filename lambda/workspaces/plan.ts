// The pure decision for one ConnectionAliasSharing resource: from (declared accounts, stored state, the alias and its
// current shares) to the permission writes to make, in order, the record to keep, the drift, or why the deployment
// would fail. The handler applies exactly this plan; the `plan` command prints it.
//
// The rules, in one place:
// - Only declared accounts are ever written; an account the alias is shared with but that is not declared here is
//   never touched. Unshares come before shares, so a one-account limit is freed before it is needed.
// - The record holds `snapshot.preShared` (the declared accounts the alias was already shared with before this
//   resource declared them) and `meta.declared` (the accounts this resource last declared).
// - An account keeps its pre-shared status while it stays declared. A newly declared account is pre-shared if the
//   alias is already shared with it. An account that leaves the declaration is unshared only if it is not
//   pre-shared (this resource shared it), and drops out of the snapshot either way.
// - Delete with RESTORE unshares the declared accounts that are not pre-shared; RETAIN unshares nothing.
import type { ConnectionAlias } from '@aws-sdk/client-workspaces';
import { OnDelete } from '../../lib/common/on-delete';
import { type Ownership, type PlanRequester, type PlannedWrite, type ResourcePlan, describeHolder, ownership } from '../common/plan';
import { sortedUnique } from '../common/props';
import type { Owner, StateRecord, Stored } from '../common/state-store';
import type { Desired, Meta, Snapshot, Step } from './sharing';

export interface SharingFacts {
  /** The parsed properties, or why they are invalid. */
  readonly desired: Desired | { readonly aliasId: string; readonly invalid: string };
  readonly requester: PlanRequester;
  /** Why the alias cannot be shared (missing, DELETING, another owner), if so. */
  readonly aliasProblem?: string;
  readonly alias?: ConnectionAlias;
  /** The accounts the alias is shared with now. */
  readonly current: ReadonlySet<string>;
  /** The state store as read; absent when a Create claims without reading first. */
  readonly stored?: Stored<Snapshot>;
  /** The accounts declared before, for a record without `meta.declared` (or none): the old properties. */
  readonly fallbackDeclared: string[];
}

export interface SharingPlan extends ResourcePlan {
  readonly steps: Step[];
  readonly ownership: Ownership;
  readonly holder?: Owner;
  /** The record's new snapshot and bookkeeping. */
  readonly next: { readonly snapshot: Snapshot; readonly meta: Meta };
  /** The record changes: it is saved before any permission write. */
  readonly recordChanged: boolean;
}

export function planSharing(f: SharingFacts): SharingPlan {
  const aliasId = f.desired.aliasId;
  const manages = `alias ${aliasId}`;
  const holder = f.stored?.owner;
  const rel = ownership(holder, f.requester);
  const record: StateRecord<Snapshot> | undefined = rel === 'ours' || rel === 'stale' ? f.stored?.record : undefined;
  const prevDeclared = (record?.meta as Meta | undefined)?.declared ?? f.fallbackDeclared;
  const prevPre = new Set(record?.snapshot.preShared ?? []);
  const noPlan = { steps: [], writes: [], ownership: rel, holder, next: { snapshot: { preShared: [] }, meta: {} }, recordChanged: false };

  if ('invalid' in f.desired) {
    return { ...noPlan, action: 'blocked', manages, drift: { drifted: false }, reason: f.desired.invalid, onDelete: deleteText(OnDelete.RESTORE, record, prevDeclared, f.current) };
  }
  const desired = f.desired;
  const newDeclared = desired.accounts;
  const drifted = record ? prevDeclared.filter((a) => newDeclared.includes(a) && !f.current.has(a)) : [];
  const drift = drifted.length
    ? { drifted: true, detail: `declared account(s) ${drifted.join(', ')} were unshared outside the stack` }
    : { drifted: false };
  if (rel === 'other') {
    return {
      ...noPlan,
      action: 'blocked',
      manages,
      drift,
      reason: `the sharing of connection ${manages} is managed by ${describeHolder(holder!)}, not by this resource: only one resource may manage it. Remove one of the two resources.`,
      onDelete: 'nothing: this resource owns no state',
    };
  }
  if (f.aliasProblem) return { ...noPlan, action: 'blocked', manages, drift, reason: f.aliasProblem, onDelete: deleteText(desired.onDelete, record, prevDeclared, f.current) };

  const preShared = newDeclared.filter((a) => (record && prevDeclared.includes(a) ? prevPre.has(a) : f.current.has(a)));
  const removed = record ? prevDeclared.filter((a) => !newDeclared.includes(a) && !prevPre.has(a)) : [];
  const steps = planSteps(f.current, newDeclared, removed);
  const next = { snapshot: { preShared }, meta: { ...(record?.meta ?? {}), declared: newDeclared } };
  const recordChanged = !record || JSON.stringify(preShared) !== JSON.stringify(record.snapshot.preShared) || JSON.stringify(newDeclared) !== JSON.stringify(prevDeclared);
  const writes: PlannedWrite[] = steps.map((s) => ({ operation: 'UpdateConnectionAliasPermission', summary: `${s.share ? 'share' : 'unshare'} ${s.account}` }));
  const blocking = f.alias ? associationProblem(f.alias, steps) : undefined;
  const after = { snapshot: { preShared }, meta: { declared: newDeclared } } as unknown as StateRecord<Snapshot>;
  const common = { manages, drift, steps, ownership: rel, holder, next, recordChanged, onDelete: deleteText(desired.onDelete, after, newDeclared, undefined) };
  // Blocked: the handler fails before any write, so the plan lists none (the steps stay, for the message).
  if (blocking) return { ...common, action: 'blocked', writes: [], reason: blocking };
  const notes = [
    rel === 'stale' ? `takes over the claim left by ${describeHolder(holder!)}, a stack of the same name that no longer exists` : undefined,
    shareLimitNote(f.current, steps),
  ].filter((n): n is string => !!n);
  return {
    ...common,
    action: !record || rel === 'stale' ? 'create' : steps.length ? 'update' : 'none',
    writes,
    reason: notes.length ? notes.join('; ') : undefined,
  };
}

/**
 * WorkSpaces documents one shared account per alias and Region. Whether and how the service enforces it is
 * UNVERIFIED, so neither the handler nor the plan refuses more (a raised limit must keep working): the plan says
 * when its shares would exceed it, and the deploy then fails on the service's refusal and undoes its shares.
 */
export const DOCUMENTED_SHARE_LIMIT = 1;

function shareLimitNote(current: ReadonlySet<string>, steps: readonly Step[]): string | undefined {
  if (!steps.some((s) => s.share)) return undefined;
  const after = new Set(current);
  for (const s of steps) {
    if (s.share) after.add(s.account);
    else after.delete(s.account);
  }
  if (after.size <= DOCUMENTED_SHARE_LIMIT) return undefined;
  return (
    `the alias would be shared with ${after.size} accounts (${[...after].sort().join(', ')}), but WorkSpaces documents one shared account ` +
    'per alias and Region: if the service enforces it, the deploy fails on the share and undoes it'
  );
}

/** Unshares first (sorted), then shares (sorted); accounts already in the wanted state are left out. */
export function planSteps(current: ReadonlySet<string>, share: Iterable<string>, unshare: Iterable<string>): Step[] {
  const unshares = sortedUnique([...unshare]).filter((a) => current.has(a));
  const shares = sortedUnique([...share]).filter((a) => !current.has(a));
  return [...unshares.map((account) => ({ account, share: false })), ...shares.map((account) => ({ account, share: true }))];
}

/** Why an unshare of the plan would be refused: the account has associated the alias with one of its directories. */
export function associationProblem(alias: ConnectionAlias, steps: readonly Step[]): string | undefined {
  const unsharing = new Set(steps.filter((s) => !s.share).map((s) => s.account));
  const blocking = (alias.Associations ?? []).filter(
    (a) => a.AssociatedAccountId && unsharing.has(a.AssociatedAccountId) && a.AssociationStatus !== 'NOT_ASSOCIATED',
  );
  if (blocking.length === 0) return undefined;
  const which = blocking.map((a) => `account ${a.AssociatedAccountId} with directory ${a.ResourceId ?? '(unknown)'} (${a.AssociationStatus})`).join('; ');
  return (
    `Cannot unshare connection alias ${alias.AliasId}: it is associated by ${which}. Nothing was changed. ` +
    'That account must disassociate the alias from its directory first (DisassociateConnectionAlias), then retry.'
  );
}

/** What deleting the resource would do, given the record it would hold. */
function deleteText(mode: OnDelete, record: StateRecord<Snapshot> | undefined, declared: string[], current: ReadonlySet<string> | undefined): string {
  if (!record) return 'nothing: this resource owns no state';
  if (mode === OnDelete.RETAIN) return 'retain every share';
  const pre = new Set(record.snapshot.preShared);
  const unshare = declared.filter((a) => !pre.has(a) && (!current || current.has(a)));
  return unshare.length ? `unshare ${unshare.join(', ')}` : 'nothing to unshare (every declared account was shared before)';
}

export interface SharingDeleteFacts {
  /** The physical id being deleted: the alias id, or an id this handler never returned. */
  readonly aliasId: string;
  /** The stack sending the Delete (its id) and the resource's logical id. */
  readonly requester: PlanRequester;
  /** The resource's properties' OnDelete, read leniently (a Delete never fails on it). */
  readonly onDelete: OnDelete;
  readonly stored: Stored<Snapshot>;
  /** The alias, when it exists and this account can share it (readAlias for a Delete); undefined: nothing to reverse. */
  readonly alias?: ConnectionAlias;
  /** The accounts the alias is shared with now: read only when the plan unshares (RESTORE of a record we own). */
  readonly current?: ReadonlySet<string>;
  /** The declared accounts of a record without `meta.declared`: the resource's properties. */
  readonly fallbackDeclared: string[];
}

export interface SharingDeletePlan extends ResourcePlan {
  readonly action: 'delete' | 'blocked';
  readonly steps: Step[];
  /** The state is removed (every case but a record held by another resource). */
  readonly removesState: boolean;
  /** The shares must be read (RESTORE of a record this resource owns, on an alias that is there). */
  readonly needsShares: boolean;
}

/**
 * The Delete of one ConnectionAliasSharing resource: with RESTORE, unshare the declared accounts this resource shared
 * (not the pre-shared ones); with RETAIN, or without a record, unshare nothing. A record held by another resource is
 * left alone; an alias that is gone leaves only the bookkeeping to remove. An association of an account to unshare
 * blocks it (the service would refuse the unshare).
 */
export function planSharingDelete(f: SharingDeleteFacts): SharingDeletePlan {
  const manages = `alias ${f.aliasId}`;
  const base = { manages, drift: { drifted: false }, steps: [] as Step[], writes: [] as PlannedWrite[], needsShares: false };
  if (f.stored.owner && ownership(f.stored.owner, f.requester) !== 'ours') {
    return { ...base, action: 'delete', removesState: false, onDelete: `nothing: the alias is managed by ${describeHolder(f.stored.owner)}` };
  }
  if (!f.alias) return { ...base, action: 'delete', removesState: true, onDelete: 'nothing to unshare: the alias is gone (or not this account\'s)' };
  if (!f.stored.record) return { ...base, action: 'delete', removesState: true, onDelete: 'nothing: this resource owns no state (every share is left in place)' };
  if (f.onDelete === OnDelete.RETAIN) return { ...base, action: 'delete', removesState: true, onDelete: 'retain every share' };
  const declared = (f.stored.record.meta as Meta).declared ?? f.fallbackDeclared;
  const preShared = new Set(f.stored.record.snapshot.preShared);
  const current = f.current ?? new Set<string>();
  const steps = planSteps(current, [], declared.filter((a) => !preShared.has(a)));
  const writes: PlannedWrite[] = steps.map((s) => ({ operation: 'UpdateConnectionAliasPermission', summary: `unshare ${s.account}` }));
  const onDelete = steps.length ? `unshare ${steps.map((s) => s.account).join(', ')}` : 'nothing to unshare (every declared account was shared before, or is unshared already)';
  const blocked = associationProblem(f.alias, steps);
  if (blocked) return { ...base, action: 'blocked', steps, removesState: false, needsShares: true, onDelete, reason: blocked };
  return { ...base, action: 'delete', steps, writes, removesState: true, needsShares: true, onDelete };
}
