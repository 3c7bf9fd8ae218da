// End-to-end lifecycles under injected faults (concurrent writers, throttling, 5xx, a slow alias), through the real
// Provider framework and the bundled handlers from the synthesized example app. Slower than lifecycle.test.ts because
// the handlers really back off (SDK retries, conflict retries, the alias poll): kept to few, telling cases.
import * as fs from 'fs';
import { type Emulator, startEmulator } from '../../emulator';
import { type EventResult, LocalCloudFormation } from '../../emulator/cloudformation';
import { MARKER, STACK, logLeaks, preferences, responseProblems, stateParameters, synthExample } from '../support/lifecycle';

const PREFS = 'Custom::PartnerConnectionPreferences';
const SHARING = 'Custom::ConnectionAliasSharing';
const ALIAS = 'wsca-abcdefgh12';
const SHARED = '210987654321';

let emulator: Emulator;
let cfn: LocalCloudFormation;
let dir: string;
const results: EventResult[] = [];

beforeAll(async () => {
  dir = synthExample();
  emulator = await startEmulator();
  cfn = await LocalCloudFormation.load({ emulator, assemblyDir: dir, stack: STACK, attributes: { Alias: ALIAS }, onEvent: (r) => results.push(r) });
}, 120_000);

afterAll(async () => {
  await cfn?.close();
  await emulator?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  emulator.reset();
  results.length = 0;
  emulator.workspaces.seedAlias({ AliasId: ALIAS });
});

afterEach(() => {
  expect(results.flatMap(logLeaks)).toEqual([]);
  expect(results.flatMap(responseProblems)).toEqual([]);
  expect(emulator.faults.pendingFailures()).toEqual([]);
});

const updates = (r: EventResult) => r.calls.filter((c) => c.operation === 'UpdateConnectionPreferences');

describe('conflict storm from a concurrent writer', () => {
  test('three lost races in a row: the handler reads again, retries and succeeds', async () => {
    emulator.faults.bumpRevisionBeforeUpdate('Sandbox', 3);
    const created = await cfn.resource(PREFS).create();
    expect(created.response.Status).toBe('SUCCESS');
    expect(updates(created).map((c) => c.errorType ?? 'ok')).toEqual(['ConflictException', 'ConflictException', 'ConflictException', 'ok']);
    expect(created.handlerLogs.filter((l) => l.includes('revision conflict'))).toHaveLength(3);
    const live = emulator.partnerCentral.get('Sandbox')!;
    expect(created.response.Data).toEqual({ Arn: created.response.PhysicalResourceId, Revision: String(live.Revision), UpdatedAt: live.UpdatedAt });
    expect(preferences(emulator, 'Sandbox')).toEqual({ AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIds: ['partner-blocked-1', 'partner-blocked-2'] });
  });

  test('a storm that outlasts every attempt: FAILED with the "kept changing concurrently" reason, nothing left behind', async () => {
    const before = preferences(emulator, 'Sandbox');
    emulator.faults.bumpRevisionBeforeUpdate('Sandbox', 6);
    const prefs = cfn.resource(PREFS);
    const created = await prefs.create();
    expect(created.response).toMatchObject({ Status: 'FAILED', PhysicalResourceId: MARKER });
    expect(created.response.Reason).toContain('The connection preferences of catalog Sandbox kept changing concurrently: 6 write(s) lost the race');
    expect(updates(created).every((c) => c.errorType === 'ConflictException')).toBe(true);
    expect(preferences(emulator, 'Sandbox')).toEqual(before);
    expect(stateParameters(emulator)).toEqual([]);
    expect((await prefs.delete()).invocations).toBe(0);
  });
});

