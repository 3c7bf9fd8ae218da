import 'aws-sdk-client-mock-jest';
import { DeleteParametersCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import {
  AccessDeniedException,
  type ConnectionAlias,
  type ConnectionAliasAssociation,
  DescribeConnectionAliasesCommand,
  DescribeConnectionAliasPermissionsCommand,
  InvalidResourceStateException,
  ResourceAssociatedException,
  ResourceLimitExceededException,
  ResourceNotFoundException,
  UpdateConnectionAliasPermissionCommand,
  WorkSpacesClient,
} from '@aws-sdk/client-workspaces';
import { mockClient } from 'aws-sdk-client-mock';
import { handler, MAX_WAIT_MS, POLL_MS } from '../../lambda/workspaces';
import { RESOURCE_TYPE, statePath } from '../../lib/workspaces/contract';
import { CREATE_FAILED_MARKER, OTHER_STACK_ID, RESPONSE_URL, STACK_ID, asStack, createEvent, deleteEvent, fakeContext, serveStack, updateEvent } from '../fixtures/events';
import { fakeParameterStore } from '../fixtures/fake-ssm';

const OWNER_ACCOUNT = '123456789012'; // the account of the fixtures' STACK_ID
const ALIAS = 'wsca-abcdefgh12';
const NEW_ALIAS = 'wsca-zzzzzzzz99';
const A = '111111111111';
const B = '222222222222';
const C = '333333333333';
const OUTSIDER = '999999999999';

const wsMock = mockClient(WorkSpacesClient);
const ssmMock = mockClient(SSMClient);

// ---- a small in-memory WorkSpaces and Parameter Store behind the mocks ----

interface FakeAlias {
  state: string[]; // successive State values returned by DescribeConnectionAliases (the last one repeats)
  owner: string;
  shares: Set<string>;
  associations: ConnectionAliasAssociation[];
}
let aliases: Map<string, FakeAlias>;
let params: Map<string, string>;
let permissionsPageSize: number;
/** Errors to throw on the n-th UpdateConnectionAliasPermission of an (account, share) pair. */
let failures: { account: string; share: boolean; error: Error }[];

function addAlias(id: string, shares: string[] = [], extra: Partial<FakeAlias> = {}) {
  aliases.set(id, { state: ['CREATED'], owner: OWNER_ACCOUNT, shares: new Set(shares), associations: [], ...extra });
}

function shares(id = ALIAS): string[] {
  return [...aliases.get(id)!.shares].sort();
}

function permissionWrites(): { account: string; share: boolean }[] {
  return wsMock.commandCalls(UpdateConnectionAliasPermissionCommand).map((c) => ({
    account: c.args[0].input.ConnectionAliasPermission!.SharedAccountId!,
    share: c.args[0].input.ConnectionAliasPermission!.AllowAssociation!,
  }));
}

function state(aliasId = ALIAS): { owner: unknown; snapshot: { preShared: string[] }; meta: { declared?: string[] } } | undefined {
  const header = params.get(`${statePath(aliasId)}/header`);
  if (!header) return undefined;
  const h = JSON.parse(header);
  return { owner: h.owner, snapshot: JSON.parse(h.inline), meta: h.meta };
}

function install() {
  wsMock.reset();
  ssmMock.reset();
  // Anything the fakes below do not handle fails loudly.
  wsMock.onAnyCommand().rejects(new Error('unexpected WorkSpaces call'));
  ssmMock.onAnyCommand().rejects(new Error('unexpected SSM call'));

  wsMock.on(DescribeConnectionAliasesCommand).callsFake((input) => {
    const id = input.AliasIds![0];
    const a = aliases.get(id);
    if (!a) return { ConnectionAliases: [] };
    const State = a.state.length > 1 ? a.state.shift() : a.state[0];
    const alias: ConnectionAlias = { AliasId: id, State: State as never, OwnerAccountId: a.owner, ConnectionString: 'desktop.example.com', Associations: a.associations };
    return { ConnectionAliases: [alias] };
  });
  wsMock.on(DescribeConnectionAliasPermissionsCommand).callsFake((input) => {
    const all = [...aliases.get(input.AliasId)!.shares].sort();
    const start = input.NextToken ? Number(input.NextToken) : 0;
    const page = all.slice(start, start + permissionsPageSize);
    return {
      AliasId: input.AliasId,
      ConnectionAliasPermissions: page.map((SharedAccountId) => ({ SharedAccountId, AllowAssociation: true })),
      NextToken: start + page.length < all.length ? String(start + page.length) : undefined,
    };
  });
  wsMock.on(UpdateConnectionAliasPermissionCommand).callsFake((input) => {
    const { SharedAccountId, AllowAssociation } = input.ConnectionAliasPermission;
    const failure = failures.findIndex((f) => f.account === SharedAccountId && f.share === AllowAssociation);
    if (failure >= 0) throw failures.splice(failure, 1)[0].error;
    const a = aliases.get(input.AliasId)!;
    if (AllowAssociation) a.shares.add(SharedAccountId);
    else a.shares.delete(SharedAccountId);
    return {};
  });

  fakeParameterStore(ssmMock, params);
}

const props = (accounts: unknown, extra: Record<string, unknown> = {}) => ({ AliasId: ALIAS, SharedAccountIds: accounts, OnDelete: 'RESTORE', ...extra });
const create = (p: Record<string, unknown>, logicalId?: string) => handler(createEvent(RESOURCE_TYPE, p, logicalId), fakeContext());
const update = (p: Record<string, unknown>, old: Record<string, unknown>, physicalId = ALIAS) => handler(updateEvent(RESOURCE_TYPE, physicalId, p, old), fakeContext());
const del = (p: Record<string, unknown>, physicalId = ALIAS) => handler(deleteEvent(RESOURCE_TYPE, physicalId, p), fakeContext());
const err = (name: 'limit' | 'associated' | 'state') =>
  name === 'limit'
    ? new ResourceLimitExceededException({ message: 'limit', $metadata: {} })
    : name === 'associated'
      ? new ResourceAssociatedException({ message: 'associated', $metadata: {} })
      : new InvalidResourceStateException({ message: 'state', $metadata: {} });

let logs: string[];

beforeAll(() => {
  process.env.AWS_REGION = 'eu-west-1';
});

beforeEach(() => {
  serveStack();
  aliases = new Map();
  params = new Map();
  permissionsPageSize = 25;
  failures = [];
  install();
  logs = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => void logs.push(line));
});

afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

describe('Create', () => {
  test('shares the declared account, claims the state and returns the alias id', async () => {
    addAlias(ALIAS);
    await expect(create(props([A]))).resolves.toEqual({ PhysicalResourceId: ALIAS, Data: { AliasId: ALIAS, SharedAccountIds: A } });
    expect(permissionWrites()).toEqual([{ account: A, share: true }]);
    expect(wsMock).toHaveReceivedCommandWith(UpdateConnectionAliasPermissionCommand, {
      AliasId: ALIAS,
      ConnectionAliasPermission: { SharedAccountId: A, AllowAssociation: true },
    });
    expect(state()).toEqual({ owner: { stackId: STACK_ID, logicalResourceId: 'Resource1' }, snapshot: { preShared: [] }, meta: { declared: [A] } });
  });

  test('waits while the alias is CREATING, then shares it', async () => {
    jest.useFakeTimers();
    addAlias(ALIAS, [], { state: ['CREATING', 'CREATING', 'CREATED'] });
    const result = create(props([A]));
    await jest.advanceTimersByTimeAsync(2 * POLL_MS);
    await expect(result).resolves.toMatchObject({ PhysicalResourceId: ALIAS });
    expect(wsMock).toHaveReceivedCommandTimes(DescribeConnectionAliasesCommand, 3);
    expect(shares()).toEqual([A]);
  });

  test('the wait is bounded: an alias that stays CREATING fails with nothing written', async () => {
    jest.useFakeTimers();
    addAlias(ALIAS, [], { state: ['CREATING'] });
    const result = create(props([A]));
    const settled = expect(result).rejects.toThrow(`Connection alias ${ALIAS} is still CREATING after ${MAX_WAIT_MS / 1000} s. Nothing was changed`);
    await jest.advanceTimersByTimeAsync(MAX_WAIT_MS + POLL_MS);
    await settled;
    const polls = wsMock.commandCalls(DescribeConnectionAliasesCommand).length;
    expect(polls).toBeGreaterThan(MAX_WAIT_MS / POLL_MS - 2);
    expect(polls).toBeLessThanOrEqual(MAX_WAIT_MS / POLL_MS + 1);
    expect(permissionWrites()).toEqual([]);
    expect(params.size).toBe(0);
  });

  test('the wait stays inside the Lambda time left', async () => {
    jest.useFakeTimers();
    addAlias(ALIAS, [], { state: ['CREATING'] });
    const result = handler(createEvent(RESOURCE_TYPE, props([A])), fakeContext(80_000));
    const settled = expect(result).rejects.toThrow('still CREATING after 20 s');
    await jest.advanceTimersByTimeAsync(30_000);
    await settled;
  });

  test.each([
    ['an empty list', () => undefined],
    [
      'ResourceNotFoundException',
      () => wsMock.on(DescribeConnectionAliasesCommand).rejects(new ResourceNotFoundException({ message: 'nope', $metadata: {} })),
    ],
  ])('a missing alias (%s) fails saying so, with no write', async (_name, setup) => {
    setup();
    await expect(create(props([A]))).rejects.toThrow(`Connection alias ${ALIAS} was not found in eu-west-1 of account ${OWNER_ACCOUNT}`);
    expect(permissionWrites()).toEqual([]);
    expect(ssmMock).not.toHaveReceivedCommand(PutParameterCommand);
  });

  test('an alias of another account fails saying who owns it', async () => {
    addAlias(ALIAS, [], { owner: OUTSIDER });
    await expect(create(props([A]))).rejects.toThrow(`is owned by account ${OUTSIDER}, not by ${OWNER_ACCOUNT}: only the owner can share it`);
    expect(permissionWrites()).toEqual([]);
  });

  test('a DELETING alias fails saying so', async () => {
    addAlias(ALIAS, [], { state: ['DELETING'] });
    await expect(create(props([A]))).rejects.toThrow('is being deleted (state DELETING)');
    expect(permissionWrites()).toEqual([]);
  });

  test('reads every page of permissions: a declared account on page 2 is not written again', async () => {
    permissionsPageSize = 1;
    addAlias(ALIAS, [OUTSIDER, A, C]);
    await create(props([A, B]));
    expect(wsMock).toHaveReceivedCommandTimes(DescribeConnectionAliasPermissionsCommand, 3);
    expect(wsMock.commandCalls(DescribeConnectionAliasPermissionsCommand).map((c) => c.args[0].input.NextToken)).toEqual([undefined, '1', '2']);
    expect(permissionWrites()).toEqual([{ account: B, share: true }]);
    expect(state()!.snapshot.preShared).toEqual([A]);
  });

  test('a share that fails part-way undoes the shares it made and removes its state', async () => {
    addAlias(ALIAS, [OUTSIDER]);
    failures.push({ account: B, share: true, error: err('limit') });
    await expect(create(props([A, B]))).rejects.toThrow(
      new RegExp(`Could not share connection alias ${ALIAS} with account ${B}: the alias is at its sharing limit.*Changes made before the failure were undone`),
    );
    expect(permissionWrites()).toEqual([
      { account: A, share: true },
      { account: B, share: true },
      { account: A, share: false },
    ]);
    expect(shares()).toEqual([OUTSIDER]);
    expect(params.size).toBe(0);
  });

  test('when the undo fails too, the message says what is left and how to check', async () => {
    addAlias(ALIAS);
    failures.push({ account: B, share: true, error: err('state') }, { account: A, share: false, error: new Error('boom') });
    await expect(create(props([A, B]))).rejects.toThrow(
      /it must be CREATED.*Undoing the earlier changes also failed \(unshare from 111111111111\): check .*describe-connection-alias-permissions --alias-id wsca-abcdefgh12 --region eu-west-1/,
    );
  });

  test('a repeated delivery reuses the first snapshot and writes nothing', async () => {
    addAlias(ALIAS, [A]);
    await create(props([A, B]));
    const writes = permissionWrites().length;
    await create(props([A, B]));
    expect(permissionWrites()).toHaveLength(writes);
    // B, shared by the first delivery, must not become "pre-existing".
    expect(state()!.snapshot.preShared).toEqual([A]);
    await del(props([A, B]));
    expect(shares()).toEqual([A]);
  });

  test('a failed repeated delivery also unshares what the earlier delivery shared', async () => {
    addAlias(ALIAS);
    await create(props([A, B]));
    aliases.get(ALIAS)!.shares.delete(B); // drifted between the deliveries
    failures.push({ account: B, share: true, error: err('limit') });
    await expect(create(props([A, B]))).rejects.toThrow(/sharing limit/);
    expect(shares()).toEqual([]);
    expect(params.size).toBe(0);
  });

  test('a claim held by another stack fails naming it, with no share written', async () => {
    addAlias(ALIAS);
    await asStack(OTHER_STACK_ID, () => handler({ ...createEvent(RESOURCE_TYPE, props([A])), StackId: OTHER_STACK_ID }, fakeContext()));
    wsMock.resetHistory();
    await expect(create(props([B]))).rejects.toThrow(`already managed by resource Resource1 of stack OtherStack (${OTHER_STACK_ID})`);
    expect(permissionWrites()).toEqual([]);
    expect(shares()).toEqual([A]);
  });

  test('string-typed and older-shaped properties: a comma list, a JSON list, a lower-case OnDelete', async () => {
    addAlias(ALIAS);
    await create({ AliasId: ALIAS, SharedAccountIds: `${B}, ${A}` });
    expect(state()!.meta.declared).toEqual([A, B]);
    await update({ AliasId: ALIAS, SharedAccountIds: JSON.stringify([A]), OnDelete: 'retain' }, { AliasId: ALIAS, SharedAccountIds: `${B}, ${A}` });
    expect(shares()).toEqual([A]);
    await del({ AliasId: ALIAS, SharedAccountIds: JSON.stringify([A]), OnDelete: 'retain' });
    expect(shares()).toEqual([A]);
  });

  test.each([
    [{ AliasId: 'not-an-alias', SharedAccountIds: [A] }, /Property AliasId 'not-an-alias' is not a connection alias id/],
    [{ AliasId: ALIAS, SharedAccountIds: ['12'] }, /Property SharedAccountIds has invalid account id\(s\) '12'/],
    [{ AliasId: ALIAS, SharedAccountIds: [OWNER_ACCOUNT] }, /includes 123456789012, the account that owns alias/],
    [{ AliasId: ALIAS, SharedAccountIds: [A], OnDelete: 'KEEP' }, /Property OnDelete 'KEEP' is invalid/],
  ])('bad properties fail before any call: %j', async (p, message) => {
    await expect(create(p)).rejects.toThrow(message);
    expect(wsMock.calls()).toHaveLength(0);
    expect(ssmMock.calls()).toHaveLength(0);
  });

  test('never logs the response URL', async () => {
    addAlias(ALIAS);
    await create(props([A]));
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.join('\n')).not.toContain(RESPONSE_URL.split('?')[1]);
  });
});

