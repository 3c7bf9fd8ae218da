// The preview of a ConnectionAliasAssociation (lambda/workspaces-association/preview.ts): the handler's reads (the
// alias as the directory's account sees it, the state record) and its pure plan, against mocked clients.
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DescribeConnectionAliasesCommand, WorkSpacesClient } from '@aws-sdk/client-workspaces';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { StateStore } from '../../lambda/common/state-store';
import type { PlanRequester } from '../../lambda/common/plan';
import { type AssociationSnapshot, previewAssociation, previewAssociationDelete, statePath } from '../../lambda/workspaces-association/preview';
import { fakeParameterStore } from '../fixtures/fake-ssm';

const REGION = 'eu-west-1';
const ME = '222222222222';
const OWNER = '111111111111';
const OTHER = '333333333333';
const ALIAS = 'wsca-abcdefgh12';
const DIR = 'd-1234567890';
const OLD = 'd-0987654321';
const STACK_ID = `arn:aws:cloudformation:${REGION}:${ME}:stack/Directory/11111111-2222-3333-4444-555555555555`;
const requester: PlanRequester = { stackName: 'Directory', stackId: STACK_ID, logicalId: 'Assoc', region: REGION };
const props = (over: Record<string, unknown> = {}) => ({ AliasId: ALIAS, DirectoryId: DIR, ...over });

const ws = mockClient(WorkSpacesClient);
const ssmMock = mockClient(SSMClient);
const params = new Map<string, string>();
const workspaces = new WorkSpacesClient({ region: REGION });
const ssm = new SSMClient({ region: REGION });
const clients = { workspaces, ssm };

/** The alias as DescribeConnectionAliases shows it to ME: owned by OWNER, with these associations. */
function aliasShows(...assoc: [account: string, directory: string, status: string][]): void {
  ws.on(DescribeConnectionAliasesCommand, { AliasIds: [ALIAS] }).resolves({
    ConnectionAliases: [
      {
        AliasId: ALIAS,
        State: 'CREATED',
        OwnerAccountId: OWNER,
        ...(assoc.length ? { Associations: assoc.map(([AssociatedAccountId, ResourceId, AssociationStatus]) => ({ AssociatedAccountId, ResourceId, AssociationStatus: AssociationStatus as never, ConnectionIdentifier: 'abc123' })) } : {}),
      },
    ],
  });
}

async function recorded(snapshot: AssociationSnapshot, owner = { stackId: STACK_ID, logicalResourceId: 'Assoc' }, meta: Record<string, unknown> = {}): Promise<void> {
  await new StateStore<AssociationSnapshot>(ssm, statePath(ALIAS), ALIAS).claim(owner, snapshot, meta);
}

beforeEach(() => {
  ws.reset();
  ssmMock.reset();
  params.clear();
  // Anything not set up below is an unexpected call, and fails the test.
  ws.rejects(new Error('unexpected WorkSpaces call'));
  ssmMock.rejects(new Error('unexpected SSM call'));
  fakeParameterStore(ssmMock, params);
});

