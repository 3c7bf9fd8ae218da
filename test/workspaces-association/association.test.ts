import {
  AssociateConnectionAliasCommand,
  DescribeConnectionAliasesCommand,
  DisassociateConnectionAliasCommand,
  WorkSpacesClient,
} from '@aws-sdk/client-workspaces';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { AssociationWaitTimeout, applySteps, readAlias } from '../../lambda/workspaces-association/association';

const ws = mockClient(WorkSpacesClient);
const client = new WorkSpacesClient({ region: 'eu-west-1' });
const ALIAS = 'wsca-abcdefgh12';
const ME = '222222222222';
const DIR = 'd-1234567890';
const OLD = 'd-0987654321';
const noWait = { firstDelayMs: 1, sleep: async () => undefined, time: { remainingMs: () => 1e9 } };
const view = (status?: string, dir = DIR, id = 'abc123') => ({
  ConnectionAliases: [{ AliasId: ALIAS, State: 'CREATED' as const, OwnerAccountId: '111111111111', ...(status ? { Associations: [{ AssociatedAccountId: ME, ResourceId: dir, AssociationStatus: status as never, ConnectionIdentifier: id }] } : {}) }],
});

beforeEach(() => {
  ws.reset();
  ws.rejects(new Error('unexpected call'));
});

test('readAlias: ResourceNotFound and an empty list both mean not visible', async () => {
  ws.on(DescribeConnectionAliasesCommand).rejectsOnce(Object.assign(new Error('no'), { name: 'ResourceNotFoundException' })).resolvesOnce({ ConnectionAliases: [] });
  await expect(readAlias(client, ALIAS)).resolves.toBeUndefined();
  await expect(readAlias(client, ALIAS)).resolves.toBeUndefined();
});

test('associate, then wait through PENDING_ASSOCIATION; the identifier is the one WorkSpaces shows', async () => {
  ws.on(AssociateConnectionAliasCommand, { AliasId: ALIAS, ResourceId: DIR }).resolves({ ConnectionIdentifier: 'abc123' });
  ws.on(DescribeConnectionAliasesCommand).resolvesOnce(view('PENDING_ASSOCIATION')).resolvesOnce(view('PENDING_ASSOCIATION')).resolves(view('ASSOCIATED_WITH_SHARED_ACCOUNT'));
  const out = await applySteps(client, ALIAS, ME, [{ op: 'associate', directoryId: DIR }, { op: 'waitAssociated', directoryId: DIR }], noWait);
  expect(out.connectionIdentifier).toBe('abc123');
  expect(ws).toHaveReceivedCommandTimes(DescribeConnectionAliasesCommand, 3);
  expect(ws).toHaveReceivedCommandTimes(AssociateConnectionAliasCommand, 1);
});

test('a directory change: disassociate, wait until NOT_ASSOCIATED or removed, associate the new one', async () => {
  ws.on(DisassociateConnectionAliasCommand, { AliasId: ALIAS }).resolves({});
  ws.on(AssociateConnectionAliasCommand, { AliasId: ALIAS, ResourceId: DIR }).resolves({ ConnectionIdentifier: 'new1' });
  ws.on(DescribeConnectionAliasesCommand)
    .resolvesOnce(view('PENDING_DISASSOCIATION', OLD))
    .resolvesOnce(view('NOT_ASSOCIATED', OLD))
    .resolves(view('ASSOCIATED_WITH_SHARED_ACCOUNT', DIR, 'new1'));
  const out = await applySteps(client, ALIAS, ME, [
    { op: 'disassociate', directoryId: OLD },
    { op: 'waitDisassociated', directoryId: OLD },
    { op: 'associate', directoryId: DIR },
    { op: 'waitAssociated', directoryId: DIR },
  ], noWait);
  expect(out.connectionIdentifier).toBe('new1');
  expect(ws.commandCalls(DisassociateConnectionAliasCommand)[0].args[0].input).toEqual({ AliasId: ALIAS });
});

test('a wait is bounded by the clock and says what to do', async () => {
  ws.on(DescribeConnectionAliasesCommand).resolves(view('PENDING_DISASSOCIATION'));
  let left = 5;
  const p = applySteps(client, ALIAS, ME, [{ op: 'waitDisassociated', directoryId: DIR }], { firstDelayMs: 2, sleep: async (ms) => void (left -= ms), time: { remainingMs: () => left } });
  await expect(p).rejects.toThrow(AssociationWaitTimeout);
  await expect(applySteps(client, ALIAS, ME, [{ op: 'waitDisassociated', directoryId: DIR }], { firstDelayMs: 2, time: { remainingMs: () => 0 } })).rejects.toThrow(
    /PENDING_DISASSOCIATION with d-1234567890\). Deploy again once it has settled/,
  );
});

test('an identifier outside the model pattern is refused', async () => {
  ws.on(AssociateConnectionAliasCommand).resolves({ ConnectionIdentifier: 'conn-1' });
  await expect(applySteps(client, ALIAS, ME, [{ op: 'associate', directoryId: DIR }], noWait)).rejects.toThrow(/not 1-20 characters/);
});

test('a disassociate that finds nothing is confirmed by the wait, other errors are thrown', async () => {
  ws.on(DisassociateConnectionAliasCommand).rejectsOnce(Object.assign(new Error('gone'), { name: 'InvalidResourceStateException' })).rejects(Object.assign(new Error('no'), { name: 'AccessDeniedException' }));
  ws.on(DescribeConnectionAliasesCommand).resolves(view());
  await expect(applySteps(client, ALIAS, ME, [{ op: 'disassociate', directoryId: DIR }, { op: 'waitDisassociated', directoryId: DIR }], noWait)).resolves.toEqual({ connectionIdentifier: undefined });
  await expect(applySteps(client, ALIAS, ME, [{ op: 'disassociate', directoryId: DIR }], noWait)).rejects.toThrow('no');
});
