import {
  AccessDeniedException,
  DescribeConnectionAliasesCommand,
  DescribeConnectionAliasPermissionsCommand,
  InvalidParameterValuesException,
  InvalidResourceStateException,
  ResourceAssociatedException,
  ResourceLimitExceededException,
  ResourceNotFoundException,
  UpdateConnectionAliasPermissionCommand,
  WorkSpacesClient,
} from '@aws-sdk/client-workspaces';
import { type Emulator, startEmulator } from '../../emulator';
import { rejection } from '../support/rejection';

const OWNER = '123456789012';
const SHARED = '210987654321';
const OTHER = '333333333333';
const ALIAS = 'wsca-abcdef0123';

let emulator: Emulator;
let client: WorkSpacesClient;

beforeAll(async () => {
  emulator = await startEmulator({ accountId: OWNER });
  client = new WorkSpacesClient({ ...emulator.clientConfig('eu-west-1'), maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await emulator.close();
});
beforeEach(() => {
  emulator.reset();
  emulator.workspaces.seedAlias({ AliasId: ALIAS, ConnectionString: 'desktop.example.com' });
});

const share = (account: string, allow: boolean, aliasId = ALIAS) =>
  client.send(new UpdateConnectionAliasPermissionCommand({ AliasId: aliasId, ConnectionAliasPermission: { SharedAccountId: account, AllowAssociation: allow } }));

async function allPermissions(aliasId = ALIAS, maxResults?: number) {
  const all = [];
  let NextToken: string | undefined;
  let pages = 0;
  do {
    const out = await client.send(new DescribeConnectionAliasPermissionsCommand({ AliasId: aliasId, NextToken, MaxResults: maxResults }));
    all.push(...(out.ConnectionAliasPermissions ?? []));
    NextToken = out.NextToken;
    pages++;
  } while (NextToken);
  return { all, pages };
}

test('DescribeConnectionAliases returns the seeded alias with owner, state and associations', async () => {
  emulator.workspaces.associate(ALIAS, OWNER, 'd-1111111111');
  const out = await client.send(new DescribeConnectionAliasesCommand({ AliasIds: [ALIAS] }));
  expect(out.ConnectionAliases).toEqual([
    {
      AliasId: ALIAS,
      ConnectionString: 'desktop.example.com',
      OwnerAccountId: OWNER,
      State: 'CREATED',
      Associations: [expect.objectContaining({ AssociatedAccountId: OWNER, ResourceId: 'd-1111111111', AssociationStatus: 'ASSOCIATED_WITH_OWNER_ACCOUNT' })],
    },
  ]);
  expect(out.NextToken).toBeUndefined();
});

test('DescribeConnectionAliases pages with Limit/NextToken and leaves unknown ids out (UNVERIFIED)', async () => {
  const ids = ['wsca-00000001', 'wsca-00000002', 'wsca-00000003'];
  for (const id of ids) emulator.workspaces.seedAlias({ AliasId: id });
  const seen: string[] = [];
  let NextToken: string | undefined;
  let pages = 0;
  do {
    const out = await client.send(new DescribeConnectionAliasesCommand({ AliasIds: [...ids, 'wsca-99999999'], Limit: 2, NextToken }));
    seen.push(...out.ConnectionAliases!.map((a) => a.AliasId!));
    NextToken = out.NextToken;
    pages++;
  } while (NextToken);
  expect(seen).toEqual(ids);
  expect(pages).toBe(2);
  const unknown = await client.send(new DescribeConnectionAliasesCommand({ AliasIds: ['wsca-99999999'] }));
  expect(unknown.ConnectionAliases).toEqual([]);
});

test('a malformed alias id is InvalidParameterValuesException', async () => {
  const err = await rejection(client.send(new DescribeConnectionAliasesCommand({ AliasIds: ['alias-1'] })));
  expect(err).toBeInstanceOf(InvalidParameterValuesException);
  expect(err.message).toMatch(/alias id/);
});

test('share, list (paged by the small default page size) and unshare', async () => {
  await share(SHARED, true);
  expect(emulator.workspaces.permissions(ALIAS)).toEqual([{ SharedAccountId: SHARED, AllowAssociation: true }]);
  await share(SHARED, true); // idempotent (UNVERIFIED)
  await share(SHARED, false);
  expect(emulator.workspaces.permissions(ALIAS)).toEqual([]);
});

test('DescribeConnectionAliasPermissions pages with NextToken (default page size 1)', async () => {
  emulator.workspaces.seedAlias({
    AliasId: ALIAS,
    Permissions: [
      { SharedAccountId: SHARED, AllowAssociation: true },
      { SharedAccountId: OTHER, AllowAssociation: false },
      { SharedAccountId: '444444444444', AllowAssociation: false },
    ],
  });
  const byDefault = await allPermissions();
  expect(byDefault.pages).toBe(3);
  expect(byDefault.all.map((p) => p.SharedAccountId)).toEqual([SHARED, OTHER, '444444444444'].sort());
  expect((await allPermissions(ALIAS, 25)).pages).toBe(1);
  const err = await rejection(client.send(new DescribeConnectionAliasPermissionsCommand({ AliasId: ALIAS, NextToken: 'garbage' })));
  expect(err).toBeInstanceOf(InvalidParameterValuesException);
});

test('a second shared account is ResourceLimitExceededException', async () => {
  await share(SHARED, true);
  const err = await rejection(share(OTHER, true));
  expect(err).toBeInstanceOf(ResourceLimitExceededException);
  expect(err.message).toEqual(expect.any(String));
  expect(emulator.workspaces.permissions(ALIAS)).toEqual([{ SharedAccountId: SHARED, AllowAssociation: true }]);
});

test('unsharing an account that associated the alias is ResourceAssociatedException; after disassociation it works', async () => {
  await share(SHARED, true);
  emulator.workspaces.associate(ALIAS, SHARED, 'd-2222222222');
  expect(await rejection(share(SHARED, false))).toBeInstanceOf(ResourceAssociatedException);
  emulator.workspaces.disassociate(ALIAS, SHARED);
  await share(SHARED, false);
  expect(emulator.workspaces.permissions(ALIAS)).toEqual([]);
});

test('an alias that is not CREATED is InvalidResourceStateException', async () => {
  emulator.workspaces.setState(ALIAS, 'DELETING');
  expect(await rejection(share(SHARED, true))).toBeInstanceOf(InvalidResourceStateException);
});

test('aliasCreatingFor: CREATING for N reads, then CREATED; updates in between are refused', async () => {
  emulator.faults.aliasCreatingFor(ALIAS, 2);
  const state = async () => (await client.send(new DescribeConnectionAliasesCommand({ AliasIds: [ALIAS] }))).ConnectionAliases![0].State;
  expect(await state()).toBe('CREATING');
  expect(await rejection(share(SHARED, true))).toBeInstanceOf(InvalidResourceStateException);
  expect(await state()).toBe('CREATING');
  expect(await state()).toBe('CREATED');
  expect(await state()).toBe('CREATED');
  await share(SHARED, true);
});

test('an unknown alias is ResourceNotFoundException with ResourceId; an alias deleted out of band too', async () => {
  const err = await rejection(share(SHARED, true, 'wsca-99999999'));
  expect(err).toBeInstanceOf(ResourceNotFoundException);
  expect(err.ResourceId).toBe('wsca-99999999');
  emulator.workspaces.deleteAlias(ALIAS);
  expect(await rejection(share(SHARED, false))).toBeInstanceOf(ResourceNotFoundException);
  expect(await rejection(client.send(new DescribeConnectionAliasPermissionsCommand({ AliasId: ALIAS })))).toBeInstanceOf(ResourceNotFoundException);
  expect((await client.send(new DescribeConnectionAliasesCommand({ AliasIds: [ALIAS] }))).ConnectionAliases).toEqual([]);
});

test('bad account ids and non-owners are refused', async () => {
  expect(await rejection(share('12345', true))).toBeInstanceOf(InvalidParameterValuesException);
  expect(await rejection(share(OWNER, true))).toBeInstanceOf(InvalidParameterValuesException);
  emulator.workspaces.seedAlias({ AliasId: 'wsca-0therown', OwnerAccountId: OTHER });
  expect(await rejection(share(SHARED, true, 'wsca-0therown'))).toBeInstanceOf(AccessDeniedException);
});

test('errors carry the lower-case message member', async () => {
  const err = await rejection(share(SHARED, true, 'wsca-99999999'));
  expect(err.message).toBe('The connection alias wsca-99999999 does not exist.');
  expect((err.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(400);
});
