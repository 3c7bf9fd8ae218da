// `cdk-connection-sharing plan`: for every resource of this library in a synthesized app, the handler's own reads and
// pure plan (lambda/<kind>/preview.ts), never its apply; and for every deployed resource of this library that the new
// template removes or replaces, the handler's reads and pure plan of the Delete CloudFormation sends it in the cleanup
// phase. Read-only: the only calls are STS GetCallerIdentity (once), CloudFormation DescribeStacks (once per stack),
// ListStackResources and GetTemplate (once per deployed stack), Partner Central GetConnectionPreferences, WorkSpaces
// DescribeConnectionAliases and DescribeConnectionAliasPermissions (the latter for sharing only), and SSM
// GetParametersByPath under /cdk-connection-sharing/. The reads are batched (cli/reads.ts): the plans are the same as
// one resource at a time. One set of credentials reads one account: a stack whose environment names another account
// is not read at all (its resources are `unknown`, saying which account's credentials plan it).
import { DescribeStacksCommand, GetTemplateCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { API_REGION, DEFAULT_CATALOG, Prop as PrefsProp, RESOURCE_TYPE as PREFERENCES_TYPE } from '../lib/partner-central/contract';
import { Prop as SharingProp } from '../lib/workspaces/contract';
import { Prop as AssociationProp, RESOURCE_TYPE as ASSOCIATION_TYPE } from '../lib/workspaces-association/contract';
import { RECONCILE_CONTEXT_KEY } from '../lib/common/reconcile';
import { errorMessage, errorName } from '../lambda/common/errors';
import type { Drift, PlanAction, PlanRequester, ResourcePlan } from '../lambda/common/plan';
import { type PreferencesPlan } from '../lambda/partner-central/plan';
import { catalogOfArn, lenientCatalog } from '../lambda/partner-central/preferences';
import { type PreferencesReads, type PreviewClients as PreferencesClients, previewPreferences, previewPreferencesDelete } from '../lambda/partner-central/preview';
import { type SharingPlan } from '../lambda/workspaces/plan';
import { type PreviewClients as SharingClients, type SharingReads, previewSharing, previewSharingDelete } from '../lambda/workspaces/preview';
import {
  type AssociationPreview,
  type AssociationReads,
  type PreviewClients as AssociationClients,
  previewAssociation,
  previewAssociationDelete,
  requestsOf as associationRequests,
} from '../lambda/workspaces-association/preview';
import { type AssemblyStack, type FoundResource, RESOURCE_TYPES, readAssembly, selectStacks } from './assembly';
import { Clients } from './clients';
import { type AliasReader, batchedAliases, batchedAssociationReads, batchedPreferencesReads, batchedSharingReads } from './reads';
import { type Deployed, type Template, referencedResources, resolveProperties } from './resolve';

/** Resources planned at once: enough to hide round trips, few enough to stay well inside the APIs' rates. */
export const CONCURRENCY = 8;

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
  /** Null when it cannot be told (`unknown`), and for a `delete`. */
  readonly drift: Drift | null;
  /** In the order the handler makes them; none for `blocked` (the handler refuses before any write) and `unknown`. */
  readonly writes: PlannedWriteOut[];
  readonly reason?: string;
  /** Null when it cannot be told (`unknown`). For a `delete`: what this Delete does (restore, unshare, retain, nothing). */
  readonly onDelete: string | null;
}

export interface Summary {
  readonly create: number;
  readonly update: number;
  readonly delete: number;
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
  /** Read one resource at a time, as the handlers do (the batched reads must give the same plan: tests compare). */
  readonly unbatched?: boolean;
}

export function summarize(resources: readonly ResourceResult[]): Summary {
  const count = (a: PlanAction) => resources.filter((r) => r.action === a).length;
  return { create: count('create'), update: count('update'), delete: count('delete'), none: count('none'), blocked: count('blocked'), unknown: count('unknown') };
}

/**
 * 3 when a deploy would fail (any blocked), else 2 when something would or might change (any create, update, delete
 * or unknown: an unresolved property cannot rule a change out), else 0.
 */
export function exitCode(summary: Summary): 0 | 2 | 3 {
  if (summary.blocked > 0) return 3;
  return summary.create + summary.update + summary.delete + summary.unknown > 0 ? 2 : 0;
}

