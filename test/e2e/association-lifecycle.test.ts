// ConnectionAliasAssociation's lifecycle as CloudFormation runs it (emulator/stack.ts), in two accounts with IAM
// enforced: the owner A deploys a ConnectionAliasSharing stack (the alias shared with B), B deploys a
// ConnectionAliasAssociation stack with its own directories. Every event runs the real Provider framework and the
// BUNDLED handlers from the synthesized assemblies (`node scripts/bundle.mjs` first), each under the policy of the
// template version in force.
//
// Each scenario asserts on WorkSpaces as both accounts see it, on the events CloudFormation sent, that no call was
// denied and no rollback failed, and (afterEach) that both accounts end exactly as they started: every alias, every
// directory, every state parameter, and no deployed stack left.
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import * as fs from 'fs';
import { type Emulator, startEmulator } from '../../emulator';
import type { EventResult } from '../../emulator/cloudformation';
import { LocalStack, type StackOperationResult } from '../../emulator/stack';
import { ConnectionAliasAssociation, ConnectionAliasSharing } from '../../lib';
import { tempDir } from '../support/cdk-cli';
import { clean, logLeaks, outcome, responseProblems } from '../support/lifecycle';

const OWNER = '123456789012'; // the emulator's default account: owns the aliases, deploys the sharing stack
const B = '210987654321'; // the directory account: the aliases are shared with it, it deploys the association stack
const REGION = 'eu-west-1';
const ALIAS = 'wsca-assoclife01';
const ALIAS2 = 'wsca-assoclife02';
/** Never shared with B: an association of it fails before any write (the failing sibling of the rollbacks). */
const UNSHARED = 'wsca-assoclife99';
const DIR1 = 'd-1111111111';
const DIR2 = 'd-1111111112';
const OWNER_STACK = 'AliasOwner';
const DIRECTORY_STACK = 'Directory';
const ASSOCIATION = 'Custom::ConnectionAliasAssociation';

// ---------------------------------------------------------------------------------------------------------------
// Stacks, synthesized once per shape

interface DirectoryShape {
  readonly aliasId: string;
  readonly directoryId: string;
  /** A second association, depending on the first (so created after it), of an alias B cannot see: it fails. */
  readonly failingSibling?: boolean;
}

const dirs = new Map<string, string>();
function synth(key: string, build: (app: App) => void): string {
  let dir = dirs.get(key);
  if (!dir) {
    dir = tempDir('e2e-assoc');
    const app = new App({ outdir: dir });
    build(app);
    app.synth();
    dirs.set(key, dir);
  }
  return dir;
}

function ownerApp(aliases: string[]): string {
  return synth(`owner:${aliases.join(',')}`, (app) => {
    const stack = new Stack(app, OWNER_STACK, { env: { account: OWNER, region: REGION } });
    aliases.forEach((aliasId, i) => new ConnectionAliasSharing(stack, `Sharing${i}`, { aliasId, sharedAccountIds: [B] }));
  });
}