describe('Update', () => {
  beforeEach(async () => {
    addAlias(ALIAS, [OUTSIDER]);
    await create(props([A]));
    wsMock.resetHistory();
    ssmMock.resetHistory();
  });

  test('nothing is written when the alias is already as declared', async () => {
    await expect(update(props([A]), props([A]))).resolves.toEqual({ PhysicalResourceId: ALIAS, Data: { AliasId: ALIAS, SharedAccountIds: A } });
    expect(permissionWrites()).toEqual([]);
    expect(ssmMock).not.toHaveReceivedCommand(PutParameterCommand);
    expect(ssmMock).not.toHaveReceivedCommand(DeleteParametersCommand);
  });

  test('unshares before it shares, and never touches an undeclared account', async () => {
    await update(props([B]), props([A]));
    expect(permissionWrites()).toEqual([
      { account: A, share: false },
      { account: B, share: true },
    ]);
    expect(shares()).toEqual([B, OUTSIDER].sort());
    expect(state()!.meta.declared).toEqual([B]);
  });

  test('an account that associated the alias blocks its unshare before any write, naming the account and directory', async () => {
    aliases.get(ALIAS)!.associations = [
      { AssociatedAccountId: A, ResourceId: 'd-1234567890', AssociationStatus: 'ASSOCIATED_WITH_SHARED_ACCOUNT', ConnectionIdentifier: 'x' },
    ];
    await expect(update(props([B]), props([A]))).rejects.toThrow(
      `Cannot unshare connection alias ${ALIAS}: it is associated by account ${A} with directory d-1234567890 (ASSOCIATED_WITH_SHARED_ACCOUNT). Nothing was changed. That account must disassociate`,
    );
    expect(permissionWrites()).toEqual([]);
    expect(ssmMock).not.toHaveReceivedCommand(PutParameterCommand);
    expect(state()!.meta.declared).toEqual([A]);
  });

  test('a pending association blocks too; an association of an account not unshared does not', async () => {
    aliases.get(ALIAS)!.associations = [
      { AssociatedAccountId: OUTSIDER, ResourceId: 'd-0', AssociationStatus: 'ASSOCIATED_WITH_SHARED_ACCOUNT', ConnectionIdentifier: 'x' },
      { AssociatedAccountId: A, ResourceId: 'd-1', AssociationStatus: 'PENDING_ASSOCIATION', ConnectionIdentifier: 'y' },
    ];
    await expect(update(props([B]), props([A]))).rejects.toThrow(`account ${A} with directory d-1 (PENDING_ASSOCIATION)`);
    await expect(update(props([A, B]), props([A]))).resolves.toMatchObject({ PhysicalResourceId: ALIAS });
  });

  test('the service refusing an unshare as associated becomes a message that says what to do', async () => {
    failures.push({ account: A, share: false, error: err('associated') });
    await expect(update(props([B]), props([A]))).rejects.toThrow(
      `Could not unshare connection alias ${ALIAS} from account ${A}: that account has associated it with a directory. It must disassociate the alias first`,
    );
    expect(shares()).toEqual([A, OUTSIDER]);
  });

  test('a failure part-way puts back what it changed and the previous state', async () => {
    failures.push({ account: C, share: true, error: err('limit') });
    const before = state();
    await expect(update(props([B, C]), props([A]))).rejects.toThrow(/sharing limit.*Changes made before the failure were undone/);
    expect(permissionWrites()).toEqual([
      { account: A, share: false },
      { account: B, share: true },
      { account: C, share: true },
      { account: B, share: false },
      { account: A, share: true },
    ]);
    expect(shares()).toEqual([A, OUTSIDER]);
    expect(state()).toEqual(before);
    // The rollback Update that follows starts from a known state and writes nothing.
    wsMock.resetHistory();
    await update(props([A]), props([B, C]));
    expect(permissionWrites()).toEqual([]);
  });

  test('a newly declared account already shared is pre-existing: Delete leaves it shared', async () => {
    await update(props([A, OUTSIDER]), props([A]));
    expect(permissionWrites()).toEqual([]);
    expect(state()!.snapshot.preShared).toEqual([OUTSIDER]);
    await del(props([A, OUTSIDER]));
    expect(shares()).toEqual([OUTSIDER]);
  });

  test('removing a pre-existing account from the declaration leaves it shared', async () => {
    await update(props([A, OUTSIDER]), props([A]));
    await update(props([A]), props([A, OUTSIDER]));
    expect(permissionWrites()).toEqual([]);
    expect(shares()).toEqual([A, OUTSIDER]);
    expect(state()!.snapshot.preShared).toEqual([]);
  });

  test('a repeated delivery of an Update does not take its own share for a pre-existing one', async () => {
    await update(props([A, B]), props([A]));
    await update(props([A, B]), props([A]));
    expect(permissionWrites()).toEqual([{ account: B, share: true }]);
    expect(state()!.snapshot.preShared).toEqual([]);
    await del(props([A, B]));
    expect(shares()).toEqual([OUTSIDER]);
  });

  test('drift (a declared account unshared outside the stack) is logged and repaired', async () => {
    aliases.get(ALIAS)!.shares.delete(A);
    await update(props([A]), props([A]));
    expect(permissionWrites()).toEqual([{ account: A, share: true }]);
    expect(logs.some((l) => l.includes('"level":"WARN"') && l.includes('drift') && l.includes(A))).toBe(true);
  });

  // The reconcile context key (lib/common/reconcile.ts): a deploy whose only change is the Reconcile property.
  test('reconcile: an Update that changes only Reconcile repairs drift like any Update, same alias id, no state write', async () => {
    aliases.get(ALIAS)!.shares.delete(A);
    const res = await update(props([A], { Reconcile: 'r2' }), props([A], { Reconcile: 'r1' }));
    expect(res).toEqual({ PhysicalResourceId: ALIAS, Data: { AliasId: ALIAS, SharedAccountIds: A } });
    expect(permissionWrites()).toEqual([{ account: A, share: true }]);
    expect(ssmMock).not.toHaveReceivedCommand(PutParameterCommand);
    expect(logs.some((l) => l.includes('reconcile requested') && l.includes('"reconcile":"r2"'))).toBe(true);
  });

  test('reconcile: on a converged alias, and on the next deploy that drops the key, nothing is written', async () => {
    await update(props([A], { Reconcile: 'r1' }), props([A]));
    await update(props([A]), props([A], { Reconcile: 'r1' }));
    expect(permissionWrites()).toEqual([]);
    expect(ssmMock).not.toHaveReceivedCommand(PutParameterCommand);
    expect(ssmMock).not.toHaveReceivedCommand(DeleteParametersCommand);
    expect(shares()).toEqual([A, OUTSIDER]);
  });

  test('a new alias id is a replacement: the new alias is shared, the old one is left to the Delete that follows', async () => {
    addAlias(NEW_ALIAS);
    await expect(update({ ...props([B]), AliasId: NEW_ALIAS }, props([A]))).resolves.toEqual({
      PhysicalResourceId: NEW_ALIAS,
      Data: { AliasId: NEW_ALIAS, SharedAccountIds: B },
    });
    expect(shares(NEW_ALIAS)).toEqual([B]);
    expect(shares(ALIAS)).toEqual([A, OUTSIDER]);
    expect(wsMock).not.toHaveReceivedCommandWith(UpdateConnectionAliasPermissionCommand, { AliasId: ALIAS });
    // CloudFormation then deletes the old physical id, with the old properties.
    await del(props([A]), ALIAS);
    expect(shares(ALIAS)).toEqual([OUTSIDER]);
    expect(state(ALIAS)).toBeUndefined();
    expect(state(NEW_ALIAS)!.meta.declared).toEqual([B]);
  });

  test('a replacement that fails undoes the new alias shares and releases its state', async () => {
    addAlias(NEW_ALIAS);
    failures.push({ account: B, share: true, error: err('limit') });
    await expect(update({ ...props([A, B]), AliasId: NEW_ALIAS }, props([A]))).rejects.toThrow(/sharing limit/);
    expect(shares(NEW_ALIAS)).toEqual([]);
    expect(state(NEW_ALIAS)).toBeUndefined();
    expect(state(ALIAS)!.meta.declared).toEqual([A]);
  });
});

