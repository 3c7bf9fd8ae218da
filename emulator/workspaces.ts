// WorkSpaces connection aliases and their sharing permissions (API-FACTS.md, "WorkSpaces API").
import { randomBytes } from 'crypto';
import { AwsError, clone, decodeToken, encodeToken, isObject, page } from './protocol';

const ALIAS_ID = /^wsca-[0-9a-z]{8,63}$/;
const ACCOUNT_ID = /^\d{12}$/;
const MAX_LIMIT = 25;

export type AliasState = 'CREATING' | 'CREATED' | 'DELETING';
export type AssociationStatus =
  | 'NOT_ASSOCIATED'
  | 'ASSOCIATED_WITH_OWNER_ACCOUNT'
  | 'ASSOCIATED_WITH_SHARED_ACCOUNT'
  | 'PENDING_ASSOCIATION'
  | 'PENDING_DISASSOCIATION';

export interface Association {
  AssociationStatus: AssociationStatus;
  AssociatedAccountId: string;
  /** The directory id. */
  ResourceId: string;
  ConnectionIdentifier?: string;
}

export interface Permission {
  SharedAccountId: string;
  AllowAssociation: boolean;
}

export interface ConnectionAlias {
  AliasId: string;
  ConnectionString: string;
  State: AliasState;
  OwnerAccountId: string;
  Associations: Association[];
  Permissions: Permission[];
}

export type AliasSeed = Partial<ConnectionAlias>;

export interface WorkSpacesOptions {
  /** The caller's account (the one the SDK credentials would belong to). */
  accountId: string;
  /** Page size of DescribeConnectionAliases/DescribeConnectionAliasPermissions when the request sets none. */
  defaultPageSize: number;
}

function invalid(message: string): AwsError {
  return new AwsError(400, 'InvalidParameterValuesException', message);
}

function notFound(aliasId: string): AwsError {
  return new AwsError(400, 'ResourceNotFoundException', `The connection alias ${aliasId} does not exist.`, { ResourceId: aliasId });
}

function limitOf(value: unknown, name: string, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_LIMIT) {
    throw invalid(`${name} must be an integer between 1 and ${MAX_LIMIT}.`);
  }
  return value;
}

export class WorkSpacesState {
  private readonly aliases = new Map<string, ConnectionAlias>();
  /** Reads left during which an alias still shows CREATING (see Faults.aliasCreatingFor). */
  private readonly creatingReads = new Map<string, number>();

  constructor(private readonly options: WorkSpacesOptions) {}

  reset(): void {
    this.aliases.clear();
    this.creatingReads.clear();
  }

  /** Adds (or replaces) an alias. Defaults: a random id, CREATED, owned by the caller, no associations or permissions. */
  seedAlias(seed: AliasSeed = {}): ConnectionAlias {
    const alias: ConnectionAlias = {
      AliasId: seed.AliasId ?? `wsca-${randomBytes(5).toString('hex')}`,
      ConnectionString: seed.ConnectionString ?? 'desktop.example.com',
      State: seed.State ?? 'CREATED',
      OwnerAccountId: seed.OwnerAccountId ?? this.options.accountId,
      Associations: clone(seed.Associations ?? []),
      Permissions: clone(seed.Permissions ?? []),
    };
    this.aliases.set(alias.AliasId, alias);
    return clone(alias);
  }

  getAlias(aliasId: string): ConnectionAlias | undefined {
    return clone(this.aliases.get(aliasId));
  }

  /** The alias's permissions (a copy); `[]` for an unknown alias. */
  permissions(aliasId: string): Permission[] {
    return clone(this.aliases.get(aliasId)?.Permissions ?? []);
  }

  /** Deletes the alias out of band (someone removed it outside the stack). */
  deleteAlias(aliasId: string): void {
    this.aliases.delete(aliasId);
    this.creatingReads.delete(aliasId);
  }

  setState(aliasId: string, state: AliasState): void {
    this.must(aliasId).State = state;
  }

