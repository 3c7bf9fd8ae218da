// Handler of Custom::PartnerConnectionPreferences. Reads as the lifecycle: onCreate / onUpdate / onDelete; the AWS
// work is in small functions that take their clients as arguments.
import {
  type AccessType as ApiAccessType,
  GetConnectionPreferencesCommand,
  type GetConnectionPreferencesCommandOutput,
  PartnerCentralAccountClient,
  UpdateConnectionPreferencesCommand,
} from '@aws-sdk/client-partnercentral-account';
import { SSMClient } from '@aws-sdk/client-ssm';
import type {
  CloudFormationCustomResourceCreateEvent,
  CloudFormationCustomResourceDeleteEvent,
  CloudFormationCustomResourceEvent,
  CloudFormationCustomResourceUpdateEvent,
} from 'aws-lambda';
import { OnDelete } from '../../lib/common/on-delete';
import { ACCESS_TYPES, API_REGION, Attr, CATALOG_PATTERN, DEFAULT_CATALOG, Prop, statePath } from '../../lib/partner-central/contract';
import { OperatorError, errorMessage, errorName } from '../common/errors';
import { eventSummary, log } from '../common/log';
import { asString, optionalString, stringList } from '../common/props';
import { type LambdaContextLike, sdkRetryConfig, sleep } from '../common/sdk';
import { LockHeldError, type Owner, type StateRecord, StateStore, sameOwner } from '../common/state-store';

/** What this resource sets, and what a snapshot holds (exclusions absent = none; order is not significant to compare). */
export interface Preferences {
  readonly accessType: string;
  readonly excludedParticipantIds: string[];
}

export interface Desired extends Preferences {
  readonly catalog: string;
  readonly onDelete: OnDelete;
}

/** The live preferences as Get and Update return them. */
export interface Live extends Preferences {
  readonly arn: string;
  readonly revision: number;
  readonly updatedAt?: Date;
}

export interface Clients {
  readonly partnerCentral: PartnerCentralAccountClient;
  readonly ssm: SSMClient;
}

export interface Response {
  PhysicalResourceId: string;
  Data?: Record<string, string>;
}

/** How revision conflicts are retried. Throttling and 5xx are the SDK's business (sdkRetryConfig), never ours. */
export interface ConflictRetry {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Time kept back for what follows the write (state store, response) when deciding whether to wait again. */
  readonly safetyMarginMs: number;
}

export const CONFLICT_RETRY: ConflictRetry = { maxAttempts: 6, baseDelayMs: 250, maxDelayMs: 5_000, safetyMarginMs: 20_000 };

// Both clients in the API's only region, whatever the stack's region. No explicit endpoint, so that
// AWS_ENDPOINT_URL_* can point them at a local emulator.
const clients: Clients = {
  partnerCentral: new PartnerCentralAccountClient({ region: API_REGION, ...sdkRetryConfig }),
  ssm: new SSMClient({ region: API_REGION, ...sdkRetryConfig }),
};

