// `cdk-connection-sharing plan` of Custom::ConnectionAliasAssociation end to end: the BUNDLED command run as a child
// process against the emulator, with the directory account's credentials (AKIDEMU<account>) for the association's
// stack and the alias owner's for the sharing stack, as a user runs it once per account.
//
// The association's handler is not in this branch yet (issue 15): a "deployed" association is seeded as its handler
// is expected to leave it (the deployed stack in CloudFormation, the claim under
// /cdk-connection-sharing/workspaces-association/<aliasId> in the directory's account, the association in WorkSpaces).
// The resources are hand-made CustomResources, so these tests do not depend on the construct. Once the handler lands,
// `deployedAssociation` should become a real deploy (LocalStack) and each plan be checked against its writes, as
// test/e2e/plan.test.ts does for the other kinds. The sharing stack IS deployed for real (its handler exists).
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { SSMClient } from '@aws-sdk/client-ssm';
import { App, CfnParameter, CfnResource, CustomResource, Stack } from 'aws-cdk-lib';
import { type Emulator, type LoggedCall, type PolicyStatement, startEmulator } from '../../emulator';
import { LocalStack } from '../../emulator/stack';
import { ConnectionAliasSharing } from '../../lib';
import { StateStore } from '../../lambda/common/state-store';
import { statePath } from '../../lambda/workspaces-association/preview';
import { ROOT, tempDir } from '../support/cdk-cli';

const CLI = path.join(ROOT, 'assets', 'cli', 'index.js');
const ASSOCIATION = 'Custom::ConnectionAliasAssociation';
const SHARING = 'Custom::ConnectionAliasSharing';
const REGION = 'eu-west-1';
/** The alias's owner: the emulator's default account, where the sharing stack deploys. */
const OWNER = '123456789012';
/** The directory's account: the association's stack deploys here, and the alias is shared with it. */
const DIRECTORY_ACCOUNT = '210987654321';
const OTHER = '333333333333';
const ALIAS = 'wsca-abcdefgh12';
const ALIAS2 = 'wsca-zyxwvuts98';
const DIR = 'd-1234567890';
const OLD_DIR = 'd-0987654321';
const DIRECTORY_STACK_ID = `arn:aws:cloudformation:${REGION}:${DIRECTORY_ACCOUNT}:stack/Directory/5e1f0c2a-0000-4000-8000-000000000001`;
const READ_ONLY = /^(Get|Describe|List)/;

interface PlanRow {
  stack: string;
  logicalId: string;
  resourceType: string;
  action: string;
  manages: string;
  drift: { drifted: boolean; detail?: string } | null;
  writes: { operation: string; summary: string; request?: Record<string, unknown> }[];
  reason: string | null;
  onDelete: string | null;
  account: string | null;
}

interface PlanRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly rows: PlanRow[];
  readonly summary?: Record<string, number>;
  readonly calls: LoggedCall[];
}

let emulator: Emulator;
const dirs: string[] = [];
const home = tempDir('plan-assoc-home');
const stacks: LocalStack[] = [];

beforeAll(async () => {
  if (!fs.existsSync(CLI)) throw new Error('run `node scripts/bundle.mjs` (npm test does) before the e2e tests');
  emulator = await startEmulator();
  emulator.account(DIRECTORY_ACCOUNT);
}, 60_000);

afterAll(async () => {
  for (const s of stacks) await s.close();
  await emulator?.close();
  for (const d of [...dirs, home]) fs.rmSync(d, { recursive: true, force: true });
});

beforeEach(() => {
  emulator.reset();
  // The owner's alias, shared with the directory's account, and that account's directories (emulator/workspaces.ts).
  emulator.workspaces.seedAlias({ AliasId: ALIAS, OwnerAccountId: OWNER, Permissions: [{ SharedAccountId: DIRECTORY_ACCOUNT, AllowAssociation: true }] });
  emulator.workspaces.seedAlias({ AliasId: ALIAS2, OwnerAccountId: OWNER, Permissions: [{ SharedAccountId: DIRECTORY_ACCOUNT, AllowAssociation: true }] });
  for (const DirectoryId of [DIR, OLD_DIR]) emulator.account(DIRECTORY_ACCOUNT).workspaces.seedDirectory({ DirectoryId, Region: REGION });
});

interface AppShape {
  /** The association in stack Directory (account DIRECTORY_ACCOUNT); absent: the stack has none. */
  readonly association?: { aliasId?: string; directoryId?: string | 'parameter'; onDelete?: string };
  /** The accounts stack Owner (account OWNER) shares ALIAS with; absent: no ConnectionAliasSharing. */
  readonly sharing?: string[];
}

