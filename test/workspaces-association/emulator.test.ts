// The association's reads, plan and writes together, through the real WorkSpaces client against the emulator, as the
// shared account: create, a repeated create (adopt), a directory change in place, delete, delete when already gone.
import { WorkSpacesClient } from '@aws-sdk/client-workspaces';
import { type Emulator, startEmulator } from '../../emulator';
import { applySteps, readAlias } from '../../lambda/workspaces-association/association';
import { type AssociationFacts, planAssociation } from '../../lambda/workspaces-association/plan';

const OWNER = '123456789012';
const SHARED = '210987654321';
const ALIAS = 'wsca-abcdef0123';
const REGION = 'eu-west-1';
const DIR1 = 'd-2222222222';
const DIR2 = 'd-2222222223';
const fast = { firstDelayMs: 1, maxDelayMs: 2 };

let emulator: Emulator;
let client: WorkSpacesClient;
beforeAll(async () => {
  emulator = await startEmulator({ accountId: OWNER });
  client = new WorkSpacesClient({ ...emulator.account(SHARED).clientConfig(REGION), maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await emulator.close();
});
beforeEach(() => {
  emulator.reset();
  emulator.workspaces.seedAlias({ AliasId: ALIAS, Region: REGION, Permissions: [{ SharedAccountId: SHARED, AllowAssociation: true }] });
  for (const d of [DIR1, DIR2]) emulator.account(SHARED).workspaces.seedDirectory({ DirectoryId: d, Region: REGION });
  emulator.workspaces.setPendingDuration({ reads: 2 });
});

async function run(over: Partial<AssociationFacts>) {
  const alias = await readAlias(client, ALIAS);
  const plan = planAssociation({ requestType: 'Create', aliasId: ALIAS, directoryId: DIR1, accountId: SHARED, onDelete: 'RESTORE', alias, ...over });
  if (plan.action === 'blocked') throw new Error(plan.reason);
  return { plan, out: await applySteps(client, ALIAS, SHARED, plan.steps, fast) };
}
const associations = () => emulator.workspaces.getAlias(ALIAS)?.Associations.map((a) => `${a.ResourceId}:${a.AssociationStatus}`);

test('create waits for CREATED and through PENDING_ASSOCIATION; a repeated create adopts; the directory moves in place; delete waits it out', async () => {
  emulator.faults.aliasCreatingFor(ALIAS, 2);
  const created = await run({});
  expect(created.plan.action).toBe('create');
  expect(associations()).toEqual([`${DIR1}:ASSOCIATED_WITH_SHARED_ACCOUNT`]);
  expect(created.out.connectionIdentifier).toBe(emulator.workspaces.getAlias(ALIAS)?.Associations[0].ConnectionIdentifier);

  const again = await run({});
  expect(again.plan).toMatchObject({ action: 'none', adopted: true });

  const moved = await run({ requestType: 'Update', directoryId: DIR2, oldDirectoryId: DIR1 });
  expect(moved.plan.action).toBe('update');
  expect(associations()).toEqual([`${DIR2}:ASSOCIATED_WITH_SHARED_ACCOUNT`]);

  const deleted = await run({ requestType: 'Delete', directoryId: DIR2 });
  expect(deleted.plan.action).toBe('delete');
  expect(associations()).toEqual([]);
  expect((await run({ requestType: 'Delete', directoryId: DIR2 })).plan.action).toBe('none');
});

test('blocked before any write when the owner holds the alias, naming account and directory', async () => {
  emulator.workspaces.associate(ALIAS, OWNER, 'd-1111111111');
  await expect(run({})).rejects.toThrow(`directory d-1111111111 of account ${OWNER}`);
  expect(emulator.log.count('AssociateConnectionAlias')).toBe(0);
});
