// Handler of Custom::ConnectionAliasSharing: shares one WorkSpaces connection alias with the declared accounts, on the
// shared lifecycle engine (lambda/common/engine.ts), which owns the claim, the state's undo, takeover, rollback
// leniency and repeated delivery. This kind supplies its reads (the alias and its shares, sharing.ts), its pure plan
// (plan.ts, where the sharing rules are), its writes (the plan's permission steps) and its undo: read -> plan -> apply.
// The `plan` command runs the same reads and plan (preview.ts).
//
// The new record is saved before any permission write: a repeated delivery then sees its own earlier shares as
// declared by this resource, never as pre-existing. A failed write puts everything back.
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { ConnectionAlias } from '@aws-sdk/client-workspaces';
import { WorkSpacesClient } from '@aws-sdk/client-workspaces';
import { SSMClient } from '@aws-sdk/client-ssm';
import { ALIAS_ID_PATTERN, Attr, Prop } from '../../lib/workspaces/contract';
import { type Kind, type Response, handle } from '../common/engine';
import { OperatorError, errorName } from '../common/errors';
import { log } from '../common/log';
import { requesterOf } from '../common/plan';
import { type LambdaContextLike, clock, namingOperations, retryConfig } from '../common/sdk';
import type { Stored } from '../common/state-store';
import { type SharingDeletePlan, type SharingPlan, planSharing, planSharingDelete } from './plan';
import {
  AliasUnavailableError,
  ApplyError,
  type Deps,
  type Desired,
  type Meta,
  type Snapshot,
  type Step,
  accountOf,
  applySteps,
  explain,
  lenientAccounts,
  parseOnDelete,
  parseProps,
  readAlias,
  readShares,
  storeFor,
  undo,
  withUndo,
} from './sharing';

export { POLL_MS, RESERVE_MS, MAX_WAIT_MS, type Snapshot, type Deps, type Step, type Desired } from './sharing';
export { accountOf, applySteps, describeAlias, parseOnDelete, parseProps, readAlias, readShares } from './sharing';
export { planSteps } from './plan';

export type Result = Response;

// Once per container; the region and any AWS_ENDPOINT_URL_* override come from the environment.
const workspaces = namingOperations(new WorkSpacesClient({ ...retryConfig() }));
const ssm = namingOperations(new SSMClient({ ...retryConfig() }));

export async function handler(event: CloudFormationCustomResourceEvent, context?: LambdaContextLike): Promise<Result> {
  return handle(sharingKind({ workspaces, ssm, context }), event, context);
}

/** What the handler reads of the alias before it plans. */
export interface SharingReads {
  readonly alias: ConnectionAlias;
  /** The accounts the alias was shared with when this invocation read it. */
  readonly current: Set<string>;
}

/** A write of the plan failed; everything this invocation changed was put back (or the message says what was not). */
class ApplyFailedError extends OperatorError {
  constructor(
    message: string,
    readonly causeName: string | undefined,
  ) {
    super(message);
    this.name = 'ApplyFailedError';
  }
}

/** Failures that mean the declared sharing cannot be applied now: the alias is gone, or access is. */
const CANNOT_APPLY = new Set(['AccessDeniedException', 'ResourceNotFoundException', 'InvalidParameterValuesException', 'OperationNotSupportedException', 'InvalidResourceStateException']);

const sameAccounts = (declared: string[] | undefined, accounts: string[]) => !!declared && JSON.stringify([...declared].sort()) === JSON.stringify(accounts);