/** An app of two stacks in two accounts, as a user with cross-account redirection writes it. */
function synthApp(shape: AppShape): string {
  const outdir = tempDir('plan-assoc');
  dirs.push(outdir);
  const app = new App({ outdir });
  const directory = new Stack(app, 'Directory', { env: { account: DIRECTORY_ACCOUNT, region: REGION } });
  new CfnResource(directory, 'Handle', { type: 'AWS::CloudFormation::WaitConditionHandle' });
  if (shape.association) {
    const a = shape.association;
    const directoryId = a.directoryId === 'parameter' ? new CfnParameter(directory, 'DirectoryParam', { type: 'String' }).valueAsString : (a.directoryId ?? DIR);
    new CustomResource(directory, 'Assoc', {
      serviceToken: `arn:aws:lambda:${REGION}:${DIRECTORY_ACCOUNT}:function:association-handler`,
      resourceType: ASSOCIATION,
      properties: { AliasId: a.aliasId ?? ALIAS, DirectoryId: directoryId, ...(a.onDelete ? { OnDelete: a.onDelete } : {}) },
    });
  }
  const owner = new Stack(app, 'Owner', { env: { account: OWNER, region: REGION } });
  new CfnResource(owner, 'Handle', { type: 'AWS::CloudFormation::WaitConditionHandle' });
  if (shape.sharing) new ConnectionAliasSharing(owner, 'Share', { aliasId: ALIAS, sharedAccountIds: shape.sharing });
  app.synth();
  return outdir;
}

const credentials = (account: string) => (account === OWNER ? emulator.env() : emulator.account(account).env());

/** Runs the bundled command as a user would, with `account`'s credentials (or `accessKeyId`'s); `--text`: no --json. */
function plan(dir: string, account: string, ...args: string[]): Promise<PlanRun> {
  const first = emulator.log.entries.length;
  const key = args.find((a) => a.startsWith('--key='))?.slice('--key='.length);
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ...credentials(account), ...(key ? { AWS_ACCESS_KEY_ID: key } : {}) };
  const text = args.includes('--text');
  const argv = [CLI, 'plan', '--app', dir, ...(text ? [] : ['--json']), ...args.filter((a) => a !== '--text' && !a.startsWith('--key='))];
  return new Promise((resolve) => {
    execFile(process.execPath, argv, { env, timeout: 60_000, maxBuffer: 10 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? Number((err as { code?: unknown }).code ?? 1) : 0;
      const json = stdout && !text ? (JSON.parse(stdout) as { resources: PlanRow[]; summary: Record<string, number> }) : undefined;
      const calls = emulator.log.entries.slice(first);
      // Every plan is read-only: no call but Get/Describe/List (STS GetCallerIdentity included).
      expect(calls.filter((c) => !READ_ONLY.test(c.operation)).map((c) => c.operation)).toEqual([]);
      resolve({ code, stdout, stderr, rows: json?.resources ?? [], summary: json?.summary, calls });
    });
  });
}

function row(run: PlanRun, type: string, action?: string): PlanRow {
  const found = run.rows.find((r) => r.resourceType === type && (!action || r.action === action));
  if (!found) throw new Error(`no ${type}${action ? ` ${action}` : ''} row in the plan: ${run.stdout}${run.stderr}`);
  return found;
}

function templateOf(dir: string, stack: string): { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> } {
  return JSON.parse(fs.readFileSync(path.join(dir, `${stack}.template.json`), 'utf8'));
}

function ssmOf(account: string): SSMClient {
  return new SSMClient({ ...(account === OWNER ? emulator.clientConfig(REGION) : emulator.account(account).clientConfig(REGION)), maxAttempts: 3 });
}

/**
 * Stack Directory deployed from `dir` as the association handler is expected to leave it: CloudFormation has the
 * stack (physical id: the alias id), the directory account's Parameter Store has the claim (adopted or not), and
 * WorkSpaces the association (unless `associated` is false: disassociated outside the stack since).
 */