function directoryApp(shape: DirectoryShape): string {
  return synth(`directory:${JSON.stringify(shape)}`, (app) => {
    const stack = new Stack(app, DIRECTORY_STACK, { env: { account: B, region: REGION } });
    const association = new ConnectionAliasAssociation(stack, 'Association', { aliasId: shape.aliasId, directoryId: shape.directoryId, aliasOwnerAccountId: OWNER });
    new CfnOutput(stack, 'ConnectionIdentifier', { value: association.connectionIdentifier });
    if (shape.failingSibling) {
      const sibling = new ConnectionAliasAssociation(stack, 'Sibling', { aliasId: UNSHARED, directoryId: DIR2, aliasOwnerAccountId: OWNER });
      sibling.node.addDependency(association);
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------

let emulator: Emulator;
const stacks: LocalStack[] = [];
const results: EventResult[] = [];
let before: string;

beforeAll(async () => {
  emulator = await startEmulator({ accountId: OWNER, region: REGION });
  emulator.account(B);
}, 60_000);

afterAll(async () => {
  await Promise.all(stacks.map((s) => s.close()));
  await emulator?.close();
  for (const d of dirs.values()) fs.rmSync(d, { recursive: true, force: true });
});

/** The aliases as their owner has them (seeded unshared: the sharing stack shares them), and B's directories. */
function seed(o: { shared?: boolean } = {}): void {
  emulator.reset();
  results.length = 0;
  const permissions = o.shared ? [{ SharedAccountId: B, AllowAssociation: true }] : [];
  for (const AliasId of [ALIAS, ALIAS2]) emulator.workspaces.seedAlias({ AliasId, Region: REGION, OwnerAccountId: OWNER, Permissions: permissions });
  emulator.workspaces.seedAlias({ AliasId: UNSHARED, Region: REGION, OwnerAccountId: OWNER });
  for (const DirectoryId of [DIR1, DIR2]) emulator.account(B).workspaces.seedDirectory({ DirectoryId, Region: REGION });
  emulator.workspaces.setPendingDuration({ reads: 1 });
}

/** Everything both accounts hold: WorkSpaces as each sees it, their directories, their state parameters, their stacks. */
function snapshot(): string {
  const ws = (account: string) =>
    [ALIAS, ALIAS2, UNSHARED].map((id) => {
      const a = emulator.account(account).workspaces.getAlias(id);
      return a && { ...a, Associations: a.Associations.map(({ ConnectionIdentifier, ...rest }) => ({ ...rest, identified: !!ConnectionIdentifier })) };
    });
  return JSON.stringify({
    workspaces: { [OWNER]: ws(OWNER), [B]: ws(B) },
    directories: [DIR1, DIR2].map((d) => emulator.workspaces.directory(d)),
    ssm: { [OWNER]: emulator.account(OWNER).ssm.snapshot(), [B]: emulator.account(B).ssm.snapshot() },
    stacks: [OWNER_STACK, DIRECTORY_STACK].map((name) => emulator.cloudFormation.stack(REGION, name)?.stackName ?? null),
  });
}

function ownerStack(): LocalStack {
  const s = new LocalStack({ emulator, stack: OWNER_STACK, accountId: OWNER, region: REGION, onEvent: (r) => results.push(r) });
  stacks.push(s);
  return s;
}

function directoryStack(): LocalStack {
  const s = new LocalStack({ emulator, stack: DIRECTORY_STACK, accountId: B, region: REGION, onEvent: (r) => results.push(r) });
  stacks.push(s);
  return s;
}

/** Seeds, deploys the owner's sharing of both aliases, and records the state both accounts start from. */
async function start(o: { adoptedWith?: string } = {}): Promise<LocalStack> {
  seed();
  if (o.adoptedWith) {
    // Associated by B outside any stack, before either stack exists (shared by hand, then taken over by the stack).
    emulator.workspaces.seedAlias({ AliasId: ALIAS, Region: REGION, OwnerAccountId: OWNER, Permissions: [{ SharedAccountId: B, AllowAssociation: true }] });
    emulator.workspaces.associate(ALIAS, B, o.adoptedWith);
  }
  before = snapshot();
  const owner = ownerStack();
  expect(outcome(await owner.deploy(ownerApp([ALIAS, ALIAS2])))).toEqual(clean('CREATE_COMPLETE'));
  expect(emulator.workspaces.permissions(ALIAS)).toEqual([{ SharedAccountId: B, AllowAssociation: true }]);
  return owner;
}

/** The owner's teardown, after B's; then both accounts must be as they started. */
async function finish(owner: LocalStack): Promise<void> {
  expect(outcome(await owner.deleteStack())).toEqual(clean('DELETE_COMPLETE'));
  expect(snapshot()).toEqual(before);
}

afterEach(async () => {
  // Whatever the scenario: nothing secret in the logs, every response one CloudFormation accepts.
  expect(results.flatMap(logLeaks)).toEqual([]);
  expect(results.flatMap(responseProblems)).toEqual([]);
  await Promise.all(stacks.splice(0).map((s) => s.close()));
});


/** The alias's associations as B sees them: account:directory:status. */
const associations = (aliasId: string) => emulator.account(B).workspaces.getAlias(aliasId)?.Associations.map((a) => `${a.AssociatedAccountId}:${a.ResourceId}:${a.AssociationStatus}`);
const identifierOf = (aliasId: string) => emulator.account(B).workspaces.getAlias(aliasId)?.Associations[0]?.ConnectionIdentifier;
const events = (r: StackOperationResult) => r.events.map((e) => `${e.phase} ${e.requestType} ${e.logicalId.replace(/[0-9A-F]{8}$/, '')} ${e.result.event.PhysicalResourceId ?? '-'} -> ${e.result.response.Status} ${e.result.response.PhysicalResourceId ?? ''}`.trim());
const associationId = (stack: LocalStack) => [...stack.resources.values()].find((r) => r.resourceType === ASSOCIATION && r.logicalId.startsWith('Association'))!;

/** The stack output's value as CloudFormation computes it: the Fn::GetAtt the template names, from the resource's Data. */
function outputValue(assembly: string, result: StackOperationResult): string {
  const template = JSON.parse(fs.readFileSync(`${assembly}/${DIRECTORY_STACK}.template.json`, 'utf8')) as { Outputs: Record<string, { Value: { 'Fn::GetAtt': [string, string] } }> };
  const [logicalId, attribute] = template.Outputs.ConnectionIdentifier.Value['Fn::GetAtt'];
  const event = [...result.events].reverse().find((e) => e.logicalId === logicalId && e.requestType !== 'Delete' && e.result.response.Status === 'SUCCESS')!;
  const value = event.result.response.Data?.[attribute];
  expect(typeof value).toBe('string');
  return value as string;
}

// ---------------------------------------------------------------------------------------------------------------

describe('ConnectionAliasAssociation in account B, of an alias account A shares', () => {
  test('create returns the ConnectionIdentifier the template output reads; the stack delete disassociates', async () => {
    const owner = await start();
    const directory = directoryStack();
    const v1 = directoryApp({ aliasId: ALIAS, directoryId: DIR1 });
    const created = await directory.deploy(v1);
    expect(outcome(created)).toEqual(clean('CREATE_COMPLETE'));
    expect(associations(ALIAS)).toEqual([`${B}:${DIR1}:ASSOCIATED_WITH_SHARED_ACCOUNT`]);
    // The physical id is the alias id; the output is WorkSpaces' own identifier of this association.
    expect(associationId(directory).physicalResourceId).toBe(ALIAS);
    expect(outputValue(v1, created)).toBe(identifierOf(ALIAS));
    expect(identifierOf(ALIAS)).toMatch(/^[a-zA-Z0-9]{1,20}$/);
    // The claim is in B's Parameter Store, not A's.
    expect(emulator.account(B).ssm.names(`/cdk-connection-sharing/workspaces-association/${ALIAS}`).length).toBeGreaterThan(0);
    expect(emulator.ssm.names('/cdk-connection-sharing/workspaces-association')).toEqual([]);

    const deleted = await directory.deleteStack();
    expect(outcome(deleted)).toEqual(clean('DELETE_COMPLETE'));
    expect(associations(ALIAS)).toEqual([]);
    await finish(owner);
  }, 180_000);

  test('adopt: associated outside the stack with this very directory: adopted with no write, left by the RESTORE Delete', async () => {
    const owner = await start({ adoptedWith: DIR1 });
    const identifier = identifierOf(ALIAS);
    const directory = directoryStack();
    const v1 = directoryApp({ aliasId: ALIAS, directoryId: DIR1 });
    const created = await directory.deploy(v1);
    expect(outcome(created)).toEqual(clean('CREATE_COMPLETE'));
    expect(created.events.flatMap((e) => e.result.calls.filter((c) => c.service === 'WorkSpaces' && c.operation !== 'DescribeConnectionAliases'))).toEqual([]);
    expect(outputValue(v1, created)).toBe(identifier);

    const deleted = await directory.deleteStack();
    expect(outcome(deleted)).toEqual(clean('DELETE_COMPLETE'));
    expect(deleted.events.flatMap((e) => e.result.calls.map((c) => c.operation))).not.toContain('DisassociateConnectionAlias');
    expect(associations(ALIAS)).toEqual([`${B}:${DIR1}:ASSOCIATED_WITH_SHARED_ACCOUNT`]);
    expect(identifierOf(ALIAS)).toBe(identifier);

    // The owner's sharing found the alias shared already: its RESTORE Delete leaves it shared, so nothing refuses it.
    await finish(owner);
  }, 180_000);

  test('a directory change moves the association in place: one Update (disassociate, wait, associate), no replacement, no cleanup', async () => {
    const owner = await start();
    const directory = directoryStack();
    expect(outcome(await directory.deploy(directoryApp({ aliasId: ALIAS, directoryId: DIR1 })))).toEqual(clean('CREATE_COMPLETE'));
    const first = identifierOf(ALIAS);

    const v2 = directoryApp({ aliasId: ALIAS, directoryId: DIR2 });
    const moved = await directory.deploy(v2);
    expect(outcome(moved)).toEqual(clean('UPDATE_COMPLETE'));
    expect(events(moved)).toEqual([`update Update Association ${ALIAS} -> SUCCESS ${ALIAS}`]);
    const ops = moved.events[0].result.calls.filter((c) => c.service === 'WorkSpaces' && c.operation !== 'DescribeConnectionAliases').map((c) => `${c.operation} ${c.status}`);
    expect(ops).toEqual(['DisassociateConnectionAlias 200', 'AssociateConnectionAlias 200']);
    expect(associations(ALIAS)).toEqual([`${B}:${DIR2}:ASSOCIATED_WITH_SHARED_ACCOUNT`]);
    expect(outputValue(v2, moved)).toBe(identifierOf(ALIAS));
    expect(identifierOf(ALIAS)).not.toBe(first);

    expect(outcome(await directory.deleteStack())).toEqual(clean('DELETE_COMPLETE'));
    await finish(owner);
  }, 180_000);

  test('a new alias id replaces the resource: the new alias associated, the old one disassociated in the cleanup under the new policy', async () => {
    const owner = await start();
    const directory = directoryStack();
    expect(outcome(await directory.deploy(directoryApp({ aliasId: ALIAS, directoryId: DIR1 })))).toEqual(clean('CREATE_COMPLETE'));

    const v2 = directoryApp({ aliasId: ALIAS2, directoryId: DIR1 });
    const replaced = await directory.deploy(v2);
    expect(outcome(replaced)).toEqual(clean('UPDATE_COMPLETE'));
    expect(events(replaced)).toEqual([`update Update Association ${ALIAS} -> SUCCESS ${ALIAS2}`, `cleanup Delete Association ${ALIAS} -> SUCCESS ${ALIAS}`]);
    // The cleanup ran under the new template's policy, which names only ALIAS2 for AssociateConnectionAlias.
    const cleanup = replaced.events.find((e) => e.phase === 'cleanup')!;
    expect(JSON.stringify(cleanup.policy)).not.toContain(ALIAS);
    expect(cleanup.result.calls.map((c) => `${c.operation} ${c.status}`)).toContain('DisassociateConnectionAlias 200');
    expect([associations(ALIAS), associations(ALIAS2)]).toEqual([[], [`${B}:${DIR1}:ASSOCIATED_WITH_SHARED_ACCOUNT`]]);
    expect(outputValue(v2, replaced)).toBe(identifierOf(ALIAS2));
    expect(emulator.account(B).ssm.names(`/cdk-connection-sharing/workspaces-association/${ALIAS}/`)).toEqual([]);

    expect(outcome(await directory.deleteStack())).toEqual(clean('DELETE_COMPLETE'));
    await finish(owner);
  }, 180_000);

  test('a sibling fails after the Create: the stack rolls back and the association is gone again', async () => {
    const owner = await start();
    const directory = directoryStack();
    const failed = await directory.deploy(directoryApp({ aliasId: ALIAS, directoryId: DIR1, failingSibling: true }));
    expect(outcome(failed)).toEqual({ ...clean('ROLLBACK_COMPLETE'), failures: [expect.stringMatching(new RegExp(`^create Create Sibling\\w+: .*${UNSHARED}.*not shared with account ${B}`, 's'))] });
    expect(events(failed).map((e) => e.replace(/ -> .*/, ''))).toEqual(['create Create Association -', 'create Create Sibling -', `rollback Delete Sibling ${failed.events[1].result.response.PhysicalResourceId}`, `rollback Delete Association ${ALIAS}`]);
    expect(failed.events.every((e) => e.result.response.Status === 'SUCCESS' || (e.phase === 'create' && e.logicalId.startsWith('Sibling')))).toBe(true);
    expect(associations(ALIAS)).toEqual([]);

    expect(outcome(await directory.deleteStack())).toEqual(clean('DELETE_COMPLETE'));
    await finish(owner);
  }, 180_000);

  test('a sibling fails after the Update that moved the association: the rollback Update moves it back', async () => {
    const owner = await start();
    const directory = directoryStack();
    expect(outcome(await directory.deploy(directoryApp({ aliasId: ALIAS, directoryId: DIR1 })))).toEqual(clean('CREATE_COMPLETE'));

    const failed = await directory.deploy(directoryApp({ aliasId: ALIAS, directoryId: DIR2, failingSibling: true }));
    expect(outcome(failed)).toEqual({ ...clean('UPDATE_ROLLBACK_COMPLETE'), failures: [expect.stringMatching(/^create Create Sibling\w+: /)] });
    expect(events(failed).map((e) => e.replace(/ -> .*/, ''))).toEqual([
      `update Update Association ${ALIAS}`,
      'create Create Sibling -',
      `rollback Update Association ${ALIAS}`,
      `rollback-cleanup Delete Sibling ${failed.events[1].result.response.PhysicalResourceId}`,
    ]);
    const rollback = failed.events.find((e) => e.phase === 'rollback')!;
    expect(rollback.result.event.ResourceProperties).toMatchObject({ DirectoryId: DIR1 });
    expect(rollback.result.response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: ALIAS });
    expect(associations(ALIAS)).toEqual([`${B}:${DIR1}:ASSOCIATED_WITH_SHARED_ACCOUNT`]);
    expect(rollback.result.response.Data?.ConnectionIdentifier).toBe(identifierOf(ALIAS));

    // The stack is usable again: its delete disassociates.
    expect(outcome(await directory.deleteStack())).toEqual(clean('DELETE_COMPLETE'));
    await finish(owner);
  }, 240_000);

  test('every event delivered twice (create, move, delete): the same answers, the work done once', async () => {
    const owner = await start();
    const directory = directoryStack();
    const created = await directory.deploy(directoryApp({ aliasId: ALIAS, directoryId: DIR1 }), { deliverTwice: true });
    expect(outcome(created)).toEqual(clean('CREATE_COMPLETE'));
    const [once, twice] = created.events;
    expect([once.delivery, twice.delivery]).toEqual([1, 2]);
    expect(twice.result.response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: ALIAS, Data: once.result.response.Data });
    expect(twice.result.calls.map((c) => c.operation)).not.toContain('AssociateConnectionAlias');

    const moved = await directory.deploy(directoryApp({ aliasId: ALIAS, directoryId: DIR2 }), { deliverTwice: true });
    expect(outcome(moved)).toEqual(clean('UPDATE_COMPLETE'));
    expect(moved.events.map((e) => `${e.requestType} ${e.delivery} ${e.result.response.Status}`)).toEqual(['Update 1 SUCCESS', 'Update 2 SUCCESS']);
    expect(moved.events[1].result.response.Data).toEqual(moved.events[0].result.response.Data);
    expect(moved.events.flatMap((e) => e.result.calls.filter((c) => c.operation === 'AssociateConnectionAlias'))).toHaveLength(1);
    expect(associations(ALIAS)).toEqual([`${B}:${DIR2}:ASSOCIATED_WITH_SHARED_ACCOUNT`]);

    const deleted = await directory.deleteStack({ deliverTwice: true });
    expect(outcome(deleted)).toEqual(clean('DELETE_COMPLETE'));
    expect(deleted.events.map((e) => e.result.response.Status)).toEqual(['SUCCESS', 'SUCCESS']);
    expect(associations(ALIAS)).toEqual([]);
    await finish(owner);
  }, 240_000);

  test('Delete when the association is already gone (disassociated outside the stack): success, nothing written to WorkSpaces', async () => {
    const owner = await start();
    const directory = directoryStack();
    expect(outcome(await directory.deploy(directoryApp({ aliasId: ALIAS, directoryId: DIR1 })))).toEqual(clean('CREATE_COMPLETE'));
    emulator.workspaces.disassociate(ALIAS, B);

    const deleted = await directory.deleteStack();
    expect(outcome(deleted)).toEqual(clean('DELETE_COMPLETE'));
    expect(deleted.events.flatMap((e) => e.result.calls.map((c) => c.operation))).not.toContain('DisassociateConnectionAlias');
    await finish(owner);
  }, 180_000);

  test("the owner's unshare: refused while B is associated, naming the account, the directory and what to do; succeeds once B's stack is deleted", async () => {
    const owner = await start();
    const directory = directoryStack();
    expect(outcome(await directory.deploy(directoryApp({ aliasId: ALIAS, directoryId: DIR1 })))).toEqual(clean('CREATE_COMPLETE'));

    const refused = await owner.deleteStack();
    expect(refused.status).toBe('DELETE_FAILED');
    expect(outcome(refused).denied).toEqual([]);
    // The failed Delete is the operation's failure (emulator/stack.ts recorded none for a stack delete before).
    expect(refused.failures.map((f) => `${f.phase} ${f.requestType} ${f.logicalId.replace(/[0-9A-F]{8}$/, '')}`)).toEqual(['delete Delete Sharing0']);
    const reason = refused.failures.map((f) => f.reason).join('\n');
    expect(reason).toContain(ALIAS);
    expect(reason).toContain(`account ${B} with directory ${DIR1}`);
    expect(reason).toMatch(/disassociate the alias from its directory first \(DisassociateConnectionAlias\), then retry/);
    // Nothing changed: still shared, still associated.
    expect(emulator.workspaces.permissions(ALIAS)).toEqual([{ SharedAccountId: B, AllowAssociation: true }]);
    expect(associations(ALIAS)).toEqual([`${B}:${DIR1}:ASSOCIATED_WITH_SHARED_ACCOUNT`]);

    // B's stack first (its RESTORE Delete waits until WorkSpaces has finished), then the owner's delete, retried.
    expect(outcome(await directory.deleteStack())).toEqual(clean('DELETE_COMPLETE'));
    await finish(owner);
  }, 180_000);
});