interface Caller {
  readonly account: string;
  readonly partition: string;
}

/** A stack as CloudFormation has it deployed now. */
interface Deployment {
  readonly stackId: string;
  /** Every resource (ListStackResources), by logical id. */
  readonly resources: Map<string, { readonly physicalId: string; readonly resourceType: string; readonly status: string }>;
  /** The template in force (GetTemplate). */
  readonly template: Template;
}

/** A resource of the new template, its properties resolved (or the result already known: unknown). */
interface Prepared {
  readonly resource: FoundResource;
  readonly base: Omit<ResourceResult, 'action' | 'manages' | 'drift' | 'writes' | 'onDelete' | 'reason'>;
  readonly requester: PlanRequester;
  readonly known?: ResourceResult;
  readonly properties?: Record<string, unknown>;
  /** The same resource as deployed, its properties resolved (what an Update receives as old properties), if any. */
  readonly deployedProperties?: Record<string, unknown>;
}

/** A deployed resource the next deploy deletes in its cleanup phase. */
interface Doomed {
  readonly logicalId: string;
  readonly resourceType: string;
  readonly physicalId: string;
  readonly path: string;
  /** Why it is deleted: removed from the template, or replaced (and by what). */
  readonly why: string;
  /** Its deployed properties resolved (the Delete's ResourceProperties), or why they cannot be. */
  readonly properties?: Record<string, unknown>;
  readonly unresolved?: string;
  /** DeletionPolicy / UpdateReplacePolicy Retain: CloudFormation sends no Delete at all. */
  readonly retainedBy?: string;
}

interface PreparedStack {
  readonly stack: AssemblyStack;
  readonly region?: string;
  readonly account: string;
  readonly items: Prepared[];
  readonly doomed: Doomed[];
  readonly requesterStackId?: string;
  /** Why the stack was not read at all (another account's): what its deploy deletes is then not listed. */
  readonly notRead?: string;
}