  /** The shared (or owner) account associates the alias with one of its directories. */
  associate(aliasId: string, accountId: string, directoryId = 'd-1234567890', status?: AssociationStatus): void {
    const alias = this.must(aliasId);
    alias.Associations = alias.Associations.filter((a) => a.AssociatedAccountId !== accountId);
    alias.Associations.push({
      AssociatedAccountId: accountId,
      ResourceId: directoryId,
      AssociationStatus: status ?? (accountId === alias.OwnerAccountId ? 'ASSOCIATED_WITH_OWNER_ACCOUNT' : 'ASSOCIATED_WITH_SHARED_ACCOUNT'),
      ConnectionIdentifier: `conn-${randomBytes(4).toString('hex')}`,
    });
  }

  disassociate(aliasId: string, accountId: string): void {
    const alias = this.must(aliasId);
    alias.Associations = alias.Associations.filter((a) => a.AssociatedAccountId !== accountId);
  }

  /** @internal See Faults.aliasCreatingFor. */
  holdAliasCreating(aliasId: string, reads: number): void {
    this.must(aliasId).State = 'CREATING';
    this.creatingReads.set(aliasId, reads);
  }

  /** @internal */
  async handle(operation: string, input: unknown): Promise<unknown> {
    if (!isObject(input)) throw invalid('The request body must be a JSON object.');
    switch (operation) {
      case 'DescribeConnectionAliases':
        return this.describeAliases(input);
      case 'DescribeConnectionAliasPermissions':
        return this.describePermissions(input);
      case 'UpdateConnectionAliasPermission':
        return this.updatePermission(input);
      default:
        throw new AwsError(400, 'UnknownOperationException', `Operation ${operation} is not emulated`);
    }
  }

  private must(aliasId: string): ConnectionAlias {
    const alias = this.aliases.get(aliasId);
    if (!alias) throw new Error(`emulator: unknown alias ${aliasId}`);
    return alias;
  }

  private checkAliasId(value: unknown): string {
    if (typeof value !== 'string' || !ALIAS_ID.test(value)) throw invalid(`The alias id ${String(value)} is not valid.`);
    return value;
  }

  private visible(alias: ConnectionAlias): boolean {
    const me = this.options.accountId;
    return alias.OwnerAccountId === me || alias.Permissions.some((p) => p.SharedAccountId === me && p.AllowAssociation);
  }

  private describeAliases(input: Record<string, unknown>): unknown {
    const limit = limitOf(input.Limit, 'Limit', this.options.defaultPageSize);
    let ids: string[] | undefined;
    if (input.AliasIds !== undefined && input.AliasIds !== null) {
      if (!Array.isArray(input.AliasIds) || input.AliasIds.length < 1 || input.AliasIds.length > MAX_LIMIT) {
        throw invalid(`AliasIds must hold 1 to ${MAX_LIMIT} alias ids.`);
      }
      ids = input.AliasIds.map((id) => this.checkAliasId(id));
    }
    const resourceId = typeof input.ResourceId === 'string' ? input.ResourceId : undefined;
    const after = this.cursor('DescribeConnectionAliases', input.NextToken);
    // UNVERIFIED: an unknown id in AliasIds. The operation models no ResourceNotFoundException, so we leave it out of
    // the result (an empty list when no id is known).
    const candidates = [...this.aliases.values()].filter(
      (a) => this.visible(a) && (!ids || ids.includes(a.AliasId)) && (!resourceId || a.Associations.some((s) => s.ResourceId === resourceId)),
    );
    const result = page(candidates, (a) => a.AliasId, after, limit);
    const out = result.items.map((a) => this.read(a));
    return { ConnectionAliases: out, ...(result.next ? { NextToken: encodeToken('DescribeConnectionAliases', result.next) } : {}) };
  }

  /** One read of the alias as the caller sees it; counts down an injected CREATING period. */
  private read(alias: ConnectionAlias): Record<string, unknown> {
    const left = this.creatingReads.get(alias.AliasId);
    if (left !== undefined) {
      if (left <= 0) {
        alias.State = 'CREATED';
        this.creatingReads.delete(alias.AliasId);
      } else {
        this.creatingReads.set(alias.AliasId, left - 1);
      }
    }
    return {
      AliasId: alias.AliasId,
      ConnectionString: alias.ConnectionString,
      OwnerAccountId: alias.OwnerAccountId,
      State: alias.State,
      // UNVERIFIED: whether an alias with no associations carries an empty list or none. We omit it.
      ...(alias.Associations.length > 0 ? { Associations: clone(alias.Associations) } : {}),
    };
  }

