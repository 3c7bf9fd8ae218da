// Handler of Custom::PartnerConnectionPreferences on the shared lifecycle engine (lambda/common/engine.ts), which owns
// the claim, the undo of the state, takeover, rollback leniency and repeated delivery. This kind supplies its reads
// (the live preferences), its pure plan (plan.ts), its write (converge) and its undo (undoOwnWrite): read -> plan ->
// apply. The `plan` command runs the same reads and plan (preview.ts).
import { PartnerCentralAccountClient } from '@aws-sdk/client-partnercentral-account';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { API_REGION, Attr, Prop } from '../../lib/partner-central/contract';
import { type Kind, type Response, handle, operatorMessage } from '../common/engine';
import { OperatorError, errorMessage } from '../common/errors';
import { log } from '../common/log';
import { requesterOf } from '../common/plan';
import { type LambdaContextLike, clock, namingOperations, retryConfig, sleep } from '../common/sdk';
import { LockHeldError } from '../common/state-store';
import { type PreferencesDeletePlan, type PreferencesPlan, planPreferences, planPreferencesDelete } from './plan';
import {
  type Budget,
  CONFLICT_RETRY,
  type Desired,
  type Live,
  PartnerCentralError,
  type Preferences,
  type WriteTrace,
  catalogOfArn,
  converge,
  describeChange,
  digest,
  getPreferences,
  lenientCatalog,
  lenientPreferences,
  parseOnDelete,
  parseProps,
  snapshotOf,
  stateStore,
  stateSummary,
  undoOwnWrite,
  what,
} from './preferences';

export { CONFLICT_RETRY, converge, type Budget, type ConflictRetry } from './preferences';
export type { Response } from '../common/engine';

export interface Clients {
  readonly partnerCentral: PartnerCentralAccountClient;
  readonly ssm: SSMClient;
}

// Both clients in the API's only region, whatever the stack's region. No explicit endpoint, so that
// AWS_ENDPOINT_URL_* can point them at a local emulator.
const clients: Clients = {
  partnerCentral: namingOperations(new PartnerCentralAccountClient({ region: API_REGION, ...retryConfig() })),
  ssm: namingOperations(new SSMClient({ region: API_REGION, ...retryConfig() })),
};

export async function handler(event: CloudFormationCustomResourceEvent, context?: LambdaContextLike): Promise<Response> {
  return handle(preferencesKind(clients), event, context);
}

