// What the next deployment would do to one ConnectionAliasAssociation, without doing it: the reads the handler makes
// (DescribeConnectionAliases, the state record) and the pure plan (./plan.ts), never the apply. Read-only. Like the
// other kinds' previews, it does not wait for an alias still CREATING or an association still pending: it says so.
//
// Read in the account of the resource's stack, which is the directory's account (only it can associate): the alias
// usually belongs to another account, which shared it (ConnectionAliasSharing there).
//
// Assumptions about the handler (lambda/workspaces-association/index.ts, written on the shared engine in parallel
// with this file, issue 15), to check when it lands:
// - its state lives under STATE_PATH_PREFIX/<aliasId> in the stack's Region (the other kinds' layout: one record per
//   managed thing, here the alias, since an alias has at most one association per Region), with the claim semantics
//   of the other kinds (a stale claim of an earlier stack of the same name is taken over; one of another live
//   resource blocks);
// - the record says whether the association was adopted at Create (`snapshot.adopted`), and `meta.directoryId` the
//   directory it last applied (an Update moves away from it, a Delete disassociates it);
// - the physical id is the alias id (a new alias id is a replacement; a new directory an in-place Update);
// - a Delete without a record of its own (none, or another resource's) leaves the association alone, as the other
//   kinds' Deletes leave the setting alone.
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { WorkSpacesClient } from '@aws-sdk/client-workspaces';
import { ALIAS_ID_PATTERN, Prop } from '../../lib/workspaces-association/contract';
import { errorMessage } from '../common/errors';
import { type Ownership, type PlanRequester, type PlannedWrite, type ResourcePlan, describeHolder, ownership } from '../common/plan';
import { parseOnDelete } from '../common/props';
import { type Owner, type StateRecord, StateStore, type Stored } from '../common/state-store';
import { readAlias } from './association';
import { type AliasView, type Step, activeAssociation, planAssociation } from './plan';
import { type Desired, parseProps } from './props';

/**
 * SSM path prefix of the association state store, in the stack's Region. No helper names it yet (the contract has
 * none): this is the layout of the other kinds (`/cdk-connection-sharing/<kind>`), to move into the contract with
 * the handler.
 */
export const STATE_PATH_PREFIX = '/cdk-connection-sharing/workspaces-association';

export function statePath(aliasId: string): string {
  return `${STATE_PATH_PREFIX}/${aliasId}`;
}

/** What the record keeps: whether the association existed already at Create (adopted: a Delete then leaves it). */
export interface AssociationSnapshot {
  readonly adopted?: boolean;
}

export function storeFor(ssm: SSMClient, aliasId: string): StateStore<AssociationSnapshot> {
  return new StateStore<AssociationSnapshot>(ssm, statePath(aliasId), `the association of WorkSpaces connection alias ${aliasId}`);
}

/** Whether a record says the association was adopted (there before this resource). */
export function adoptedIn(record: StateRecord<AssociationSnapshot> | undefined): boolean {
  return record?.snapshot?.adopted === true;
}

export interface PreviewClients {
  /** In the stack's Region, with the directory account's credentials. */
  readonly workspaces: WorkSpacesClient;
  /** In the stack's Region, where the state lives. */
  readonly ssm: SSMClient;
}

/** The handler's reads of one alias: the alias as this account sees it, and the stored state. */
export interface AssociationReads {
  readonly region: () => Promise<string>;
  alias(aliasId: string): Promise<AliasView | undefined>;
  stored(aliasId: string): Promise<Stored<AssociationSnapshot>>;
}

/** The reads one resource at a time, exactly as the handler makes them. */
export function directReads(c: PreviewClients): AssociationReads {
  return {
    region: async () => c.workspaces.config.region(),
    alias: (aliasId) => readAlias(c.workspaces, aliasId),
    stored: (aliasId) => storeFor(c.ssm, aliasId).read(),
  };
}

function readsOf(source: PreviewClients | AssociationReads): AssociationReads {
  return 'stored' in source ? source : directReads(source);
}

