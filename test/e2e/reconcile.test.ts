// Drift that no deploy fixes, fixed as code: `cdk deploy -c cdk-connection-sharing:reconcile=<new value>`, end to end.
// The example app deployed as a stack (emulator/stack.ts: the real Provider framework and the bundled handlers from
// the synthesized assembly), both settings changed out of band, then the bundled `plan` command run as a user runs it:
// drift, and the command that converges it; the app synthesized with the key: `update` with exactly the writes; the
// deploy: CloudFormation sends Updates (the Reconcile property changed), the handlers make exactly the planned writes,
// the live settings converge, and the next plan says `none`.
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { type Emulator, type LoggedCall, startEmulator } from '../../emulator';
import { LocalStack, type StackOperationResult } from '../../emulator/stack';
import { RECONCILE_CONTEXT_KEY } from '../../lib/common/reconcile';
import { ROOT, tempDir } from '../support/cdk-cli';
import { STACK, preferences, synthExample } from '../support/lifecycle';

const CLI = path.join(ROOT, 'assets', 'cli', 'index.js');
const PREFS = 'Custom::PartnerConnectionPreferences';
const SHARING = 'Custom::ConnectionAliasSharing';
const ALIAS = 'wsca-abcdefgh12';
const SHARED = '210987654321';
const CATALOG = 'Sandbox';
const TYPES = [PREFS, SHARING] as const;
/** The managed-API write of each kind (an event's calls are those made while it ran: concurrent events share them). */
const WRITE_OF: Record<string, string> = { [PREFS]: 'UpdateConnectionPreferences', [SHARING]: 'UpdateConnectionAliasPermission' };
const COMMAND = `run \`cdk deploy -c ${RECONCILE_CONTEXT_KEY}=<new value>\` to converge it`;

interface PlanResource {
  resourceType: string;
  action: string;
  drift: { drifted: boolean; detail?: string } | null;
  writes: { operation: string; summary: string; request?: Record<string, unknown> }[];
  reason: string | null;
}
interface PlanRun {
  readonly code: number;
  readonly stdout: string;
  readonly resources: PlanResource[];
  readonly calls: LoggedCall[];
}

let emulator: Emulator;
let stack: LocalStack;
const home = tempDir('reconcile-home');
const dirs: string[] = [];

beforeAll(async () => {
  if (!fs.existsSync(CLI)) throw new Error('run `node scripts/bundle.mjs` (npm test does) before the e2e tests');
  emulator = await startEmulator();
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await emulator?.close();
  for (const d of [...dirs, home]) fs.rmSync(d, { recursive: true, force: true });
});

function synth(context: Record<string, string> = {}): string {
  const dir = synthExample({}, context);
  dirs.push(dir);
  return dir;
}

/** The bundled command, as `npx cdk-connection-sharing plan --json` runs it; the emulator is in this process. */
function plan(dir: string): Promise<PlanRun> {
  const first = emulator.log.entries.length;
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ...emulator.env() };
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'plan', '--app', dir, '--json'], { env, timeout: 60_000 }, (err, stdout) => {
      const code = err ? Number((err as { code?: unknown }).code ?? 1) : 0;
      resolve({ code, stdout, resources: stdout ? JSON.parse(stdout).resources : [], calls: emulator.log.entries.slice(first) });
    });
  });
}

function resource(run: PlanRun, type: string): PlanResource {
  const found = run.resources.find((r) => r.resourceType === type);
  if (!found) throw new Error(`no ${type} in the plan: ${run.stdout}`);
  return found;
}

/** The planned writes of one resource: operation and request. */
function planned(run: PlanRun, type: string) {
  return resource(run, type).writes.map((w) => ({ operation: w.operation, request: w.request }));
}

/** The managed-API writes one resource's events made in a stack operation (Partner Central's Revision left out). */
function made(result: StackOperationResult, type: string) {
  return result.events
    .filter((e) => e.result.event.ResourceType === type)
    .flatMap((e) => e.result.calls)
    .filter((c) => c.operation === WRITE_OF[type])
    .map((c) => {
      expect(c.status).toBeLessThan(300);
      const { Revision: _revision, ...request } = c.input as Record<string, unknown>;
      return { operation: c.operation, request };
    });
}

function sharedWith(): string[] {
  return emulator.workspaces
    .permissions(ALIAS)
    .filter((p) => p.AllowAssociation)
    .map((p) => p.SharedAccountId)
    .sort();
}