/** The sharing of one connection alias, as a kind of the lifecycle engine. */
export function sharingKind(deps: Deps): Kind<Desired, Snapshot, SharingReads, SharingPlan, undefined, SharingDeletePlan> {
  return {
    field: 'aliasId',
    reconcileProp: Prop.RECONCILE,
    saveRecord: 'beforeWrites',
    texts: { event: 'event', replacement: 'replacement', unknownId: 'delete of an id this handler never created: nothing to do' },

    parse: (props, event) => parseProps(props, accountOf(event)),
    keyOf: (desired) => desired.aliasId,
    managedKey: (event) => event.PhysicalResourceId,
    deleteKey: (physicalId) => (ALIAS_ID_PATTERN.test(physicalId) ? physicalId : undefined),
    onDeleteOf: (props) => parseOnDelete(props),
    earlier(event) {
      // An earlier version accepted an empty token list, an empty item, a repeat: read the accounts by its rules.
      const aliasId = event.PhysicalResourceId;
      const declared = event.ResourceProperties[Prop.ALIAS_ID];
      if (typeof declared !== 'string' || declared.trim() !== aliasId || !ALIAS_ID_PATTERN.test(aliasId)) return undefined;
      const earlier = lenientAccounts(event.ResourceProperties);
      return {
        key: aliasId,
        lastApplied: (r) => sameAccounts((r.meta as Meta).declared, earlier),
        what: `the shares of alias ${aliasId}`,
        data: () => ({ [Attr.ALIAS_ID]: aliasId, [Attr.SHARED_ACCOUNT_IDS]: earlier.join(',') }),
      };
    },
    store: (aliasId) => storeFor(deps.ssm, aliasId),

    // ---- read -> plan -> apply ----
    async read(desired, event) {
      const alias = await readAlias(deps, desired.aliasId, accountOf(event), { forDelete: false });
      return { alias, current: await readShares(deps.workspaces, desired.aliasId) };
    },
    plan({ phase, desired, event, reads, stored, claim }) {
      // Without a record nobody knows which shares predate this resource, so a claim takes every declared account
      // shared now as pre-existing (Delete leaves them shared); a stale holder's record tells what it declared before.
      let facts = stored;
      if (claim) {
        const record = claim.outcome === 'takeover' && claim.previous ? { ...claim.previous, owner: claim.record.owner } : claim.record;
        facts = { record, owner: record.owner, names: claim.names };
      }
      const fallbackDeclared = phase === 'create' || claim || event.RequestType !== 'Update' ? desired.accounts : lenientAccounts(event.OldResourceProperties);
      return planSharing({ desired, requester: requesterOf(event), alias: reads.alias, current: reads.current, stored: facts, fallbackDeclared });
    },
    claimOf: (desired, { current }) => ({ snapshot: { preShared: desired.accounts.filter((a) => current.has(a)) }, meta: { declared: desired.accounts } }),
    recordOf: (plan) => (plan.recordChanged ? { snapshot: plan.next.snapshot, meta: plan.next.meta } : undefined),
    warnNoState: (desired, _reads, store) => log.warn('state missing: taking the current shares of declared accounts as pre-existing', { aliasId: desired.aliasId, base: store.base }),
    warnDrift({ desired }, plan) {
      if (plan.drift.drifted) log.warn('drift: declared accounts were unshared outside the stack; sharing again', { aliasId: desired.aliasId, detail: plan.drift.detail });
    },
    planLog: (plan) => ({ steps: plan.steps, preShared: plan.next.snapshot.preShared }),
    newTrace: () => undefined,
    async write({ desired, plan }) {
      await applySteps(deps.workspaces, desired.aliasId, plan.steps);
      return { PhysicalResourceId: desired.aliasId, Data: { [Attr.ALIAS_ID]: desired.aliasId, [Attr.SHARED_ACCOUNT_IDS]: desired.accounts.join(',') } };
    },
    async undo({ phase, claim, desired, plan, reads, store, cause: err, release }) {
      const aliasId = desired.aliasId;
      const message = explain(err, aliasId);
      clock.undoing();
      // Put back only what this invocation changed and nobody changed after it: an account someone else unshared (or
      // shared again) since our write is left as they set it.
      const now = await readShares(deps.workspaces, aliasId).catch(() => undefined);
      const standing = (steps: readonly Step[]) => (now ? steps.filter((s) => now.has(s.account) === s.share) : steps);
      const applied = err instanceof ApplyError ? err.applied : [];
      const undoFailures = await undo(deps.workspaces, aliasId, standing(applied));
      const changedSince = applied.filter((s) => !standing([s]).length).map((s) => s.account);
      if (changedSince.length) log.warn('changed by someone else since this invocation wrote it: not undone', { aliasId, accounts: changedSince });
      if (phase === 'create' && claim?.outcome !== 'takeover') {
        // A failed Create gets no Delete from the framework: unshare every account this resource shared and remove the
        // state. A repeated delivery that fails does the same: an earlier delivery of this same Create may have shared
        // accounts too (shared now, declared, not pre-shared).
        const preShared = plan.next.snapshot.preShared;
        const earlier: Step[] = desired.accounts.filter((a) => reads.current.has(a) && !preShared.includes(a)).map((account) => ({ account, share: true }));
        undoFailures.push(...(await undo(deps.workspaces, aliasId, standing(earlier))));
        await store.remove();
      } else {
        // Reverse this invocation's writes and restore the previous record (a failed takeover puts the stale claim back).
        await release();
      }
      const cause = err instanceof ApplyError ? err.cause : err;
      return new ApplyFailedError(withUndo(message, aliasId, undoFailures), errorName(cause));
    },

    // ---- rollbacks that cannot get stuck ----
    cannotApplyNow(err) {
      const name = err instanceof ApplyFailedError ? err.causeName : errorName(err);
      return err instanceof AliasUnavailableError || CANNOT_APPLY.has(name ?? '');
    },
    lastApplied: (record, desired) => sameAccounts((record.meta as Meta).declared, desired.accounts),
    declared: (desired) => `the declared accounts of alias ${desired.aliasId} (${desired.accounts.join(', ')})`,
    data: (desired) => ({ [Attr.ALIAS_ID]: desired.aliasId, [Attr.SHARED_ACCOUNT_IDS]: desired.accounts.join(',') }),

    // ---- Delete: read -> plan (planSharingDelete, as the `plan` command prints it) -> apply ----
    async planDelete({ key: aliasId, event, stored: found, onDelete }) {
      const account = accountOf(event);
      const facts = { aliasId, requester: requesterOf(event), onDelete, stored: found, fallbackDeclared: lenientAccounts(event.ResourceProperties) };
      let plan = planSharingDelete(facts);
      if (!plan.removesState && plan.action !== 'blocked') {
        log.warn('the alias is managed by another resource: nothing to do', { aliasId, holder: found.owner });
        return undefined;
      }
      const alias = await readAlias(deps, aliasId, account, { forDelete: true });
      plan = planSharingDelete({ ...facts, alias });
      if (plan.needsShares) plan = planSharingDelete({ ...facts, alias, current: await readShares(deps.workspaces, aliasId) });
      else if (alias && !found.record) log.warn('no saved state: leaving every share in place', { aliasId, base: storeFor(deps.ssm, aliasId).base });
      else if (alias) log.info('OnDelete RETAIN: leaving every share in place', { aliasId });
      // The alias (and with it every share) gone, RETAIN or no record: only our bookkeeping is left.
      if (plan.action === 'blocked') throw new OperatorError(plan.reason!);
      return plan;
    },
    async applyDelete(aliasId, plan, found: Stored<Snapshot>) {
      if (plan.steps.length) log.info('delete plan', { aliasId, steps: plan.steps, preShared: found.record?.snapshot.preShared });
      try {
        await applySteps(deps.workspaces, aliasId, plan.steps);
      } catch (err) {
        // No put back: the resource is on its way out, and a retried Delete continues from here with the state kept.
        throw new OperatorError(explain(err, aliasId));
      }
    },
  };
}
