// `cdk-connection-sharing plan`: for every resource of this library in a synthesized app, the handler's own reads and
// pure plan (lambda/<kind>/preview.ts), never its apply. Read-only: the only calls are STS GetCallerIdentity (once),
// CloudFormation DescribeStackResources (only for properties that refer to other resources of the stack),
// Partner Central GetConnectionPreferences, WorkSpaces DescribeConnectionAliases and
// DescribeConnectionAliasPermissions, and SSM GetParametersByPath under /cdk-connection-sharing/.
import { DescribeStackResourcesCommand, type StackResource } from '@aws-sdk/client-cloudformation';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { API_REGION, Prop as PrefsProp, RESOURCE_TYPE as PREFERENCES_TYPE } from '../lib/partner-central/contract';
import { Prop as SharingProp } from '../lib/workspaces/contract';
import { RECONCILE_CONTEXT_KEY } from '../lib/common/reconcile';
import { errorMessage, errorName } from '../lambda/common/errors';
import type { Drift, PlanAction, PlanRequester } from '../lambda/common/plan';
import { type PreferencesPlan } from '../lambda/partner-central/plan';
import { previewPreferences } from '../lambda/partner-central/preview';
import { type SharingPlan } from '../lambda/workspaces/plan';
import { previewSharing } from '../lambda/workspaces/preview';
import { type AssemblyStack, type FoundResource, readAssembly, selectStacks } from './assembly';
import { Clients } from './clients';
import { type Deployed, referencedResources, resolveProperties } from './resolve';

/** Resources planned at once: enough to hide round trips, few enough to stay well inside the APIs' rates. */
export const CONCURRENCY = 8;
/** DescribeStackResources returns only the first 100 resources of a stack; beyond, ask for one logical id. */
const DESCRIBE_LIMIT = 100;

export interface PlannedWriteOut {
  readonly operation: string;
  readonly summary: string;
  /** The request the handler would send (Partner Central's `Revision` is read at deploy time, so it is left out). */
  readonly request?: Record<string, unknown>;
}

export interface ResourceResult {
  readonly stack: string;
  readonly logicalId: string;
  readonly path: string;
  readonly resourceType: string;
  readonly account?: string;
  readonly region?: string;
  readonly action: PlanAction;
  /** `catalog AWS`, `alias wsca-...`; for `unknown` as much as is known. */
  readonly manages: string;
  /** Null when it cannot be told (`unknown`). */
  readonly drift: Drift | null;
  /** In the order the handler makes them; none for `blocked` (the handler refuses before any write) and `unknown`. */
  readonly writes: PlannedWriteOut[];
  readonly reason?: string;
  /** Null when it cannot be told (`unknown`). */
  readonly onDelete: string | null;
}

export interface Summary {
  readonly create: number;
  readonly update: number;
  readonly none: number;
  readonly blocked: number;
  readonly unknown: number;
}

export interface PlanReport {
  readonly resources: ResourceResult[];
  readonly summary: Summary;
  /** Things the reader should know that are not about one resource (nested stacks not planned, ...). */
  readonly warnings: string[];
  /** The API calls made, by `Service.Operation`. */
  readonly calls: Record<string, number>;
}

/** The plan itself failed (no credentials, a denied read, ...): exit 1. */
export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanError';
  }
}

export interface PlanOptions {
  readonly app: string;
  readonly stacks: readonly string[];
  readonly concurrency?: number;
}

export function summarize(resources: readonly ResourceResult[]): Summary {
  const count = (a: PlanAction) => resources.filter((r) => r.action === a).length;
  return { create: count('create'), update: count('update'), none: count('none'), blocked: count('blocked'), unknown: count('unknown') };
}

/**
 * 3 when a deploy would fail (any blocked), else 2 when something would or might change (any create, update or
 * unknown: an unresolved property cannot rule a change out), else 0.
 */
export function exitCode(summary: Summary): 0 | 2 | 3 {
  if (summary.blocked > 0) return 3;
  return summary.create + summary.update + summary.unknown > 0 ? 2 : 0;
}

interface Caller {
  readonly account: string;
  readonly partition: string;
}

export async function runPlan(options: PlanOptions): Promise<PlanReport> {
  const stacks = selectStacks(readAssembly(options.app), options.stacks);
  const warnings = stacks
    .filter((s) => s.nestedStacks.length > 0)
    .map((s) => `stack ${s.stackName} has nested stacks (${s.nestedStacks.join(', ')}): resources inside nested stacks are not planned`);
  const work = stacks.flatMap((stack) => stack.resources.map((resource) => ({ stack, resource })));
  if (work.length === 0) {
    warnings.push(`no ${PREFERENCES_TYPE} or Custom::ConnectionAliasSharing resources in ${stacks.length ? stacks.map((s) => s.stackName).join(', ') : 'the assembly'}`);
    return { resources: [], summary: summarize([]), warnings, calls: {} };
  }

  const clients = new Clients();
  try {
    const defaultRegion = await clients.defaultRegion();
    const caller = await whoAmI(clients, defaultRegion);
    const deployed = new DeployedStacks(clients);
    const failures: string[] = [];
    const results = await mapLimit(work, options.concurrency ?? CONCURRENCY, async ({ stack, resource }) => {
      try {
        return await planResource(clients, deployed, caller, defaultRegion, stack, resource);
      } catch (err) {
        if (err instanceof PlanError) throw err;
        failures.push(`${stack.stackName} ${resource.logicalId} (${resource.path}): ${explain(err)}`);
        return undefined;
      }
    });
    if (failures.length > 0) throw new PlanError(`could not read the live state of ${failures.length} resource(s):\n  ${failures.join('\n  ')}`);
    const resources = results as ResourceResult[];
    return { resources, summary: summarize(resources), warnings, calls: clients.calls };
  } finally {
    clients.destroy();
  }
}

