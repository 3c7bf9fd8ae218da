// The plan: what a deployment of one resource would do, computed by a pure function from (declared properties,
// stored state, live setting). The handlers apply exactly a plan's writes; the `plan` command prints the same plan
// without applying it, so a preview and a deploy cannot disagree.
import { type Owner, isStaleClaimOf, parseStackId, sameOwner } from './state-store';

/**
 * What the next deploy does to one resource. `delete`: a deployed resource the new template removes or replaces,
 * whose Delete CloudFormation sends in the cleanup phase (it restores or unshares, or retains).
 */
export type PlanAction = 'create' | 'update' | 'none' | 'blocked' | 'unknown' | 'delete';

/** One write to the managed AWS setting, in the order the handler makes it (state-store writes are not listed). */
export interface PlannedWrite {
  /** The API operation, e.g. `UpdateConnectionPreferences` or `UpdateConnectionAliasPermission`. */
  readonly operation: string;
  /** Human summary, e.g. `AccessType ALLOW_ALL -> DENY_ALL, excluded +2 -1`, `share 222222222222`. */
  readonly summary: string;
}

export interface Drift {
  readonly drifted: boolean;
  /** What differs between the live setting and what this resource last applied. */
  readonly detail?: string;
}

/** The outcome of planning one resource. */
export interface ResourcePlan {
  readonly action: PlanAction;
  /** What the resource manages, e.g. `catalog AWS` or `alias wsca-abcdefgh12`. */
  readonly manages: string;
  readonly writes: readonly PlannedWrite[];
  readonly drift: Drift;
  /** Why the deploy would fail (`blocked`), what is unknown (`unknown`), or a note (e.g. a stale claim taken over). */
  readonly reason?: string;
  /** What deleting the resource would do now, e.g. `restore AccessType ALLOW_ALL, 2 exclusions` or `retain`. */
  readonly onDelete: string;
}

/** Who is asking: the stack (by name and, when known, id) and the resource's logical id. */
export interface PlanRequester {
  readonly stackName: string;
  /** Absent when the stack was never deployed (the `plan` command of a new stack). */
  readonly stackId?: string;
  readonly logicalId: string;
  /** The stack's Region, when known: stacks of one name in two Regions are two stacks. */
  readonly region?: string;
}

/** How the holder of a claim relates to the resource asking. */
export type Ownership = 'none' | 'ours' | 'stale' | 'other';

/** Who holds a setting, as seen by `requester`. `stale`: the same resource of an earlier stack of the same name. */
export function ownership(holder: Owner | undefined, requester: PlanRequester): Ownership {
  if (!holder) return 'none';
  if (requester.stackId) {
    const me = { stackId: requester.stackId, logicalResourceId: requester.logicalId };
    if (sameOwner(holder, me)) return 'ours';
    return isStaleClaimOf(holder, me) ? 'stale' : 'other';
  }
  // The `plan` command of a stack it cannot name by id: the same stack name, Region and logical id is this resource.
  const h = parseStackId(holder.stackId);
  const same = h?.name === requester.stackName && holder.logicalResourceId === requester.logicalId && (!requester.region || h.region === requester.region);
  return same ? 'ours' : 'other';
}

/** `resource Prefs of stack Other (arn:...)`. */
export function describeHolder(holder: Owner): string {
  const name = parseStackId(holder.stackId)?.name;
  return `resource ${holder.logicalResourceId} of stack ${name ?? holder.stackId}${name ? ` (${holder.stackId})` : ''}`;
}

/** The requester of a CloudFormation event: its stack (by id, and the name within it) and logical id. */
export function requesterOf(event: { StackId: string; LogicalResourceId: string }): PlanRequester {
  return { stackId: event.StackId, stackName: parseStackId(event.StackId)?.name ?? event.StackId, logicalId: event.LogicalResourceId };
}
