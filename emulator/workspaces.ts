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
  /** The alias's Region; undefined (the single-Region default of `seedAlias`) means it answers in every Region. */
  Region?: string;
  ConnectionString: string;
  State: AliasState;
  OwnerAccountId: string;
  Associations: Association[];
  Permissions: Permission[];
}

export type AliasSeed = Partial<ConnectionAlias>;

/** A WorkSpaces directory (registered with WorkSpaces) of one account in one Region. */
export interface Directory {
  DirectoryId: string;
  AccountId: string;
  Region: string;
}

/** Who makes a request: the account its credentials belong to, and the Region it is signed for. */
export interface Caller {
  readonly accountId?: string;
  readonly region?: string;
}

/** How long PENDING_ASSOCIATION / PENDING_DISASSOCIATION last: a number of DescribeConnectionAliases reads of the alias, or ms. */
export interface PendingDuration {
  readonly reads?: number;
  readonly ms?: number;
}

interface Pending {
  readsLeft?: number;
  until?: number;
  /** The status the entry takes when the pending state ends; undefined: the entry is removed. */
  then?: AssociationStatus;
}

/** State shared by every account's view: aliases are one world, seen differently by their owner and the shared account. */
class World {
  readonly aliases = new Map<string, ConnectionAlias>();
  readonly creatingReads = new Map<string, number>();
  readonly directories = new Map<string, Directory>();
  readonly pending = new Map<string, Pending>();
  pendingDuration: PendingDuration = { reads: 1 };
  /** After a disassociation: remove the entry (default) or keep it as NOT_ASSOCIATED (UNVERIFIED which AWS shows). */
  keepDisassociated = false;
}

const DIRECTORY_ID = /^d-[0-9a-f]{8,63}$/;
const pendingKey = (aliasId: string, account: string) => `${aliasId}|${account}`;

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

/** `ConnectionIdentifier`: 1-20 characters of [a-zA-Z0-9] (the model's pattern). */
function connectionIdentifier(): string {
  return randomBytes(8).toString('hex');
}

function limitOf(value: unknown, name: string, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_LIMIT) {
    throw invalid(`${name} must be an integer between 1 and ${MAX_LIMIT}.`);
  }
  return value;
}

export class WorkSpacesState {
  private readonly aliases: Map<string, ConnectionAlias>;
  /** Reads left during which an alias still shows CREATING (see Faults.aliasCreatingFor). */
  private readonly creatingReads: Map<string, number>;
  private readonly world: World;

  constructor(
    private readonly options: WorkSpacesOptions,
    world?: World,
  ) {
    this.world = world ?? new World();
    this.aliases = this.world.aliases;
    this.creatingReads = this.world.creatingReads;
  }

  /** The same WorkSpaces, as another account sees and seeds it (aliases are shared between accounts). */
  forAccount(accountId: string): WorkSpacesState {
    return new WorkSpacesState({ ...this.options, accountId }, this.world);
  }

  get accountId(): string {
    return this.options.accountId;
  }

  reset(): void {
    this.aliases.clear();
    this.creatingReads.clear();
    this.world.directories.clear();
    this.world.pending.clear();
    this.world.pendingDuration = { reads: 1 };
    this.world.keepDisassociated = false;
  }

  /** How long the pending association states last from now on (default: one read). `{ reads: 0 }` ends them at once. */
  setPendingDuration(duration: PendingDuration): void {
    this.world.pendingDuration = { ...duration };
  }

  /** After DisassociateConnectionAlias settles: keep the entry as NOT_ASSOCIATED instead of removing it. */
  keepDisassociatedEntries(keep = true): void {
    this.world.keepDisassociated = keep;
  }

  /** Registers a WorkSpaces directory of this account (default `d-` + 10 hex) in `region` (default: any request's region is checked against it). */
  seedDirectory(seed: Partial<Directory> = {}): Directory {
    const dir: Directory = {
      DirectoryId: seed.DirectoryId ?? `d-${randomBytes(5).toString('hex')}`,
      AccountId: seed.AccountId ?? this.options.accountId,
      Region: seed.Region ?? 'us-east-1',
    };
    if (!DIRECTORY_ID.test(dir.DirectoryId)) throw new Error(`emulator: directory id ${dir.DirectoryId} is not d- and 8+ hex characters`);
    this.world.directories.set(dir.DirectoryId, dir);
    return clone(dir);
  }

  directory(directoryId: string): Directory | undefined {
    return clone(this.world.directories.get(directoryId));
  }

