// The ConnectionAliasAssociation handler on the lifecycle engine, against a small in-memory WorkSpaces (with its
// pending states) and Parameter Store behind aws-sdk-client-mock.
import 'aws-sdk-client-mock-jest';
import { createHash } from 'crypto';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import {
  AssociateConnectionAliasCommand,
  type ConnectionAliasAssociation,
  DescribeConnectionAliasesCommand,
  DisassociateConnectionAliasCommand,
  InvalidResourceStateException,
  ResourceAssociatedException,
  ResourceNotFoundException,
  WorkSpacesClient,
} from '@aws-sdk/client-workspaces';
import { mockClient } from 'aws-sdk-client-mock';
import { handle } from '../../lambda/common/engine';
import { associationKind, handler, statePath } from '../../lambda/workspaces-association';
import { RESOURCE_TYPE } from '../../lib/workspaces-association/contract';
import { OTHER_STACK_ID, STACK_ID, createEvent, deleteEvent, fakeContext, serveStack, updateEvent } from '../fixtures/events';
import { fakeParameterStore } from '../fixtures/fake-ssm';

const ME = '123456789012'; // the account of the fixtures' STACK_ID: the directories' owner
const OWNER = '999999999999'; // the alias's owner, which shared it with ME
const ALIAS = 'wsca-abcdefgh12';
const NEW_ALIAS = 'wsca-zzzzzzzz99';
const DIR1 = 'd-1111111111';
const DIR2 = 'd-2222222222';
const EARLIER_STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/ExampleStack/00000000-0000-0000-0000-000000000000';

const wsMock = mockClient(WorkSpacesClient);
const ssmMock = mockClient(SSMClient);

interface FakeAlias {
  states: string[]; // successive State values (the last one repeats)
  associations: (ConnectionAliasAssociation & { readsLeft?: number })[];
}
let aliases: Map<string, FakeAlias>;
let params: Map<string, string>;
/** Reads of DescribeConnectionAliases a pending state lasts. */
let pendingReads: number;
let identifiers: number;
/** The next AssociateConnectionAlias fails with this. */
let associateFailure: Error | undefined;
let identifierOverride: string | undefined;

function addAlias(id: string, extra: Partial<FakeAlias> = {}) {
  aliases.set(id, { states: ['CREATED'], associations: [], ...extra });
}
const associated = (account: string, dir: string, status = account === OWNER ? 'ASSOCIATED_WITH_OWNER_ACCOUNT' : 'ASSOCIATED_WITH_SHARED_ACCOUNT', id = 'existing1') =>
  ({ AssociatedAccountId: account, ResourceId: dir, AssociationStatus: status as never, ConnectionIdentifier: id });
