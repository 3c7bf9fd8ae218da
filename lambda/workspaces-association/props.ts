// The properties of one ConnectionAliasAssociation, its state store, and what its failures say to the operator.
import type { SSMClient } from '@aws-sdk/client-ssm';
import { OnDelete } from '../../lib/common/on-delete';
import { ALIAS_ID_PATTERN, DIRECTORY_ID_PATTERN, Prop, statePath } from '../../lib/workspaces-association/contract';
import { operatorMessage } from '../common/engine';
import { OperatorError, errorMessage, errorName } from '../common/errors';
import { asString, parseOnDelete } from '../common/props';
import { throttledMessage } from '../common/sdk';
import { StateStore } from '../common/state-store';

export interface Desired {
  readonly aliasId: string;
  readonly directoryId: string;
  readonly onDelete: OnDelete;
}

export interface Snapshot {
  /** The association with the directory was there before this resource: a RESTORE Delete leaves it. */
  readonly adopted: boolean;
}

export interface Meta extends Record<string, unknown> {
  /** The directory this resource last associated (or adopted). */
  readonly directoryId?: string;
  /** Its connection identifier, for the answers of rollbacks that write nothing. */
  readonly connectionIdentifier?: string;
}

export function parseProps(props: Record<string, unknown>): Desired {
  const aliasId = asString(props[Prop.ALIAS_ID], Prop.ALIAS_ID).trim();
  if (!ALIAS_ID_PATTERN.test(aliasId)) {
    throw new OperatorError(`Property ${Prop.ALIAS_ID} '${aliasId}' is not a connection alias id (${ALIAS_ID_PATTERN.source}). Nothing was changed.`);
  }
  const directoryId = asString(props[Prop.DIRECTORY_ID], Prop.DIRECTORY_ID).trim();
  if (!DIRECTORY_ID_PATTERN.test(directoryId)) {
    throw new OperatorError(`Property ${Prop.DIRECTORY_ID} '${directoryId}' is not a WorkSpaces directory id (${DIRECTORY_ID_PATTERN.source}). Nothing was changed.`);
  }
  return { aliasId, directoryId, onDelete: parseOnDelete(props) };
}

export { parseOnDelete } from '../common/props';

/** The directory of properties that were valid when deployed (a rollback's old properties may not be); never throws. */
export function lenientDirectory(props: Record<string, unknown> | undefined): string | undefined {
  const value = props?.[Prop.DIRECTORY_ID];
  return typeof value === 'string' && DIRECTORY_ID_PATTERN.test(value.trim()) ? value.trim() : undefined;
}

/** The deploying account (the directory's owner), from the event's own ARNs: no STS call, so no extra permission. */
export function accountOf(event: { StackId: string; ServiceToken?: string }): string {
  for (const arn of [event.StackId, event.ServiceToken]) {
    const account = arn?.split(':')[4];
    if (account && /^\d{12}$/.test(account)) return account;
  }
  throw new OperatorError('Could not tell the deploying account from the event (StackId and ServiceToken).');
}

export function region(): string {
  return process.env.AWS_REGION ?? 'this Region';
}

export function what(aliasId: string): string {
  return `the association of WorkSpaces connection alias ${aliasId}`;
}

export function storeFor(ssm: SSMClient, aliasId: string): StateStore<Snapshot> {
  return new StateStore<Snapshot>(ssm, statePath(aliasId), what(aliasId));
}

/** What went wrong and what to do, from a failed write or wait of the plan. */
export function explain(err: unknown, desired: Desired, from: string | undefined): string {
  if (err instanceof OperatorError) return errorMessage(operatorMessage(err));
  const op = from ? `move alias ${desired.aliasId} from directory ${from} to` : `associate alias ${desired.aliasId} with`;
  return writeFailure(err, op, desired.aliasId, desired.directoryId);
}

export function writeFailure(err: unknown, op: string, aliasId: string, directoryId: string): string {
  const throttled = throttledMessage(err, 'WorkSpaces', `${op === 'disassociate' ? 'DisassociateConnectionAlias' : 'AssociateConnectionAlias'} (${aliasId})`);
  if (throttled) return throttled;
  const doing = op === 'disassociate' ? `disassociate connection alias ${aliasId} from directory ${directoryId}` : `${op} directory ${directoryId}`;
  switch (errorName(err)) {
    case 'ResourceAssociatedException':
      return `Could not ${doing}: the alias is associated with another directory (an alias can be associated with only one directory per Region). ${errorMessage(err)}`;
    case 'ResourceNotFoundException':
      return `Could not ${doing}: the alias or the directory no longer exists in ${region()} (or the alias is no longer shared with this account). ${errorMessage(err)}`;
    case 'AccessDeniedException':
      return `Could not ${doing}: access denied (${errorMessage(err)}). The handler role is granted the association actions by the construct; check SCPs and permissions boundaries, then retry.`;
    default:
      return `Could not ${doing}: ${errorName(err) ?? 'Error'}: ${errorMessage(err)}`;
  }
}