export async function runPlan(options: PlanOptions): Promise<PlanReport> {
  const stacks = selectStacks(readAssembly(options.app), options.stacks);
  const warnings = stacks
    .filter((s) => s.nestedStacks.length > 0)
    .map((s) => `stack ${s.stackName} has nested stacks (${s.nestedStacks.join(', ')}): resources inside nested stacks are not planned`);
  const clients = new Clients();
  try {
    const defaultRegion = await clients.defaultRegion();
    const caller = await whoAmI(clients, defaultRegion);
    const concurrency = options.concurrency ?? CONCURRENCY;
    const prepared = await mapLimit(stacks, concurrency, (stack) => prepareStack(clients, caller, defaultRegion, stack));
    if (prepared.every((p) => p.items.length === 0 && p.doomed.length === 0)) {
      warnings.push(`no ${PREFERENCES_TYPE}, Custom::ConnectionAliasSharing or ${ASSOCIATION_TYPE} resources in ${stacks.length ? stacks.map((s) => s.stackName).join(', ') : 'the assembly'}, and none deployed`);
    }
    for (const p of prepared) if (p.notRead) warnings.push(p.notRead);
    const reads = readsFor(clients, prepared, !!options.unbatched);
    const failures: string[] = [];
    const guard = async (what: string, fn: () => Promise<ResourceResult>): Promise<ResourceResult | undefined> => {
      try {
        return await fn();
      } catch (err) {
        if (err instanceof PlanError) throw err;
        failures.push(`${what}: ${explain(err)}`);
        return undefined;
      }
    };
    const jobs = prepared.flatMap((p) => [
      ...p.items.map((item) => () => guard(`${p.stack.stackName} ${item.resource.logicalId} (${item.resource.path})`, () => planResource(reads, p, item))),
      ...p.doomed.map((d) => () => guard(`${p.stack.stackName} ${d.logicalId} (${d.path}, deployed)`, () => planDelete(reads, p, d))),
    ]);
    const results = await mapLimit(jobs, concurrency, (job) => job());
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

/**
 * The id the stack will have once the deploy creates it: a stack name is free only when no stack of that name exists,
 * so a claim held under that name is a stale one (the handler's rule, isStaleClaimOf), which the deploy takes over.
 */
function notYetCreated(partition: string, region: string, account: string, stackName: string): string {
  return `arn:${partition}:cloudformation:${region}:${account}:stack/${stackName}/(created by the next deploy)`;
}

/** The deployed stack, the new resources' properties resolved, and the deployed resources the deploy deletes. */
async function prepareStack(clients: Clients, caller: Caller, defaultRegion: string | undefined, stack: AssemblyStack): Promise<PreparedStack> {
  const region = stack.region ?? defaultRegion;
  const account = stack.account ?? caller.account;
  const baseOf = (resource: FoundResource) => ({ stack: stack.stackName, logicalId: resource.logicalId, path: resource.path, resourceType: resource.resourceType, account, region });
  const unknown = (resource: FoundResource, reason: string): ResourceResult => ({ ...baseOf(resource), action: 'unknown', manages: guessManages(resource), drift: null, writes: [], reason, onDelete: null });
  if (!region) {
    if (stack.resources.length === 0) return { stack, account, items: [], doomed: [] };
    throw new PlanError(
      `stack ${stack.stackName} has no Region in the assembly (environment-agnostic) and no default Region is configured: ` +
        'set AWS_REGION (or the profile\'s region) to the Region you deploy it to.',
    );
  }
  if (account !== caller.account) {
    // Never read in the wrong account: an association is made (and read) by its directory's account, the stack's,
    // while the alias's owner (a sharing stack) is another; one run has one account's credentials.
    const reason = (r: FoundResource) =>
      `stack ${stack.stackName} deploys to account ${account}, but your credentials are for account ${caller.account}: run the plan with credentials for ${account}` +
      (r.resourceType === ASSOCIATION_TYPE ? ` (an association is read and made in its directory's account, the stack's: ${account})` : '');
    const notRead =
      `stack ${stack.stackName} deploys to account ${account} and was not read with credentials for account ${caller.account}: its resources are unknown and what its deploy deletes is not listed; ` +
      `plan it with credentials for ${account} (\`--stack ${stack.stackName}\`)`;
    return { stack, region, account, items: stack.resources.map((r) => ({ resource: r, base: baseOf(r), requester: { stackName: stack.stackName, region, logicalId: r.logicalId }, known: unknown(r, reason(r)) })), doomed: [], notRead };
  }
  const deployment = await readDeployment(clients, stack.stackName, region);
  const stackId = deployment?.stackId ?? notYetCreated(caller.partition, region, account, stack.stackName);
  const deployed = (id: string): Deployed => {
    if (!deployment) return { missing: `and stack ${stack.stackName} is not deployed in ${region} yet` };
    const found = deployment.resources.get(id);
    return found && usable(found.status) ? { physicalId: found.physicalId } : { missing: `and it is not deployed yet (the deployed stack ${stack.stackName} in ${region} has no ${id})` };
  };
  const items = stack.resources.map((resource): Prepared => {
    const requester: PlanRequester = { stackName: stack.stackName, region, logicalId: resource.logicalId, stackId };
    const base = baseOf(resource);
    if (resource.condition) return { resource, base, requester, known: unknown(resource, `the resource has Condition ${resource.condition}: whether it exists is decided at deploy time`) };
    const needed = referencedResources(resource.properties, stack.template);
    const lookup = needed.size > 0 ? deployed : () => ({ missing: 'unexpected reference' });
    const resolution = resolveProperties(resource.properties, { template: stack.template, stackName: stack.stackName, region, accountId: account, partition: caller.partition, deployed: lookup });
    if (!resolution.ok) return { resource, base, requester, known: unknown(resource, resolution.reason) };
    const deployedProperties = resource.resourceType === ASSOCIATION_TYPE && deployment ? deployedPropertiesOf(deployment, resource, { stackName: stack.stackName, region, account, partition: caller.partition }, deployed) : undefined;
    return { resource, base, requester, properties: resolution.properties, deployedProperties };
  });
  const doomed = deployment ? doomedResources(stack, deployment, items, { region, account, partition: caller.partition }, deployed) : [];
  return { stack, region, account, items, doomed, requesterStackId: stackId };
}

/** The deployed resource's properties resolved, when the stack has it deployed with the same type (else undefined). */
function deployedPropertiesOf(
  deployment: Deployment,
  resource: FoundResource,
  env: { stackName: string; region: string; account: string; partition: string },
  deployed: (id: string) => Deployed,
): Record<string, unknown> | undefined {
  const live = deployment.resources.get(resource.logicalId);
  const old = deployment.template.Resources?.[resource.logicalId];
  if (!live || !usable(live.status) || live.resourceType !== resource.resourceType || old?.Type !== resource.resourceType) return undefined;
  const resolution = resolveProperties((old.Properties ?? {}) as Record<string, unknown>, { template: deployment.template, ...env, accountId: env.account, deployed });
  return resolution.ok ? resolution.properties : undefined;
}

const usable = (status: string) => !/^(CREATE_FAILED|DELETE_COMPLETE|DELETE_IN_PROGRESS)$/.test(status);

/**
 * The deployed resources of this library that the next deploy deletes in its cleanup phase: the ones the new template
 * no longer has (or has as another type), and the ones it replaces (the handler's own rule: a new catalog, or a new
 * alias id, is a new physical id, and CloudFormation deletes the old one).
 */
function doomedResources(
  stack: AssemblyStack,
  deployment: Deployment,
  items: Prepared[],
  env: { region: string; account: string; partition: string },
  deployed: (id: string) => Deployed,
): Doomed[] {
  const out: Doomed[] = [];
  // In the deployed template's order (ListStackResources' order is not documented): the same plan every run.
  const order = Object.keys(deployment.template.Resources ?? {});
  const rank = (id: string) => (order.includes(id) ? order.indexOf(id) : order.length);
  const listed = [...deployment.resources].sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  for (const [logicalId, r] of listed) {
    if (!RESOURCE_TYPES.includes(r.resourceType) || !usable(r.status)) continue;
    const old = deployment.template.Resources?.[logicalId] as (Template['Resources'][string] & { DeletionPolicy?: string }) | undefined;
    const cdkPath = (old?.Metadata as Record<string, unknown> | undefined)?.['aws:cdk:path'];
    const item = items.find((i) => i.resource.logicalId === logicalId);
    let why: string;
    let retainedBy: string | undefined;
    if (!item || item.resource.resourceType !== r.resourceType) {
      why = item ? `its type changes to ${item.resource.resourceType}: CloudFormation replaces it` : 'removed from the template';
      if (old?.DeletionPolicy === 'Retain') retainedBy = 'DeletionPolicy Retain';
    } else {
      const replacedBy = item.properties ? replacement(r.resourceType, r.physicalId, item.properties) : undefined;
      if (!replacedBy) continue;
      why = `replaced: ${replacedBy}`;
      const next = stack.template.Resources[logicalId] as { UpdateReplacePolicy?: string };
      if (next.UpdateReplacePolicy === 'Retain') retainedBy = 'UpdateReplacePolicy Retain';
    }
    const doomed = { logicalId, resourceType: r.resourceType, physicalId: r.physicalId, path: typeof cdkPath === 'string' ? cdkPath : logicalId, why, retainedBy };
    if (!old) {
      out.push({ ...doomed, unresolved: `the deployed template has no ${logicalId}` });
      continue;
    }
    const resolution = resolveProperties((old.Properties ?? {}) as Record<string, unknown>, {
      template: deployment.template,
      stackName: stack.stackName,
      region: env.region,
      accountId: env.account,
      partition: env.partition,
      deployed,
    });
    out.push(resolution.ok ? { ...doomed, properties: resolution.properties } : { ...doomed, unresolved: `its deployed ${resolution.reason}` });
  }
  return out;
}

/** How the new properties replace the deployed resource (handlers' onUpdate), or undefined for an in-place update. */
function replacement(resourceType: string, physicalId: string, properties: Record<string, unknown>): string | undefined {
  if (resourceType === PREFERENCES_TYPE) {
    const from = catalogOfArn(physicalId);
    const to = lenientCatalog(properties) ?? DEFAULT_CATALOG;
    return from && from !== to ? `the catalog changes from ${from} to ${to}; CloudFormation deletes the old one in the cleanup phase` : undefined;
  }
  // Both WorkSpaces kinds have the alias id as physical id (a new directory is an in-place Update of an association).
  const to = typeof properties[SharingProp.ALIAS_ID] === 'string' ? String(properties[SharingProp.ALIAS_ID]).trim() : undefined;
  return to && to !== physicalId ? `the alias changes from ${physicalId} to ${to}; CloudFormation deletes the old one in the cleanup phase` : undefined;
}

/** Reads per kind and Region, batched over every resource of the run (or one at a time, as the handlers read). */
interface RunReads {
  preferences(): PreferencesReads | PreferencesClients;
  sharing(region: string): SharingReads | SharingClients;
  association(region: string): AssociationReads | AssociationClients;
}

function readsFor(clients: Clients, prepared: PreparedStack[], unbatched: boolean): RunReads {
  if (unbatched) {
    return {
      preferences: () => ({ partnerCentral: clients.partnerCentral(), ssm: clients.ssm(API_REGION) }),
      sharing: (region) => ({ workspaces: clients.workspaces(region), ssm: clients.ssm(region) }),
      association: (region) => ({ workspaces: clients.workspaces(region), ssm: clients.ssm(region) }),
    };
  }
  const catalogs: string[] = [];
  const aliases = new Map<string, string[]>();
  const associated = new Map<string, string[]>();
  for (const p of prepared) {
    for (const item of p.items) {
      if (!item.properties) continue;
      const aliasId = typeof item.properties[SharingProp.ALIAS_ID] === 'string' ? String(item.properties[SharingProp.ALIAS_ID]).trim() : undefined;
      if (item.resource.resourceType === PREFERENCES_TYPE) catalogs.push(lenientCatalog(item.properties) ?? DEFAULT_CATALOG);
      else if (aliasId) push(item.resource.resourceType === ASSOCIATION_TYPE ? associated : aliases, p.region!, aliasId);
    }
    for (const d of p.doomed) {
      if (d.resourceType === PREFERENCES_TYPE) catalogs.push(catalogOfArn(d.physicalId) ?? '');
      else push(d.resourceType === ASSOCIATION_TYPE ? associated : aliases, p.region!, d.physicalId);
    }
  }
  let prefs: PreferencesReads | undefined;
  const sharing = new Map<string, SharingReads>();
  const association = new Map<string, AssociationReads>();
  // One DescribeConnectionAliases batch per Region for both WorkSpaces kinds (same credentials, same view).
  const aliasReaders = new Map<string, AliasReader>();
  const aliasReader = (region: string) => {
    if (!aliasReaders.has(region)) aliasReaders.set(region, batchedAliases(clients.workspaces(region), [...(aliases.get(region) ?? []), ...(associated.get(region) ?? [])]));
    return aliasReaders.get(region)!;
  };
  return {
    preferences: () => (prefs ??= batchedPreferencesReads(clients.partnerCentral(), clients.ssm(API_REGION), catalogs.filter(Boolean))),
    sharing: (region) => {
      if (!sharing.has(region)) sharing.set(region, batchedSharingReads(clients.workspaces(region), clients.ssm(region), aliases.get(region) ?? [], aliasReader(region)));
      return sharing.get(region)!;
    },
    association: (region) => {
      if (!association.has(region)) association.set(region, batchedAssociationReads(clients.workspaces(region), clients.ssm(region), associated.get(region) ?? [], aliasReader(region)));
      return association.get(region)!;
    },
  };
}

function sortedKeys(o: Record<string, unknown>): [string, unknown][] {
  return Object.entries(o).sort(([a], [b]) => a.localeCompare(b));
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  map.set(key, [...(map.get(key) ?? []), value]);
}

async function planResource(reads: RunReads, p: PreparedStack, item: Prepared): Promise<ResourceResult> {
  if (item.known) return item.known;
  const { base, requester } = item;
  const properties = item.properties!;
  if (item.resource.resourceType === PREFERENCES_TYPE) {
    const plan = await previewPreferences(reads.preferences(), properties, requester);
    return { ...base, ...fromPlan(plan, preferencesRequests(plan)), reason: withNote(plan.reason, plan, !plan.recordApplied, properties[PrefsProp.RECONCILE]) };
  }
  if (item.resource.resourceType === ASSOCIATION_TYPE) {
    const plan = await previewAssociation(reads.association(p.region!), properties, requester, p.account, item.deployedProperties);
    const aliasId = String(properties[AssociationProp.ALIAS_ID] ?? '').trim();
    // CloudFormation sends an Update only when a property changes: compare with the deployed properties.
    const unchanged = !!item.deployedProperties && JSON.stringify(sortedKeys(item.deployedProperties)) === JSON.stringify(sortedKeys(properties));
    return { ...base, ...fromPlan(plan, associationRequests(aliasId, plan.steps)), reason: withNote(plan.reason, plan, unchanged, properties[SharingProp.RECONCILE]) };
  }
  const plan = await previewSharing(reads.sharing(p.region!), properties, requester, p.account);
  return { ...base, ...fromPlan(plan, sharingRequests(plan)), reason: withNote(plan.reason, plan, !plan.recordChanged, properties[SharingProp.RECONCILE]) };
}

/** The Delete of a deployed resource: the handler's reads and pure plan of the Delete, with the deployed properties. */
async function planDelete(reads: RunReads, p: PreparedStack, d: Doomed): Promise<ResourceResult> {
  const base = { stack: p.stack.stackName, logicalId: d.logicalId, path: d.path, resourceType: d.resourceType, account: p.account, region: p.region };
  const directory = d.resourceType === ASSOCIATION_TYPE && typeof d.properties?.[AssociationProp.DIRECTORY_ID] === 'string' ? ` on directory ${d.properties[AssociationProp.DIRECTORY_ID]}` : '';
  const manages = d.resourceType === PREFERENCES_TYPE ? `catalog ${catalogOfArn(d.physicalId) ?? d.physicalId}` : `alias ${d.physicalId}${directory}`;
  const why = `${d.why} (deployed as ${d.physicalId})`;
  if (d.retainedBy) {
    return { ...base, action: 'delete', manages, drift: null, writes: [], onDelete: `retain: ${d.retainedBy}, CloudFormation sends no Delete and the state stays`, reason: `${why}; it leaves the stack without a Delete (${d.retainedBy})` };
  }
  if (!d.properties) return { ...base, action: 'unknown', manages, drift: null, writes: [], onDelete: null, reason: `${why}; what its Delete does cannot be told: ${d.unresolved}` };
  const requester: PlanRequester = { stackName: p.stack.stackName, region: p.region, logicalId: d.logicalId, stackId: p.requesterStackId };
  if (d.resourceType === PREFERENCES_TYPE) {
    const plan = await previewPreferencesDelete(reads.preferences(), catalogOfArn(d.physicalId), d.properties, requester);
    const requests = plan.restore ? [{ Catalog: catalogOfArn(d.physicalId), AccessType: plan.restore.accessType, ExcludedParticipantIdentifiers: plan.restore.excludedParticipantIds }] : [];
    return { ...base, action: 'delete', manages, drift: null, writes: plan.writes.map((w, i) => ({ ...w, request: requests[i] })), onDelete: plan.onDelete, reason: why };
  }
  if (d.resourceType === ASSOCIATION_TYPE) {
    const plan = await previewAssociationDelete(reads.association(p.region!), d.physicalId, d.properties, requester, p.account);
    const requests = associationRequests(d.physicalId, plan.steps);
    return { ...base, action: 'delete', manages: plan.manages, drift: null, writes: plan.writes.map((w, i) => ({ ...w, request: requests[i] })), onDelete: plan.onDelete, reason: why };
  }
  const plan = await previewSharingDelete(reads.sharing(p.region!), d.physicalId, d.properties, requester, p.account);
  const writes = plan.action === 'blocked' ? [] : plan.writes.map((w, i) => ({ ...w, request: stepRequest(d.physicalId, plan.steps[i]) }));
  return { ...base, action: plan.action, manages, drift: null, writes, onDelete: plan.onDelete, reason: plan.action === 'blocked' ? `${why}; its Delete would fail (and CloudFormation gives up on a failing cleanup Delete without failing the stack): ${plan.reason}` : why };
}

/** The deployed stack (DescribeStacks, ListStackResources pages, GetTemplate), or undefined when there is none. */
async function readDeployment(clients: Clients, stackName: string, region: string): Promise<Deployment | undefined> {
  const cfn = clients.cloudFormation(region);
  const what = (op: string, err: unknown) => new PlanError(`could not read the deployed stack ${stackName} in ${region} (CloudFormation ${op}): ${explain(err)}`);
  let stackId: string | undefined;
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    stackId = out.Stacks?.find((s) => s.StackName === stackName && s.StackStatus !== 'DELETE_COMPLETE')?.StackId;
  } catch (err) {
    if (errorName(err) === 'ValidationError' && /does not exist/.test(errorMessage(err))) return undefined;
    throw what('DescribeStacks', err);
  }
  if (!stackId) return undefined;
  const resources: Deployment['resources'] = new Map();
  let template: Template;
  try {
    let NextToken: string | undefined;
    do {
      const page = await cfn.send(new ListStackResourcesCommand({ StackName: stackId, NextToken }));
      for (const r of page.StackResourceSummaries ?? []) {
        if (r.LogicalResourceId && r.PhysicalResourceId) resources.set(r.LogicalResourceId, { physicalId: r.PhysicalResourceId, resourceType: r.ResourceType ?? '', status: r.ResourceStatus ?? '' });
      }
      NextToken = page.NextToken;
    } while (NextToken);
  } catch (err) {
    throw what('ListStackResources', err);
  }
  try {
    const out = await cfn.send(new GetTemplateCommand({ StackName: stackId, TemplateStage: 'Original' }));
    template = parseTemplate(out.TemplateBody);
  } catch (err) {
    throw err instanceof PlanError ? err : what('GetTemplate', err);
  }
  return { stackId, resources, template };
}

function parseTemplate(body: string | undefined): Template {
  try {
    const parsed = JSON.parse(body ?? '{}') as Template;
    return { ...parsed, Resources: parsed.Resources ?? {} };
  } catch {
    // A template written in YAML (not by the CDK): its properties cannot be read here.
    throw new PlanError('the deployed template is not JSON (a YAML template was deployed): plan reads only templates the CDK deployed');
  }
}

function fromPlan(plan: PreferencesPlan | SharingPlan | AssociationPreview, requests: Record<string, unknown>[]): Pick<ResourceResult, 'action' | 'manages' | 'drift' | 'writes' | 'onDelete'> {
  // A blocked deployment fails before its first write: it writes nothing, whatever it would have written.
  const writes = plan.action === 'blocked' ? [] : plan.writes.map((w, i) => ({ operation: w.operation, summary: w.summary, request: requests[i] }));
  return { action: plan.action, manages: plan.manages, drift: plan.drift, writes, onDelete: plan.onDelete };
}

function preferencesRequests(plan: PreferencesPlan): Record<string, unknown>[] {
  if (!plan.target) return [];
  const catalog = plan.manages.replace(/^catalog /, '');
  return [{ Catalog: catalog, AccessType: plan.target.accessType, ExcludedParticipantIdentifiers: plan.target.excludedParticipantIds }];
}

function sharingRequests(plan: SharingPlan): Record<string, unknown>[] {
  return plan.steps.map((s) => stepRequest(plan.manages.replace(/^alias /, ''), s));
}

function stepRequest(aliasId: string, step: { account: string; share: boolean }): Record<string, unknown> {
  return { AliasId: aliasId, ConnectionAliasPermission: { SharedAccountId: step.account, AllowAssociation: step.share } };
}

/**
 * Drift on a resource whose declared settings are the ones it last applied: CloudFormation sends a custom resource an
 * Update only when one of its properties changes, so a deploy that changes nothing else about it leaves the drift,
 * unless it was synthesized with the reconcile key (lib/common/reconcile.ts), whose new value is such a change.
 */
function withNote(reason: string | undefined, plan: ResourcePlan, declaredUnchanged: boolean, reconcile: unknown): string | undefined {
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
  if (resource.resourceType === ASSOCIATION_TYPE) return `alias ${literal(resource.properties[AssociationProp.ALIAS_ID])} on directory ${literal(resource.properties[AssociationProp.DIRECTORY_ID])}`;
  return `alias ${literal(resource.properties[SharingProp.ALIAS_ID])}`;
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