/** A property of a deployed resource (valid when it was deployed), never throwing. */
function lenient(props: Record<string, unknown> | undefined, key: string): string | undefined {
  const v = props?.[key];
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

export interface AssociationPreview extends ResourcePlan {
  /** The handler's steps, waits included; the writes are its Associate/Disassociate calls. */
  readonly steps: readonly Step[];
  readonly ownership: Ownership;
  readonly holder?: Owner;
  /** After the deploy, the association is one this resource adopted (a RESTORE Delete leaves it). */
  readonly adopted: boolean;
  /** The directory the deployed resource last declared differs from the new one (CloudFormation sends an Update). */
  readonly directoryChanged: boolean;
}

export interface AssociationPreviewFacts {
  readonly desired: Desired | { readonly aliasId: string; readonly invalid: string };
  readonly requester: PlanRequester;
  /** The stack's account: the directory's, and the one whose credentials read. */
  readonly account: string;
  readonly alias?: AliasView;
  readonly stored: Stored<AssociationSnapshot>;
  /** The directory the deployed resource declares (its deployed properties, which an Update receives as old). */
  readonly deployedDirectoryId?: string;
}

/** The writes of the steps (the waits are reads). */
export function writesOf(steps: readonly Step[]): PlannedWrite[] {
  return steps.flatMap((s): PlannedWrite[] => {
    if (s.op === 'associate') return [{ operation: 'AssociateConnectionAlias', summary: `associate with directory ${s.directoryId}` }];
    if (s.op === 'disassociate') return [{ operation: 'DisassociateConnectionAlias', summary: `disassociate from directory ${s.directoryId}` }];
    return [];
  });
}

/** The request of each write of `steps`, in order. */
export function requestsOf(aliasId: string, steps: readonly Step[]): Record<string, unknown>[] {
  return steps.flatMap((s) => (s.op === 'associate' ? [{ AliasId: aliasId, ResourceId: s.directoryId }] : s.op === 'disassociate' ? [{ AliasId: aliasId }] : []));
}

function manages(aliasId: string, directoryId?: string): string {
  return directoryId ? `alias ${aliasId} on directory ${directoryId}` : `alias ${aliasId}`;
}

/** What a Delete would do after this deploy, in the words of the plan's `onDelete`. */
function deleteText(onDelete: 'RESTORE' | 'RETAIN', adopted: boolean, aliasId: string, directoryId: string): string {
  if (onDelete === 'RETAIN') return 'retain: the association is left in place (OnDelete RETAIN)';
  if (adopted) return 'left: adopted (the association existed before this resource, so its Delete leaves it)';
  return `disassociate alias ${aliasId} from directory ${directoryId}`;
}

/** The pure preview of a Create or Update: the claim (as the other kinds: a stale one is taken over) and the plan. */
export function planAssociationPreview(f: AssociationPreviewFacts): AssociationPreview {
  const holder = f.stored.owner;
  const rel = ownership(holder, f.requester);
  const record = rel === 'ours' || rel === 'stale' ? f.stored.record : undefined;
  const none = { steps: [] as Step[], writes: [] as PlannedWrite[], ownership: rel, holder, drift: { drifted: false }, directoryChanged: false };
  if ('invalid' in f.desired) {
    const onDelete = record ? deleteText('RESTORE', adoptedIn(record), f.desired.aliasId, lenient(record.meta, 'directoryId') ?? 'its deployed directory') : 'nothing: this resource owns no state';
    return { ...none, action: 'blocked', manages: manages(f.desired.aliasId), adopted: false, reason: f.desired.invalid, onDelete };
  }
  const d = f.desired;
  const what = manages(d.aliasId, d.directoryId);
  if (rel === 'other') {
    return {
      ...none,
      action: 'blocked',
      manages: what,
      adopted: false,
      reason: `the association of connection alias ${d.aliasId} is managed by ${describeHolder(holder!)}, not by this resource: only one resource may manage it. Remove one of the two resources.`,
      onDelete: 'nothing: this resource owns no state',
    };
  }
  // A record of this very resource: the deploy is an Update.
  const updating = rel === 'ours' && !!record;
  const active = activeAssociation(f.alias);
  const held = (dir: string | undefined) => !!dir && !!active && active.AssociatedAccountId === f.account && active.ResourceId === dir;
  // The directory to move away from, as the handler picks it: the one the record says it last applied, or the old
  // properties' (the deployed ones, which an Update receives), whichever holds the alias.
  const recorded = updating ? lenient(record!.meta, 'directoryId') : undefined;
  const candidates = updating ? [recorded, f.deployedDirectoryId] : [];
  const from = candidates.find((dir) => dir !== d.directoryId && held(dir)) ?? candidates.find((dir) => !!dir && dir !== d.directoryId);
  const plan = planAssociation({
    requestType: updating ? 'Update' : 'Create',
    aliasId: d.aliasId,
    directoryId: d.directoryId,
    oldDirectoryId: from,
    accountId: f.account,
    onDelete: d.onDelete,
    alias: f.alias,
  });
  const lastApplied = recorded ?? f.deployedDirectoryId ?? d.directoryId;
  const drift = updating && !held(lastApplied)
    ? { drifted: true, detail: `alias ${d.aliasId} is no longer associated with directory ${lastApplied} of account ${f.account} (changed outside the stack)` }
    : { drifted: false };
  const directoryChanged = updating && (f.deployedDirectoryId ?? lastApplied) !== d.directoryId;
  // Adopted stays as recorded through an Update or a takeover (the earlier snapshot is kept), unless this deploy
  // associates anew: the association is then this resource's own.
  const associates = plan.steps.some((s) => s.op === 'associate');
  const adopted = associates ? false : record ? adoptedIn(record) : plan.adopted;
  const common = { steps: plan.steps, ownership: rel, holder, manages: what, drift, directoryChanged, adopted, onDelete: deleteText(d.onDelete, adopted, d.aliasId, d.directoryId) };
  if (plan.action === 'blocked') {
    // The deploy fails before any write: a Delete would then do what the state held before it says.
    const onDelete = updating ? deleteText(d.onDelete, adoptedIn(record), d.aliasId, lastApplied) : 'nothing: this resource owns no state';
    return { ...common, steps: [], action: 'blocked', writes: [], reason: plan.reason, adopted: false, onDelete };
  }
  const notes = [
    rel === 'stale' ? `takes over the claim left by ${describeHolder(holder!)}, a stack of the same name that no longer exists` : undefined,
    !updating && plan.adopted ? `adopts the existing association of alias ${d.aliasId} with directory ${d.directoryId} (made outside this resource): no write, and a Delete leaves it` : undefined,
    f.alias?.State === 'CREATING' ? `alias ${d.aliasId} is still CREATING: the deploy waits for it` : undefined,
    active && active.AssociatedAccountId === f.account && active.AssociationStatus?.startsWith('PENDING_')
      ? `the association with directory ${active.ResourceId} is still ${active.AssociationStatus}: the deploy waits for it to settle`
      : undefined,
  ].filter((n): n is string => !!n);
  // A new resource claims the association (a state write) even when it adopts it: create, as the other kinds.
  const action = !updating ? 'create' : plan.action === 'none' ? 'none' : 'update';
  return { ...common, action, writes: writesOf(plan.steps), reason: notes.length ? notes.join('; ') : undefined };
}

/**
 * `properties`: the custom resource's properties as CloudFormation would deliver them (tokens resolved); `account`:
 * the stack's; `deployedProperties`: the deployed resource's, when the stack has it (an Update's old properties).
 */
export async function previewAssociation(
  source: PreviewClients | AssociationReads,
  properties: Record<string, unknown>,
  requester: PlanRequester,
  account: string,
  deployedProperties?: Record<string, unknown>,
): Promise<AssociationPreview> {
  const reads = readsOf(source);
  let desired: AssociationPreviewFacts['desired'];
  try {
    desired = parseProps(properties);
  } catch (err) {
    desired = { aliasId: lenient(properties, Prop.ALIAS_ID) ?? '(none)', invalid: errorMessage(err) };
  }
  if ('invalid' in desired) return planAssociationPreview({ desired, requester, account, stored: { names: [] } });
  const [alias, stored] = await Promise.all([reads.alias(desired.aliasId), reads.stored(desired.aliasId)]);
  return planAssociationPreview({ desired, requester, account, alias, stored, deployedDirectoryId: lenient(deployedProperties, Prop.DIRECTORY_ID) });
}

export interface AssociationDeletePlan extends ResourcePlan {
  readonly action: 'delete';
  readonly steps: readonly Step[];
}

export interface AssociationDeleteFacts {
  /** The physical id being deleted: the alias id, or an id this handler never returned. */
  readonly aliasId: string;
  readonly requester: PlanRequester;
  readonly account: string;
  /** The deployed properties (the Delete's ResourceProperties). */
  readonly properties: Record<string, unknown>;
  readonly stored: Stored<AssociationSnapshot>;
  /** Read only when the Delete would disassociate (a RESTORE of an association this resource made). */
  readonly alias?: AliasView;
}

/** Whether the Delete's plan needs the alias read (a RESTORE of a record this resource owns that it did not adopt). */
export function deleteNeedsAlias(f: Omit<AssociationDeleteFacts, 'alias'>): boolean {
  const onDelete = lenientOnDelete(f.properties);
  return ALIAS_ID_PATTERN.test(f.aliasId) && !!f.stored.record && ownership(f.stored.owner, f.requester) === 'ours' && onDelete === 'RESTORE' && !adoptedIn(f.stored.record);
}

function lenientOnDelete(props: Record<string, unknown>): 'RESTORE' | 'RETAIN' {
  try {
    return parseOnDelete(props);
  } catch {
    return 'RESTORE'; // as the other handlers: a Delete never fails on a value that was valid when deployed
  }
}

/**
 * The Delete of a deployed ConnectionAliasAssociation (removed from the template or replaced): with RESTORE,
 * disassociate the association this resource made, waiting through PENDING_DISASSOCIATION; nothing when it was
 * adopted, with RETAIN, without a record of its own, or when the association is gone already.
 */
export function planAssociationDelete(f: AssociationDeleteFacts): AssociationDeletePlan {
  // As the handler: the directory the record says it last applied, else the deployed properties'.
  const directoryId = lenient(f.stored.record?.meta, 'directoryId') ?? lenient(f.properties, Prop.DIRECTORY_ID);
  const base = { action: 'delete' as const, manages: manages(f.aliasId, directoryId), drift: { drifted: false }, steps: [] as Step[], writes: [] as PlannedWrite[] };
  if (!ALIAS_ID_PATTERN.test(f.aliasId)) return { ...base, onDelete: 'nothing: the physical id is not an alias id this handler returned' };
  if (f.stored.owner && ownership(f.stored.owner, f.requester) !== 'ours') return { ...base, onDelete: `nothing: the association is managed by ${describeHolder(f.stored.owner)}` };
  if (!f.stored.record) return { ...base, onDelete: 'nothing: this resource owns no state (the association is left in place)' };
  const onDelete = lenientOnDelete(f.properties);
  if (onDelete === 'RETAIN') return { ...base, onDelete: deleteText('RETAIN', false, f.aliasId, directoryId ?? '') };
  if (adoptedIn(f.stored.record)) return { ...base, onDelete: deleteText('RESTORE', true, f.aliasId, directoryId ?? '') };
  if (!directoryId) return { ...base, onDelete: 'nothing: the deployed properties name no directory' };
  const plan = planAssociation({ requestType: 'Delete', aliasId: f.aliasId, directoryId, accountId: f.account, onDelete, adopted: false, alias: f.alias });
  if (plan.action !== 'delete') return { ...base, onDelete: `nothing to disassociate: ${plan.reason}` };
  const pending = plan.steps[0]?.op !== 'disassociate' ? `; the association is ${activeAssociation(f.alias)?.AssociationStatus}: the Delete waits for it` : '';
  return { ...base, steps: plan.steps, writes: writesOf(plan.steps), onDelete: `disassociate alias ${f.aliasId} from directory ${directoryId}${pending}` };
}

/** The handler's reads for the Delete (the state; the alias only when it would disassociate) and its pure plan. */
export async function previewAssociationDelete(
  source: PreviewClients | AssociationReads,
  aliasId: string,
  properties: Record<string, unknown>,
  requester: PlanRequester,
  account: string,
): Promise<AssociationDeletePlan> {
  const reads = readsOf(source);
  if (!ALIAS_ID_PATTERN.test(aliasId)) return planAssociationDelete({ aliasId, requester, account, properties, stored: { names: [] } });
  const stored = await reads.stored(aliasId);
  const facts = { aliasId, requester, account, properties, stored };
  return planAssociationDelete(deleteNeedsAlias(facts) ? { ...facts, alias: await reads.alias(aliasId) } : facts);
}
