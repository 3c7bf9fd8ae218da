// The connection preferences as the handler models them, their properties, and the two Partner Central calls.
import {
  type AccessType as ApiAccessType,
  GetConnectionPreferencesCommand,
  type GetConnectionPreferencesCommandOutput,
  PartnerCentralAccountClient,
  UpdateConnectionPreferencesCommand,
} from '@aws-sdk/client-partnercentral-account';
import { OnDelete } from '../../lib/common/on-delete';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { ACCESS_TYPES, CATALOG_PATTERN, DEFAULT_CATALOG, MAX_EXCLUDED_PARTICIPANTS, PARTICIPANT_ID_PATTERN, Prop, statePath } from '../../lib/partner-central/contract';
import { OperatorError, errorMessage, errorName } from '../common/errors';
import { log } from '../common/log';
import { asString, listItems, optionalString, repeated, shown, sortedUnique, stringList } from '../common/props';
import { throttledMessage } from '../common/sdk';
import { StateStore, sha256 } from '../common/state-store';

/** What this resource sets, and what a snapshot holds (order is not significant to compare). */
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

/** Kept in the order the API returned it, so that Delete writes back exactly what was found. */
export function snapshotOf(p: Preferences): Preferences {
  return { accessType: p.accessType, excludedParticipantIds: [...p.excludedParticipantIds] };
}

export function samePreferences(a: Preferences, b: Preferences): boolean {
  return digest(a) === digest(b);
}

/**
 * A short fingerprint of a state, order-insensitive: what the state store keeps of "what this resource last applied"
 * (100 exclusions of 100 characters would not fit the header beside the snapshot; their digest does).
 */
export function digest(p: Preferences): string {
  return sha256(JSON.stringify([p.accessType, [...p.excludedParticipantIds].sort()])).slice(0, 32);
}

const EXAMPLES = 5;

/** What changed from `from` to `to`, small enough to log even with 100 exclusions of 100 characters. */
export function describeChange(from: Preferences, to: Preferences): Record<string, unknown> | undefined {
  if (samePreferences(from, to)) return undefined;
  const { added, removed } = exclusionDelta(from, to);
  return {
    ...(from.accessType !== to.accessType ? { accessType: { from: from.accessType, to: to.accessType } } : {}),
    ...(added.length ? { excludedAdded: { count: added.length, examples: added.slice(0, EXAMPLES) } } : {}),
    ...(removed.length ? { excludedRemoved: { count: removed.length, examples: removed.slice(0, EXAMPLES) } } : {}),
  };
}

export function exclusionDelta(from: Preferences, to: Preferences): { added: string[]; removed: string[] } {
  const before = new Set(from.excludedParticipantIds);
  const after = new Set(to.excludedParticipantIds);
  return { added: [...after].filter((id) => !before.has(id)).sort(), removed: [...before].filter((id) => !after.has(id)).sort() };
}

/** `AccessType ALLOW_ALL -> DENY_ALL, excluded +2 -1`: one line for the plan and the logs. */
export function changeSummary(from: Preferences, to: Preferences): string {
  const { added, removed } = exclusionDelta(from, to);
  const parts = [];
  if (from.accessType !== to.accessType) parts.push(`AccessType ${from.accessType} -> ${to.accessType}`);
  if (added.length || removed.length) parts.push(`excluded +${added.length} -${removed.length}`);
  return parts.join(', ') || 'no change';
}