describe('previewAssociation', () => {
  test('create: no record, the alias free: one AssociateConnectionAlias, and a RESTORE Delete would disassociate', async () => {
    aliasShows();
    const plan = await previewAssociation(clients, props(), requester, ME);
    expect(plan).toMatchObject({
      action: 'create',
      manages: `alias ${ALIAS} on directory ${DIR}`,
      writes: [{ operation: 'AssociateConnectionAlias', summary: `associate with directory ${DIR}` }],
      onDelete: `disassociate alias ${ALIAS} from directory ${DIR}`,
      drift: { drifted: false },
      adopted: false,
    });
    expect(plan.steps.map((s) => s.op)).toEqual(['associate', 'waitAssociated']);
    // The kind's own state path, in the stack's Region.
    expect(ssmMock).toHaveReceivedCommandWith(GetParametersByPathCommand, { Path: `/cdk-connection-sharing/workspaces-association/${ALIAS}` });
  });

  test('adopt: already associated with this directory by this account, no record: create without a write, left on delete', async () => {
    aliasShows([ME, DIR, 'ASSOCIATED_WITH_SHARED_ACCOUNT']);
    const plan = await previewAssociation(clients, props(), requester, ME);
    expect(plan).toMatchObject({ action: 'create', writes: [], adopted: true, onDelete: expect.stringMatching(/^left: adopted/), reason: expect.stringContaining('adopts the existing association') });
  });

  test('none: the record is this resource\'s and the association is in place', async () => {
    aliasShows([ME, DIR, 'ASSOCIATED_WITH_SHARED_ACCOUNT']);
    await recorded({ adopted: false });
    const plan = await previewAssociation(clients, props(), requester, ME, props());
    expect(plan).toMatchObject({ action: 'none', writes: [], drift: { drifted: false }, onDelete: `disassociate alias ${ALIAS} from directory ${DIR}`, reason: undefined });
  });

  test('an adopted record stays adopted through an unchanged deploy', async () => {
    aliasShows([ME, DIR, 'ASSOCIATED_WITH_SHARED_ACCOUNT']);
    await recorded({ adopted: true });
    expect((await previewAssociation(clients, props(), requester, ME, props())).onDelete).toMatch(/^left: adopted/);
  });

  test('update: a new directory moves it in place, disassociate before associate', async () => {
    aliasShows([ME, OLD, 'ASSOCIATED_WITH_SHARED_ACCOUNT']);
    await recorded({ adopted: true });
    const plan = await previewAssociation(clients, props(), requester, ME, props({ DirectoryId: OLD }));
    expect(plan.action).toBe('update');
    expect(plan.writes.map((w) => w.operation)).toEqual(['DisassociateConnectionAlias', 'AssociateConnectionAlias']);
    expect(plan.steps.map((s) => `${s.op}${'directoryId' in s ? `:${s.directoryId}` : ''}`)).toEqual([`disassociate:${OLD}`, `waitDisassociated:${OLD}`, `associate:${DIR}`, `waitAssociated:${DIR}`]);
    // The new association is this resource's own, whatever the old one was.
    expect(plan).toMatchObject({ directoryChanged: true, adopted: false, onDelete: `disassociate alias ${ALIAS} from directory ${DIR}`, drift: { drifted: false } });
  });

  test("the handler's choice of the directory to move from: the recorded one when it holds the alias, whatever the deployed properties say", async () => {
    const THIRD = 'd-5555555555';
    aliasShows([ME, OLD, 'ASSOCIATED_WITH_SHARED_ACCOUNT']);
    await recorded({ adopted: false }, undefined, { directoryId: OLD });
    const plan = await previewAssociation(clients, props(), requester, ME, props({ DirectoryId: THIRD }));
    expect(plan.writes.map((w) => w.summary)).toEqual([`disassociate from directory ${OLD}`, `associate with directory ${DIR}`]);
    expect(plan.drift).toEqual({ drifted: false });
  });

  test('drift: disassociated outside the stack, the same directory declared: update that associates again', async () => {
    aliasShows();
    await recorded({ adopted: false });
    const plan = await previewAssociation(clients, props(), requester, ME, props());
    expect(plan).toMatchObject({ action: 'update', directoryChanged: false, drift: { drifted: true, detail: `alias ${ALIAS} is no longer associated with directory ${DIR} of account ${ME} (changed outside the stack)` } });
    expect(plan.writes.map((w) => w.operation)).toEqual(['AssociateConnectionAlias']);
  });

  test("blocked: another account's association, naming the account and its directory", async () => {
    aliasShows([OTHER, 'd-abcdef0123', 'ASSOCIATED_WITH_SHARED_ACCOUNT']);
    const plan = await previewAssociation(clients, props(), requester, ME);
    expect(plan).toMatchObject({ action: 'blocked', writes: [], steps: [], onDelete: 'nothing: this resource owns no state' });
    expect(plan.reason).toContain(`with directory d-abcdef0123 of account ${OTHER}`);
  });

  test('blocked: the alias is not visible (not shared with this account)', async () => {
    ws.on(DescribeConnectionAliasesCommand).resolves({ ConnectionAliases: [] });
    const plan = await previewAssociation(clients, props(), requester, ME);
    expect(plan).toMatchObject({ action: 'blocked', reason: expect.stringContaining(`is not shared with account ${ME}`) });
  });

  test('blocked: another live resource holds the claim', async () => {
    aliasShows();
    await recorded({ adopted: false }, { stackId: STACK_ID.replace('/Directory/', '/Elsewhere/'), logicalResourceId: 'Theirs' });
    const plan = await previewAssociation(clients, props(), requester, ME);
    expect(plan).toMatchObject({ action: 'blocked', ownership: 'other', reason: expect.stringMatching(/managed by resource Theirs of stack Elsewhere \(arn:aws:cloudformation:/) });
  });

  test('a stale claim (same stack name and logical id, another stack id) is a takeover, keeping what the earlier record said', async () => {
    aliasShows([ME, DIR, 'ASSOCIATED_WITH_SHARED_ACCOUNT']);
    await recorded({ adopted: false }, { stackId: STACK_ID.replace('11111111-', '99999999-'), logicalResourceId: 'Assoc' });
    const plan = await previewAssociation(clients, props(), requester, ME);
    expect(plan).toMatchObject({ action: 'create', ownership: 'stale', writes: [], reason: expect.stringContaining('takes over the claim left by resource Assoc') });
    // The earlier stack made this association: a RESTORE Delete removes it (it is not "adopted").
    expect(plan.onDelete).toBe(`disassociate alias ${ALIAS} from directory ${DIR}`);
  });

  test('a pending association of this directory: the deploy waits for it, and says so', async () => {
    aliasShows([ME, DIR, 'PENDING_ASSOCIATION']);
    await recorded({ adopted: false });
    const plan = await previewAssociation(clients, props(), requester, ME, props());
    expect(plan).toMatchObject({ action: 'none', writes: [], reason: expect.stringContaining('still PENDING_ASSOCIATION') });
  });

  test('invalid properties are blocked before any read', async () => {
    const plan = await previewAssociation(clients, props({ DirectoryId: 'not-a-directory' }), requester, ME);
    expect(plan).toMatchObject({ action: 'blocked', reason: expect.stringContaining("Property DirectoryId 'not-a-directory' is not a WorkSpaces directory id") });
    expect(ws).not.toHaveReceivedAnyCommand();
    expect(ssmMock).not.toHaveReceivedAnyCommand();
  });
});

describe('previewAssociationDelete', () => {
  test('RESTORE of an association this resource made: one DisassociateConnectionAlias', async () => {
    aliasShows([ME, DIR, 'ASSOCIATED_WITH_SHARED_ACCOUNT']);
    await recorded({ adopted: false });
    const plan = await previewAssociationDelete(clients, ALIAS, props(), requester, ME);
    expect(plan).toMatchObject({ action: 'delete', writes: [{ operation: 'DisassociateConnectionAlias', summary: `disassociate from directory ${DIR}` }], onDelete: `disassociate alias ${ALIAS} from directory ${DIR}` });
  });

  test('adopted, RETAIN, no record, or another holder: nothing written, and the alias is not even read', async () => {
    await recorded({ adopted: true });
    expect(await previewAssociationDelete(clients, ALIAS, props(), requester, ME)).toMatchObject({ writes: [], onDelete: expect.stringMatching(/^left: adopted/) });
    params.clear();
    await recorded({ adopted: false });
    expect(await previewAssociationDelete(clients, ALIAS, props({ OnDelete: 'RETAIN' }), requester, ME)).toMatchObject({ writes: [], onDelete: expect.stringMatching(/^retain/) });
    params.clear();
    expect(await previewAssociationDelete(clients, ALIAS, props(), requester, ME)).toMatchObject({ writes: [], onDelete: expect.stringMatching(/^nothing: this resource owns no state/) });
    await recorded({ adopted: false }, { stackId: STACK_ID.replace('/Directory/', '/Elsewhere/'), logicalResourceId: 'Theirs' });
    expect(await previewAssociationDelete(clients, ALIAS, props(), requester, ME)).toMatchObject({ writes: [], onDelete: expect.stringMatching(/^nothing: the association is managed by resource Theirs/) });
    expect(ws).not.toHaveReceivedAnyCommand();
  });

  test('the association already gone: nothing to disassociate', async () => {
    aliasShows();
    await recorded({ adopted: false });
    expect(await previewAssociationDelete(clients, ALIAS, props(), requester, ME)).toMatchObject({ writes: [], onDelete: expect.stringMatching(/^nothing to disassociate/) });
  });

  test('a physical id that is not an alias id: nothing, no read', async () => {
    expect(await previewAssociationDelete(clients, 'Directory-Assoc-FAILED', props(), requester, ME)).toMatchObject({ writes: [], onDelete: expect.stringContaining('not an alias id') });
    expect(ssmMock).not.toHaveReceivedAnyCommand();
  });
});
