// Handler of Custom::ConnectionAliasAssociation: associates one WorkSpaces connection alias (owned here or shared with
// this account) with one directory of this account, on the shared lifecycle engine (lambda/common/engine.ts), which
// owns the claim (so two resources cannot manage one alias's association), the state's undo, takeover, rollback
// leniency and repeated delivery. This kind supplies its read (the alias, association.ts), its pure plan (plan.ts),
// its writes (the plan's steps, with bounded waits) and its undo: read -> plan -> apply.
//
// The physical id is the alias id: a new alias is a replacement, a new directory is an Update in place
// (disassociate, wait, associate). The record keeps whether the association was adopted (there before this resource:
// a RESTORE Delete then leaves it), the directory this resource last applied and its connection identifier.
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { WorkSpacesClient } from '@aws-sdk/client-workspaces';
import { SSMClient } from '@aws-sdk/client-ssm';
import { OnDelete } from '../../lib/common/on-delete';
import { ALIAS_ID_PATTERN, Attr, Prop } from '../../lib/workspaces-association/contract';
import { type EnginePlan, type Kind, type Response, handle, operatorMessage } from '../common/engine';
import { OperatorError, errorMessage, errorName } from '../common/errors';
import { log } from '../common/log';
import { type Ownership, describeHolder, ownership, requesterOf } from '../common/plan';
import { type LambdaContextLike, clock, namingOperations, retryConfig } from '../common/sdk';
import { LockHeldError, type Owner, type StateRecord, type Stored } from '../common/state-store';
import { type WaitOptions, applySteps, readAlias } from './association';
import { type AliasView, type Step, activeAssociation, planAssociation } from './plan';
import { type Desired, type Meta, type Snapshot, accountOf, explain, lenientDirectory, parseOnDelete, parseProps, region, storeFor, what, writeFailure } from './props';

export { accountOf, parseOnDelete, parseProps, storeFor, type Desired, type Meta, type Snapshot } from './props';
export { STATE_PATH_PREFIX, statePath } from '../../lib/workspaces-association/contract';

export interface Clients {
  readonly workspaces: WorkSpacesClient;
  readonly ssm: SSMClient;
  /** How the waits poll (tests); by default bounded by the invocation's clock. */
  readonly wait?: WaitOptions;
}

// Once per container; the region and any AWS_ENDPOINT_URL_* override come from the environment.
const clients: Clients = {
  workspaces: namingOperations(new WorkSpacesClient({ ...retryConfig() })),
  ssm: namingOperations(new SSMClient({ ...retryConfig() })),
};

export async function handler(event: CloudFormationCustomResourceEvent, context?: LambdaContextLike): Promise<Response> {
  return handle(associationKind(clients), event, context);
}

// ---- the kind ----

export interface AssociationReads {
  /** The alias as this account sees it (CREATED, CREATING; never missing or DELETING: the read refuses those). */
  readonly alias: AliasView;
  readonly accountId: string;
}

export interface KindPlan extends EnginePlan {
  readonly steps: Step[];
  readonly holder?: Owner;
  /** The directory the plan moves the association away from (an Update of the directory). */
  readonly from?: string;
  /** The record after the writes, and the one stored before them (none: no record yet). */
  readonly next: { readonly snapshot: Snapshot; readonly meta: Meta };
  readonly base?: StateRecord<Snapshot>;
}

/** The Delete's steps, for the directory this resource last applied, as `accountId` (the directory's owner). */
export interface DeletePlan {
  readonly steps: Step[];
  readonly accountId: string;
  readonly directoryId: string;
}

/** What the writes did, step by step, so that the undo reverses only this invocation's own. */
export interface Trace {
  /** Steps started, in order (a write whose answer was lost may still have landed). */
  readonly started: Step[];
}

/** The alias cannot be associated now: gone, not shared with this account, or being deleted. */
export class AliasUnavailableError extends OperatorError {
  constructor(message: string) {
    super(message);
    this.name = 'AliasUnavailableError';
  }
}

/** A write failed; the message says what was undone. `causeName`: the service's error name, for rollback leniency. */
class AssociationFailedError extends OperatorError {
  constructor(
    message: string,
    readonly causeName: string | undefined,
  ) {
    super(message);
    this.name = 'AssociationFailedError';
  }
}

