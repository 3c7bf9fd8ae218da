// The pure decision for one ConnectionAliasAssociation: from the alias as DescribeConnectionAliases shows it, the
// calling account and the request, to the steps to take in order (or why the deployment must fail before any write).
// Engine-independent: claims, undo and rollback are the shared lifecycle engine's (issue 15); this only says what the
// association itself needs.
//
// The rules, in one place:
// - An alias can be associated with only one directory per Region, by one account (owner or shared): an active
//   association (any status but NOT_ASSOCIATED) of another account or another directory blocks, naming both.
// - Create: wait for CREATED, associate, wait while PENDING_ASSOCIATION. Already associated with this very directory by
//   this account: adopt it (a RESTORE Delete then leaves it, since this resource did not make it).
// - Update of the directory (in place, since create-before-delete would need two directories at once): disassociate the
//   old one, wait for NOT_ASSOCIATED (or the entry gone), associate the new one, wait. The alias id changing is a
//   replacement (a new physical id): the engine's business, not this plan's.
// - Delete: RETAIN or adopted: nothing. RESTORE: disassociate and wait through PENDING_DISASSOCIATION, so the owner's
//   unshare that follows does not fail. An association already gone (or the alias gone) is a success.

export type AliasState = 'CREATING' | 'CREATED' | 'DELETING' | string;

export interface AssociationView {
  readonly AssociationStatus?: string;
  readonly AssociatedAccountId?: string;
  readonly ResourceId?: string;
  readonly ConnectionIdentifier?: string;
}

export interface AliasView {
  readonly AliasId?: string;
  readonly State?: AliasState;
  readonly OwnerAccountId?: string;
  readonly Associations?: readonly AssociationView[];
}

export type Step =
  | { readonly op: 'waitCreated' }
  | { readonly op: 'associate'; readonly directoryId: string }
  | { readonly op: 'waitAssociated'; readonly directoryId: string }
  | { readonly op: 'disassociate'; readonly directoryId: string }
  | { readonly op: 'waitDisassociated'; readonly directoryId: string };

export interface AssociationFacts {
  readonly requestType: 'Create' | 'Update' | 'Delete';
  readonly aliasId: string;
  readonly directoryId: string;
  /** The directory of the old properties (Update only). */
  readonly oldDirectoryId?: string;
  /** The account the handler runs in (the directory's owner). */
  readonly accountId: string;
  readonly onDelete: 'RESTORE' | 'RETAIN';
  /** Delete: the association was adopted, not made, by this resource. */
  readonly adopted?: boolean;
  /** The alias as the caller sees it; undefined when DescribeConnectionAliases does not show it. */
  readonly alias?: AliasView;
}

export interface AssociationPlan {
  readonly action: 'create' | 'update' | 'delete' | 'none' | 'blocked';
  readonly steps: Step[];
  /** Create: the association exists already and is adopted. */
  readonly adopted: boolean;
  /** Why the deployment fails (blocked), or what the plan does, in words. */
  readonly reason: string;
}

/** The association that currently holds the alias (WorkSpaces allows one), if any. */
export function activeAssociation(alias: AliasView | undefined): AssociationView | undefined {
  return alias?.Associations?.find((a) => a.AssociationStatus !== undefined && a.AssociationStatus !== 'NOT_ASSOCIATED');
}

function blocked(reason: string): AssociationPlan {
  return { action: 'blocked', steps: [], adopted: false, reason };
}

export function planAssociation(f: AssociationFacts): AssociationPlan {
  const alias = f.alias;
  const active = activeAssociation(alias);
  const mine = (dir: string | undefined) => active !== undefined && active.AssociatedAccountId === f.accountId && dir !== undefined && active.ResourceId === dir;

  if (f.requestType === 'Delete') {
    if (f.onDelete === 'RETAIN') return { action: 'none', steps: [], adopted: false, reason: 'onDelete RETAIN: the association is left as it is' };
    if (f.adopted) return { action: 'none', steps: [], adopted: true, reason: 'the association was adopted, not made, by this resource: it is left as it is' };
    if (!alias || !mine(f.directoryId)) {
      return { action: 'none', steps: [], adopted: false, reason: `alias ${f.aliasId} is not associated with directory ${f.directoryId} of account ${f.accountId}: nothing to disassociate` };
    }
    return { action: 'delete', steps: releaseSteps(active!, f.directoryId), adopted: false, reason: `disassociate alias ${f.aliasId} from directory ${f.directoryId}` };
  }

  if (!alias) return blocked(`connection alias ${f.aliasId} does not exist in this Region or is not shared with account ${f.accountId}: share it with this account first (ConnectionAliasSharing in the owner's account).`);
  if (alias.State === 'DELETING') return blocked(`connection alias ${f.aliasId} is being deleted (State DELETING): it cannot be associated.`);
  const wait: Step[] = alias.State === 'CREATED' ? [] : [{ op: 'waitCreated' }];
  const associate: Step[] = [
    { op: 'associate', directoryId: f.directoryId },
    { op: 'waitAssociated', directoryId: f.directoryId },
  ];

  if (mine(f.directoryId)) {
    if (active!.AssociationStatus === 'PENDING_DISASSOCIATION') {
      return { action: f.requestType === 'Create' ? 'create' : 'update', steps: [...wait, { op: 'waitDisassociated', directoryId: f.directoryId }, ...associate], adopted: false, reason: `wait for the pending disassociation from ${f.directoryId} to end, then associate again` };
    }
    const steps: Step[] = active!.AssociationStatus === 'PENDING_ASSOCIATION' ? [{ op: 'waitAssociated', directoryId: f.directoryId }] : [];
    // Create: adopt what exists. Update: a repeated delivery of this very change, already done.
    return { action: 'none', steps, adopted: f.requestType === 'Create', reason: `alias ${f.aliasId} is already associated with directory ${f.directoryId}` };
  }
  if (f.requestType === 'Update' && f.oldDirectoryId && mine(f.oldDirectoryId)) {
    return { action: 'update', steps: [...wait, ...releaseSteps(active!, f.oldDirectoryId), ...associate], adopted: false, reason: `move alias ${f.aliasId} from directory ${f.oldDirectoryId} to ${f.directoryId}` };
  }
  if (active) {
    const by = active.AssociatedAccountId === f.accountId ? 'this account' : `account ${active.AssociatedAccountId ?? '(unknown)'}`;
    return blocked(
      `connection alias ${f.aliasId} is already associated (${active.AssociationStatus}) with directory ${active.ResourceId ?? '(unknown)'} of ${by}: an alias can be associated with only one directory per Region. Disassociate it there first (aws workspaces disassociate-connection-alias --alias-id ${f.aliasId}, run by ${by}).`,
    );
  }
  return { action: f.requestType === 'Create' ? 'create' : 'update', steps: [...wait, ...associate], adopted: false, reason: `associate alias ${f.aliasId} with directory ${f.directoryId}` };
}

function releaseSteps(active: AssociationView, directoryId: string): Step[] {
  switch (active.AssociationStatus) {
    case 'PENDING_DISASSOCIATION':
      return [{ op: 'waitDisassociated', directoryId }];
    case 'PENDING_ASSOCIATION':
      // WorkSpaces refuses a disassociate while the association is pending (UNVERIFIED): let it settle first.
      return [{ op: 'waitAssociated', directoryId }, { op: 'disassociate', directoryId }, { op: 'waitDisassociated', directoryId }];
    default:
      return [{ op: 'disassociate', directoryId }, { op: 'waitDisassociated', directoryId }];
  }
}