  /** Adds (or replaces) an alias. Defaults: a random id, CREATED, owned by the caller, no associations or permissions. */
  seedAlias(seed: AliasSeed = {}): ConnectionAlias {
    const alias: ConnectionAlias = {
      AliasId: seed.AliasId ?? `wsca-${randomBytes(5).toString('hex')}`,
      ...(seed.Region !== undefined ? { Region: seed.Region } : {}),
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
      ConnectionIdentifier: connectionIdentifier(),
    });
    this.world.pending.delete(pendingKey(aliasId, accountId));
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
  async handle(operation: string, input: unknown, caller: Caller = {}): Promise<unknown> {
    if (!isObject(input)) throw invalid('The request body must be a JSON object.');
    const view = caller.accountId && caller.accountId !== this.options.accountId ? this.forAccount(caller.accountId) : this;
    return view.dispatch(operation, input, caller.region);
  }

  /** The owner of an alias, for IAM's resource ARN (undefined when unknown). @internal */
  ownerOf(aliasId: unknown): { account: string; region?: string } | undefined {
    const alias = typeof aliasId === 'string' ? this.aliases.get(aliasId) : undefined;
    return alias && { account: alias.OwnerAccountId, region: alias.Region };
  }

  private async dispatch(operation: string, input: Record<string, unknown>, region: string | undefined): Promise<unknown> {
    switch (operation) {
      case 'DescribeConnectionAliases':
        return this.describeAliases(input, region);
      case 'DescribeConnectionAliasPermissions':
        return this.describePermissions(input);
      case 'UpdateConnectionAliasPermission':
        return this.updatePermission(input);
      case 'AssociateConnectionAlias':
        return this.associateOp(input, region);
      case 'DisassociateConnectionAlias':
        return this.disassociateOp(input, region);
      case 'DeleteConnectionAlias':
        return this.deleteOp(input, region);
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

  private inRegion(alias: ConnectionAlias, region: string | undefined): boolean {
    return alias.Region === undefined || region === undefined || alias.Region === region;
  }

  /** The alias as the caller may act on it, or ResourceNotFound (unknown, another Region, or not shared with it). */
  private callable(aliasId: string, region: string | undefined): ConnectionAlias {
    const alias = this.aliases.get(aliasId);
    // UNVERIFIED: an account the alias is not shared with gets ResourceNotFound (it cannot see the alias at all).
    if (!alias || !this.inRegion(alias, region) || !this.visible(alias)) throw notFound(aliasId);
    return alias;
  }

  private settle(alias: ConnectionAlias): void {
    const now = Date.now();
    for (const a of [...alias.Associations]) {
      const key = pendingKey(alias.AliasId, a.AssociatedAccountId);
      const p = this.world.pending.get(key);
      if (!p) continue;
      const done = p.until !== undefined ? now >= p.until : (p.readsLeft ?? 0) <= 0;
      if (!done) continue;
      this.world.pending.delete(key);
      if (p.then) a.AssociationStatus = p.then;
      else alias.Associations = alias.Associations.filter((x) => x !== a);
    }
  }

  private startPending(alias: ConnectionAlias, account: string, then: AssociationStatus | undefined): void {
    const d = this.world.pendingDuration;
    this.world.pending.set(pendingKey(alias.AliasId, account), d.ms !== undefined ? { until: Date.now() + d.ms, then } : { readsLeft: d.reads ?? 1, then });
    this.settle(alias);
  }

  private stateMustBeCreated(alias: ConnectionAlias): void {
    if (alias.State !== 'CREATED') {
      throw new AwsError(400, 'InvalidResourceStateException', `The connection alias ${alias.AliasId} is in state ${alias.State}; it must be CREATED.`);
    }
  }

  private associateOp(input: Record<string, unknown>, region: string | undefined): unknown {
    const aliasId = this.checkAliasId(input.AliasId);
    const dirId = input.ResourceId;
    if (typeof dirId !== 'string' || dirId.length < 1) throw invalid('ResourceId is required.');
    const alias = this.callable(aliasId, region);
    this.settle(alias);
    const me = this.options.accountId;
    // UNVERIFIED: a directory of another account or Region is "not found" for the caller.
    const dir = this.world.directories.get(dirId);
    if (!dir || dir.AccountId !== me || (region !== undefined && dir.Region !== region)) {
      throw new AwsError(400, 'ResourceNotFoundException', `The directory ${dirId} does not exist in account ${me}${region ? ` in ${region}` : ''}.`, { ResourceId: dirId });
    }
    this.stateMustBeCreated(alias);
    const active = alias.Associations.find((a) => a.AssociationStatus !== 'NOT_ASSOCIATED');
    // Documented: one directory per Region, by one account. UNVERIFIED: the same directory again is refused too.
    if (active) {
      throw new AwsError(400, 'ResourceAssociatedException', `The connection alias ${aliasId} is already associated with directory ${active.ResourceId} of account ${active.AssociatedAccountId}.`);
    }
    const identifier = connectionIdentifier();
    alias.Associations = [
      ...alias.Associations.filter((a) => a.AssociatedAccountId !== me),
      { AssociatedAccountId: me, ResourceId: dirId, AssociationStatus: 'PENDING_ASSOCIATION', ConnectionIdentifier: identifier },
    ];
    this.startPending(alias, me, me === alias.OwnerAccountId ? 'ASSOCIATED_WITH_OWNER_ACCOUNT' : 'ASSOCIATED_WITH_SHARED_ACCOUNT');
    return { ConnectionIdentifier: identifier };
  }

  private disassociateOp(input: Record<string, unknown>, region: string | undefined): unknown {
    const aliasId = this.checkAliasId(input.AliasId);
    const alias = this.callable(aliasId, region);
    this.settle(alias);
    this.stateMustBeCreated(alias);
    const me = this.options.accountId;
    const active = alias.Associations.find((a) => a.AssociationStatus !== 'NOT_ASSOCIATED');
    if (!active) throw new AwsError(400, 'InvalidResourceStateException', `The connection alias ${aliasId} is not associated with any directory.`); // UNVERIFIED error
    // Documented: only the account that associated it can disassociate. UNVERIFIED: the error name.
    if (active.AssociatedAccountId !== me) {
      throw new AwsError(400, 'AccessDeniedException', `The connection alias ${aliasId} is associated by account ${active.AssociatedAccountId}; only that account can disassociate it.`);
    }
    if (active.AssociationStatus === 'PENDING_ASSOCIATION' || active.AssociationStatus === 'PENDING_DISASSOCIATION') {
      throw new AwsError(400, 'InvalidResourceStateException', `The association of ${aliasId} is ${active.AssociationStatus}; try again when it has settled.`); // UNVERIFIED
    }
    active.AssociationStatus = 'PENDING_DISASSOCIATION';
    this.startPending(alias, me, this.world.keepDisassociated ? 'NOT_ASSOCIATED' : undefined);
    return {};
  }

  private deleteOp(input: Record<string, unknown>, region: string | undefined): unknown {
    const aliasId = this.checkAliasId(input.AliasId);
    const alias = this.callable(aliasId, region);
    this.settle(alias);
    if (alias.OwnerAccountId !== this.options.accountId) throw new AwsError(400, 'AccessDeniedException', 'Only the owner can delete a connection alias.'); // UNVERIFIED error
    this.stateMustBeCreated(alias);
    // Documented: shared, or associated, aliases cannot be deleted. UNVERIFIED: the error name.
    const active = alias.Associations.find((a) => a.AssociationStatus !== 'NOT_ASSOCIATED');
    if (active) throw new AwsError(400, 'ResourceAssociatedException', `The connection alias ${aliasId} is associated with directory ${active.ResourceId} of account ${active.AssociatedAccountId}.`);
    if (alias.Permissions.some((p) => p.AllowAssociation)) throw new AwsError(400, 'ResourceAssociatedException', `The connection alias ${aliasId} is still shared; unshare it first.`);
    this.deleteAlias(aliasId);
    return {};
  }

  private describeAliases(input: Record<string, unknown>, region?: string): unknown {
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
      (a) => this.visible(a) && this.inRegion(a, region) && (!ids || ids.includes(a.AliasId)) && (!resourceId || a.Associations.some((s) => s.ResourceId === resourceId)),
    );
    const result = page(candidates, (a) => a.AliasId, after, limit);
    const out = result.items.map((a) => this.read(a));
    return { ConnectionAliases: out, ...(result.next ? { NextToken: encodeToken('DescribeConnectionAliases', result.next) } : {}) };
  }

  /** One read of the alias as the caller sees it; counts down an injected CREATING period. */
  private read(alias: ConnectionAlias): Record<string, unknown> {
    this.settle(alias);
    for (const a of alias.Associations) {
      const p = this.world.pending.get(pendingKey(alias.AliasId, a.AssociatedAccountId));
      if (p?.readsLeft !== undefined) p.readsLeft -= 1;
    }
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