async function deployedAssociation(dir: string, o: { adopted?: boolean; associated?: boolean } = {}): Promise<string> {
  const template = templateOf(dir, 'Directory');
  const [logicalId, resource] = Object.entries(template.Resources).find(([, r]) => r.Type === ASSOCIATION)!;
  const ref = { stackId: DIRECTORY_STACK_ID, stackName: 'Directory', region: REGION };
  const aliasId = String(resource.Properties!.AliasId);
  const directoryId = String(resource.Properties!.DirectoryId);
  emulator.cloudFormation.recordResource(ref, { logicalId: 'Handle', physicalId: 'handle-1', resourceType: 'AWS::CloudFormation::WaitConditionHandle' });
  emulator.cloudFormation.recordResource(ref, { logicalId, physicalId: aliasId, resourceType: ASSOCIATION });
  emulator.cloudFormation.recordTemplate(ref, template);
  const ssm = ssmOf(DIRECTORY_ACCOUNT);
  await new StateStore(ssm, statePath(aliasId), aliasId).claim({ stackId: DIRECTORY_STACK_ID, logicalResourceId: logicalId }, { adopted: !!o.adopted }, { directoryId });
  ssm.destroy();
  if (o.associated !== false) emulator.workspaces.associate(aliasId, DIRECTORY_ACCOUNT, directoryId);
  return logicalId;
}