export async function handler(event: CloudFormationCustomResourceEvent, context?: LambdaContextLike): Promise<Response> {
  log.info('request', eventSummary(event));
  const budget = budgetFrom(context);
  switch (event.RequestType) {
    case 'Create':
      return onCreate(event, clients, budget);
    case 'Update':
      return onUpdate(event, clients, budget);
    case 'Delete':
      return onDelete(event, clients, budget);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Lifecycle

export async function onCreate(event: CloudFormationCustomResourceCreateEvent, c: Clients, budget = defaultBudget()): Promise<Response> {
  return applyAsNewOwner(parseProps(event.ResourceProperties), ownerOf(event), c, budget);
}

export async function onUpdate(event: CloudFormationCustomResourceUpdateEvent, c: Clients, budget = defaultBudget()): Promise<Response> {
  const desired = parseProps(event.ResourceProperties);
  const old = parseProps(event.OldResourceProperties);
  if (desired.catalog !== old.catalog) {
    // Replacement: the new ARN makes CloudFormation send Delete for the old one, which restores the old catalog.
    log.info('catalog changed: managing the new catalog as a new resource', { from: old.catalog, to: desired.catalog });
    return applyAsNewOwner(desired, ownerOf(event), c, budget);
  }

  const owner = ownerOf(event);
  const store = stateStore(c.ssm, desired.catalog);
  // Independent reads, side by side: one round trip less on the deployment's critical path.
  const [state, live] = await Promise.all([store.read(), getPreferences(c.partnerCentral, desired.catalog)]);
  if (state.owner && !sameOwner(state.owner, owner)) throw new LockHeldError(store.base, state.owner, what(desired.catalog), API_REGION);

  let record = state.record;
  if (!record) {
    // A resource whose state was lost (or deployed before the state existed): the best snapshot left is now.
    record = (await store.claim(owner, snapshotOf(live))).record;
    log.warn('no saved state for this resource: took the current preferences as the snapshot to restore at Delete', {
      catalog: desired.catalog,
      accessType: live.accessType,
      excludedCount: live.excludedParticipantIds.length,
    });
  }

  const drift = describeChange(old, live);
  if (drift) {
    log.warn('drift: the preferences were changed outside this stack since it last applied them; converging', {
      catalog: desired.catalog,
      lastWrittenRevision: record.meta.lastRevision,
      liveRevision: live.revision,
      ...drift,
    });
  } else if (typeof record.meta.lastRevision === 'number' && live.revision !== record.meta.lastRevision) {
    // Same settings, but not the Revision this resource wrote: someone wrote in between and put them back.
    log.info('written outside this stack since its last write, with the settings it applied', {
      catalog: desired.catalog,
      lastWrittenRevision: record.meta.lastRevision,
      liveRevision: live.revision,
    });
  }

  const result = await converge(c.partnerCentral, desired.catalog, desired, budget, live);
  if (result.wrote) await saveLastRevision(store, record, result.live.revision, state.record ? state.names : undefined);
  return respond(result.live);
}

export async function onDelete(event: CloudFormationCustomResourceDeleteEvent, c: Clients, budget = defaultBudget()): Promise<Response> {
  const physicalId = event.PhysicalResourceId;
  const catalog = catalogOfArn(physicalId);
  if (!catalog) {
    // The framework's CREATE_FAILED marker or any id this handler never returned: nothing of ours exists.
    log.info('physical id is not a preferences ARN of this handler: nothing to delete', { physicalId });
    return { PhysicalResourceId: physicalId };
  }
  const onDeleteProp = parseOnDelete(event.ResourceProperties[Prop.ON_DELETE]);
  const store = stateStore(c.ssm, catalog);
  const state = await store.read();
  if (!state.owner || !sameOwner(state.owner, ownerOf(event))) {
    // Not ours (never claimed, already deleted, or held by another resource): touching it would undo someone else.
    log.info('no state owned by this resource: leaving the preferences as they are', { catalog, owner: state.owner });
    return { PhysicalResourceId: physicalId };
  }
  if (onDeleteProp === OnDelete.RESTORE) {
    const result = await converge(c.partnerCentral, catalog, state.record!.snapshot, budget);
    log.info('restored the preferences found at Create', { catalog, wrote: result.wrote, revision: result.live.revision });
  } else {
    log.info('OnDelete is RETAIN: leaving the preferences as they are', { catalog });
  }
  await store.remove(state.names);
  return { PhysicalResourceId: physicalId };
}

/**
 * Create (and replacement): claim the catalog with a snapshot of what was there, then converge. A failed Create
 * gets no Delete from the Provider framework, so it undoes its own work before it throws.
 */
async function applyAsNewOwner(desired: Desired, owner: Owner, c: Clients, budget: Budget): Promise<Response> {
  const store = stateStore(c.ssm, desired.catalog);
  // No read of the store first: the claim itself (a create-only write) says whether the catalog is free, ours from
  // an earlier delivery of this same Create, or held by another resource (LockHeldError).
  const found = await getPreferences(c.partnerCentral, desired.catalog);
  const { record, created, names } = await store.claim(owner, snapshotOf(found));
  if (!created) {
    // The same Create delivered again: keep the snapshot taken before our first write, never re-snapshot our own
    // state. Not undone on failure, since the first delivery may have succeeded.
    log.info('state already owned by this resource (repeated delivery): converging with the stored snapshot', { catalog: desired.catalog });
    const result = await converge(c.partnerCentral, desired.catalog, desired, budget, found);
    if (result.wrote) await saveLastRevision(store, record, result.live.revision, names);
    return respond(result.live);
  }
  try {
    const result = await converge(c.partnerCentral, desired.catalog, desired, budget, found);
    if (result.wrote) await saveLastRevision(store, record, result.live.revision, names);
    return respond(result.live);
  } catch (err) {
    await undoCreate(c, store, desired.catalog, record.snapshot, budget, err);
    throw err;
  }
}

/** Records the Revision this resource wrote. `names`: the store's parameters, listed again when not known. */
async function saveLastRevision(store: StateStore<Preferences>, record: StateRecord<Preferences>, revision: number, names?: string[]) {
  await store.save({ ...record, meta: { ...record.meta, lastRevision: revision } }, names ?? (await store.read()).names);
}

async function undoCreate(c: Clients, store: StateStore<Preferences>, catalog: string, snapshot: Preferences, budget: Budget, cause: unknown) {
  log.error('create failed: restoring the snapshot and releasing the state', { catalog, error: errorMessage(cause) });
  try {
    // Converging is a no-op when the failed write never landed, and restores it when it did.
    await converge(c.partnerCentral, catalog, snapshot, budget);
    await store.remove();
  } catch (undoErr) {
    log.error('could not undo the failed create', { catalog, error: errorMessage(undoErr) });
    throw new OperatorError(
      `${errorMessage(cause)} Undoing the create also failed (${errorMessage(undoErr)}): check the connection preferences of ` +
        `catalog ${catalog} and delete the SSM parameters under ${store.base} in ${API_REGION} before retrying.`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Partner Central

export async function getPreferences(pc: PartnerCentralAccountClient, catalog: string): Promise<Live> {
  try {
    return toLive(await pc.send(new GetConnectionPreferencesCommand({ Catalog: catalog })));
  } catch (err) {
    throw operatorErrorOf(err, 'GetConnectionPreferences', catalog);
  }
}

async function updatePreferences(pc: PartnerCentralAccountClient, catalog: string, revision: number, desired: Preferences): Promise<Live> {
  return toLive(
    await pc.send(
      new UpdateConnectionPreferencesCommand({
        Catalog: catalog,
        Revision: revision,
        AccessType: desired.accessType as ApiAccessType,
        ExcludedParticipantIdentifiers: desired.excludedParticipantIds,
      }),
    ),
  );
}

/**
 * Brings the preferences to `desired`: each write uses the Revision of a Get made in this invocation, and no write
 * is made when the live state already matches. A revision conflict means someone wrote in between: read again and
 * retry with jittered backoff, within the attempts and the Lambda's remaining time.
 */
export async function converge(
  pc: PartnerCentralAccountClient,
  catalog: string,
  desired: Preferences,
  budget: Budget,
  firstRead?: Live,
): Promise<{ live: Live; wrote: boolean }> {
  let read = firstRead;
  for (let attempt = 1; ; attempt++) {
    const live = read ?? (await getPreferences(pc, catalog));
    read = undefined;
    if (samePreferences(live, desired)) return { live, wrote: false };
    try {
      const written = await updatePreferences(pc, catalog, live.revision, desired);
      log.info('updated the preferences', { catalog, fromRevision: live.revision, revision: written.revision, ...describeChange(live, desired) });
      return { live: written, wrote: true };
    } catch (err) {
      if (!isRevisionConflict(err)) throw operatorErrorOf(err, 'UpdateConnectionPreferences', catalog);
      const delay = backoff(attempt, budget.retry);
      const timeLeft = budget.remainingMs() - delay - budget.retry.safetyMarginMs;
      if (attempt >= budget.retry.maxAttempts || timeLeft <= 0) {
        throw new OperatorError(
          `The connection preferences of catalog ${catalog} kept changing concurrently: ${attempt} write(s) lost the race ` +
            '(ConflictException INCOMPATIBLE_CONNECTION_PREFERENCES_REVISION). Stop the other writer (console, script or ' +
            'another stack) and retry the deployment.',
        );
      }
      log.warn('revision conflict: reading again before retrying', { catalog, attempt, delayMs: delay });
      await budget.sleep(delay);
    }
  }
}

function isRevisionConflict(err: unknown): boolean {
  return errorName(err) === 'ConflictException' && (err as { Reason?: string }).Reason === 'INCOMPATIBLE_CONNECTION_PREFERENCES_REVISION';
}

/** Exponential backoff with equal jitter: never zero, so a retry always gives the other writer some room. */
function backoff(attempt: number, retry: ConflictRetry): number {
  const cap = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(cap / 2 + Math.random() * (cap / 2));
}

/** The errors an operator can act on, said in their terms; the rest (already retried by the SDK) kept short. */
function operatorErrorOf(err: unknown, operation: string, catalog: string): Error {
  if (err instanceof OperatorError) return err;
  const name = errorName(err);
  const detail = errorMessage(err);
  const reason = (err as { Reason?: string }).Reason;
  switch (name) {
    case 'AccessDeniedException':
      return new OperatorError(
        `Partner Central denied ${operation} on catalog ${catalog}: ${detail}. The handler role is granted this action by the ` +
          'construct; check that the account is registered in Partner Central for this catalog and that no SCP or ' +
          'permissions boundary denies partnercentral actions, then retry.',
      );
    case 'ValidationException':
      return new OperatorError(
        `Partner Central rejected ${operation} on catalog ${catalog} (${reason ?? 'validation'}): ${detail}. ` +
          'Check the catalog, accessType and excludedParticipantIds of the PartnerConnectionPreferences construct and deploy again.',
      );
    case 'ConflictException':
      return new OperatorError(`Partner Central reported a conflict on ${operation} for catalog ${catalog} (${reason ?? 'unknown reason'}): ${detail}. Not retried: resolve it and retry the deployment.`);
    default:
      return new OperatorError(`${operation} on catalog ${catalog} failed (${name ?? 'error'}): ${detail}. Retry the deployment; if it persists, check the AWS Health Dashboard.`);
  }
}

function toLive(out: GetConnectionPreferencesCommandOutput): Live {
  if (!out.Arn || out.Revision === undefined || !out.AccessType) {
    throw new OperatorError('Partner Central returned connection preferences without Arn, Revision or AccessType. Retry the deployment.');
  }
  return {
    arn: out.Arn,
    revision: out.Revision,
    updatedAt: out.UpdatedAt,
    accessType: out.AccessType,
    // In the API's order: comparisons sort their own copies (samePreferences), and a snapshot must keep the order.
    excludedParticipantIds: [...(out.ExcludedParticipantIds ?? [])],
  };
}

function respond(live: Live): Response {
  return {
    PhysicalResourceId: live.arn,
    Data: {
      [Attr.ARN]: live.arn,
      [Attr.REVISION]: String(live.revision),
      [Attr.UPDATED_AT]: live.updatedAt ? new Date(live.updatedAt).toISOString() : '',
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Plans, properties and state

/** Kept in the order the API returned it, so that Delete writes back exactly what was found. */
function snapshotOf(p: Preferences): Preferences {
  return { accessType: p.accessType, excludedParticipantIds: [...p.excludedParticipantIds] };
}

export function samePreferences(a: Preferences, b: Preferences): boolean {
  const x = [...a.excludedParticipantIds].sort();
  const y = [...b.excludedParticipantIds].sort();
  return a.accessType === b.accessType && x.length === y.length && x.every((id, i) => id === y[i]);
}

const EXAMPLES = 5;

/** What changed from `from` to `to`, small enough to log even with 100 exclusions of 100 characters. */
export function describeChange(from: Preferences, to: Preferences): Record<string, unknown> | undefined {
  if (samePreferences(from, to)) return undefined;
  const before = new Set(from.excludedParticipantIds);
  const after = new Set(to.excludedParticipantIds);
  const added = [...after].filter((id) => !before.has(id)).sort();
  const removed = [...before].filter((id) => !after.has(id)).sort();
  return {
    ...(from.accessType !== to.accessType ? { accessType: { from: from.accessType, to: to.accessType } } : {}),
    ...(added.length ? { excludedAdded: { count: added.length, examples: added.slice(0, EXAMPLES) } } : {}),
    ...(removed.length ? { excludedRemoved: { count: removed.length, examples: removed.slice(0, EXAMPLES) } } : {}),
  };
}

/** Parses current and older property shapes: every value may arrive as a string. */
export function parseProps(props: Record<string, unknown>): Desired {
  const catalog = optionalString(props[Prop.CATALOG], Prop.CATALOG) ?? DEFAULT_CATALOG;
  if (!CATALOG_PATTERN.test(catalog)) throw new OperatorError(`Property ${Prop.CATALOG} '${catalog}' is invalid: use 1-64 characters of [a-zA-Z0-9-].`);
  const accessType = asString(props[Prop.ACCESS_TYPE], Prop.ACCESS_TYPE);
  if (!ACCESS_TYPES.includes(accessType)) {
    throw new OperatorError(`Property ${Prop.ACCESS_TYPE} '${accessType}' is invalid: use one of ${ACCESS_TYPES.join(', ')}.`);
  }
  return {
    catalog,
    accessType,
    excludedParticipantIds: stringList(props[Prop.EXCLUDED_PARTICIPANT_IDENTIFIERS], Prop.EXCLUDED_PARTICIPANT_IDENTIFIERS),
    onDelete: parseOnDelete(props[Prop.ON_DELETE]),
  };
}

function parseOnDelete(value: unknown): OnDelete {
  const text = optionalString(value, Prop.ON_DELETE)?.toUpperCase();
  if (text === undefined) return OnDelete.RESTORE;
  if (text === OnDelete.RESTORE || text === OnDelete.RETAIN) return text;
  throw new OperatorError(`Property ${Prop.ON_DELETE} '${text}' is invalid: use ${OnDelete.RESTORE} or ${OnDelete.RETAIN}.`);
}

const ARN_PATTERN = /^arn:[\w-]+:partnercentral:[\w-]*:\d*:catalog\/([a-zA-Z0-9-]{1,64})\/connection-preferences$/;

/** The catalog of a preferences ARN this handler returned as a physical id, or undefined for any other id. */
export function catalogOfArn(physicalId: string | undefined): string | undefined {
  return physicalId ? ARN_PATTERN.exec(physicalId)?.[1] : undefined;
}

function ownerOf(event: { StackId: string; LogicalResourceId: string }): Owner {
  return { stackId: event.StackId, logicalResourceId: event.LogicalResourceId };
}

function stateStore(ssm: SSMClient, catalog: string): StateStore<Preferences> {
  return new StateStore<Preferences>(ssm, statePath(catalog), what(catalog));
}

function what(catalog: string): string {
  return `Partner Central connection preferences of catalog ${catalog}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Time

export interface Budget {
  readonly retry: ConflictRetry;
  remainingMs(): number;
  sleep(ms: number): Promise<void>;
}

function budgetFrom(context: LambdaContextLike | undefined, retry = CONFLICT_RETRY): Budget {
  const remaining = context?.getRemainingTimeInMillis;
  return { retry, remainingMs: remaining ? () => remaining.call(context) : () => Number.POSITIVE_INFINITY, sleep };
}

function defaultBudget(): Budget {
  return budgetFrom(undefined);
}