/** The connection preferences of one catalog, as a kind of the lifecycle engine. */
export function preferencesKind(c: Clients, budget: Budget = defaultBudget()): Kind<Desired, Preferences, Live, PreferencesPlan, WriteTrace, PreferencesDeletePlan> {
  return {
    field: 'catalog',
    reconcileProp: Prop.RECONCILE,
    // What the record keeps is the digest of what was applied: saved once the write has landed, so a failed write is
    // never taken for "last applied" by the rollback that follows.
    saveRecord: 'afterWrites',
    texts: {
      event: 'request',
      replacement: 'catalog changed: managing the new catalog as a new resource',
      unknownId: 'physical id is not a preferences ARN of this handler: nothing to delete',
    },

    parse: (props) => parseProps(props),
    keyOf: (desired) => desired.catalog,
    managedKey: (event) => catalogOfArn(event.PhysicalResourceId) ?? lenientCatalog(event.OldResourceProperties),
    deleteKey: (physicalId) => catalogOfArn(physicalId),
    onDeleteOf: (props) => parseOnDelete(props[Prop.ON_DELETE]),
    earlier(event) {
      // An earlier version of this handler accepted some token-list values it now refuses (an empty item, a repeat).
      let earlier: Desired;
      try {
        earlier = parseProps(event.ResourceProperties, { legacyLists: true });
      } catch {
        return undefined;
      }
      if (catalogOfArn(event.PhysicalResourceId) !== earlier.catalog) return undefined;
      return { key: earlier.catalog, lastApplied: (r) => r.meta.applied === digest(earlier), what: `the preferences of catalog ${earlier.catalog}`, data: () => ({}) };
    },
    store: (catalog) => stateStore(c.ssm, catalog),

    // ---- read -> plan -> apply ----
    read: (desired) => getPreferences(c.partnerCentral, desired.catalog),
    plan({ phase, desired, event, reads: live, stored, claim }) {
      // Once claimed (bar a first claim of a Create, whose plan is the one made before it), the stored snapshot is
      // the one to keep: a stale claim's, or the first delivery's.
      if (claim && (phase === 'update' || claim.outcome !== 'created')) {
        return planPreferences({ desired, requester: requesterOf(event), stored: { record: claim.record, owner: claim.record.owner, names: claim.names }, live });
      }
      const plan = planPreferences({ desired, requester: requesterOf(event), stored, live });
      // A first claim has just written what this plan would record.
      return claim ? { ...plan, recordApplied: false } : plan;
    },
    claimOf: (_desired, live, plan) => ({ snapshot: snapshotOf(live), meta: { applied: plan.applied } }),
    recordOf: (plan) => (plan.recordApplied ? { snapshot: plan.snapshot, meta: { applied: plan.applied } } : undefined),
    refuseHeld: (plan, desired, store) => new LockHeldError(store.base, plan.holder!, what(desired.catalog), API_REGION),
    warnNoState(desired, live) {
      log.warn('no saved state for this resource: took the current preferences as the snapshot to restore at Delete', {
        catalog: desired.catalog,
        accessType: live.accessType,
        excludedCount: live.excludedParticipantIds.length,
      });
    },
    warnDrift({ phase, desired, event, reads: live, stored }, plan) {
      if (event.RequestType !== 'Update' || phase !== 'update' || !plan.drift.drifted) return;
      // The store keeps only a digest of what was applied; the old properties say what it was, when they match it.
      const before = lenientPreferences(event.OldResourceProperties);
      const known = before && digest(before) === stored?.record?.meta.applied;
      log.warn('drift: the preferences were changed outside this stack since it last applied them; converging', {
        catalog: desired.catalog,
        liveRevision: live.revision,
        ...(known ? describeChange(before, live) : { live: stateSummary(live) }),
      });
    },
    planLog: (plan) => ({ writes: plan.writes.map((w) => w.summary) }),
    newTrace: () => ({}),
    async write({ desired, reads: live, trace }) {
      const result = await converge(c.partnerCentral, desired.catalog, desired, budget, live, trace);
      return respond(result.live);
    },
    async undo({ phase, claim, desired, reads: found, trace: writes, store, cause, release }) {
      // An Update's single write failed: nothing of it landed to undo (the rollback that follows converges). A repeated
      // Create is not undone, since its first delivery may have succeeded.
      if (phase === 'update' || claim?.outcome === 'ours') return cause;
      const catalog = desired.catalog;
      // Puts back what this invocation found, but only over its own write (the Revision that write returned): when no
      // write of ours landed, or someone wrote after it, the live preferences are someone else's and stay.
      log.error('create failed: undoing its own write, if any, and releasing the claim', { catalog, error: errorMessage(cause), wroteRevision: writes.landed?.revision });
      clock.undoing();
      try {
        const undone = await undoOwnWrite(c.partnerCentral, catalog, found, writes);
        log.info('undo of the failed create', { catalog, restored: undone.restored, liveRevision: undone.live?.revision, note: undone.note });
        await release();
        const released = claim?.outcome === 'takeover' ? 'the earlier claim was put back' : 'the claim was released';
        return new OperatorError(`${errorMessage(operatorMessage(cause))} ${undone.note} Nothing else was changed: ${released}.`);
      } catch (undoErr) {
        log.error('could not undo the failed create', { catalog, error: errorMessage(undoErr) });
        return new OperatorError(
          `${errorMessage(operatorMessage(cause))} Undoing the create also failed (${errorMessage(operatorMessage(undoErr))}): check the connection ` +
            `preferences of catalog ${catalog} and the SSM parameters under ${store.base} in ${API_REGION} before retrying.`,
        );
      }
    },

    // ---- rollbacks that cannot get stuck ----
    cannotApplyNow: (err) => err instanceof PartnerCentralError && (err.kind === 'access' || err.kind === 'validation'),
    lastApplied: (record, desired) => record.meta.applied === digest(desired),
    declared: (desired) => `the declared preferences of catalog ${desired.catalog} (${stateSummary(desired)})`,
    data: () => ({}),

    // ---- Delete: read -> plan (planPreferencesDelete, as the `plan` command prints it) -> apply ----
    async planDelete({ key: catalog, event, stored, onDelete }) {
      // converge reads the live preferences itself, with the Revision its write needs.
      const plan = planPreferencesDelete({ catalog, requester: requesterOf(event), onDelete, stored });
      if (plan.owned) return plan;
      // Not ours (never claimed, already deleted, or held by another resource): touching it would undo someone else.
      log.info('no state owned by this resource: leaving the preferences as they are', { catalog, owner: stored.owner });
      return undefined;
    },
    async applyDelete(catalog, plan) {
      if (plan.restore) {
        const result = await converge(c.partnerCentral, catalog, plan.restore, budget);
        log.info('restored the preferences found at Create', { catalog, wrote: result.wrote, revision: result.live.revision });
      } else {
        log.info('OnDelete is RETAIN: leaving the preferences as they are', { catalog });
      }
    },
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

function defaultBudget(): Budget {
  return { retry: CONFLICT_RETRY, remainingMs: () => clock.remainingMs(), sleep };
}