describe('the association, planned with the directory account\'s credentials', () => {
  test('create: the alias shared and free, nothing deployed: one AssociateConnectionAlias with its request, exit 2', async () => {
    const run = await plan(synthApp({ association: {} }), DIRECTORY_ACCOUNT, '--stack', 'Directory');
    expect(run.code).toBe(2);
    expect(run.summary).toEqual({ create: 1, update: 0, delete: 0, none: 0, blocked: 0, unknown: 0 });
    expect(row(run, ASSOCIATION)).toMatchObject({
      stack: 'Directory',
      account: DIRECTORY_ACCOUNT,
      action: 'create',
      manages: `alias ${ALIAS} on directory ${DIR}`,
      drift: { drifted: false },
      writes: [{ operation: 'AssociateConnectionAlias', summary: `associate with directory ${DIR}`, request: { AliasId: ALIAS, ResourceId: DIR } }],
      onDelete: `disassociate alias ${ALIAS} from directory ${DIR}`,
    });
    // Read in the directory's account: its own state path, the alias as it sees it; no permission read (the owner's).
    const ops = new Set(run.calls.map((c) => `${c.service}.${c.operation}`));
    expect(ops).toEqual(new Set(['STS.GetCallerIdentity', 'CloudFormation.DescribeStacks', 'SSM.GetParametersByPath', 'WorkSpaces.DescribeConnectionAliases']));
    expect(run.calls.find((c) => c.operation === 'GetParametersByPath')!.input).toMatchObject({ Path: `/cdk-connection-sharing/workspaces-association/${ALIAS}` });
  });

  test('none: deployed by this resource and associated: nothing to write, exit 0', async () => {
    const dir = synthApp({ association: {} });
    await deployedAssociation(dir);
    const run = await plan(dir, DIRECTORY_ACCOUNT, '--stack', 'Directory');
    expect([run.code, run.summary]).toEqual([0, { create: 0, update: 0, delete: 0, none: 1, blocked: 0, unknown: 0 }]);
    expect(row(run, ASSOCIATION)).toMatchObject({ action: 'none', writes: [], drift: { drifted: false }, onDelete: `disassociate alias ${ALIAS} from directory ${DIR}` });
  });

  test('adopt: associated outside the stack with this very directory: create without a write, and a Delete leaves it', async () => {
    emulator.workspaces.associate(ALIAS, DIRECTORY_ACCOUNT, DIR);
    const run = await plan(synthApp({ association: {} }), DIRECTORY_ACCOUNT, '--stack', 'Directory');
    expect(run.code).toBe(2);
    expect(row(run, ASSOCIATION)).toMatchObject({
      action: 'create',
      writes: [],
      reason: expect.stringContaining(`adopts the existing association of alias ${ALIAS} with directory ${DIR}`),
      onDelete: expect.stringMatching(/^left: adopted/),
    });
  });

  test('update: a new directory moves the association in place, disassociate then associate, with their requests', async () => {
    await deployedAssociation(synthApp({ association: { directoryId: OLD_DIR } }));
    const run = await plan(synthApp({ association: { directoryId: DIR } }), DIRECTORY_ACCOUNT, '--stack', 'Directory');
    expect(run.code).toBe(2);
    expect(run.summary).toMatchObject({ update: 1, delete: 0 });
    expect(row(run, ASSOCIATION)).toMatchObject({
      action: 'update',
      manages: `alias ${ALIAS} on directory ${DIR}`,
      drift: { drifted: false },
      writes: [
        { operation: 'DisassociateConnectionAlias', summary: `disassociate from directory ${OLD_DIR}`, request: { AliasId: ALIAS } },
        { operation: 'AssociateConnectionAlias', summary: `associate with directory ${DIR}`, request: { AliasId: ALIAS, ResourceId: DIR } },
      ],
    });
    expect(run.calls.filter((c) => c.service === 'CloudFormation').map((c) => c.operation)).toEqual(['DescribeStacks', 'ListStackResources', 'GetTemplate']);
  });

  test('drift: disassociated outside the stack, nothing changed in the app: update, with the note that no Update is sent', async () => {
    const dir = synthApp({ association: {} });
    await deployedAssociation(dir, { associated: false });
    const run = await plan(dir, DIRECTORY_ACCOUNT, '--stack', 'Directory');
    expect(row(run, ASSOCIATION)).toMatchObject({
      action: 'update',
      drift: { drifted: true, detail: expect.stringContaining(`no longer associated with directory ${DIR}`) },
      writes: [{ operation: 'AssociateConnectionAlias', request: { AliasId: ALIAS, ResourceId: DIR } }],
      reason: expect.stringContaining('only when one of its properties changes'),
    });
  });

  test('a stale claim of a stack of the same name, deleted with its resources retained: create, taking the claim over', async () => {
    const dir = synthApp({ association: {} });
    await deployedAssociation(dir);
    emulator.cloudFormation.reset(); // the stack is gone; its claim and its association stayed
    const run = await plan(dir, DIRECTORY_ACCOUNT, '--stack', 'Directory');
    expect(row(run, ASSOCIATION)).toMatchObject({
      action: 'create',
      writes: [],
      reason: expect.stringContaining('takes over the claim left by resource Assoc of stack Directory'),
      // The earlier resource made the association: this one's RESTORE Delete takes it back.
      onDelete: `disassociate alias ${ALIAS} from directory ${DIR}`,
    });
  });

  test("blocked: another account's association, naming the account and its directory; exit 3", async () => {
    emulator.workspaces.associate(ALIAS, OTHER, 'd-abcdef0123');
    const run = await plan(synthApp({ association: {} }), DIRECTORY_ACCOUNT, '--stack', 'Directory');
    expect(run.code).toBe(3);
    expect(row(run, ASSOCIATION)).toMatchObject({ action: 'blocked', writes: [], reason: expect.stringContaining(`with directory d-abcdef0123 of account ${OTHER}`) });
  });

  test('blocked: an alias not shared with this account', async () => {
    emulator.workspaces.seedAlias({ AliasId: ALIAS, OwnerAccountId: OWNER });
    const run = await plan(synthApp({ association: {} }), DIRECTORY_ACCOUNT, '--stack', 'Directory');
    expect([run.code, row(run, ASSOCIATION).reason]).toEqual([3, expect.stringContaining(`is not shared with account ${DIRECTORY_ACCOUNT}`)]);
  });

  test('unknown: a directory id from a stack parameter, saying which property and why', async () => {
    const run = await plan(synthApp({ association: { directoryId: 'parameter' } }), DIRECTORY_ACCOUNT, '--stack', 'Directory');
    expect(run.code).toBe(2);
    expect(row(run, ASSOCIATION)).toMatchObject({
      action: 'unknown',
      manages: `alias ${ALIAS} on directory (unresolved)`,
      drift: null,
      writes: [],
      onDelete: null,
      reason: 'DirectoryId is Ref DirectoryParam, a stack parameter (CfnParameter): its value is given at deploy time',
    });
  });

  test('delete: a removed association this resource made is disassociated by its cleanup Delete', async () => {
    const logicalId = await deployedAssociation(synthApp({ association: {} }));
    const run = await plan(synthApp({}), DIRECTORY_ACCOUNT, '--stack', 'Directory');
    expect([run.code, run.summary]).toEqual([2, { create: 0, update: 0, delete: 1, none: 0, blocked: 0, unknown: 0 }]);
    expect(row(run, ASSOCIATION)).toMatchObject({
      logicalId,
      action: 'delete',
      manages: `alias ${ALIAS} on directory ${DIR}`,
      drift: null,
      reason: expect.stringContaining('removed from the template'),
      writes: [{ operation: 'DisassociateConnectionAlias', request: { AliasId: ALIAS } }],
      onDelete: `disassociate alias ${ALIAS} from directory ${DIR}`,
    });
  });

  test('delete: a removed association that was adopted (or RETAIN) is left, with no write', async () => {
    await deployedAssociation(synthApp({ association: {} }), { adopted: true });
    const adopted = await plan(synthApp({}), DIRECTORY_ACCOUNT, '--stack', 'Directory');
    expect(row(adopted, ASSOCIATION)).toMatchObject({ action: 'delete', writes: [], onDelete: expect.stringMatching(/^left: adopted/) });

    emulator.reset();
    emulator.workspaces.seedAlias({ AliasId: ALIAS, OwnerAccountId: OWNER, Permissions: [{ SharedAccountId: DIRECTORY_ACCOUNT, AllowAssociation: true }] });
    await deployedAssociation(synthApp({ association: { onDelete: 'RETAIN' } }));
    const retained = await plan(synthApp({}), DIRECTORY_ACCOUNT, '--stack', 'Directory');
    expect(row(retained, ASSOCIATION)).toMatchObject({ action: 'delete', writes: [], onDelete: expect.stringMatching(/^retain/) });
  });

  test('the human output: the stack in its account, the association row, its writes and what a Delete does', async () => {
    const run = await plan(synthApp({ association: {} }), DIRECTORY_ACCOUNT, '--stack', 'Directory', '--text');
    expect(run.code).toBe(2);
    expect(run.stdout).toContain(`Stack Directory (${DIRECTORY_ACCOUNT} / ${REGION})`);
    expect(run.stdout).toMatch(new RegExp(`\\[\\+\\] ${ASSOCIATION} Assoc {2}alias ${ALIAS} on directory ${DIR} {2}create`));
    expect(run.stdout).toContain(`    writes    1. AssociateConnectionAlias: associate with directory ${DIR}`);
    expect(run.stdout).toContain(`    on delete disassociate alias ${ALIAS} from directory ${DIR}`);
    expect(run.stdout).toContain('(1 to create, 0 to update, 0 to delete, 0 unchanged, 0 blocked, 0 unknown)');
  });

  test("the README's reviewer policy, in the directory's account, is enough (IAM enforced); the association needs no permission read", async () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const block = /\*\*Permissions\*\* a reviewer's role needs[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)![1];
    const statements = (JSON.parse(block.replace(/<account>/g, DIRECTORY_ACCOUNT)) as { Statement: PolicyStatement[] }).Statement;
    const reviewer = (allowed: PolicyStatement[]) => {
      emulator.iam.reset();
      emulator.iam.setIdentity('AKIAREVIEWER00000002', { principalArn: `arn:aws:sts::${DIRECTORY_ACCOUNT}:assumed-role/Reviewer/ci`, statements: allowed });
    };
    const dir = synthApp({ association: { directoryId: OLD_DIR } });
    await deployedAssociation(dir);
    const next = synthApp({ association: { directoryId: DIR } });
    reviewer(statements);
    const run = await plan(next, DIRECTORY_ACCOUNT, '--stack', 'Directory', '--key=AKIAREVIEWER00000002');
    expect([run.code, row(run, ASSOCIATION).action, emulator.iam.denials]).toEqual([2, 'update', []]);
    expect(run.calls.map((c) => c.operation)).not.toContain('DescribeConnectionAliasPermissions');
    // Without the workspaces read, or the state read, the plan fails naming what was denied.
    for (const action of ['workspaces:DescribeConnectionAliases', 'ssm:GetParametersByPath']) {
      reviewer(statements.filter((st) => st.Action !== action));
      const denied = await plan(next, DIRECTORY_ACCOUNT, '--stack', 'Directory', '--key=AKIAREVIEWER00000002');
      expect([action, denied.code, denied.stderr]).toEqual([action, 1, expect.stringContaining('access denied')]);
    }
    emulator.iam.reset();
  });

  test('replaced: a new alias id creates the new association and the cleanup Delete disassociates the old one', async () => {
    await deployedAssociation(synthApp({ association: {} }));
    const run = await plan(synthApp({ association: { aliasId: ALIAS2 } }), DIRECTORY_ACCOUNT, '--stack', 'Directory');
    expect(run.summary).toMatchObject({ create: 1, delete: 1 });
    expect(row(run, ASSOCIATION, 'create')).toMatchObject({ manages: `alias ${ALIAS2} on directory ${DIR}`, writes: [{ operation: 'AssociateConnectionAlias', request: { AliasId: ALIAS2, ResourceId: DIR } }] });
    expect(row(run, ASSOCIATION, 'delete')).toMatchObject({
      manages: `alias ${ALIAS} on directory ${DIR}`,
      reason: expect.stringContaining(`replaced: the alias changes from ${ALIAS} to ${ALIAS2}`),
      writes: [{ operation: 'DisassociateConnectionAlias', request: { AliasId: ALIAS } }],
    });
    // Both kinds' aliases of a Region in one batched DescribeConnectionAliases.
    expect(run.calls.filter((c) => c.operation === 'DescribeConnectionAliases')).toHaveLength(1);
  });
});