async function whoAmI(clients: Clients, defaultRegion: string | undefined): Promise<Caller> {
  try {
    const out = await clients.sts(defaultRegion).send(new GetCallerIdentityCommand({}));
    if (!out.Account) throw new Error('STS answered without an account');
    return { account: out.Account, partition: out.Arn?.split(':')[1] ?? 'aws' };
  } catch (err) {
    throw new PlanError(
      `could not tell which AWS account your credentials belong to (STS GetCallerIdentity): ${explain(err)}. ` +
        'Configure credentials for the account you deploy to (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, SSO...).',
    );
  }
}

async function planResource(
  clients: Clients,
  deployed: DeployedStacks,
  caller: Caller,
  defaultRegion: string | undefined,
  stack: AssemblyStack,
  resource: FoundResource,
): Promise<ResourceResult> {
  const region = stack.region ?? defaultRegion;
  const account = stack.account ?? caller.account;
  const base = { stack: stack.stackName, logicalId: resource.logicalId, path: resource.path, resourceType: resource.resourceType, account, region };
  const unknown = (reason: string): ResourceResult => ({ ...base, action: 'unknown', manages: guessManages(resource), drift: null, writes: [], reason, onDelete: null });
  if (!region) {
    throw new PlanError(
      `stack ${stack.stackName} has no Region in the assembly (environment-agnostic) and no default Region is configured: ` +
        'set AWS_REGION (or the profile\'s region) to the Region you deploy it to.',
    );
  }
  if (account !== caller.account) {
    return unknown(`stack ${stack.stackName} deploys to account ${account}, but your credentials are for account ${caller.account}: run the plan with credentials for ${account}`);
  }
  if (resource.condition) return unknown(`the resource has Condition ${resource.condition}: whether it exists is decided at deploy time`);

  const refs = referencedResources(resource.properties, stack.template);
  const lookup = refs.size > 0 ? await deployed.lookup(stack.stackName, region, refs) : () => ({ missing: 'unexpected reference' });
  const resolution = resolveProperties(resource.properties, { template: stack.template, stackName: stack.stackName, region, accountId: account, partition: caller.partition, deployed: lookup });
  if (!resolution.ok) return unknown(resolution.reason);

  // The same stack name, Region and logical id is this resource (lambda/common/plan.ts, ownership()).
  const requester: PlanRequester = { stackName: stack.stackName, region, logicalId: resource.logicalId };
  if (resource.resourceType === PREFERENCES_TYPE) {
    const plan = await previewPreferences({ partnerCentral: clients.partnerCentral(), ssm: clients.ssm(API_REGION) }, resolution.properties, requester);
    return { ...base, ...fromPlan(plan, preferencesRequests(plan)), reason: withNote(plan.reason, plan, !plan.recordApplied, resolution.properties[PrefsProp.RECONCILE]) };
  }
  const plan = await previewSharing({ workspaces: clients.workspaces(region), ssm: clients.ssm(region) }, resolution.properties, requester, account);
  return { ...base, ...fromPlan(plan, plan.steps.map((s) => ({ AliasId: aliasOf(plan), ConnectionAliasPermission: { SharedAccountId: s.account, AllowAssociation: s.share } }))), reason: withNote(plan.reason, plan, !plan.recordChanged, resolution.properties[SharingProp.RECONCILE]) };
}

function fromPlan(plan: PreferencesPlan | SharingPlan, requests: Record<string, unknown>[]): Pick<ResourceResult, 'action' | 'manages' | 'drift' | 'writes' | 'onDelete'> {
  // A blocked deployment fails before its first write: it writes nothing, whatever it would have written.
  const writes = plan.action === 'blocked' ? [] : plan.writes.map((w, i) => ({ operation: w.operation, summary: w.summary, request: requests[i] }));
  return { action: plan.action, manages: plan.manages, drift: plan.drift, writes, onDelete: plan.onDelete };
}

function preferencesRequests(plan: PreferencesPlan): Record<string, unknown>[] {
  if (!plan.target) return [];
  const catalog = plan.manages.replace(/^catalog /, '');
  return [{ Catalog: catalog, AccessType: plan.target.accessType, ExcludedParticipantIdentifiers: plan.target.excludedParticipantIds }];
}

