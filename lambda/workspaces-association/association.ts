// Reads and writes of one ConnectionAliasAssociation, engine-independent: the lifecycle (claim, undo, rollback) is the
// shared engine's (issue 15). Every wait is bounded by the invocation's clock (lambda/common/sdk.ts), so a pending
// state that lasts too long fails with what to do instead of running into CloudFormation's timeout.
import {
  AssociateConnectionAliasCommand,
  DescribeConnectionAliasesCommand,
  DisassociateConnectionAliasCommand,
  type WorkSpacesClient,
} from '@aws-sdk/client-workspaces';
import { CONNECTION_IDENTIFIER_PATTERN } from '../../lib/workspaces-association/contract';
import { OperatorError, errorName } from '../common/errors';
import { clock, sleep } from '../common/sdk';
import { type AliasView, type Step, activeAssociation } from './plan';

/** How the waits poll: the first delay, doubling up to the cap, while `remainingMs()` says there is time. */
export interface WaitOptions {
  readonly firstDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly time?: { remainingMs(): number };
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The alias as this account sees it; undefined when DescribeConnectionAliases does not show it (or says not found). */
export async function readAlias(client: WorkSpacesClient, aliasId: string): Promise<AliasView | undefined> {
  try {
    const out = await client.send(new DescribeConnectionAliasesCommand({ AliasIds: [aliasId] }));
    return out.ConnectionAliases?.find((a) => a.AliasId === aliasId);
  } catch (err) {
    // UNVERIFIED whether an unknown or unshared id is an empty list or ResourceNotFound: both mean "not visible".
    if (errorName(err) === 'ResourceNotFoundException') return undefined;
    throw err;
  }
}

export class AssociationWaitTimeout extends OperatorError {
  constructor(message: string) {
    super(message);
    this.name = 'AssociationWaitTimeout';
  }
}

async function waitUntil(client: WorkSpacesClient, aliasId: string, what: string, done: (a: AliasView | undefined) => boolean, o: WaitOptions): Promise<AliasView | undefined> {
  const time = o.time ?? clock;
  const pause = o.sleep ?? sleep;
  let delay = o.firstDelayMs ?? 1000;
  for (;;) {
    const alias = await readAlias(client, aliasId);
    if (done(alias)) return alias;
    if (time.remainingMs() < delay) {
      const active = activeAssociation(alias);
      throw new AssociationWaitTimeout(
        `connection alias ${aliasId}: gave up waiting for ${what} (state ${alias?.State ?? 'not visible'}, association ${active ? `${active.AssociationStatus} with ${active.ResourceId}` : 'none'}). Deploy again once it has settled (aws workspaces describe-connection-aliases --alias-ids ${aliasId}).`,
      );
    }
    await pause(delay);
    delay = Math.min(delay * 2, o.maxDelayMs ?? 10_000);
  }
}

export interface ApplyResult {
  /** The identifier of the association with the desired directory after the steps, when there is one. */
  readonly connectionIdentifier?: string;
}

/** Applies the plan's steps in order; returns the ConnectionIdentifier of the association it made or waited for. */
export async function applySteps(client: WorkSpacesClient, aliasId: string, accountId: string, steps: readonly Step[], o: WaitOptions = {}): Promise<ApplyResult> {
  let connectionIdentifier: string | undefined;
  const holds = (a: AliasView | undefined, dir: string) => {
    const active = activeAssociation(a);
    return active?.AssociatedAccountId === accountId && active.ResourceId === dir ? active : undefined;
  };
  for (const step of steps) {
    switch (step.op) {
      case 'waitCreated':
        await waitUntil(client, aliasId, 'the alias to be CREATED', (a) => a?.State === 'CREATED', o);
        break;
      case 'associate': {
        const out = await client.send(new AssociateConnectionAliasCommand({ AliasId: aliasId, ResourceId: step.directoryId }));
        connectionIdentifier = out.ConnectionIdentifier;
        if (connectionIdentifier !== undefined && !CONNECTION_IDENTIFIER_PATTERN.test(connectionIdentifier)) {
          throw new OperatorError(`AssociateConnectionAlias returned the connection identifier ${JSON.stringify(connectionIdentifier)}, which is not 1-20 characters of [a-zA-Z0-9].`);
        }
        break;
      }
      case 'waitAssociated': {
        const a = await waitUntil(client, aliasId, `the association with ${step.directoryId}`, (x) => {
          const s = holds(x, step.directoryId)?.AssociationStatus;
          return s === 'ASSOCIATED_WITH_OWNER_ACCOUNT' || s === 'ASSOCIATED_WITH_SHARED_ACCOUNT';
        }, o);
        connectionIdentifier = holds(a, step.directoryId)?.ConnectionIdentifier ?? connectionIdentifier;
        break;
      }
      case 'disassociate':
        try {
          await client.send(new DisassociateConnectionAliasCommand({ AliasId: aliasId }));
        } catch (err) {
          // Gone between the read and the write (UNVERIFIED which error): the wait below confirms it.
          if (errorName(err) !== 'ResourceNotFoundException' && errorName(err) !== 'InvalidResourceStateException') throw err;
        }
        break;
      case 'waitDisassociated':
        // NOT_ASSOCIATED, or the entry removed: which one WorkSpaces shows afterwards is UNVERIFIED.
        await waitUntil(client, aliasId, `the disassociation from ${step.directoryId}`, (a) => holds(a, step.directoryId) === undefined, o);
        connectionIdentifier = undefined;
        break;
    }
  }
  return { connectionIdentifier };
}