describe('two accounts, one set of credentials per run', () => {
  test("each stack is planned only with its own account's credentials; the other is unknown, naming the account to use", async () => {
    const dir = synthApp({ association: {}, sharing: [DIRECTORY_ACCOUNT] });
    const asDirectory = await plan(dir, DIRECTORY_ACCOUNT);
    expect(row(asDirectory, ASSOCIATION).action).toBe('create');
    expect(row(asDirectory, SHARING)).toMatchObject({
      stack: 'Owner',
      action: 'unknown',
      reason: `stack Owner deploys to account ${OWNER}, but your credentials are for account ${DIRECTORY_ACCOUNT}: run the plan with credentials for ${OWNER}`,
    });
    expect(asDirectory.stderr).toContain(`warning: stack Owner deploys to account ${OWNER} and was not read with credentials for account ${DIRECTORY_ACCOUNT}`);

    const asOwner = await plan(dir, OWNER);
    // The alias is shared with the directory account already (seeded): the new resource claims it, with no write.
    expect(row(asOwner, SHARING)).toMatchObject({ action: 'create', writes: [] });
    expect(row(asOwner, ASSOCIATION)).toMatchObject({
      stack: 'Directory',
      action: 'unknown',
      reason: expect.stringContaining(`run the plan with credentials for ${DIRECTORY_ACCOUNT} (an association is read and made in its directory's account`),
    });
    // Nothing of the directory account was read with the owner's credentials.
    expect(asOwner.calls.filter((c) => c.operation === 'GetParametersByPath').map((c) => (c.input as { Path: string }).Path)).toEqual([`/cdk-connection-sharing/workspaces/${ALIAS}`]);
    expect(asOwner.code).toBe(2);
  });
});

