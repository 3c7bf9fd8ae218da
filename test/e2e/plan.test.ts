// `cdk-connection-sharing plan` end to end: the BUNDLED command (assets/cli/index.js, the package's bin) run as a
// child process against the emulator, on apps synthesized as a user would; then the real deploy (LocalCloudFormation:
// the Provider framework and the bundled handlers from cdk.out). For each situation: the writes the handler made
// (from the emulator's request log, in order, with their requests) are exactly the writes the plan listed, a second
// plan then says what is left (none, exit 0, once converged), and the plan itself made no write call at all.
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { stripVTControlCharacters } from 'util';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { AwsError, type Emulator, type LoggedCall, type PolicyStatement, startEmulator } from '../../emulator';
import { type EventResult, LocalCloudFormation } from '../../emulator/cloudformation';
import { LocalStack } from '../../emulator/stack';
import { AccessType, ConnectionAliasSharing, OnDelete, PartnerConnectionPreferences } from '../../lib';
import { ROOT, tempDir } from '../support/cdk-cli';
import { ENV, STACK, synthExample } from '../support/lifecycle';

const CLI = path.join(ROOT, 'assets', 'cli', 'index.js');
const PREFS = 'Custom::PartnerConnectionPreferences';
const SHARING = 'Custom::ConnectionAliasSharing';
const ALIAS = 'wsca-abcdefgh12';
const SHARED = '210987654321';
const OTHER = '333333333333';
const CATALOG = 'Sandbox';
/** 100 unique participant ids of 100 characters: the API's largest exclusion list. */
const MAX_EXCLUSIONS = Array.from({ length: 100 }, (_, i) => `p${String(i).padStart(3, '0')}-`.padEnd(100, 'x'));
const READ_ONLY = /^(Get|Describe|List)/;
const MANAGED_WRITES = new Set(['UpdateConnectionPreferences', 'UpdateConnectionAliasPermission']);

interface PlanJson {
  resources: {
    stack: string;
    logicalId: string;
    path: string;
    resourceType: string;
    action: string;
    manages: string;
    drift: { drifted: boolean; detail?: string } | null;
    writes: { operation: string; summary: string; request?: Record<string, unknown> }[];
    reason: string | null;
    onDelete: string | null;
  }[];
  summary: Record<'create' | 'update' | 'delete' | 'none' | 'blocked' | 'unknown', number>;
}

interface PlanRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly json?: PlanJson;
  /** The emulator calls the plan made. */
  readonly calls: LoggedCall[];
}

let emulator: Emulator;
const dirs: string[] = [];
let base: string;
let edited: string;
let maxed: string;
let literal: string;
const clouds: LocalCloudFormation[] = [];
const home = tempDir('plan-home');
/** Extra environment of the next plan runs (e.g. a reviewer's access key); reset before each test. */
let extraEnv: Record<string, string> = {};

beforeAll(async () => {
  base = synthExample();
  edited = synthExample({ accessType: AccessType.DENY_ALL, sharedAccountIds: [OTHER] });
  maxed = synthExample({ excludedParticipantIds: MAX_EXCLUSIONS });
  literal = synthLiteralApp();
  dirs.push(base, edited, maxed, literal);
  if (!fs.existsSync(CLI)) throw new Error('run `node scripts/bundle.mjs` (npm test does) before the e2e tests');
  emulator = await startEmulator();
}, 120_000);

afterAll(async () => {
  for (const c of clouds) await c.close();
  await emulator?.close();
  for (const d of [...dirs, home]) fs.rmSync(d, { recursive: true, force: true });
});

beforeEach(() => {
  emulator.reset();
  extraEnv = {};
});

/** The deployed stack as LocalCloudFormation delivers its events (`stackName` another stack of the same app). */
async function stackOf(dir: string, stackName?: string): Promise<LocalCloudFormation> {
  const cfn = await LocalCloudFormation.load({ emulator, assemblyDir: dir, stack: STACK, stackName, attributes: { Alias: ALIAS } });
  clouds.push(cfn);
  return cfn;
}

/** The stack exists with its alias: deployed before this resource was added, or by an earlier deploy. */
function aliasDeployed(cfn: LocalCloudFormation): void {
  emulator.cloudFormation.recordResource(cfn, { logicalId: 'Alias', physicalId: ALIAS, resourceType: 'AWS::WorkSpaces::ConnectionAlias' });
}

