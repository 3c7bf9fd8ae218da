// The ConnectionAliasAssociation handler (engine and kind) through the real WorkSpaces and SSM clients against the
// emulator, as the account the alias is shared with: its pending states, its one-directory rule and its accounts.
import { SSMClient } from '@aws-sdk/client-ssm';
import { WorkSpacesClient } from '@aws-sdk/client-workspaces';
import { type Emulator, startEmulator } from '../../emulator';
import { handle } from '../../lambda/common/engine';
import { associationKind, statePath } from '../../lambda/workspaces-association';
import { RESOURCE_TYPE } from '../../lib/workspaces-association/contract';
import { createEvent, deleteEvent, fakeContext, serveStack, updateEvent } from '../fixtures/events';

const OWNER = '999999999999';
const ME = '123456789012'; // the account of the fixtures' STACK_ID, which the alias is shared with
const ALIAS = 'wsca-abcdef0123';
const REGION = 'eu-west-1';
const DIR1 = 'd-2222222222';
const DIR2 = 'd-2222222223';

let emulator: Emulator;
let workspaces: WorkSpacesClient;
let ssm: SSMClient;
beforeAll(async () => {
  process.env.AWS_REGION = REGION;
  emulator = await startEmulator({ accountId: OWNER });
  workspaces = new WorkSpacesClient({ ...emulator.account(ME).clientConfig(REGION), maxAttempts: 1 });
  ssm = new SSMClient({ ...emulator.account(ME).clientConfig(REGION), maxAttempts: 1 });
});
afterAll(async () => {
  workspaces.destroy();
  ssm.destroy();
  await emulator.close();
});
beforeEach(() => {
  serveStack();
  emulator.reset();
  emulator.workspaces.seedAlias({ AliasId: ALIAS, Region: REGION, Permissions: [{ SharedAccountId: ME, AllowAssociation: true }] });
  for (const d of [DIR1, DIR2]) emulator.account(ME).workspaces.seedDirectory({ DirectoryId: d, Region: REGION });
  emulator.workspaces.setPendingDuration({ reads: 2 });
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

const kind = () => associationKind({ workspaces, ssm, wait: { firstDelayMs: 1, maxDelayMs: 2 } });
const props = (dir = DIR1) => ({ AliasId: ALIAS, DirectoryId: dir, OnDelete: 'RESTORE' });
const associations = () => emulator.workspaces.getAlias(ALIAS)?.Associations.map((a) => `${a.AssociatedAccountId}:${a.ResourceId}:${a.AssociationStatus}`);
const stored = () => emulator.account(ME).ssm.get(`${statePath(ALIAS)}/header`);

test('create (waiting for CREATED and the pending association), move the directory in place, delete (waiting it out)', async () => {
  emulator.faults.aliasCreatingFor(ALIAS, 2);
  const created = await handle(kind(), createEvent(RESOURCE_TYPE, props()), fakeContext());
  expect(stored()).toBeDefined();
  expect(created.Data!.ConnectionIdentifier).toBe(emulator.workspaces.getAlias(ALIAS)!.Associations[0].ConnectionIdentifier);
  expect(associations()).toEqual([`${ME}:${DIR1}:ASSOCIATED_WITH_SHARED_ACCOUNT`]);

  const moved = await handle(kind(), updateEvent(RESOURCE_TYPE, ALIAS, props(DIR2), props()), fakeContext());
  expect(moved.PhysicalResourceId).toBe(ALIAS);
  expect(associations()).toEqual([`${ME}:${DIR2}:ASSOCIATED_WITH_SHARED_ACCOUNT`]);

  await handle(kind(), deleteEvent(RESOURCE_TYPE, ALIAS, props(DIR2)), fakeContext());
  expect(associations()).toEqual([]);
  expect(emulator.log.count('DisassociateConnectionAlias')).toBe(2);
  expect(stored()).toBeUndefined();
});

test('the owner holding the alias blocks the Create before any write, naming the account and the directory', async () => {
  emulator.workspaces.associate(ALIAS, OWNER, 'd-1111111111');
  await expect(handle(kind(), createEvent(RESOURCE_TYPE, props()), fakeContext())).rejects.toThrow(`directory d-1111111111 of account ${OWNER}`);
  expect(emulator.log.count('AssociateConnectionAlias')).toBe(0);
  expect(emulator.log.count('PutParameter')).toBe(0);
});
