// What the next deployment would do to one ConnectionAliasSharing resource, without doing it: the handler's own
// reads and plan, never its apply. Read-only: DescribeConnectionAliases, DescribeConnectionAliasPermissions and
// GetParametersByPath. Unlike the handler it does not wait for an alias still CREATING: it says so.
import type { ConnectionAlias, WorkSpacesClient } from '@aws-sdk/client-workspaces';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { ALIAS_ID_PATTERN, Prop } from '../../lib/workspaces/contract';
import { errorMessage } from '../common/errors';
import type { PlanRequester } from '../common/plan';
import { optionalString } from '../common/props';
import type { Stored } from '../common/state-store';
import { type SharingDeletePlan, type SharingPlan, planSharing, planSharingDelete } from './plan';
import { type Desired, type Meta, type Snapshot, aliasProblem, describeAlias, lenientAccounts, parseOnDelete, parseProps, readShares, storeFor } from './sharing';
import { OnDelete } from '../../lib/common/on-delete';

export interface PreviewClients {
  /** In the stack's Region. */
  readonly workspaces: WorkSpacesClient;
  /** In the stack's Region, where the state lives. */
  readonly ssm: SSMClient;
}

/** The handler's reads of one alias: the alias, its shares and its stored state (all in one Region). */
export interface SharingReads {
  readonly region: () => Promise<string>;
  alias(aliasId: string): Promise<ConnectionAlias | undefined>;
  shares(aliasId: string): Promise<Set<string>>;
  stored(aliasId: string): Promise<Stored<Snapshot>>;
}

/** The reads one resource at a time, exactly as the handler makes them. */
export function directReads(c: PreviewClients): SharingReads {
  return {
    // The Region of the client, not of this process's environment: the plan command reads many Regions at once.
    region: async () => c.workspaces.config.region(),
    alias: (aliasId) => describeAlias(c.workspaces, aliasId),
    shares: (aliasId) => readShares(c.workspaces, aliasId),
    stored: (aliasId) => storeFor(c.ssm, aliasId).read(),
  };
}

function readsOf(source: PreviewClients | SharingReads): SharingReads {
  return 'shares' in source ? source : directReads(source);
}

/** `account`: the stack's account, which must own the alias. */
export async function previewSharing(source: PreviewClients | SharingReads, properties: Record<string, unknown>, requester: PlanRequester, account: string): Promise<SharingPlan> {
  const reads = readsOf(source);
  let desired: Desired | { aliasId: string; invalid: string };
  try {
    desired = parseProps(properties, account);
  } catch (err) {
    desired = { aliasId: safeAliasId(properties), invalid: errorMessage(err) };
  }
  if ('invalid' in desired) {
    return planSharing({ desired, requester, current: new Set(), fallbackDeclared: [] });
  }
  const [alias, stored] = await Promise.all([reads.alias(desired.aliasId), reads.stored(desired.aliasId)]);
  const problem = aliasProblem(alias, desired.aliasId, account, await reads.region());
  const current = alias && !problem ? await reads.shares(desired.aliasId) : new Set<string>();
  const declared = (stored.record?.meta as Meta | undefined)?.declared;
  const plan = planSharing({ desired, requester, alias, aliasProblem: problem, current, stored, fallbackDeclared: declared ?? [] });
  if (alias?.State === 'CREATING' && plan.action !== 'blocked') {
    return { ...plan, reason: [plan.reason, `alias ${desired.aliasId} is still CREATING: the deployment waits for it (up to 3 minutes)`].filter(Boolean).join('; ') };
  }
  return plan;
}

/**
 * What the Delete of a deployed resource would do (a resource the new template removes or replaces: CloudFormation
 * deletes it in the cleanup phase). `aliasId`: its physical id; `properties`: its deployed properties (the Delete's
 * ResourceProperties). The handler's reads (the state; the alias, as readAlias reads it for a Delete; the shares
 * when the plan unshares) and its pure plan of the Delete.
 */
export async function previewSharingDelete(
  source: PreviewClients | SharingReads,
  aliasId: string,
  properties: Record<string, unknown>,
  requester: PlanRequester,
  account: string,
): Promise<SharingDeletePlan> {
  const reads = readsOf(source);
  let onDelete: OnDelete;
  try {
    onDelete = parseOnDelete(properties);
  } catch {
    onDelete = OnDelete.RESTORE; // as the handler: a Delete never fails on a value that was valid when deployed
  }
  const facts = { aliasId, requester, onDelete, fallbackDeclared: lenientAccounts(properties) };
  if (!ALIAS_ID_PATTERN.test(aliasId)) return { ...planSharingDelete({ ...facts, stored: { names: [] } }), onDelete: 'nothing: the physical id is not an alias id this handler returned' };
  const stored = await reads.stored(aliasId);
  let plan = planSharingDelete({ ...facts, stored });
  if (!plan.removesState) return plan;
  const found = await reads.alias(aliasId);
  // readAlias for a Delete: an alias missing, DELETING or another account's leaves nothing of ours to reverse.
  const alias = found && !aliasProblem(found, aliasId, account, await reads.region()) ? found : undefined;
  plan = planSharingDelete({ ...facts, stored, alias });
  return plan.needsShares ? planSharingDelete({ ...facts, stored, alias, current: await reads.shares(aliasId) }) : plan;
}

function safeAliasId(properties: Record<string, unknown>): string {
  try {
    return optionalString(properties[Prop.ALIAS_ID], Prop.ALIAS_ID) ?? '(none)';
  } catch {
    return '(invalid)';
  }
}
