// The pure decision for one PartnerConnectionPreferences resource: from (declared properties, stored state, live
// preferences) to the write to make, the drift, the snapshot to keep, or why the deployment would fail. The handler
// applies exactly this plan; the `plan` command prints it.
import { OnDelete } from '../../lib/common/on-delete';
import { type Ownership, type PlanRequester, type PlannedWrite, type ResourcePlan, describeHolder, ownership } from '../common/plan';
import type { Owner, Stored } from '../common/state-store';
import { type Desired, type Live, type Preferences, changeSummary, digest, samePreferences, snapshotOf, stateSummary } from './preferences';

export interface PreferencesFacts {
  /** The parsed properties, or why they are invalid. */
  readonly desired: Desired | { readonly catalog: string; readonly invalid: string };
  readonly requester: PlanRequester;
  /** The state store as read; absent when a Create claims without reading first (the claim says who holds it). */
  readonly stored?: Stored<Preferences>;
  readonly live: Live;
}

export interface PreferencesPlan extends ResourcePlan {
  /** The preferences to write with UpdateConnectionPreferences, or none. */
  readonly target?: Preferences;
  readonly ownership: Ownership;
  readonly holder?: Owner;
  /** What Delete will restore: the stored snapshot, or the live preferences for a first claim. */
  readonly snapshot: Preferences;
  /** Digest of the declared state, recorded as what this resource last applied. */
  readonly applied: string;
  /** The stored digest differs (or there is no record yet): the header is written. */
  readonly recordApplied: boolean;
}

export function planPreferences(f: PreferencesFacts): PreferencesPlan {
  const manages = `catalog ${f.desired.catalog}`;
  const holder = f.stored?.owner;
  const rel = ownership(holder, f.requester);
  const record = rel === 'ours' || rel === 'stale' ? f.stored?.record : undefined;
  const snapshot = record?.snapshot ?? snapshotOf(f.live);
  const lastApplied = typeof record?.meta.applied === 'string' ? record.meta.applied : undefined;
  const drift =
    lastApplied && digest(f.live) !== lastApplied
      ? { drifted: true, detail: `the live ${stateSummary(f.live)} is not what this resource last applied (changed outside the stack)` }
      : { drifted: false };
  const common = { manages, ownership: rel, holder, snapshot, drift };

  if ('invalid' in f.desired) {
    return { ...common, action: 'blocked', writes: [], reason: f.desired.invalid, onDelete: onDeleteText(OnDelete.RESTORE, snapshot, f.live, !!record), applied: '', recordApplied: false };
  }
  const desired = f.desired;
  const applied = digest(desired);
  const wanted: Preferences = { accessType: desired.accessType, excludedParticipantIds: desired.excludedParticipantIds };
  const target = samePreferences(f.live, wanted) ? undefined : wanted;
  const writes: PlannedWrite[] = target ? [{ operation: 'UpdateConnectionPreferences', summary: changeSummary(f.live, target) }] : [];
  const onDelete = onDeleteText(desired.onDelete, snapshot, target ?? f.live, true);

  if (rel === 'other') {
    return {
      ...common,
      action: 'blocked',
      writes: [],
      reason:
        `the Partner Central connection preferences of ${manages} are managed by ${describeHolder(holder!)}: only one resource may manage them. ` +
        'Remove that resource (or its stack) first, or remove this one.',
      onDelete: 'nothing: this resource owns no state',
      applied,
      recordApplied: false,
    };
  }
  return {
    ...common,
    action: !record || rel === 'stale' ? 'create' : target ? 'update' : 'none',
    target,
    writes,
    reason: rel === 'stale' ? `takes over the claim left by ${describeHolder(holder!)}, a stack of the same name that no longer exists` : undefined,
    onDelete,
    applied,
    recordApplied: lastApplied !== applied,
  };
}

function onDeleteText(mode: OnDelete, snapshot: Preferences, after: Preferences, owned: boolean): string {
  if (!owned) return 'nothing: this resource owns no state';
  if (mode === OnDelete.RETAIN) return `retain ${stateSummary(after)}`;
  if (samePreferences(snapshot, after)) return `nothing to restore (${stateSummary(snapshot)} is what was found)`;
  return `restore ${stateSummary(snapshot)}`;
}

export interface PreferencesDeleteFacts {
  /** The catalog of the physical id being deleted (catalogOfArn), or undefined for an id this handler never returned. */
  readonly catalog: string | undefined;
  /** The stack sending the Delete (its id) and the resource's logical id. */
  readonly requester: PlanRequester;
  /** The resource's properties' OnDelete, read leniently (a Delete never fails on it). */
  readonly onDelete: OnDelete;
  readonly stored?: Stored<Preferences>;
  /** The live preferences; absent when the caller lets converge read them (the handler). */
  readonly live?: Live;
}

export interface PreferencesDeletePlan extends ResourcePlan {
  readonly action: 'delete';
  /** The snapshot to write back (RESTORE of a record this resource owns), or none. */
  readonly restore?: Preferences;
  /** The state record this resource owns, removed by the Delete. */
  readonly owned: boolean;
}

/**
 * The Delete of one PartnerConnectionPreferences resource: with RESTORE, write back the snapshot taken at Create
 * (no write when the live preferences already equal it); with RETAIN, leave them. Only a record this resource owns
 * is acted on: anything else is someone else's (or nobody's) and is left alone.
 */
export function planPreferencesDelete(f: PreferencesDeleteFacts): PreferencesDeletePlan {
  const manages = `catalog ${f.catalog ?? '(none)'}`;
  const nothing = (onDelete: string): PreferencesDeletePlan => ({ action: 'delete', manages, writes: [], drift: { drifted: false }, onDelete, owned: false });
  if (!f.catalog) return nothing('nothing: the physical id is not a preferences ARN this handler returned');
  const stored = f.stored;
  if (!stored?.record || ownership(stored.owner, f.requester) !== 'ours') {
    return nothing(stored?.owner ? `nothing: the preferences are managed by ${describeHolder(stored.owner)}` : 'nothing: this resource owns no state');
  }
  if (f.onDelete === OnDelete.RETAIN) {
    return { action: 'delete', manages, writes: [], drift: { drifted: false }, onDelete: f.live ? `retain ${stateSummary(f.live)}` : 'retain', owned: true };
  }
  const restore = stored.record.snapshot;
  const writes: PlannedWrite[] = f.live && !samePreferences(f.live, restore) ? [{ operation: 'UpdateConnectionPreferences', summary: changeSummary(f.live, restore) }] : [];
  const onDelete = f.live && writes.length === 0 ? `nothing to restore (${stateSummary(restore)} is what was found)` : `restore ${stateSummary(restore)}`;
  return { action: 'delete', manages, writes, drift: { drifted: false }, onDelete, restore, owned: true };
}
