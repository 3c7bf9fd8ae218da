// Several accounts, directories, and AssociateConnectionAlias / DisassociateConnectionAlias with their pending states
// and refusals, through the real SDK clients (emulator/README.md, "Accounts and associations").
import {
  AccessDeniedException,
  AssociateConnectionAliasCommand,
  DeleteConnectionAliasCommand,
  DescribeConnectionAliasesCommand,
  DisassociateConnectionAliasCommand,
  InvalidResourceStateException,
  ResourceAssociatedException,
  ResourceNotFoundException,
  UpdateConnectionAliasPermissionCommand,
  WorkSpacesClient,
} from '@aws-sdk/client-workspaces';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { type Emulator, startEmulator } from '../../emulator';
import { rejection } from '../support/rejection';

const OWNER = '123456789012';
const SHARED = '210987654321';
const OUTSIDER = '333333333333';
const ALIAS = 'wsca-abcdef0123';
const REGION = 'eu-west-1';
const SHARED_DIR = 'd-2222222222';
const OWNER_DIR = 'd-1111111111';

let emulator: Emulator;
let owner: WorkSpacesClient;
let shared: WorkSpacesClient;
let outsider: WorkSpacesClient;

beforeAll(async () => {
  emulator = await startEmulator({ accountId: OWNER });
  owner = new WorkSpacesClient({ ...emulator.clientConfig(REGION), maxAttempts: 1 });
  shared = new WorkSpacesClient({ ...emulator.account(SHARED).clientConfig(REGION), maxAttempts: 1 });
  outsider = new WorkSpacesClient({ ...emulator.account(OUTSIDER).clientConfig(REGION), maxAttempts: 1 });
});
afterAll(async () => {
  for (const c of [owner, shared, outsider]) c.destroy();
  await emulator.close();
});
beforeEach(() => {
  emulator.reset();
  emulator.workspaces.seedAlias({ AliasId: ALIAS, Region: REGION });
  emulator.workspaces.seedDirectory({ DirectoryId: OWNER_DIR, Region: REGION });
  emulator.account(SHARED).workspaces.seedDirectory({ DirectoryId: SHARED_DIR, Region: REGION });
});

const share = () => owner.send(new UpdateConnectionAliasPermissionCommand({ AliasId: ALIAS, ConnectionAliasPermission: { SharedAccountId: SHARED, AllowAssociation: true } }));
const unshare = () => owner.send(new UpdateConnectionAliasPermissionCommand({ AliasId: ALIAS, ConnectionAliasPermission: { SharedAccountId: SHARED, AllowAssociation: false } }));
const describe_ = (c: WorkSpacesClient) => c.send(new DescribeConnectionAliasesCommand({ AliasIds: [ALIAS] })).then((o) => o.ConnectionAliases ?? []);
const statusSeenBy = async (c: WorkSpacesClient) => (await describe_(c))[0]?.Associations?.map((a) => `${a.AssociatedAccountId}:${a.ResourceId}:${a.AssociationStatus}`) ?? [];

describe('accounts', () => {
  test('STS answers the caller account; SSM is per account', async () => {
    const sts = (cfg: object) => new STSClient({ ...cfg, maxAttempts: 1 }).send(new GetCallerIdentityCommand({}));
    expect((await sts(emulator.clientConfig())).Account).toBe(OWNER);
    expect((await sts(emulator.account(SHARED).clientConfig())).Account).toBe(SHARED);
    const ssmShared = new SSMClient({ ...emulator.account(SHARED).clientConfig(REGION), maxAttempts: 1 });
    await ssmShared.send(new PutParameterCommand({ Name: '/x', Value: 'shared', Type: 'String' }));
    expect(emulator.account(SHARED).ssm.get('/x')?.Value).toBe('shared');
    expect(emulator.ssm.get('/x')).toBeUndefined();
    expect((await ssmShared.send(new GetParameterCommand({ Name: '/x' }))).Parameter?.ARN).toMatch(`:${SHARED}:parameter/x`); // SSM is per account, not (yet) per Region
    ssmShared.destroy();
  });

  test('an alias is seen by its owner and, once shared, by the shared account only; not in another Region', async () => {
    expect(await describe_(shared)).toEqual([]);
    await share();
    expect((await describe_(shared)).map((a) => a.OwnerAccountId)).toEqual([OWNER]);
    expect(await describe_(outsider)).toEqual([]);
    const elsewhere = new WorkSpacesClient({ ...emulator.clientConfig('us-west-2'), maxAttempts: 1 });
    expect(await describe_(elsewhere)).toEqual([]);
    elsewhere.destroy();
  });
});