describe('Delete', () => {
  test('RESTORE unshares only what this resource shared and keeps pre-existing shares', async () => {
    addAlias(ALIAS, [A, OUTSIDER]);
    await create(props([A, B]));
    expect(shares()).toEqual([A, B, OUTSIDER]);
    await expect(del(props([A, B]))).resolves.toEqual({ PhysicalResourceId: ALIAS });
    expect(shares()).toEqual([A, OUTSIDER]);
    expect(params.size).toBe(0);
  });

  test('RETAIN leaves every share and removes the state', async () => {
    addAlias(ALIAS);
    await create(props([A], { OnDelete: 'RETAIN' }));
    wsMock.resetHistory();
    await del(props([A], { OnDelete: 'RETAIN' }));
    expect(permissionWrites()).toEqual([]);
    expect(shares()).toEqual([A]);
    expect(params.size).toBe(0);
  });

  test('an association blocks the unshare with a message, and the state is kept for the retry', async () => {
    addAlias(ALIAS);
    await create(props([A]));
    aliases.get(ALIAS)!.associations = [{ AssociatedAccountId: A, ResourceId: 'd-42', AssociationStatus: 'ASSOCIATED_WITH_SHARED_ACCOUNT', ConnectionIdentifier: 'x' }];
    await expect(del(props([A]))).rejects.toThrow(`account ${A} with directory d-42`);
    expect(shares()).toEqual([A]);
    expect(state()).toBeDefined();
  });

  test.each([['vanished', () => aliases.delete(ALIAS)], ['DELETING', () => (aliases.get(ALIAS)!.state = ['DELETING'])]])(
    'an alias that is %s: success, state removed, no write',
    async (_name, setup) => {
      addAlias(ALIAS);
      await create(props([A]));
      wsMock.resetHistory();
      setup();
      await expect(del(props([A]))).resolves.toEqual({ PhysicalResourceId: ALIAS });
      expect(permissionWrites()).toEqual([]);
      expect(params.size).toBe(0);
    },
  );

  test('an id this handler never created succeeds with no call at all', async () => {
    await expect(del(props([A]), CREATE_FAILED_MARKER)).resolves.toEqual({ PhysicalResourceId: CREATE_FAILED_MARKER });
    expect(wsMock.calls()).toHaveLength(0);
    expect(ssmMock.calls()).toHaveLength(0);
  });

  test('a repeated Delete delivery succeeds with no write', async () => {
    addAlias(ALIAS);
    await create(props([A]));
    await del(props([A]));
    wsMock.resetHistory();
    await expect(del(props([A]))).resolves.toEqual({ PhysicalResourceId: ALIAS });
    expect(permissionWrites()).toEqual([]);
    expect(shares()).toEqual([]);
  });

  test('state owned by another stack is left alone, and nothing is unshared', async () => {
    addAlias(ALIAS);
    await asStack(OTHER_STACK_ID, () => handler({ ...createEvent(RESOURCE_TYPE, props([A])), StackId: OTHER_STACK_ID }, fakeContext()));
    wsMock.resetHistory();
    await del(props([A]));
    expect(permissionWrites()).toEqual([]);
    expect(state()).toBeDefined();
  });
});