const associations = (id = ALIAS) => aliases.get(id)!.associations.map((a) => `${a.AssociatedAccountId}:${a.ResourceId}:${a.AssociationStatus}`);
const writes = () => [
  ...wsMock.commandCalls(AssociateConnectionAliasCommand).map((c) => `associate ${c.args[0].input.ResourceId}`),
  ...wsMock.commandCalls(DisassociateConnectionAliasCommand).map(() => 'disassociate'),
];
function state(aliasId = ALIAS): { owner: { stackId: string }; snapshot: { adopted: boolean }; meta: { directoryId?: string; connectionIdentifier?: string } } | undefined {
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
    for (const s of [...a.associations]) {
      if (s.readsLeft === undefined) continue;
      if (s.readsLeft-- > 0) continue;
      delete s.readsLeft;
      if (s.AssociationStatus === 'PENDING_DISASSOCIATION') a.associations = a.associations.filter((x) => x !== s);
      else s.AssociationStatus = 'ASSOCIATED_WITH_SHARED_ACCOUNT';
    }
    const State = a.states.length > 1 ? a.states.shift() : a.states[0];
    return { ConnectionAliases: [{ AliasId: id, State: State as never, OwnerAccountId: OWNER, Associations: a.associations.map(({ readsLeft: _r, ...x }) => ({ ...x })) }] };
  });
  wsMock.on(AssociateConnectionAliasCommand).callsFake((input) => {
    const a = aliases.get(input.AliasId);
    if (!a) throw new ResourceNotFoundException({ message: 'no alias', $metadata: {} });
    const failure = associateFailure;
    associateFailure = undefined; // once: the undo's own associate goes through
    if (failure) throw failure;
    const active = a.associations.find((s) => s.AssociationStatus !== 'NOT_ASSOCIATED');
    if (active) throw new ResourceAssociatedException({ message: `associated with ${active.ResourceId}`, $metadata: {} });
    const ConnectionIdentifier = identifierOverride ?? `conn${++identifiers}`;
    a.associations.push({ AssociatedAccountId: ME, ResourceId: input.ResourceId, AssociationStatus: 'PENDING_ASSOCIATION', ConnectionIdentifier, readsLeft: pendingReads });
    return { ConnectionIdentifier };
  });
  wsMock.on(DisassociateConnectionAliasCommand).callsFake((input) => {
    const a = aliases.get(input.AliasId)!;
    const mine = a.associations.find((s) => s.AssociatedAccountId === ME && s.AssociationStatus !== 'NOT_ASSOCIATED');
    if (!mine) throw new ResourceNotFoundException({ message: 'not associated', $metadata: {} });
    if (mine.AssociationStatus!.startsWith('PENDING')) throw new InvalidResourceStateException({ message: 'pending', $metadata: {} });
    mine.AssociationStatus = 'PENDING_DISASSOCIATION';
    mine.readsLeft = pendingReads;
    return {};
  });
  fakeParameterStore(ssmMock, params);
}

// The engine with this kind, its waits polling every millisecond instead of every second.
const kind = () => associationKind({ workspaces: new WorkSpacesClient({ region: 'eu-west-1' }), ssm: new SSMClient({ region: 'eu-west-1' }), wait: { firstDelayMs: 1, maxDelayMs: 2 } });
const props = (extra: Record<string, unknown> = {}) => ({ AliasId: ALIAS, DirectoryId: DIR1, OnDelete: 'RESTORE', ...extra });
const create = (p: Record<string, unknown> = props(), logicalId?: string) => handle(kind(), createEvent(RESOURCE_TYPE, p, logicalId), fakeContext());
const update = (p: Record<string, unknown>, old: Record<string, unknown>, physicalId = ALIAS) => handle(kind(), updateEvent(RESOURCE_TYPE, physicalId, p, old), fakeContext());
const del = (p: Record<string, unknown> = props(), physicalId = ALIAS) => handle(kind(), deleteEvent(RESOURCE_TYPE, physicalId, p), fakeContext());

beforeAll(() => {
  process.env.AWS_REGION = 'eu-west-1';
});