  private describePermissions(input: Record<string, unknown>): unknown {
    const aliasId = this.checkAliasId(input.AliasId);
    const limit = limitOf(input.MaxResults, 'MaxResults', this.options.defaultPageSize);
    const after = this.cursor(`DescribeConnectionAliasPermissions:${aliasId}`, input.NextToken);
    const alias = this.aliases.get(aliasId);
    if (!alias) throw notFound(aliasId);
    // UNVERIFIED: which error a non-owner gets. We answer AccessDeniedException.
    if (alias.OwnerAccountId !== this.options.accountId) throw new AwsError(400, 'AccessDeniedException', 'Only the owner can list the permissions of a connection alias.');
    const result = page(alias.Permissions, (p) => p.SharedAccountId, after, limit);
    return {
      AliasId: aliasId,
      ConnectionAliasPermissions: clone(result.items),
      ...(result.next ? { NextToken: encodeToken(`DescribeConnectionAliasPermissions:${aliasId}`, result.next) } : {}),
    };
  }

  private updatePermission(input: Record<string, unknown>): unknown {
    const aliasId = this.checkAliasId(input.AliasId);
    const perm = input.ConnectionAliasPermission;
    if (!isObject(perm)) throw invalid('ConnectionAliasPermission is required.');
    const { SharedAccountId: account, AllowAssociation: allow } = perm;
    if (typeof account !== 'string' || !ACCOUNT_ID.test(account)) throw invalid(`The account id ${String(account)} is not valid.`);
    if (typeof allow !== 'boolean') throw invalid('AllowAssociation must be a boolean.');
    const alias = this.aliases.get(aliasId);
    if (!alias) throw notFound(aliasId);
    // UNVERIFIED: the error a non-owner gets (the docs only say that only the owner can unshare).
    if (alias.OwnerAccountId !== this.options.accountId) throw new AwsError(400, 'AccessDeniedException', 'Only the owner of a connection alias can change its permissions.');
    // UNVERIFIED: sharing with the owner's own account. We reject it as an invalid parameter.
    if (account === alias.OwnerAccountId) throw invalid('A connection alias cannot be shared with its owner account.');
    if (alias.State !== 'CREATED') {
      throw new AwsError(400, 'InvalidResourceStateException', `The connection alias ${aliasId} is in state ${alias.State}; it must be CREATED.`);
    }
    const existing = alias.Permissions.find((p) => p.SharedAccountId === account);
    if (allow) {
      // UNVERIFIED: sharing again with the account it is already shared with. We treat it as a no-op success.
      if (existing?.AllowAssociation) return {};
      // UNVERIFIED (documented as "one other account", error name probable): a second shared account.
      if (alias.Permissions.some((p) => p.AllowAssociation && p.SharedAccountId !== account)) {
        throw new AwsError(400, 'ResourceLimitExceededException', `The connection alias ${aliasId} is already shared with another account.`);
      }
      alias.Permissions = [...alias.Permissions.filter((p) => p.SharedAccountId !== account), { SharedAccountId: account, AllowAssociation: true }];
      return {};
    }
    // UNVERIFIED (documented rule, error name probable): the shared account still uses the alias.
    if (alias.Associations.some((a) => a.AssociatedAccountId === account && a.AssociationStatus !== 'NOT_ASSOCIATED')) {
      throw new AwsError(400, 'ResourceAssociatedException', `The connection alias ${aliasId} is associated with a directory of account ${account}.`);
    }
    // UNVERIFIED: unsharing an account it is not shared with is treated as a no-op success, and an unshared
    // account disappears from the permission list rather than staying with AllowAssociation false.
    alias.Permissions = alias.Permissions.filter((p) => p.SharedAccountId !== account);
    return {};
  }

  private cursor(scope: string, token: unknown): string | undefined {
    if (token === undefined || token === null) return undefined;
    const cursor = typeof token === 'string' ? decodeToken(scope, token) : undefined;
    if (cursor === undefined) throw invalid('The NextToken is not valid.');
    return cursor;
  }
}