describe('rollbacks and repeated updates that cannot get stuck', () => {
  beforeEach(() => addAlias(ALIAS));

  test('the alias deleted outside the stack: a changing Update fails, its rollback succeeds without writing, with a warning', async () => {
    await create(props([A]));
    aliases.delete(ALIAS);
    await expect(update(props([B]), props([A]))).rejects.toThrow(/was not found/);
    // The rollback: back to what this resource last applied, old and new swapped.
    const rolledBack = await update(props([A]), props([B]));
    expect(rolledBack.PhysicalResourceId).toBe(ALIAS);
    expect(rolledBack.Data!.Warning).toMatch(/Nothing was written: the declared accounts of alias .* are what this resource last applied/);
    expect(permissionWrites()).toEqual([{ account: A, share: true }]);
    expect(logs.some((l) => l.includes('rollback or repeated update that cannot be applied'))).toBe(true);
  });

  test('access lost: the same Update again succeeds with a warning, a changing one fails', async () => {
    await create(props([A]));
    const denied = new AccessDeniedException({ message: 'not authorized', $metadata: {} });
    wsMock.on(DescribeConnectionAliasPermissionsCommand).rejects(denied);
    expect((await update(props([A]), props([A]))).Data!.Warning).toMatch(/cannot be applied again now/);
    await expect(update(props([B]), props([A]))).rejects.toThrow(/not authorized/);
  });

  test('a rollback whose old properties are invalid is parsed leniently', async () => {
    await create(props([A]));
    const res = await update(props([A]), props(['not-an-account', 42]));
    expect(res.PhysicalResourceId).toBe(ALIAS);
    expect(state()!.meta.declared).toEqual([A]);
  });
});