function aliasOf(plan: SharingPlan): string {
  return plan.manages.replace(/^alias /, '');
}

/**
 * Drift on a resource whose declared settings are the ones it last applied: CloudFormation sends a custom resource an
 * Update only when one of its properties changes, so a deploy that changes nothing else about it leaves the drift,
 * unless it was synthesized with the reconcile key (lib/common/reconcile.ts), whose new value is such a change.
 */
function withNote(reason: string | undefined, plan: PreferencesPlan | SharingPlan, declaredUnchanged: boolean, reconcile: unknown): string | undefined {
  if (plan.action !== 'update' || !plan.drift.drifted || !declaredUnchanged) return reason;
  const note =
    typeof reconcile === 'string'
      ? `this deploy reconciles it: synthesized with ${RECONCILE_CONTEXT_KEY}=${reconcile}, its Reconcile property changes, so CloudFormation sends it an Update, which makes these writes ` +
        '(unless that value is the one deployed last: then give a new one)'
      : 'the declared settings are the ones this resource last applied: CloudFormation sends it an Update (which makes these writes) only when one of its properties changes, ' +
        `so a deploy that changes none of them leaves this drift in place; run \`cdk deploy -c ${RECONCILE_CONTEXT_KEY}=<new value>\` to converge it`;
  return [reason, note].filter(Boolean).join('; ');
}

function guessManages(resource: FoundResource): string {
  const literal = (v: unknown) => (typeof v === 'string' ? v : '(unresolved)');
  if (resource.resourceType === PREFERENCES_TYPE) return `catalog ${resource.properties[PrefsProp.CATALOG] === undefined ? 'AWS' : literal(resource.properties[PrefsProp.CATALOG])}`;
  return `alias ${literal(resource.properties[SharingProp.ALIAS_ID])}`;
}

/** The deployed stacks' physical ids, read once per stack (and per logical id past the first 100 resources). */
class DeployedStacks {
  private readonly stacks = new Map<string, Promise<Map<string, string> | undefined>>();
  private readonly singles = new Map<string, Promise<string | undefined>>();

  constructor(private readonly clients: Clients) {}

  async lookup(stackName: string, region: string, refs: Set<string>): Promise<(logicalId: string) => Deployed> {
    const key = `${region}/${stackName}`;
    if (!this.stacks.has(key)) this.stacks.set(key, this.describe(stackName, region));
    const all = await this.stacks.get(key)!;
    if (!all) return () => ({ missing: `and stack ${stackName} is not deployed in ${region} yet` });
    const found = new Map(all);
    if (all.size >= DESCRIBE_LIMIT) {
      for (const id of refs) {
        if (found.has(id)) continue;
        const single = `${key}/${id}`;
        if (!this.singles.has(single)) this.singles.set(single, this.describe(stackName, region, id).then((m) => m?.get(id)));
        const physicalId = await this.singles.get(single)!;
        if (physicalId) found.set(id, physicalId);
      }
    }
    return (id) => {
      const physicalId = found.get(id);
      return physicalId ? { physicalId } : { missing: `and it is not deployed yet (the deployed stack ${stackName} in ${region} has no ${id})` };
    };
  }

  /** Physical ids by logical id, or undefined when the stack does not exist. */
  private async describe(stackName: string, region: string, logicalId?: string): Promise<Map<string, string> | undefined> {
    let resources: StackResource[];
    try {
      const out = await this.clients.cloudFormation(region).send(new DescribeStackResourcesCommand({ StackName: stackName, LogicalResourceId: logicalId }));
      resources = out.StackResources ?? [];
    } catch (err) {
      if (errorName(err) === 'ValidationError' && /does not exist/.test(errorMessage(err))) return logicalId ? new Map() : undefined;
      throw new PlanError(`could not read the resources of stack ${stackName} in ${region} (CloudFormation DescribeStackResources): ${explain(err)}`);
    }
    const usable = resources.filter((r) => r.LogicalResourceId && r.PhysicalResourceId && !/^(CREATE_FAILED|DELETE_COMPLETE|DELETE_IN_PROGRESS)$/.test(r.ResourceStatus ?? ''));
    return new Map(usable.map((r) => [r.LogicalResourceId!, r.PhysicalResourceId!]));
  }
}

/** A read error in the reviewer's terms: what was denied or failed, and the permission it needs. */
export function explain(err: unknown): string {
  const name = errorName(err) ?? 'Error';
  const operation = (err as { $operation?: string }).$operation;
  const message = errorMessage(err);
  if (name === 'CredentialsProviderError' || /Could not load credentials/.test(message)) {
    return `no AWS credentials found (${message})`;
  }
  if (/AccessDenied|UnauthorizedOperation|NotAuthorized/.test(name) || (err as { kind?: string }).kind === 'access') {
    return `access denied${operation ? ` to ${operation}` : ''}: ${message} (the permissions \`plan\` needs are listed in the README, "Review before you deploy")`;
  }
  return `${operation ? `${operation}: ` : ''}${name}: ${message}`;
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