test('a drifted, unchanged resource of each kind: plan names the command, plans the reconcile deploy exactly, and the deploy converges it', async () => {
  const base = synth();
  const reconciled = synth({ [RECONCILE_CONTEXT_KEY]: '2026-12-02T09:00Z' });
  emulator.workspaces.seedAlias({ AliasId: ALIAS });
  stack = new LocalStack({ emulator, stack: STACK });
  expect((await stack.deploy(base, { attributes: { Alias: ALIAS } })).status).toBe('CREATE_COMPLETE');
  const declared = preferences(emulator, CATALOG);
  expect(sharedWith()).toEqual([SHARED]);

  // Out of band: a console edit of the preferences, and the alias unshared.
  emulator.partnerCentral.externalWrite(CATALOG, { AccessType: 'DENY_ALL' });
  await emulator.workspaces.handle('UpdateConnectionAliasPermission', { AliasId: ALIAS, ConnectionAliasPermission: { SharedAccountId: SHARED, AllowAssociation: false } });

  // A deploy of the same app would send no Update (nothing changed): the drift note says so, and names the command.
  const drifted = await plan(base);
  expect(drifted.code).toBe(2);
  for (const type of TYPES) {
    expect(resource(drifted, type)).toMatchObject({ action: 'update', drift: { drifted: true }, reason: expect.stringContaining('leaves this drift in place') });
    expect(resource(drifted, type).reason).toContain(COMMAND);
  }
  const unchanged = await stack.deploy(base, { attributes: { Alias: ALIAS } });
  expect([unchanged.status, unchanged.events.length]).toEqual(['UPDATE_COMPLETE', 0]);
  expect(preferences(emulator, CATALOG)).toMatchObject({ AccessType: 'DENY_ALL' });

  // Synthesized with the key: the same writes, and the note says this deploy reconciles.
  const review = await plan(reconciled);
  expect(review.code).toBe(2);
  expect(resource(review, PREFS)).toMatchObject({
    action: 'update',
    writes: [{ operation: 'UpdateConnectionPreferences', summary: 'AccessType DENY_ALL -> ALLOW_BY_DEFAULT_DENY_SOME' }],
    reason: expect.stringMatching(/^this deploy reconciles it: synthesized with cdk-connection-sharing:reconcile=2026-12-02T09:00Z/),
  });
  expect(resource(review, SHARING)).toMatchObject({
    action: 'update',
    writes: [{ operation: 'UpdateConnectionAliasPermission', summary: `share ${SHARED}` }],
    reason: expect.stringMatching(/^this deploy reconciles it/),
  });
  expect(review.calls.filter((c) => !/^(Get|Describe|List)/.test(c.operation))).toEqual([]);

  const deploy = await stack.deploy(reconciled, { attributes: { Alias: ALIAS } });
  expect(deploy.status).toBe('UPDATE_COMPLETE');
  // Updates, in place: the physical ids are the ones of the Create (no replacement, so no cleanup Delete).
  expect(deploy.events.map((e) => [e.phase, e.result.event.ResourceType, e.requestType, e.result.response.Status]).sort()).toEqual([
    ['update', SHARING, 'Update', 'SUCCESS'],
    ['update', PREFS, 'Update', 'SUCCESS'],
  ].sort());
  for (const e of deploy.events) expect(e.result.response.PhysicalResourceId).toBe(e.result.event.PhysicalResourceId);
  for (const type of TYPES) expect(made(deploy, type)).toEqual(planned(review, type));
  expect(made(deploy, PREFS)).toHaveLength(1);
  expect(made(deploy, SHARING)).toHaveLength(1);
  expect(preferences(emulator, CATALOG)).toEqual(declared);
  expect(sharedWith()).toEqual([SHARED]);

  const after = await plan(reconciled);
  expect([after.code, after.resources.map((r) => [r.action, r.writes, r.drift])]).toEqual([
    0,
    [
      ['none', [], { drifted: false }],
      ['none', [], { drifted: false }],
    ],
  ]);

  // The next deploy without the key drops the property: an Update of each resource, which finds nothing to write.
  const back = await stack.deploy(base, { attributes: { Alias: ALIAS } });
  expect([back.status, back.events.map((e) => e.requestType)]).toEqual(['UPDATE_COMPLETE', ['Update', 'Update']]);
  for (const type of TYPES) expect(made(back, type)).toEqual([]);
  expect((await plan(base)).code).toBe(0);
}, 240_000);