describe('a stack re-created under the same name', () => {
  const EARLIER = STACK_ID.replace('11111111-2222', '00000000-0000');

  test('takes over the stale claim of its earlier incarnation, keeping the original snapshot', async () => {
    addAlias(ALIAS, [A]);
    await create(props([A, B]));
    // The earlier stack was deleted with the resource retained: its claim says A was shared before, B by it.
    params.set(`${statePath(ALIAS)}/header`, params.get(`${statePath(ALIAS)}/header`)!.replace(STACK_ID, EARLIER));
    const res = await create(props([B]));
    expect(res.PhysicalResourceId).toBe(ALIAS);
    expect(state()!.owner).toEqual({ stackId: STACK_ID, logicalResourceId: 'Resource1' });
    expect(logs.some((l) => l.includes('took over the claim'))).toBe(true);
    // A stays shared (it was shared before the first Create); B stays declared, so Delete unshares only B.
    await del(props([B]));
    expect([...aliases.get(ALIAS)!.shares]).toEqual([A]);
  });
});

describe('defect 1: an undo puts back only what this invocation changed', () => {
  test('defect 1: a share someone else took back after our write is not written again by the undo', async () => {
    addAlias(ALIAS);
    // Our share of A lands; before our share of B fails, an administrator unshares A by hand.
    failures.push({ account: B, share: true, error: err('limit') });
    wsMock.on(UpdateConnectionAliasPermissionCommand).callsFake((input) => {
      const { SharedAccountId, AllowAssociation } = input.ConnectionAliasPermission;
      const a = aliases.get(input.AliasId)!;
      if (SharedAccountId === B) {
        a.shares.delete(A);
        throw failures.shift()!.error;
      }
      if (AllowAssociation) a.shares.add(SharedAccountId);
      else a.shares.delete(SharedAccountId);
      return {};
    });
    await expect(create(props([A, B]))).rejects.toThrow(/sharing limit.*Changes made before the failure were undone/);
    expect(permissionWrites()).toEqual([
      { account: A, share: true },
      { account: B, share: true },
    ]);
    expect(shares()).toEqual([]);
    expect(params.size).toBe(0);
  });
});