/** `AccessType ALLOW_ALL, 2 exclusions`. */
export function stateSummary(p: Preferences): string {
  const n = p.excludedParticipantIds.length;
  return `AccessType ${p.accessType}, ${n} exclusion${n === 1 ? '' : 's'}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Properties

/** Parses current and older property shapes: every value may arrive as a string. Throws an OperatorError. */
export function parseProps(props: Record<string, unknown>, options: { legacyLists?: boolean } = {}): Desired {
  const catalog = optionalString(props[Prop.CATALOG], Prop.CATALOG) ?? DEFAULT_CATALOG;
  if (!CATALOG_PATTERN.test(catalog)) throw new OperatorError(`Property ${Prop.CATALOG} '${catalog}' is invalid: use 1-64 characters of [a-zA-Z0-9-].`);
  const accessType = asString(props[Prop.ACCESS_TYPE], Prop.ACCESS_TYPE);
  if (!ACCESS_TYPES.includes(accessType)) {
    throw new OperatorError(`Property ${Prop.ACCESS_TYPE} '${accessType}' is invalid: use one of ${ACCESS_TYPES.join(', ')}.`);
  }
  const raw = props[Prop.EXCLUDED_PARTICIPANT_IDENTIFIERS];
  // legacyLists: the rules of earlier versions of this handler (empty items dropped, repeats merged), only to
  // recognise values an earlier version accepted and applied.
  const excludedParticipantIds = options.legacyLists ? stringList(raw, Prop.EXCLUDED_PARTICIPANT_IDENTIFIERS) : parseExclusions(raw);
  return { catalog, accessType, excludedParticipantIds, onDelete: parseOnDelete(props[Prop.ON_DELETE]) };
}

/**
 * The rules the construct applies at synth, applied again here, since a token list (a CommaDelimitedList parameter,
 * an import) is only known now. Absent or an empty string is no exclusion (what older constructs sent for none).
 */
function parseExclusions(raw: unknown): string[] {
  const name = Prop.EXCLUDED_PARTICIPANT_IDENTIFIERS;
  const items = listItems(raw, name);
  const bad = items.filter((id) => !PARTICIPANT_ID_PATTERN.test(id));
  if (bad.length > 0) {
    const emptyHint = bad.includes('') ? ' An empty CommaDelimitedList parameter arrives as [""]: to exclude nobody, leave the property out (AWS::NoValue).' : '';
    throw new OperatorError(
      `Property ${name} has ${bad.length} invalid identifier(s) ${bad.slice(0, 5).map((id) => `'${id}'`).join(', ')} (got ${shown(raw)}): ` +
        `each must be 1-100 characters of [a-zA-Z0-9-].${emptyHint} Nothing was changed.`,
    );
  }
  const twice = repeated(items);
  if (twice.length > 0) {
    throw new OperatorError(`Property ${name} lists ${twice.slice(0, 5).map((id) => `'${id}'`).join(', ')} more than once: list each participant once. Nothing was changed.`);
  }
  if (items.length > MAX_EXCLUDED_PARTICIPANTS) {
    throw new OperatorError(`Property ${name} has ${items.length} identifiers; Partner Central accepts at most ${MAX_EXCLUDED_PARTICIPANTS}. Nothing was changed.`);
  }
  return sortedUnique(items);
}

/**
 * The catalog of old properties, never throwing: a rollback's OldResourceProperties are the values that were just
 * rejected (e.g. a CfnParameter that resolved to `allow_all`), and must not make the rollback fail too.
 */
export function lenientCatalog(props: Record<string, unknown> | undefined): string | undefined {
  try {
    const catalog = optionalString(props?.[Prop.CATALOG], Prop.CATALOG) ?? DEFAULT_CATALOG;
    return CATALOG_PATTERN.test(catalog) ? catalog : undefined;
  } catch {
    return undefined;
  }
}

/** The preferences of old properties, or undefined when they are not valid (a rollback's rejected values). */
export function lenientPreferences(props: Record<string, unknown> | undefined): Desired | undefined {
  try {
    return props ? parseProps(props) : undefined;
  } catch {
    return undefined;
  }
}

export function parseOnDelete(value: unknown): OnDelete {
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

/** How revision conflicts are retried. Throttling and 5xx are the SDK clients' business (lambda/common/sdk.ts). */
export interface ConflictRetry {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const CONFLICT_RETRY: ConflictRetry = { maxAttempts: 6, baseDelayMs: 250, maxDelayMs: 5_000 };

export interface Budget {
  readonly retry: ConflictRetry;
  /** Time the current phase may still spend (see InvocationClock). */
  remainingMs(): number;
  sleep(ms: number): Promise<void>;
}


/**
 * Brings the preferences to `desired`: each write uses the Revision of a Get made in this invocation, and no write
 * is made when the live state already matches. A revision conflict means someone wrote in between: read again and
 * retry with jittered backoff, within the attempts and the time the invocation has left.
 */
export async function converge(
  pc: PartnerCentralAccountClient,
  catalog: string,
  desired: Preferences,
  budget: Budget,
  firstRead?: Live,
  writes: WriteTrace = {},
): Promise<{ live: Live; wrote: boolean }> {
  let read = firstRead;
  for (let attempt = 1; ; attempt++) {
    const live = read ?? (await getPreferences(pc, catalog));
    read = undefined;
    if (samePreferences(live, desired)) return { live, wrote: false };
    try {
      const written = await updatePreferences(pc, catalog, live.revision, desired);
      log.info('updated the preferences', { catalog, fromRevision: live.revision, revision: written.revision, ...describeChange(live, desired) });
      writes.landed = written;
      writes.uncertain = undefined;
      return { live: written, wrote: true };
    } catch (err) {
      if (!isRevisionConflict(err)) {
        // A write that failed without a conflict (5xx or a timeout after the SDK's retries) may still have landed; one
        // the service refused (a modeled client error: validation, access, another conflict, throttling) did not, and
        // needs no fence.
        writes.uncertain = (err as { $fault?: string }).$fault === 'client' ? undefined : { error: errorMessage(err), attempted: snapshotOf(desired), revision: live.revision };
        throw operatorErrorOf(err, 'UpdateConnectionPreferences', catalog);
      }
      const delay = backoff(attempt, budget.retry);
      if (attempt >= budget.retry.maxAttempts || budget.remainingMs() - delay <= 0) {
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

/** What the writes of one invocation did, so that an undo can tell its own writes from anyone else's. */
export interface WriteTrace {
  /** The preferences (and Revision) the last write that landed returned. */
  landed?: Live;
  /** The last write failed without a revision conflict (5xx, a lost answer): it may have landed, unseen. */
  uncertain?: { readonly error: string; readonly attempted: Preferences; readonly revision: number };
}

/**
 * Undoes this invocation's own write, and only that: writes `found` back, conditionally on the Revision the write
 * returned, so any later write by someone else (console, script, another tool) is left as it is. Returns what it
 * did, to say in the error.
 */
export async function undoOwnWrite(pc: PartnerCentralAccountClient, catalog: string, found: Preferences, writes: WriteTrace): Promise<{ restored: boolean; live?: Live; note: string }> {
  let live = await getPreferences(pc, catalog);
  let ours = writes.landed?.revision;
  if (ours === undefined && writes.uncertain && samePreferences(live, writes.uncertain.attempted)) {
    // The answer was lost but the live preferences are exactly what that write sent: taken as ours (anyone else's
    // identical write would be put back to the same state), and written back only over this very Revision.
    log.warn('the last write failed, but the live preferences are what it sent: taking them as ours', { catalog, error: writes.uncertain.error, revision: live.revision });
    ours = live.revision;
  }
  if (ours === undefined && writes.uncertain && live.revision === writes.uncertain.revision) {
    // Nothing has landed since the Revision that write was sent with, but it may still be in flight (a call given up
    // when the invocation's time ran out reaches the service later). Writing the live preferences back unchanged
    // over that Revision fences it: once the Revision moves on, the late write is refused as a conflict.
    const fenced = await fence(pc, catalog, live, writes.uncertain.attempted);
    if (fenced.landed) {
      live = fenced.live;
      ours = live.revision;
    } else if (fenced.fenced) {
      return {
        restored: false,
        live: fenced.live,
        note:
          `Its last UpdateConnectionPreferences did not answer (${writes.uncertain.error}); the preferences were fenced at Revision ${fenced.live.revision} ` +
          `(written back unchanged, ${stateSummary(fenced.live)}) so that it cannot land later.`,
      };
    }
  }
  if (ours === undefined) {
    const note = writes.uncertain
      ? `Its last UpdateConnectionPreferences failed (${writes.uncertain.error}) and the live preferences are not what it sent (${stateSummary(live)}, Revision ${live.revision}): someone else's, left as they are.`
      : `No write of this deployment landed, so the preferences were left as they are (${stateSummary(live)}, Revision ${live.revision}).`;
    return { restored: false, live, note };
  }
  if (live.revision !== ours) {
    return {
      restored: false,
      live,
      note:
        `The preferences were changed by another writer after this deployment's write (Revision ${ours}, now ${live.revision}: ` +
        `${stateSummary(live)}), so they were left as that writer set them, not written back to ${stateSummary(found)}. Check them before retrying.`,
    };
  }
  if (samePreferences(live, found)) return { restored: false, live, note: 'The preferences are what they were before this deployment.' };
  try {
    const written = await updatePreferences(pc, catalog, ours, found);
    log.info('wrote back the preferences found before this deployment', { catalog, fromRevision: ours, revision: written.revision });
    return { restored: true, live: written, note: `The preferences were written back to ${stateSummary(found)}.` };
  } catch (err) {
    if (!isRevisionConflict(err)) throw operatorErrorOf(err, 'UpdateConnectionPreferences', catalog);
    // Someone wrote between the read and the write back: theirs is the newer intent.
    return { restored: false, note: `Another writer changed the preferences while this deployment was putting them back: left as that writer set them. Check them before retrying.` };
  }
}