/** Failures that mean the declared association cannot be applied now: the alias or directory is gone, or access is. */
const CANNOT_APPLY = new Set(['AccessDeniedException', 'ResourceNotFoundException', 'InvalidParameterValuesException', 'OperationNotSupportedException', 'InvalidResourceStateException']);

/** The association of one connection alias with one directory, as a kind of the lifecycle engine. */
export function associationKind(c: Clients): Kind<Desired, Snapshot, AssociationReads, KindPlan, Trace, DeletePlan> {
  const run = (aliasId: string, accountId: string, steps: readonly Step[]) => applySteps(c.workspaces, aliasId, accountId, steps, c.wait);
  return {
    field: 'aliasId',
    reconcileProp: Prop.RECONCILE,
    // The record says which directory was applied: saved once it is, so a failed move is never taken for "last applied".
    saveRecord: 'afterWrites',
    texts: { event: 'event', replacement: 'replacement: a new alias is associated as a new resource', unknownId: 'delete of an id this handler never created: nothing to do' },

    parse: (props) => parseProps(props),
    keyOf: (desired) => desired.aliasId,
    managedKey: (event) => event.PhysicalResourceId,
    deleteKey: (physicalId) => (ALIAS_ID_PATTERN.test(physicalId) ? physicalId : undefined),
    onDeleteOf: (props) => parseOnDelete(props),
    store: (aliasId) => storeFor(c.ssm, aliasId),

    // ---- read -> plan -> apply ----
    async read(desired, event) {
      const accountId = accountOf(event);
      const alias = await readAlias(c.workspaces, desired.aliasId);
      // Refused here rather than in the plan, so that a rollback to what this resource last applied can succeed
      // without writing when the alias is gone (the engine's rollback leniency).
      if (!alias) {
        throw new AliasUnavailableError(
          `Connection alias ${desired.aliasId} does not exist in ${region()} or is not shared with account ${accountId}: share it with this account first ` +
            "(ConnectionAliasSharing in the owner's account), then retry. Nothing was changed.",
        );
      }
      if (alias.State === 'DELETING') throw new AliasUnavailableError(`Connection alias ${desired.aliasId} is being deleted (State DELETING): it cannot be associated. Nothing was changed.`);
      return { alias, accountId };
    },
    plan({ phase, desired, event, reads, stored, claim }) {
      const held: Stored<Snapshot> | undefined = claim ? { record: claim.record, owner: claim.record.owner, names: claim.names } : stored;
      const rel: Ownership = ownership(held?.owner, requesterOf(event));
      const base = rel === 'ours' || rel === 'stale' ? held?.record : undefined;
      const none = { steps: [], holder: held?.owner, next: { snapshot: { adopted: false }, meta: {} }, base };
      if (rel === 'other') {
        return { ...none, action: 'blocked', ownership: rel, reason: `${what(desired.aliasId)} is managed by ${describeHolder(held!.owner!)}: only one resource may manage it.` };
      }
      const active = activeAssociation(reads.alias);
      const mine = (dir: string | undefined) => !!dir && active?.AssociatedAccountId === reads.accountId && active.ResourceId === dir;
      // The directory to move away from: the one this resource last applied, or the old properties' (a rollback's old
      // properties are the failed new ones, which may be what is associated now), whichever holds the alias.
      const candidates = [(base?.meta as Meta | undefined)?.directoryId, phase === 'update' && event.RequestType === 'Update' ? lenientDirectory(event.OldResourceProperties) : undefined];
      const from = candidates.find((d) => d !== desired.directoryId && mine(d)) ?? candidates.find((d) => !!d && d !== desired.directoryId);
      const plan = planAssociation({
        requestType: phase === 'create' ? 'Create' : 'Update',
        aliasId: desired.aliasId,
        directoryId: desired.directoryId,
        oldDirectoryId: from,
        accountId: reads.accountId,
        onDelete: desired.onDelete,
        alias: reads.alias,
      });
      // Associated with this directory already: adopted, unless this resource's record says it made it (a repeated
      // delivery), or nobody knows (no record: taken as there before, so a RESTORE Delete leaves it rather than cut it).
      const associates = plan.steps.some((s) => s.op === 'associate');
      const adopted = !associates && (base ? base.snapshot.adopted : mine(desired.directoryId));
      const identifier = mine(desired.directoryId) ? active!.ConnectionIdentifier : undefined;
      const next = { snapshot: { adopted }, meta: { directoryId: desired.directoryId, ...(identifier ? { connectionIdentifier: identifier } : {}) } };
      // Moved away from `from` only when the steps release it (not when it was no longer associated anyway).
      const moves = plan.steps.some((s) => (s.op === 'disassociate' || s.op === 'waitDisassociated') && s.directoryId === from);
      return { action: plan.action, ownership: rel, reason: plan.reason, steps: plan.steps, holder: held?.owner, from: moves ? from : undefined, next, base };
    },
    claimOf: (_desired, _reads, plan) => plan.next,
    recordOf(plan, response) {
      const connectionIdentifier = response?.Data?.[Attr.CONNECTION_IDENTIFIER] ?? plan.next.meta.connectionIdentifier;
      const next = { snapshot: plan.next.snapshot, meta: { ...plan.next.meta, ...(connectionIdentifier ? { connectionIdentifier } : {}) } };
      const same = plan.base && JSON.stringify([plan.base.snapshot, plan.base.meta]) === JSON.stringify([next.snapshot, next.meta]);
      return same ? undefined : next;
    },
    refuseHeld: (plan, desired, store) => new LockHeldError(store.base, plan.holder!, what(desired.aliasId), region()),
    warnNoState: (desired, _reads, store) =>
      log.warn('state missing: an association with the declared directory that is there now is taken as adopted (Delete leaves it)', { aliasId: desired.aliasId, base: store.base }),
    planLog: (plan) => ({ steps: plan.steps.map((s) => ('directoryId' in s ? `${s.op} ${s.directoryId}` : s.op)), adopted: plan.next.snapshot.adopted, reason: plan.reason }),
    newTrace: () => ({ started: [] }),
    async write({ desired, reads, plan, trace }) {
      let connectionIdentifier: string | undefined;
      for (const step of plan.steps) {
        trace.started.push(step);
        const out = await run(desired.aliasId, reads.accountId, [step]);
        connectionIdentifier = step.op === 'waitDisassociated' ? undefined : (out.connectionIdentifier ?? connectionIdentifier);
        if (step.op === 'associate' || step.op === 'disassociate') log.info(step.op === 'associate' ? 'associated' : 'disassociated', { aliasId: desired.aliasId, directoryId: step.directoryId });
      }
      // Nothing associated by this invocation (adopted, or a repeated delivery): the identifier is the one WorkSpaces shows.
      connectionIdentifier ??= identifierOf(reads.alias, reads.accountId, desired.directoryId) ?? identifierOf(await readAlias(c.workspaces, desired.aliasId), reads.accountId, desired.directoryId);
      if (!connectionIdentifier) {
        throw new OperatorError(`Connection alias ${desired.aliasId} is associated with directory ${desired.directoryId}, but WorkSpaces shows no ConnectionIdentifier for it. Retry the deployment.`);
      }
      return { PhysicalResourceId: desired.aliasId, Data: { [Attr.CONNECTION_IDENTIFIER]: connectionIdentifier, [Attr.ALIAS_ID]: desired.aliasId } };
    },
    async undo({ phase, claim, desired, reads, plan, trace, store, cause, release }) {
      const aliasId = desired.aliasId;
      const message = explain(cause, desired, plan.from);
      const wrote = trace.started.some((s) => s.op === 'associate' || s.op === 'disassociate');
      // A failed repeated Create also takes back what its first delivery associated (this resource made it, the record
      // says): a failed Create gets no Delete from the framework, so nothing may outlive it.
      const earlier = phase === 'create' && claim?.outcome === 'ours' && !claim.record.snapshot.adopted;
      log.error('the association failed: undoing its own writes, if any', { aliasId, error: errorMessage(cause), started: trace.started.map((s) => s.op) });
      clock.undoing();
      try {
        let note = 'Nothing had been written to the association.';
        if (wrote || earlier) note = await putBack(aliasId, reads.accountId, desired.directoryId, phase === 'update' ? plan.from : undefined);
        if (earlier) await store.remove();
        else await release();
        return new AssociationFailedError(`${message} ${note}`, errorName(cause));
      } catch (undoErr) {
        log.error('could not undo the failed association', { aliasId, error: errorMessage(undoErr) });
        return new AssociationFailedError(
          `${message} Undoing it also failed (${errorMessage(operatorMessage(undoErr))}): check the association with aws workspaces describe-connection-aliases ` +
            `--alias-ids ${aliasId} --region ${region()} and the SSM parameters under ${store.base} before retrying.`,
          errorName(cause),
        );
      }
    },

    // ---- rollbacks that cannot get stuck ----
    cannotApplyNow(err) {
      const name = err instanceof AssociationFailedError ? err.causeName : errorName(err);
      return err instanceof AliasUnavailableError || CANNOT_APPLY.has(name ?? '');
    },
    lastApplied: (record, desired) => (record.meta as Meta).directoryId === desired.directoryId,
    declared: (desired) => `the declared association of alias ${desired.aliasId} with directory ${desired.directoryId}`,
    data: (desired, record) => ({
      ...((record.meta as Meta).connectionIdentifier ? { [Attr.CONNECTION_IDENTIFIER]: (record.meta as Meta).connectionIdentifier! } : {}),
      [Attr.ALIAS_ID]: desired.aliasId,
    }),

    // ---- Delete: read -> plan (planAssociation) -> apply ----
    async planDelete({ key: aliasId, event, stored, onDelete }) {
      if (stored.owner && ownership(stored.owner, requesterOf(event)) !== 'ours') {
        log.warn('the association is managed by another resource: nothing to do', { aliasId, holder: stored.owner });
        return undefined;
      }
      if (!stored.record) {
        // Never claimed, or already deleted (a repeated Delete): nothing this resource made is known.
        log.info('no state owned by this resource: leaving the association as it is', { aliasId });
        return undefined;
      }
      const directoryId = (stored.record.meta as Meta).directoryId ?? lenientDirectory(event.ResourceProperties) ?? '';
      const accountId = accountOf(event);
      // Only a disassociation needs the alias: RETAIN and an adopted association are decided by the record.
      const needsAlias = onDelete === OnDelete.RESTORE && !stored.record.snapshot.adopted;
      const alias = needsAlias ? await readAlias(c.workspaces, aliasId) : undefined;
      const plan = planAssociation({ requestType: 'Delete', aliasId, directoryId, accountId, onDelete, adopted: stored.record.snapshot.adopted, alias });
      log.info('delete plan', { aliasId, directoryId, action: plan.action, reason: plan.reason });
      return { steps: plan.steps, accountId, directoryId };
    },
    async applyDelete(aliasId, { steps, accountId, directoryId }) {
      if (!steps.length) return;
      try {
        await run(aliasId, accountId, steps);
      } catch (err) {
        // No put back: the resource is on its way out, and a retried Delete continues from here with the state kept.
        if (err instanceof OperatorError) throw err;
        throw new OperatorError(writeFailure(err, 'disassociate', aliasId, directoryId));
      }
    },
  };

  /**
   * Puts the association back as it was before this invocation, as far as this invocation changed it: the plan of
   * that state, from what is there now. `from`: the directory an Update moved it away from (none: it was not associated).
   */
  async function putBack(aliasId: string, accountId: string, directoryId: string, from: string | undefined): Promise<string> {
    const now = await readAlias(c.workspaces, aliasId);
    const back = from
      ? planAssociation({ requestType: 'Update', aliasId, directoryId: from, oldDirectoryId: directoryId, accountId, onDelete: OnDelete.RESTORE, alias: now })
      : planAssociation({ requestType: 'Delete', aliasId, directoryId, accountId, onDelete: OnDelete.RESTORE, alias: now });
    if (back.action === 'blocked') return `It was not put back: ${back.reason}`;
    await applySteps(c.workspaces, aliasId, accountId, back.steps, c.wait);
    if (from) return back.steps.length ? `The association was put back on directory ${from}.` : `The association is still with directory ${from}.`;
    return back.steps.length ? `The association with directory ${directoryId} was undone.` : `Alias ${aliasId} is not associated with directory ${directoryId}.`;
  }
}

function identifierOf(alias: AliasView | undefined, accountId: string, directoryId: string): string | undefined {
  const active = activeAssociation(alias);
  return active?.AssociatedAccountId === accountId && active.ResourceId === directoryId ? active.ConnectionIdentifier : undefined;
}