describe('defect 3: the handler refuses what the construct refuses at synth', () => {
  test.each([
    ['an empty CommaDelimitedList parameter', [''], /Property SharedAccountIds of alias wsca-abcdefgh12 is empty \(got \[""\]\)/],
    ['an empty list', [], /Property SharedAccountIds of alias wsca-abcdefgh12 is empty \(got \[\]\)/],
    ['an empty string', '', /Property SharedAccountIds of alias wsca-abcdefgh12 is empty \(got ""\)/],
    ['an empty item beside an account', [A, ''], /Property SharedAccountIds has invalid account id\(s\) ''/],
    ['a repeat', [A, A], /Property SharedAccountIds lists 111111111111 more than once/],
  ])('%s: a Create is refused before any call', async (_name, accounts, message) => {
    addAlias(ALIAS);
    await expect(create(props(accounts))).rejects.toThrow(message);
    expect(wsMock).not.toHaveReceivedAnyCommand();
    expect(ssmMock).not.toHaveReceivedAnyCommand();
  });

  test('an Update to an empty list is refused before any call: nothing is unshared and the lock stays', async () => {
    addAlias(ALIAS);
    await create(props([A]));
    wsMock.resetHistory();
    ssmMock.resetHistory();
    await expect(update(props(['']), props([A]))).rejects.toThrow(/is empty \(got \[""\]\)/);
    expect(wsMock).not.toHaveReceivedCommand(UpdateConnectionAliasPermissionCommand);
    expect(ssmMock).not.toHaveReceivedCommand(PutParameterCommand);
    expect(shares()).toEqual([A]);
    expect(state()!.meta.declared).toEqual([A]);
  });

  test('a rollback to refused values this resource applied under the earlier rules succeeds without writing', async () => {
    addAlias(ALIAS);
    await create(props([A]));
    wsMock.resetHistory();
    const res = await update(props([A, A]), props([B]));
    expect(res.Data!.Warning).toMatch(/Nothing was written: the shares of alias wsca-abcdefgh12 are what this resource last applied.*more than once/);
    expect(permissionWrites()).toEqual([]);
    await expect(update(props([B, B]), props([A]))).rejects.toThrow(/lists 222222222222 more than once/);
  });
});

describe('defect 4: events for another stack are refused', () => {
  test('a forged Delete copying another stack\'s owner: refused before any read or write, its shares stay', async () => {
    addAlias(ALIAS);
    await asStack(OTHER_STACK_ID, () => handler({ ...createEvent(RESOURCE_TYPE, props([A])), StackId: OTHER_STACK_ID }, fakeContext()));
    wsMock.resetHistory();
    ssmMock.resetHistory();
    // Sent to THIS stack's handler, copying the owner stored in the other stack's state.
    await expect(handler({ ...deleteEvent(RESOURCE_TYPE, ALIAS, props([A])), StackId: OTHER_STACK_ID }, fakeContext())).rejects.toThrow(
      `is for stack ${OTHER_STACK_ID}, but this handler serves only its own stack ${STACK_ID}. Nothing was read or changed.`,
    );
    expect(wsMock).not.toHaveReceivedAnyCommand();
    expect(ssmMock).not.toHaveReceivedAnyCommand();
    expect(shares()).toEqual([A]);
  });
});