describe("the owner's sharing while the directory account is associated", () => {
  async function deployedSharing(): Promise<LocalStack> {
    emulator.workspaces.seedAlias({ AliasId: ALIAS, OwnerAccountId: OWNER });
    const stack = new LocalStack({ emulator, stack: 'Owner' });
    stacks.push(stack);
    expect((await stack.deploy(synthApp({ sharing: [DIRECTORY_ACCOUNT] }))).status).toBe('CREATE_COMPLETE');
    expect(emulator.workspaces.permissions(ALIAS)).toEqual([{ SharedAccountId: DIRECTORY_ACCOUNT, AllowAssociation: true }]);
    return stack;
  }

  test('an update that unshares the associated account, and a removal, are blocked naming the account and directory; plain once disassociated', async () => {
    const stack = await deployedSharing();
    emulator.workspaces.associate(ALIAS, DIRECTORY_ACCOUNT, DIR);

    const edited = synthApp({ sharing: [OTHER] });
    const update = await plan(edited, OWNER, '--stack', 'Owner');
    expect(update.code).toBe(3);
    expect(row(update, SHARING)).toMatchObject({ action: 'blocked', writes: [], reason: expect.stringContaining(`it is associated by account ${DIRECTORY_ACCOUNT} with directory ${DIR}`) });

    const removed = await plan(synthApp({}), OWNER, '--stack', 'Owner');
    expect(removed.code).toBe(3);
    expect(row(removed, SHARING)).toMatchObject({
      action: 'blocked',
      writes: [],
      reason: expect.stringMatching(new RegExp(`removed from the template.*its Delete would fail.*associated by account ${DIRECTORY_ACCOUNT} with directory ${DIR}`)),
    });

    // The deploy agrees: the unshare is refused, and the stack rolls back.
    const failed = await stack.deploy(edited);
    expect(failed.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(failed.failures.map((f) => f.reason).join('\n')).toContain(DIRECTORY_ACCOUNT);

    // Once the directory account disassociates, the same change plans plainly.
    emulator.workspaces.disassociate(ALIAS, DIRECTORY_ACCOUNT);
    const after = await plan(edited, OWNER, '--stack', 'Owner');
    expect(row(after, SHARING)).toMatchObject({ action: 'update', writes: [{ summary: `unshare ${DIRECTORY_ACCOUNT}` }, { summary: `share ${OTHER}` }] });
    expect(after.code).toBe(2);
  }, 180_000);
});