describe('AssociateConnectionAlias / DisassociateConnectionAlias', () => {
  test('the shared account associates: PENDING_ASSOCIATION for one read, then ASSOCIATED_WITH_SHARED_ACCOUNT, with the identifier returned', async () => {
    await share();
    const out = await shared.send(new AssociateConnectionAliasCommand({ AliasId: ALIAS, ResourceId: SHARED_DIR }));
    expect(out.ConnectionIdentifier).toMatch(/^[a-zA-Z0-9]{1,20}$/);
    expect(await statusSeenBy(shared)).toEqual([`${SHARED}:${SHARED_DIR}:PENDING_ASSOCIATION`]);
    expect(await statusSeenBy(owner)).toEqual([`${SHARED}:${SHARED_DIR}:ASSOCIATED_WITH_SHARED_ACCOUNT`]);
    expect((await describe_(shared))[0].Associations?.[0].ConnectionIdentifier).toBe(out.ConnectionIdentifier);
  });

  test('the owner associates its own directory: ASSOCIATED_WITH_OWNER_ACCOUNT; pending reads are configurable', async () => {
    emulator.workspaces.setPendingDuration({ reads: 3 });
    await owner.send(new AssociateConnectionAliasCommand({ AliasId: ALIAS, ResourceId: OWNER_DIR }));
    for (let i = 0; i < 3; i++) expect(await statusSeenBy(owner)).toEqual([`${OWNER}:${OWNER_DIR}:PENDING_ASSOCIATION`]);
    expect(await statusSeenBy(owner)).toEqual([`${OWNER}:${OWNER_DIR}:ASSOCIATED_WITH_OWNER_ACCOUNT`]);
  });

  test('pending states can last a number of ms', async () => {
    emulator.workspaces.setPendingDuration({ ms: 60 });
    await owner.send(new AssociateConnectionAliasCommand({ AliasId: ALIAS, ResourceId: OWNER_DIR }));
    expect(await statusSeenBy(owner)).toEqual([`${OWNER}:${OWNER_DIR}:PENDING_ASSOCIATION`]);
    await new Promise((r) => setTimeout(r, 80));
    expect(await statusSeenBy(owner)).toEqual([`${OWNER}:${OWNER_DIR}:ASSOCIATED_WITH_OWNER_ACCOUNT`]);
  });

  test('disassociate: PENDING_DISASSOCIATION, then the entry is removed (or kept NOT_ASSOCIATED)', async () => {
    emulator.workspaces.setPendingDuration({ reads: 0 });
    await share();
    await shared.send(new AssociateConnectionAliasCommand({ AliasId: ALIAS, ResourceId: SHARED_DIR }));
    emulator.workspaces.setPendingDuration({ reads: 1 });
    await shared.send(new DisassociateConnectionAliasCommand({ AliasId: ALIAS }));
    expect(await statusSeenBy(shared)).toEqual([`${SHARED}:${SHARED_DIR}:PENDING_DISASSOCIATION`]);
    expect(await statusSeenBy(shared)).toEqual([]);
    emulator.workspaces.keepDisassociatedEntries();
    await shared.send(new AssociateConnectionAliasCommand({ AliasId: ALIAS, ResourceId: SHARED_DIR }));
    await statusSeenBy(shared);
    await shared.send(new DisassociateConnectionAliasCommand({ AliasId: ALIAS }));
    await statusSeenBy(shared);
    expect(await statusSeenBy(shared)).toEqual([`${SHARED}:${SHARED_DIR}:NOT_ASSOCIATED`]);
  });

  test('refusals: not CREATED, a second directory, not shared, a directory of another account or Region, disassociate by another account', async () => {
    emulator.workspaces.setPendingDuration({ reads: 0 });
    emulator.workspaces.setState(ALIAS, 'CREATING');
    expect(await rejection(owner.send(new AssociateConnectionAliasCommand({ AliasId: ALIAS, ResourceId: OWNER_DIR })))).toBeInstanceOf(InvalidResourceStateException);
    emulator.workspaces.setState(ALIAS, 'CREATED');
    expect(await rejection(shared.send(new AssociateConnectionAliasCommand({ AliasId: ALIAS, ResourceId: SHARED_DIR })))).toBeInstanceOf(ResourceNotFoundException);
    await share();
    expect(await rejection(outsider.send(new AssociateConnectionAliasCommand({ AliasId: ALIAS, ResourceId: SHARED_DIR })))).toBeInstanceOf(ResourceNotFoundException);
    const err = await rejection(shared.send(new AssociateConnectionAliasCommand({ AliasId: ALIAS, ResourceId: OWNER_DIR })));
    expect(err).toBeInstanceOf(ResourceNotFoundException);
    expect(err.message).toMatch(`The directory ${OWNER_DIR} does not exist in account ${SHARED}`);
    emulator.account(SHARED).workspaces.seedDirectory({ DirectoryId: 'd-3333333333', Region: 'us-west-2' });
    expect(await rejection(shared.send(new AssociateConnectionAliasCommand({ AliasId: ALIAS, ResourceId: 'd-3333333333' })))).toBeInstanceOf(ResourceNotFoundException);
    await shared.send(new AssociateConnectionAliasCommand({ AliasId: ALIAS, ResourceId: SHARED_DIR }));
    const second = await rejection(owner.send(new AssociateConnectionAliasCommand({ AliasId: ALIAS, ResourceId: OWNER_DIR })));
    expect(second).toBeInstanceOf(ResourceAssociatedException);
    expect(second.message).toMatch(`directory ${SHARED_DIR} of account ${SHARED}`);
    expect(await rejection(owner.send(new DisassociateConnectionAliasCommand({ AliasId: ALIAS })))).toBeInstanceOf(AccessDeniedException);
  });

  test('unshare and delete are refused while the shared account is associated, and work after it disassociated', async () => {
    emulator.workspaces.setPendingDuration({ reads: 0 });
    await share();
    await shared.send(new AssociateConnectionAliasCommand({ AliasId: ALIAS, ResourceId: SHARED_DIR }));
    expect(await rejection(unshare())).toBeInstanceOf(ResourceAssociatedException);
    expect(await rejection(owner.send(new DeleteConnectionAliasCommand({ AliasId: ALIAS })))).toBeInstanceOf(ResourceAssociatedException);
    await shared.send(new DisassociateConnectionAliasCommand({ AliasId: ALIAS }));
    await unshare();
    await owner.send(new DeleteConnectionAliasCommand({ AliasId: ALIAS }));
    expect(emulator.workspaces.getAlias(ALIAS)).toBeUndefined();
  });

  test("IAM: associate is checked against the alias (owner's account) and the directory (caller's); disassociate against the alias", async () => {
    emulator.workspaces.setPendingDuration({ reads: 0 });
    await share();
    const KEY = 'ASIASHAREDROLE00001';
    const principalArn = `arn:aws:sts::${SHARED}:assumed-role/R/fn`;
    const aliasArn = `arn:aws:workspaces:${REGION}:${OWNER}:connectionalias/${ALIAS}`;
    const dirArn = `arn:aws:workspaces:${REGION}:${SHARED}:directory/${SHARED_DIR}`;
    const role = new WorkSpacesClient({ endpoint: emulator.url, region: REGION, credentials: { accessKeyId: KEY, secretAccessKey: 's', sessionToken: 't' }, maxAttempts: 1 });
    emulator.iam.setIdentity(KEY, { principalArn, statements: [{ Effect: 'Allow', Action: 'workspaces:AssociateConnectionAlias', Resource: aliasArn }] });
    expect((await rejection(role.send(new AssociateConnectionAliasCommand({ AliasId: ALIAS, ResourceId: SHARED_DIR })))).message).toContain(`on resource: ${dirArn}`);
    emulator.iam.setIdentity(KEY, { principalArn, statements: [{ Effect: 'Allow', Action: ['workspaces:AssociateConnectionAlias', 'workspaces:DisassociateConnectionAlias'], Resource: [aliasArn, dirArn] }] });
    await role.send(new AssociateConnectionAliasCommand({ AliasId: ALIAS, ResourceId: SHARED_DIR }));
    expect(emulator.workspaces.getAlias(ALIAS)?.Associations[0].AssociatedAccountId).toBe(SHARED);
    emulator.iam.setIdentity(KEY, { principalArn, statements: [{ Effect: 'Allow', Action: 'workspaces:DisassociateConnectionAlias', Resource: `arn:aws:workspaces:${REGION}:${SHARED}:connectionalias/${ALIAS}` }] });
    expect((await rejection(role.send(new DisassociateConnectionAliasCommand({ AliasId: ALIAS })))).message).toContain(`on resource: ${aliasArn}`);
    role.destroy();
  });
});