beforeEach(() => {
  serveStack();
  aliases = new Map();
  params = new Map();
  pendingReads = 2;
  identifiers = 0;
  associateFailure = undefined;
  identifierOverride = undefined;
  install();
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

afterEach(() => jest.restoreAllMocks());

describe('Create', () => {
  test('waits for CREATED, associates, waits through PENDING_ASSOCIATION and returns the ConnectionIdentifier', async () => {
    addAlias(ALIAS, { states: ['CREATING', 'CREATING', 'CREATED'] });
    await expect(create()).resolves.toEqual({ PhysicalResourceId: ALIAS, Data: { ConnectionIdentifier: 'conn1', AliasId: ALIAS } });
    expect(writes()).toEqual([`associate ${DIR1}`]);
    expect(associations()).toEqual([`${ME}:${DIR1}:ASSOCIATED_WITH_SHARED_ACCOUNT`]);
    expect(state()).toEqual({ owner: { stackId: STACK_ID, logicalResourceId: 'Resource1' }, snapshot: { adopted: false }, meta: { directoryId: DIR1, connectionIdentifier: 'conn1' } });
  });

  test('an alias already associated with this very directory is adopted: no write, and a RESTORE Delete leaves it', async () => {
    addAlias(ALIAS, { associations: [associated(ME, DIR1)] });
    await expect(create()).resolves.toEqual({ PhysicalResourceId: ALIAS, Data: { ConnectionIdentifier: 'existing1', AliasId: ALIAS } });
    expect(writes()).toEqual([]);
    expect(state()!.snapshot).toEqual({ adopted: true });
    await del();
    expect(writes()).toEqual([]);
    expect(associations()).toEqual([`${ME}:${DIR1}:ASSOCIATED_WITH_SHARED_ACCOUNT`]);
    expect(params.size).toBe(0);
  });

  test.each([
    ['another account', associated(OWNER, 'd-9999999999'), `directory d-9999999999 of account ${OWNER}`],
    ['another directory of this account', associated(ME, DIR2), `directory ${DIR2} of this account`],
  ])('associated with %s: fails before any write, naming the account and the directory', async (_name, existing, named) => {
    addAlias(ALIAS, { associations: [existing] });
    await expect(create()).rejects.toThrow(named);
    expect(writes()).toEqual([]);
    expect(ssmMock).not.toHaveReceivedCommand(PutParameterCommand);
  });

  test('an alias not visible to this account (missing, or not shared) fails saying so, with nothing written', async () => {
    await expect(create()).rejects.toThrow(`Connection alias ${ALIAS} does not exist in eu-west-1 or is not shared with account ${ME}`);
    expect(ssmMock).not.toHaveReceivedCommand(PutParameterCommand);
  });

  test('a repeated delivery associates once, keeps "made by this resource", and its Delete disassociates', async () => {
    addAlias(ALIAS);
    const first = await create();
    await expect(create()).resolves.toEqual(first);
    expect(writes()).toEqual([`associate ${DIR1}`]);
    expect(state()!.snapshot).toEqual({ adopted: false });
    await del();
    expect(associations()).toEqual([]);
  });

  test('a failure after the associate is undone: disassociated again (waiting out the pending state) and the claim released', async () => {
    addAlias(ALIAS);
    identifierOverride = 'not-valid!';
    await expect(create()).rejects.toThrow(new RegExp(`not 1-20 characters.*The association with directory ${DIR1} was undone`));
    expect(writes()).toEqual([`associate ${DIR1}`, 'disassociate']);
    expect(associations()).toEqual([]);
    expect(params.size).toBe(0);
  });

  test('a refused associate leaves nothing behind, saying why', async () => {
    addAlias(ALIAS);
    associateFailure = new ResourceNotFoundException({ message: 'no such directory', $metadata: {} });
    await expect(create()).rejects.toThrow(`Could not associate alias ${ALIAS} with directory ${DIR1}: the alias or the directory no longer exists`);
    expect(associations()).toEqual([]);
    expect(params.size).toBe(0);
  });

  test('a claim held by another resource fails naming it, with no write', async () => {
    addAlias(ALIAS);
    await create(props(), 'First');
    wsMock.resetHistory();
    // The same directory: the association alone would be adopted, the claim says another resource manages it.
    await expect(create(props(), 'Second')).rejects.toThrow(`already managed by resource First of stack ExampleStack`);
    expect(writes()).toEqual([]);
  });

  test('the stale claim of an earlier stack of the same name is taken over, keeping its record', async () => {
    addAlias(ALIAS, { associations: [associated(ME, DIR1, undefined, 'conn0')] });
    const header = { v: 2, owner: { stackId: EARLIER_STACK_ID, logicalResourceId: 'Resource1' }, meta: { directoryId: DIR1 }, sha256: '', gen: '', parts: 0, inline: '{"adopted":false}' };
    header.sha256 = createHash('sha256').update(header.inline).digest('hex');
    params.set(`${statePath(ALIAS)}/header`, JSON.stringify(header));
    await expect(create()).resolves.toMatchObject({ Data: { ConnectionIdentifier: 'conn0' } });
    expect(writes()).toEqual([]);
    expect(state()).toMatchObject({ owner: { stackId: STACK_ID }, snapshot: { adopted: false } });
  });

  test.each([
    [{ AliasId: 'not-an-alias', DirectoryId: DIR1 }, /Property AliasId 'not-an-alias' is not a connection alias id/],
    [{ AliasId: ALIAS, DirectoryId: 'dir-1' }, /Property DirectoryId 'dir-1' is not a WorkSpaces directory id/],
    [{ AliasId: ALIAS, DirectoryId: DIR1, OnDelete: 'KEEP' }, /Property OnDelete 'KEEP' is invalid/],
  ])('bad properties fail before any call: %j', async (p, message) => {
    await expect(create(p)).rejects.toThrow(message);
    expect(wsMock.calls()).toHaveLength(0);
    expect(ssmMock.calls()).toHaveLength(0);
  });

  test('an event for another stack is refused before any read or write (the bundled handler entry point)', async () => {
    addAlias(ALIAS);
    await expect(handler({ ...createEvent(RESOURCE_TYPE, props()), StackId: OTHER_STACK_ID }, fakeContext())).rejects.toThrow(/Refused: this Create event .* is for stack/);
    expect(wsMock.calls()).toHaveLength(0);
    expect(ssmMock.calls()).toHaveLength(0);
  });
});

describe('Update', () => {
  test('a new directory is handled in place: disassociate, wait until NOT_ASSOCIATED, associate the new one', async () => {
    addAlias(ALIAS);
    await create();
    const res = await update(props({ DirectoryId: DIR2 }), props());
    expect(res).toEqual({ PhysicalResourceId: ALIAS, Data: { ConnectionIdentifier: 'conn2', AliasId: ALIAS } });
    expect(writes()).toEqual([`associate ${DIR1}`, `associate ${DIR2}`, 'disassociate']);
    expect(associations()).toEqual([`${ME}:${DIR2}:ASSOCIATED_WITH_SHARED_ACCOUNT`]);
    expect(state()!.meta).toEqual({ directoryId: DIR2, connectionIdentifier: 'conn2' });
  });

  test('a new alias id is a replacement: the new alias is associated under a new physical id, the old one left to its Delete', async () => {
    addAlias(ALIAS);
    addAlias(NEW_ALIAS);
    await create();
    const res = await update(props({ AliasId: NEW_ALIAS }), props());
    expect(res.PhysicalResourceId).toBe(NEW_ALIAS);
    expect(associations(NEW_ALIAS)).toEqual([`${ME}:${DIR1}:ASSOCIATED_WITH_SHARED_ACCOUNT`]);
    expect(associations(ALIAS)).toEqual([`${ME}:${DIR1}:ASSOCIATED_WITH_SHARED_ACCOUNT`]);
  });

  test('a failed move puts the old directory back; the rollback Update back to it then succeeds with no write', async () => {
    addAlias(ALIAS);
    await create();
    associateFailure = new ResourceNotFoundException({ message: 'no such directory', $metadata: {} });
    await expect(update(props({ DirectoryId: DIR2 }), props())).rejects.toThrow(/no longer exists.* The association was put back on directory d-1111111111/);
    expect(associations()).toEqual([`${ME}:${DIR1}:ASSOCIATED_WITH_SHARED_ACCOUNT`]);
    expect(state()!.meta.directoryId).toBe(DIR1);
    wsMock.resetHistory();
    // Associated again by the undo, so WorkSpaces gave it a new identifier: the rollback answers (and records) that one.
    await expect(update(props(), props({ DirectoryId: DIR2 }))).resolves.toEqual({ PhysicalResourceId: ALIAS, Data: { ConnectionIdentifier: 'conn2', AliasId: ALIAS } });
    expect(writes()).toEqual([]);
    expect(state()!.meta).toEqual({ directoryId: DIR1, connectionIdentifier: 'conn2' });
  });

  test('a rollback Update back to the old directory after the move went through moves it back', async () => {
    addAlias(ALIAS);
    await create();
    await update(props({ DirectoryId: DIR2 }), props());
    // Another resource of the stack failed: CloudFormation sends the Update back, properties swapped.
    await update(props(), props({ DirectoryId: DIR2 }));
    expect(associations()).toEqual([`${ME}:${DIR1}:ASSOCIATED_WITH_SHARED_ACCOUNT`]);
    expect(state()!.meta.directoryId).toBe(DIR1);
  });

  test('the alias gone: a changing Update fails, a rollback to what was applied succeeds without writing, with a warning', async () => {
    addAlias(ALIAS);
    await create();
    aliases.delete(ALIAS);
    await expect(update(props({ DirectoryId: DIR2 }), props())).rejects.toThrow(/does not exist in eu-west-1/);
    const res = await update(props(), props({ DirectoryId: DIR2 }));
    expect(res.Data).toMatchObject({ ConnectionIdentifier: 'conn1', AliasId: ALIAS, Warning: expect.stringMatching(/^Nothing was written: the declared association of alias .* with directory d-1111111111 are what this resource last applied/) });
  });
});

describe('Delete', () => {
  test('RESTORE disassociates and waits through PENDING_DISASSOCIATION, then removes the state', async () => {
    addAlias(ALIAS);
    await create();
    await expect(del()).resolves.toEqual({ PhysicalResourceId: ALIAS });
    expect(writes()).toEqual([`associate ${DIR1}`, 'disassociate']);
    expect(associations()).toEqual([]);
    expect(wsMock.commandCalls(DescribeConnectionAliasesCommand).length).toBeGreaterThan(pendingReads * 2);
    expect(params.size).toBe(0);
  });

  test('RETAIN leaves the association and removes the state', async () => {
    addAlias(ALIAS);
    await create(props({ OnDelete: 'RETAIN' }));
    await del(props({ OnDelete: 'RETAIN' }));
    expect(writes()).toEqual([`associate ${DIR1}`]);
    expect(associations()).toEqual([`${ME}:${DIR1}:ASSOCIATED_WITH_SHARED_ACCOUNT`]);
    expect(params.size).toBe(0);
  });

  test.each([
    ['the association already gone', () => void (aliases.get(ALIAS)!.associations = [])],
    ['the alias gone', () => void aliases.delete(ALIAS)],
  ])('%s: success with no write', async (_name, gone) => {
    addAlias(ALIAS);
    await create();
    gone();
    await expect(del()).resolves.toEqual({ PhysicalResourceId: ALIAS });
    expect(wsMock.commandCalls(DisassociateConnectionAliasCommand)).toHaveLength(0);
    expect(params.size).toBe(0);
  });

  test('a repeated Delete succeeds with no write', async () => {
    addAlias(ALIAS);
    await create();
    await del();
    wsMock.resetHistory();
    ssmMock.resetHistory();
    await expect(del()).resolves.toEqual({ PhysicalResourceId: ALIAS });
    expect(writes()).toEqual([]);
    expect(ssmMock).not.toHaveReceivedCommand(PutParameterCommand);
  });

  test('the association of another resource is left alone', async () => {
    addAlias(ALIAS);
    await create(props(), 'Other');
    await del(props());
    expect(associations()).toEqual([`${ME}:${DIR1}:ASSOCIATED_WITH_SHARED_ACCOUNT`]);
    expect(state()).toBeDefined();
  });

  test('an id this handler never returned succeeds with no call at all', async () => {
    await expect(del(props(), 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED')).resolves.toBeDefined();
    expect(wsMock.calls()).toHaveLength(0);
    expect(ssmMock.calls()).toHaveLength(0);
  });
});