/**
 * The fence of an unanswered write: the live preferences written back unchanged over the Revision it was sent with.
 * If that conflicts, something landed first: the unanswered write itself (`landed`, when the preferences are what it
 * sent) or someone else's.
 */
async function fence(pc: PartnerCentralAccountClient, catalog: string, live: Live, attempted: Preferences): Promise<{ fenced: boolean; landed: boolean; live: Live }> {
  try {
    const written = await updatePreferences(pc, catalog, live.revision, snapshotOf(live));
    log.info('fenced an unanswered write', { catalog, fromRevision: live.revision, revision: written.revision });
    return { fenced: true, landed: false, live: written };
  } catch (err) {
    if (!isRevisionConflict(err)) throw operatorErrorOf(err, 'UpdateConnectionPreferences', catalog);
    const now = await getPreferences(pc, catalog);
    return { fenced: false, landed: samePreferences(now, attempted), live: now };
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

/** The kind of failure an operator error came from, so a rollback can tell "cannot be applied" from the rest. */
export class PartnerCentralError extends OperatorError {
  constructor(
    message: string,
    readonly kind: 'access' | 'validation' | 'other',
  ) {
    super(message);
    this.name = 'PartnerCentralError';
  }
}

/** The errors an operator can act on, said in their terms; the rest (already retried) kept short. */
export function operatorErrorOf(err: unknown, operation: string, catalog: string): Error {
  if (err instanceof OperatorError) return err;
  const name = errorName(err);
  const detail = errorMessage(err);
  const reason = (err as { Reason?: string }).Reason;
  const throttled = throttledMessage(err, 'Partner Central', operation);
  if (throttled) return new PartnerCentralError(`${throttled} (catalog ${catalog})`, 'other');
  switch (name) {
    case 'AccessDeniedException':
      return new PartnerCentralError(
        `Partner Central denied ${operation} on catalog ${catalog}: ${detail}. The handler role is granted this action by the ` +
          'construct; check that the account is registered in Partner Central for this catalog and that no SCP or ' +
          'permissions boundary denies partnercentral actions, then retry.',
        'access',
      );
    case 'ValidationException':
      return new PartnerCentralError(
        `Partner Central rejected ${operation} on catalog ${catalog} (${reason ?? 'validation'}): ${detail}. ` +
          'Check the catalog, accessType and excludedParticipantIds of the PartnerConnectionPreferences construct and deploy again.',
        'validation',
      );
    case 'ConflictException':
      return new PartnerCentralError(
        `Partner Central reported a conflict on ${operation} for catalog ${catalog} (${reason ?? 'unknown reason'}): ${detail}. Not retried: resolve it and retry the deployment.`,
        'other',
      );
    default:
      return new PartnerCentralError(
        `${operation} on catalog ${catalog} failed (${name ?? 'error'}): ${detail}. Retry the deployment; if it persists, check the AWS Health Dashboard.`,
        'other',
      );
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
    // In the API's order: comparisons sort their own copies, and a snapshot must keep the order.
    excludedParticipantIds: [...(out.ExcludedParticipantIds ?? [])],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// State

export function stateStore(ssm: SSMClient, catalog: string): StateStore<Preferences> {
  return new StateStore<Preferences>(ssm, statePath(catalog), what(catalog));
}

export function what(catalog: string): string {
  return `Partner Central connection preferences of catalog ${catalog}`;
}
