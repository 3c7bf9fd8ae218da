// What the next deployment would do to one ConnectionAliasSharing resource, without doing it: the handler's own
// reads and plan, never its apply. Read-only: DescribeConnectionAliases, DescribeConnectionAliasPermissions and
// GetParametersByPath. Unlike the handler it does not wait for an alias still CREATING: it says so.
import type { WorkSpacesClient } from '@aws-sdk/client-workspaces';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { Prop } from '../../lib/workspaces/contract';
import { errorMessage } from '../common/errors';
import type { PlanRequester } from '../common/plan';
import { optionalString } from '../common/props';
import { type SharingPlan, planSharing } from './plan';
import { type Desired, type Meta, aliasProblem, describeAlias, parseProps, readShares, storeFor } from './sharing';

export interface PreviewClients {
  /** In the stack's Region. */
  readonly workspaces: WorkSpacesClient;
  /** In the stack's Region, where the state lives. */
  readonly ssm: SSMClient;
}

/** `account`: the stack's account, which must own the alias. */
export async function previewSharing(c: PreviewClients, properties: Record<string, unknown>, requester: PlanRequester, account: string): Promise<SharingPlan> {
  let desired: Desired | { aliasId: string; invalid: string };
  try {
    desired = parseProps(properties, account);
  } catch (err) {
    desired = { aliasId: safeAliasId(properties), invalid: errorMessage(err) };
  }
  if ('invalid' in desired) {
    return planSharing({ desired, requester, current: new Set(), fallbackDeclared: [] });
  }
  const [alias, stored] = await Promise.all([describeAlias(c.workspaces, desired.aliasId), storeFor(c.ssm, desired.aliasId).read()]);
  // The Region of the client, not of this process's environment: the plan command reads many Regions at once.
  const problem = aliasProblem(alias, desired.aliasId, account, await c.workspaces.config.region());
  const current = alias && !problem ? await readShares(c.workspaces, desired.aliasId) : new Set<string>();
  const declared = (stored.record?.meta as Meta | undefined)?.declared;
  const plan = planSharing({ desired, requester, alias, aliasProblem: problem, current, stored, fallbackDeclared: declared ?? [] });
  if (alias?.State === 'CREATING' && plan.action !== 'blocked') {
    return { ...plan, reason: [plan.reason, `alias ${desired.aliasId} is still CREATING: the deployment waits for it (up to 3 minutes)`].filter(Boolean).join('; ') };
  }
  return plan;
}

function safeAliasId(properties: Record<string, unknown>): string {
  try {
    return optionalString(properties[Prop.ALIAS_ID], Prop.ALIAS_ID) ?? '(none)';
  } catch {
    return '(invalid)';
  }
}