/** Runs the bundled command as a user would (npx runs the same file), asynchronously: the emulator is in this process. */
function plan(dir: string, ...args: string[]): Promise<PlanRun> {
  const first = emulator.log.entries.length;
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ...emulator.env(), ...(args.includes('--no-creds') ? { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' } : {}), ...extraEnv };
  const argv = [CLI, 'plan', '--app', dir, ...args.filter((a) => a !== '--no-creds')];
  return new Promise((resolve) => {
    execFile(process.execPath, argv, { env, timeout: 60_000, maxBuffer: 10 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? Number((err as { code?: unknown }).code ?? 1) : 0;
      const json = argv.includes('--json') && stdout ? (JSON.parse(stdout) as PlanJson) : undefined;
      resolve({ code, stdout, stderr, json, calls: emulator.log.entries.slice(first) });
    });
  });
}

/** Asserts what every plan must be: read-only (no call other than Get/Describe/List), and one JSON object. */
function readOnly(run: PlanRun): PlanRun {
  expect(run.calls.filter((c) => !READ_ONLY.test(c.operation)).map((c) => c.operation)).toEqual([]);
  return run;
}

function resource(run: PlanRun, type: string) {
  const found = run.json!.resources.find((r) => r.resourceType === type);
  if (!found) throw new Error(`no ${type} in the plan: ${run.stdout}`);
  return found;
}

/** The writes the plan lists for these resources, in order: the operation and the request. */
function plannedWrites(run: PlanRun, ...types: string[]) {
  return types.flatMap((t) => resource(run, t).writes.map((w) => ({ operation: w.operation, request: w.request })));
}

/** The managed-API write calls the handler made (every attempt, refused ones too), with their requests. */
function handlerWrites(results: EventResult[]) {
  return results
    .flatMap((r) => r.calls)
    .filter((c) => MANAGED_WRITES.has(c.operation))
    .map((c) => {
      const { Revision: _revision, ...request } = c.input as Record<string, unknown>;
      return { operation: c.operation, request, ok: c.status < 300 };
    });
}

function ok(writes: ReturnType<typeof handlerWrites>) {
  expect(writes.every((w) => w.ok)).toBe(true);
  return writes.map(({ operation, request }) => ({ operation, request }));
}

async function createAll(cfn: LocalCloudFormation): Promise<EventResult[]> {
  return [await cfn.resource(PREFS).create(), await cfn.resource(SHARING).create()];
}

/** A stack update delivering `next`'s properties to resources created from `cfn` (CloudFormation sends Update). */
async function updateAll(cfn: LocalCloudFormation, next: LocalCloudFormation = cfn): Promise<EventResult[]> {
  const out: EventResult[] = [];
  for (const type of [PREFS, SHARING]) {
    const r = cfn.resource(type);
    // Rebuild the handle's state: a create already happened in this test.
    r.physicalResourceId = type === PREFS ? arnOf(CATALOG) : ALIAS;
    r.properties = cfn.resolveProperties(type);
    const outcome = await r.update(next.resolveProperties(type), { rollback: false });
    out.push(outcome.update);
  }
  return out;
}

const arnOf = (catalog: string) => `arn:aws:partnercentral:us-east-1:123456789012:catalog/${catalog}/connection-preferences`;

function unshareOutOfBand(account: string): Promise<unknown> {
  return emulator.workspaces.handle('UpdateConnectionAliasPermission', { AliasId: ALIAS, ConnectionAliasPermission: { SharedAccountId: account, AllowAssociation: false } });
}

/** A stack whose properties are all literals (an existing alias by id): planning it needs no CloudFormation call. */
function synthLiteralApp(): string {
  const outdir = tempDir('plan-literal');
  // As the CDK CLI synthesizes: with construct paths in the metadata.
  const app = new App({ outdir, context: { 'aws:cdk:enable-path-metadata': true } });
  const stack = new Stack(app, 'Literal', { env: ENV });
  new PartnerConnectionPreferences(stack, 'Prefs', { catalog: 'AWS', accessType: AccessType.DENY_ALL });
  new ConnectionAliasSharing(stack, 'Share', { aliasId: ALIAS, sharedAccountIds: [SHARED] });
  new CfnResource(new Stack(app, 'Empty', { env: ENV }), 'Handle', { type: 'AWS::CloudFormation::WaitConditionHandle' });
  app.synth();
  return outdir;
}

describe('situations: the plan, then the deploy makes exactly the planned writes', () => {
  test('fresh account, stack not deployed yet: create for literal properties, unknown for the alias id of a resource not deployed', async () => {
    emulator.workspaces.seedAlias({ AliasId: ALIAS });
    const first = readOnly(await plan(base, '--json'));
    expect(first.code).toBe(2);
    expect(first.json!.summary).toEqual({ create: 1, update: 0, delete: 0, none: 0, blocked: 0, unknown: 1 });
    expect(resource(first, PREFS)).toMatchObject({
      stack: STACK,
      logicalId: expect.stringMatching(/^Preferences/),
      // A test's App writes no aws:cdk:path metadata (the CDK CLI turns it on): the path falls back to the logical id.
      path: expect.stringMatching(/^Preferences/),
      action: 'create',
      manages: 'catalog Sandbox',
      drift: { drifted: false },
      writes: [{ operation: 'UpdateConnectionPreferences', summary: 'AccessType ALLOW_ALL -> ALLOW_BY_DEFAULT_DENY_SOME, excluded +2 -0' }],
      onDelete: 'restore AccessType ALLOW_ALL, 0 exclusions',
    });
    expect(resource(first, SHARING)).toMatchObject({
      action: 'unknown',
      drift: null,
      writes: [],
      reason: `AliasId is Fn::GetAtt Alias.AliasId (AWS::WorkSpaces::ConnectionAlias), and stack ${STACK} is not deployed in eu-west-1 yet`,
    });
    expect(first.calls.filter((c) => c.service === 'CloudFormation').map((c) => c.operation)).toEqual(['DescribeStacks']);

    const cfn = await stackOf(base);
    const prefsCreate = await cfn.resource(PREFS).create();
    expect(ok(handlerWrites([prefsCreate]))).toEqual(plannedWrites(first, PREFS));
    await cfn.resource(SHARING).create();

    const second = readOnly(await plan(base, '--json'));
    expect(second.json!.resources.map((r) => r.action)).toEqual(['none', 'none']);
    expect(second.code).toBe(0);
  });

  test('fresh account, the stack deployed with its alias: create for both, with the exact writes', async () => {
    emulator.workspaces.seedAlias({ AliasId: ALIAS });
    const cfn = await stackOf(base);
    aliasDeployed(cfn);
    const first = readOnly(await plan(base, '--json'));
    expect(first.code).toBe(2);
    expect(resource(first, SHARING)).toMatchObject({
      action: 'create',
      manages: `alias ${ALIAS}`,
      writes: [
        {
          operation: 'UpdateConnectionAliasPermission',
          summary: `share ${SHARED}`,
          request: { AliasId: ALIAS, ConnectionAliasPermission: { SharedAccountId: SHARED, AllowAssociation: true } },
        },
      ],
      onDelete: `unshare ${SHARED}`,
    });
    expect(resource(first, PREFS).writes[0].request).toEqual({ Catalog: CATALOG, AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIdentifiers: ['partner-blocked-1', 'partner-blocked-2'] });

    const deployed = await createAll(cfn);
    expect(deployed.map((r) => r.response.Status)).toEqual(['SUCCESS', 'SUCCESS']);
    expect(ok(handlerWrites(deployed))).toEqual(plannedWrites(first, PREFS, SHARING));

    const second = readOnly(await plan(base, '--json'));
    expect(second.json!.summary).toEqual({ create: 0, update: 0, delete: 0, none: 2, blocked: 0, unknown: 0 });
    expect(second.code).toBe(0);
  });

  test('converged: none, exit 0, and a redeploy writes nothing', async () => {
    emulator.workspaces.seedAlias({ AliasId: ALIAS });
    const cfn = await stackOf(base);
    await createAll(cfn);
    const first = readOnly(await plan(base, '--json'));
    expect(first.code).toBe(0);
    expect(first.json!.resources.map((r) => [r.action, r.writes, r.drift])).toEqual([
      ['none', [], { drifted: false }],
      ['none', [], { drifted: false }],
    ]);
    expect(ok(handlerWrites(await updateAll(cfn)))).toEqual([]);
    expect((await plan(base, '--json')).code).toBe(0);
  });

  test('drift: an out-of-band change shows as drift with the writes that put it back', async () => {
    emulator.workspaces.seedAlias({ AliasId: ALIAS });
    const cfn = await stackOf(base);
    await createAll(cfn);
    emulator.partnerCentral.externalWrite(CATALOG, { AccessType: 'DENY_ALL' });
    await unshareOutOfBand(SHARED);

    const first = readOnly(await plan(base, '--json'));
    expect(first.code).toBe(2);
    expect(resource(first, PREFS)).toMatchObject({
      action: 'update',
      drift: { drifted: true, detail: expect.stringContaining('the live AccessType DENY_ALL, 2 exclusions is not what this resource last applied') },
      writes: [{ operation: 'UpdateConnectionPreferences', summary: 'AccessType DENY_ALL -> ALLOW_BY_DEFAULT_DENY_SOME' }],
      // The properties did not change: CloudFormation would not send this resource an Update on its own.
      reason: expect.stringContaining('only when one of its properties changes'),
    });
    expect(resource(first, SHARING)).toMatchObject({
      action: 'update',
      drift: { drifted: true, detail: `declared account(s) ${SHARED} were unshared outside the stack` },
      writes: [{ operation: 'UpdateConnectionAliasPermission', summary: `share ${SHARED}` }],
    });

    expect(ok(handlerWrites(await updateAll(cfn)))).toEqual(plannedWrites(first, PREFS, SHARING));
    const second = readOnly(await plan(base, '--json'));
    expect([second.code, second.json!.summary.none]).toEqual([0, 2]);
  });

  test('an edited app: update with the writes in the handler order (unshare before share)', async () => {
    emulator.workspaces.seedAlias({ AliasId: ALIAS });
    const cfn = await stackOf(base);
    await createAll(cfn);
    const first = readOnly(await plan(edited, '--json'));
    expect(first.code).toBe(2);
    expect(resource(first, PREFS).writes.map((w) => w.summary)).toEqual(['AccessType ALLOW_BY_DEFAULT_DENY_SOME -> DENY_ALL']);
    expect(resource(first, SHARING).writes.map((w) => w.summary)).toEqual([`unshare ${SHARED}`, `share ${OTHER}`]);
    expect(resource(first, SHARING).onDelete).toBe(`unshare ${OTHER}`);

    expect(ok(handlerWrites(await updateAll(cfn, await stackOf(edited))))).toEqual(plannedWrites(first, PREFS, SHARING));
    const second = readOnly(await plan(edited, '--json'));
    expect([second.code, second.json!.resources.map((r) => r.action)]).toEqual([0, ['none', 'none']]);
  });

  test('lock held by another stack: blocked naming it, exit 3, and the deploy fails without a write', async () => {
    emulator.workspaces.seedAlias({ AliasId: ALIAS });
    const other = await stackOf(base, 'OtherStack');
    await createAll(other);
    const cfn = await stackOf(base);
    aliasDeployed(cfn);

    const first = readOnly(await plan(base, '--json'));
    expect(first.code).toBe(3);
    expect(first.json!.summary).toMatchObject({ blocked: 2 });
    for (const type of [PREFS, SHARING]) {
      expect(resource(first, type)).toMatchObject({ action: 'blocked', writes: [], reason: expect.stringMatching(/managed by resource \S+ of stack OtherStack \(arn:aws:cloudformation:eu-west-1:/) });
    }
    const deployed = await createAll(cfn);
    expect(deployed.map((r) => r.response.Status)).toEqual(['FAILED', 'FAILED']);
    expect(handlerWrites(deployed)).toEqual(plannedWrites(first, PREFS, SHARING).map((w) => ({ ...w, ok: true })));
    expect((await plan(base, '--json')).code).toBe(3);
  });

  test('an association blocks the unshare: blocked naming the account and directory; the other resource still updates', async () => {
    emulator.workspaces.seedAlias({ AliasId: ALIAS });
    const cfn = await stackOf(base);
    await createAll(cfn);
    emulator.workspaces.associate(ALIAS, SHARED, 'd-9067a1b2c3');

    const first = readOnly(await plan(edited, '--json'));
    expect(first.code).toBe(3);
    expect(resource(first, SHARING)).toMatchObject({
      action: 'blocked',
      writes: [],
      reason: expect.stringContaining(`it is associated by account ${SHARED} with directory d-9067a1b2c3`),
    });
    expect(resource(first, PREFS).action).toBe('update');

    const deployed = await updateAll(cfn, await stackOf(edited));
    expect(deployed.map((r) => r.response.Status)).toEqual(['SUCCESS', 'FAILED']);
    expect(ok(handlerWrites(deployed))).toEqual(plannedWrites(first, PREFS, SHARING));
    const second = readOnly(await plan(edited, '--json'));
    expect([second.code, second.json!.resources.map((r) => r.action)]).toEqual([3, ['none', 'blocked']]);
  });

  test('alias missing: blocked, and the Create fails without a write', async () => {
    const cfn = await stackOf(base);
    aliasDeployed(cfn);
    const first = readOnly(await plan(base, '--json'));
    expect(first.code).toBe(3);
    expect(resource(first, SHARING)).toMatchObject({ action: 'blocked', reason: `Connection alias ${ALIAS} was not found in eu-west-1 of account 123456789012. Check the alias id, and deploy the stack in the alias's region.` });
    const created = await cfn.resource(SHARING).create();
    expect(created.response.Status).toBe('FAILED');
    expect(handlerWrites([created])).toEqual([]);
  });

  test('100 exclusions of 100 characters: one write with the whole list, then none', async () => {
    emulator.partnerCentral.seed(CATALOG, { AccessType: 'ALLOW_ALL', ExcludedParticipantIds: [] });
    const first = readOnly(await plan(maxed, '--json', '--stack', STACK));
    expect(resource(first, PREFS).writes).toEqual([
      {
        operation: 'UpdateConnectionPreferences',
        summary: 'AccessType ALLOW_ALL -> ALLOW_BY_DEFAULT_DENY_SOME, excluded +100 -0',
        request: { Catalog: CATALOG, AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIdentifiers: MAX_EXCLUSIONS },
      },
    ]);
    const cfn = await stackOf(maxed);
    expect(ok(handlerWrites([await cfn.resource(PREFS).create()]))).toEqual(plannedWrites(first, PREFS));
    const second = readOnly(await plan(maxed, '--json'));
    expect(resource(second, PREFS)).toMatchObject({ action: 'none', onDelete: 'restore AccessType ALLOW_ALL, 0 exclusions' });
  });
});

/** A stack `Fleet` of literal properties (a catalog, an alias), or with none of this library's resources. */
function synthFleet(resources: { catalog?: string; aliasId?: string }): string {
  const outdir = tempDir('plan-fleet');
  const app = new App({ outdir, context: { 'aws:cdk:enable-path-metadata': true } });
  const stack = new Stack(app, 'Fleet', { env: ENV });
  if (resources.catalog) new PartnerConnectionPreferences(stack, 'Prefs', { catalog: resources.catalog, accessType: AccessType.DENY_ALL });
  if (resources.aliasId) new ConnectionAliasSharing(stack, 'Share', { aliasId: resources.aliasId, sharedAccountIds: [SHARED] });
  new CfnResource(stack, 'Handle', { type: 'AWS::CloudFormation::WaitConditionHandle' });
  app.synth();
  dirs.push(outdir);
  return outdir;
}

/** The managed-API writes of a stack operation's cleanup Deletes (every attempt), with their requests. */
function cleanupWrites(events: { phase: string; requestType: string; result: EventResult }[]) {
  // An event's calls are the log's calls within its time window: concurrent cleanup Deletes see each other's, once each.
  const calls = [...new Set(events.filter((e) => e.phase === 'cleanup' && e.requestType === 'Delete').flatMap((e) => e.result.calls))].sort((a, b) => a.time - b.time);
  return handlerWrites([{ calls } as unknown as EventResult]);
}

describe('what the deploy deletes (issue 14, defect 2): the cleanup Deletes of removed and replaced resources', () => {
  const ALIAS2 = 'wsca-zyxwvuts98';
  let stack: LocalStack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  async function deployed(): Promise<LocalStack> {
    emulator.workspaces.seedAlias({ AliasId: ALIAS });
    emulator.workspaces.seedAlias({ AliasId: ALIAS2 });
    emulator.partnerCentral.seed(CATALOG, { AccessType: 'ALLOW_ALL', ExcludedParticipantIds: ['kept-1'] });
    stack = new LocalStack({ emulator, stack: 'Fleet' });
    expect((await stack.deploy(synthFleet({ catalog: CATALOG, aliasId: ALIAS }))).status).toBe('CREATE_COMPLETE');
    return stack;
  }

  test('plan of a removed resource: delete with the restore and unshare writes (exit 2), which the deploy cleanup then makes exactly', async () => {
    const s = await deployed();
    const next = synthFleet({});
    const run = readOnly(await plan(next, '--json'));
    expect(run.code).toBe(2);
    expect(run.json!.summary).toEqual({ create: 0, update: 0, delete: 2, none: 0, blocked: 0, unknown: 0 });
    expect(resource(run, PREFS)).toMatchObject({
      action: 'delete',
      path: 'Fleet/Prefs/Resource/Default',
      manages: `catalog ${CATALOG}`,
      reason: expect.stringContaining('removed from the template'),
      onDelete: 'restore AccessType ALLOW_ALL, 1 exclusion',
      writes: [{ operation: 'UpdateConnectionPreferences', request: { Catalog: CATALOG, AccessType: 'ALLOW_ALL', ExcludedParticipantIdentifiers: ['kept-1'] } }],
    });
    expect(resource(run, SHARING)).toMatchObject({ action: 'delete', manages: `alias ${ALIAS}`, onDelete: `unshare ${SHARED}` });
    const text = await plan(next);
    expect(text.stdout).toMatch(/\[-\] Custom::ConnectionAliasSharing Share\w+ {2}alias wsca-abcdefgh12 {2}delete/);
    expect(text.stdout).toContain('(0 to create, 0 to update, 2 to delete, 0 unchanged, 0 blocked, 0 unknown)');

    const update = await s.deploy(next);
    expect(update.status).toBe('UPDATE_COMPLETE');
    // The two cleanup Deletes run concurrently (independent resources): the same requests, in either order.
    const sorted = (w: unknown[]) => w.map((x) => JSON.stringify(x)).sort();
    expect(sorted(ok(cleanupWrites(update.events)))).toEqual(sorted(plannedWrites(run, PREFS, SHARING)));
    expect(ok(cleanupWrites(update.events)).length).toBe(2);
    const after = readOnly(await plan(next, '--json'));
    expect([after.code, after.json!.resources]).toEqual([0, []]);
  });

  test('plan of replaced resources (a new catalog, a new alias): create the new, delete the old with its writes; the cleanup makes exactly those', async () => {
    const s = await deployed();
    const next = synthFleet({ catalog: 'AWS', aliasId: ALIAS2 });
    const run = readOnly(await plan(next, '--json'));
    expect(run.code).toBe(2);
    expect(run.json!.summary).toEqual({ create: 2, update: 0, delete: 2, none: 0, blocked: 0, unknown: 0 });
    const deletes = run.json!.resources.filter((r) => r.action === 'delete');
    expect(deletes.map((r) => [r.resourceType, r.manages])).toEqual([
      [PREFS, `catalog ${CATALOG}`],
      [SHARING, `alias ${ALIAS}`],
    ]);
    expect(deletes[0].reason).toContain(`replaced: the catalog changes from ${CATALOG} to AWS`);
    expect(deletes[1].reason).toContain(`replaced: the alias changes from ${ALIAS} to ${ALIAS2}`);
    const deleteWrites = deletes.flatMap((r) => r.writes.map((w) => ({ operation: w.operation, request: w.request })));
    expect(deleteWrites).toEqual([
      { operation: 'UpdateConnectionPreferences', request: { Catalog: CATALOG, AccessType: 'ALLOW_ALL', ExcludedParticipantIdentifiers: ['kept-1'] } },
      { operation: 'UpdateConnectionAliasPermission', request: { AliasId: ALIAS, ConnectionAliasPermission: { SharedAccountId: SHARED, AllowAssociation: false } } },
    ]);

    const update = await s.deploy(next);
    expect(update.status).toBe('UPDATE_COMPLETE');
    // The two cleanup Deletes run concurrently (independent resources): the same requests, in either order.
    const sorted = (w: unknown[]) => w.map((x) => JSON.stringify(x)).sort();
    expect(sorted(ok(cleanupWrites(update.events)))).toEqual(sorted(deleteWrites));
    const after = readOnly(await plan(next, '--json'));
    expect([after.code, after.json!.resources.map((r) => r.action)]).toEqual([0, ['none', 'none']]);
  });

  test('OnDelete RETAIN of a removed resource: delete that writes nothing, says retain', async () => {
    emulator.workspaces.seedAlias({ AliasId: ALIAS });
    stack = new LocalStack({ emulator, stack: 'Literal' });
    const outdir = tempDir('plan-retain');
    const app = new App({ outdir });
    new ConnectionAliasSharing(new Stack(app, 'Literal', { env: ENV }), 'Kept', { aliasId: ALIAS, sharedAccountIds: [SHARED], onDelete: OnDelete.RETAIN });
    app.synth();
    dirs.push(outdir);
    await stack.deploy(outdir);
    const run = readOnly(await plan(literal, '--json', '--stack', 'Literal'));
    // The literal app has no Kept: the deployed one is removed (its Share, on the same alias, is blocked by Kept's claim).
    const removed = run.json!.resources.find((r) => r.action === 'delete')!;
    expect(removed).toMatchObject({ resourceType: SHARING, logicalId: expect.stringMatching(/^Kept/), writes: [], onDelete: 'retain every share' });
    expect(run.code).toBe(3);
  });

  test('a stale claim of a re-created stack (same name, other stack id) is shown as the takeover the deploy makes', async () => {
    emulator.workspaces.seedAlias({ AliasId: ALIAS });
    const s = await deployed();
    await s.deleteStack({ retain: [...s.resources.keys()] });
    const next = synthFleet({ catalog: CATALOG, aliasId: ALIAS });
    const run = readOnly(await plan(next, '--json'));
    expect(run.code).toBe(2);
    for (const type of [PREFS, SHARING]) {
      expect(resource(run, type)).toMatchObject({ action: 'create', reason: expect.stringContaining('takes over the claim left by resource') });
    }
    const created = await s.deploy(next);
    expect(created.status).toBe('CREATE_COMPLETE');
    // Concurrent Creates: each event's time window sees the other's calls; once each, in either order.
    const calls = [...new Set(created.events.flatMap((e) => e.result.calls))].sort((a, b) => a.time - b.time);
    const sorted = (w: unknown[]) => w.map((x) => JSON.stringify(x)).sort();
    expect(sorted(ok(handlerWrites([{ calls } as unknown as EventResult])))).toEqual(sorted(plannedWrites(run, PREFS, SHARING)));
  });
});

describe('the command', () => {
  test('a stack not deployed yet costs one CloudFormation call; --stack narrows; the human output reads at a glance, without colour off a terminal', async () => {
    emulator.workspaces.seedAlias({ AliasId: ALIAS });
    const run = readOnly(await plan(literal, '--stack', 'Literal'));
    expect(run.code).toBe(2);
    expect(run.calls.filter((c) => c.service === 'CloudFormation').map((c) => c.operation)).toEqual(['DescribeStacks']);
    expect(new Set(run.calls.map((c) => `${c.service}.${c.operation}`))).toEqual(
      new Set(['STS.GetCallerIdentity', 'CloudFormation.DescribeStacks', 'PartnerCentralAccount.GetConnectionPreferences', 'SSM.GetParametersByPath', 'WorkSpaces.DescribeConnectionAliases', 'WorkSpaces.DescribeConnectionAliasPermissions']),
    );
    expect(stripVTControlCharacters(run.stdout)).toBe(run.stdout);
    expect(run.stdout).toContain('Stack Literal (123456789012 / eu-west-1)');
    expect(run.stdout).toContain('    path      Literal/Prefs/Resource/Default');
    expect(run.stdout).toMatch(/\[\+\] Custom::PartnerConnectionPreferences Prefs\w+ {2}catalog AWS {2}create/);
    expect(run.stdout).toContain('writes    1. UpdateConnectionPreferences: AccessType ALLOW_ALL -> DENY_ALL');
    expect(run.stdout).toContain(`1. UpdateConnectionAliasPermission: share ${SHARED}`);
    expect(run.stdout).toContain('The next deploy would make changes (2 to create, 0 to update, 0 to delete, 0 unchanged, 0 blocked, 0 unknown).');
  });

  test('exit 1 with a clear message: an unknown stack (naming the ones that exist), bad arguments, no assembly, no credentials', async () => {
    const unknownStack = await plan(literal, '--stack', 'Nope');
    expect(unknownStack.code).toBe(1);
    expect(unknownStack.stderr).toMatch(/no stack named Nope in the assembly; its stacks are: (Literal, Empty|Empty, Literal)\n/);
    expect(unknownStack.stdout).toBe('');

    const bad = await plan(literal, '--frobnicate');
    expect([bad.code, bad.stderr]).toEqual([1, expect.stringContaining('unknown option --frobnicate')]);

    const missing = await plan(path.join(home, 'no-such-dir'));
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringContaining('no cloud assembly in')]);

    const noCreds = await plan(literal, '--no-creds', '--json');
    expect(noCreds.code).toBe(1);
    expect(noCreds.stderr).toContain('could not tell which AWS account your credentials belong to');
    expect(noCreds.stdout).toBe('');
    expect(noCreds.calls).toEqual([]);

    const empty = await plan(literal, '--stack', 'Empty', '--json');
    expect([empty.code, empty.json]).toEqual([0, { resources: [], summary: { create: 0, update: 0, delete: 0, none: 0, blocked: 0, unknown: 0 } }]);
  });

  test('a denied read fails the plan (exit 1), naming the resource and the operation', async () => {
    emulator.workspaces.seedAlias({ AliasId: ALIAS });
    emulator.faults.failNext('DescribeConnectionAliasPermissions', Infinity, new AwsError(400, 'AccessDeniedException', 'User is not authorized to perform workspaces:DescribeConnectionAliasPermissions'));
    const run = readOnly(await plan(literal, '--json'));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/could not read the live state of 1 resource\(s\):\n {2}Literal Share\w+ \(Literal\/Share\/Resource\/Default\): access denied to DescribeConnectionAliasPermissions/);
  });

  test("the README's permissions are enough, each one is needed, and ListStackResources and GetTemplate only for a deployed stack (IAM enforced)", async () => {
    // The policy exactly as the README prints it, for the emulated account.
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const block = /\*\*Permissions\*\* a reviewer's role needs[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)![1];
    const statements = (JSON.parse(block.replace(/<account>/g, emulator.accountId)) as { Statement: PolicyStatement[] }).Statement;
    const reviewer = (allowed: PolicyStatement[]) => {
      emulator.iam.reset();
      emulator.iam.setIdentity('AKIAREVIEWER00000001', { principalArn: 'arn:aws:sts::123456789012:assumed-role/Reviewer/ci', statements: allowed });
      extraEnv = { AWS_ACCESS_KEY_ID: 'AKIAREVIEWER00000001' };
    };
    emulator.workspaces.seedAlias({ AliasId: ALIAS });
    aliasDeployed(await stackOf(base));

    reviewer(statements);
    expect((await plan(base, '--json')).code).toBe(2);
    expect((await plan(literal, '--json')).code).toBe(2);
    expect(emulator.iam.denials).toEqual([]);

    for (const [i, statement] of statements.entries()) {
      reviewer(statements.filter((_, j) => j !== i));
      const run = await plan(base, '--json');
      expect([statement.Action, run.code, run.stdout]).toEqual([statement.Action, 1, '']);
      expect(emulator.iam.denials.map((d) => d.action)).toContain(statement.Action);
      expect(run.stderr).toMatch(/access denied/);
    }
    // A stack not deployed yet needs DescribeStacks alone.
    reviewer(statements.filter((st) => st.Action !== 'cloudformation:ListStackResources' && st.Action !== 'cloudformation:GetTemplate'));
    expect((await plan(literal, '--json')).code).toBe(2);
    expect(emulator.iam.denials).toEqual([]);
  });

  test('a throttled read is retried; the plan still succeeds', async () => {
    emulator.workspaces.seedAlias({ AliasId: ALIAS });
    emulator.faults.throttle('GetParametersByPath', 2).throttle('GetConnectionPreferences', 1);
    const run = readOnly(await plan(literal, '--json'));
    expect(run.code).toBe(2);
    expect(run.calls.filter((c) => c.injected).length).toBe(3);
  });
});