describe('throttling and 5xx bursts are absorbed by the SDK retries', () => {
  test('preferences: every operation throttled or failing a few times still converges', async () => {
    emulator.faults
      .throttle('GetConnectionPreferences', 2)
      .throttle('UpdateConnectionPreferences', 2)
      .serverError('UpdateConnectionPreferences', 1)
      .throttle('SSM.PutParameter', 2);
    const prefs = cfn.resource(PREFS);
    const created = await prefs.create();
    expect(created.response.Status).toBe('SUCCESS');
    expect(created.calls.filter((c) => c.injected).length).toBe(7);
    expect(emulator.faults.pendingFailures()).toEqual([]);
    expect(preferences(emulator, 'Sandbox')?.AccessType).toBe('ALLOW_BY_DEFAULT_DENY_SOME');
    emulator.faults.throttle('SSM.GetParametersByPath', 1).throttle('UpdateConnectionPreferences', 2).throttle('SSM.DeleteParameters', 1);
    const deleted = await prefs.delete();
    expect(deleted.response.Status).toBe('SUCCESS');
    expect(deleted.calls.filter((c) => c.injected).length).toBe(4);
    expect(stateParameters(emulator)).toEqual([]);
  });

  test('sharing: throttled reads and writes still share, then unshare', async () => {
    emulator.faults.throttle('DescribeConnectionAliases', 2).throttle('DescribeConnectionAliasPermissions', 1).throttle('UpdateConnectionAliasPermission', 2).serverError('UpdateConnectionAliasPermission', 1);
    const sharing = cfn.resource(SHARING);
    const created = await sharing.create();
    expect(created.response).toMatchObject({ Status: 'SUCCESS', Data: { SharedAccountIds: SHARED } });
    expect(created.calls.filter((c) => c.injected).length).toBe(6);
    expect(emulator.workspaces.permissions(ALIAS)).toEqual([{ SharedAccountId: SHARED, AllowAssociation: true }]);
    emulator.faults.throttle('UpdateConnectionAliasPermission', 1);
    expect((await sharing.delete()).response.Status).toBe('SUCCESS');
    expect(emulator.workspaces.permissions(ALIAS)).toEqual([]);
  });

  test('a burst longer than the invocation has time for: FAILED naming the service, the operation and what to do, and the create undone', async () => {
    // A 6-second Lambda: retries stop when the time kept for undoing and answering is all that is left.
    const short = await LocalCloudFormation.load({ emulator, assemblyDir: dir, stack: STACK, attributes: { Alias: ALIAS }, handlerTimeoutMs: 6_000, onEvent: (r) => results.push(r) });
    try {
      const before = preferences(emulator, 'Sandbox');
      emulator.faults.throttle('UpdateConnectionPreferences', 10_000);
      const created = await short.resource(PREFS).create();
      emulator.faults.clear();
      expect(created.response).toMatchObject({ Status: 'FAILED', PhysicalResourceId: MARKER });
      expect(created.response.Reason).toMatch(/Partner Central throttled UpdateConnectionPreferences for \d+ s \(\d+ attempts\) until this invocation ran out of time/);
      expect(created.response.Reason).toContain('Deploy fewer of these resources at once');
      // Many more attempts than a fixed count would make: retried for the time there was.
      expect(updates(created).length).toBeGreaterThan(5);
      expect(preferences(emulator, 'Sandbox')).toEqual(before);
      expect(stateParameters(emulator)).toEqual([]);
    } finally {
      await short.close();
    }
  });
});

test('an alias slow to reach CREATED: the handler waits, then shares', async () => {
  emulator.faults.aliasCreatingFor(ALIAS, 1);
  const created = await cfn.resource(SHARING).create();
  expect(created.response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: ALIAS });
  expect(created.calls.filter((c) => c.operation === 'DescribeConnectionAliases')).toHaveLength(2);
  expect(created.handlerLogs.some((l) => l.includes('alias still CREATING: waiting'))).toBe(true);
  // The handler polls every 5 s (POLL_MS, not configurable): one CREATING read costs one poll.
  expect(created.wallMs).toBeGreaterThanOrEqual(5_000);
  expect(emulator.workspaces.permissions(ALIAS)).toEqual([{ SharedAccountId: SHARED, AllowAssociation: true }]);
});
