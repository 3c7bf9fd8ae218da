import { randomBytes } from 'crypto';
import {
  AccessDeniedException,
  ConflictException,
  GetConnectionPreferencesCommand,
  PartnerCentralAccountClient,
  ThrottlingException,
  UpdateConnectionPreferencesCommand,
  ValidationException,
} from '@aws-sdk/client-partnercentral-account';
import { DeleteParametersCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
// Types of the matchers that jest.config.js installs at run time.
import 'aws-sdk-client-mock-jest';
import { DeadlineRetryStrategy } from '../../lambda/common/sdk';
import { CONFLICT_RETRY, converge, handler } from '../../lambda/partner-central';
import { RESOURCE_TYPE } from '../../lib/partner-central/contract';
import { CREATE_FAILED_MARKER, OTHER_STACK_ID, RESPONSE_URL, STACK_ID, createEvent, deleteEvent, fakeContext, serveStack, updateEvent } from '../fixtures/events';
import { fakeParameterStore } from '../fixtures/fake-ssm';

const pcMock = mockClient(PartnerCentralAccountClient);
const ssmMock = mockClient(SSMClient);

const arnOf = (catalog: string) => `arn:aws:partnercentral:us-east-1:123456789012:catalog/${catalog}/connection-preferences`;
const ARN = arnOf('AWS');
const BASE = '/cdk-connection-sharing/partner-central/AWS';
const HEADER = `${BASE}/header`;
const CONFLICT = 'INCOMPATIBLE_CONNECTION_PREFERENCES_REVISION';

// ---------------------------------------------------------------------------------------------------------------
// In-memory fakes behind the mocks, with the rules the handler relies on: revisions for optimistic locking,
// Overwrite=false for the state lock, 4096-character parameters, pages of 10.

interface LivePrefs {
  accessType: string;
  excluded: string[];
  revision: number;
}
let live: Map<string, LivePrefs>;
let params: Map<string, string>;
/** Writes by "someone else" that land just before each of our next writes, making it conflict. */
let concurrentWrites: number;
/** What those writes set (by default they write the same preferences again). */
let concurrentValues: { accessType: string; excluded: string[] } | undefined;

function prefsOut(catalog: string) {
  const p = live.get(catalog)!;
  return {
    Catalog: catalog,
    Arn: arnOf(catalog),
    AccessType: p.accessType as never,
    ExcludedParticipantIds: p.excluded.length ? [...p.excluded] : undefined,
    Revision: p.revision,
    UpdatedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, p.revision)),
  };
}

function conflict(reason: string) {
  return new ConflictException({ message: 'revision mismatch', Message: 'revision mismatch', $metadata: {}, Reason: reason as never });
}

beforeEach(() => {
  serveStack();
  // The handler's structured lines would bury the test report; tests that read them spy again.
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  live = new Map([['AWS', { accessType: 'ALLOW_ALL', excluded: [], revision: 7 }]]);
  params = new Map();
  concurrentWrites = 0;
  concurrentValues = undefined;

  pcMock.reset();
  pcMock.onAnyCommand().rejects(new Error('unexpected Partner Central call'));
  pcMock.on(GetConnectionPreferencesCommand).callsFake((input) => prefsOut(input.Catalog));
  pcMock.on(UpdateConnectionPreferencesCommand).callsFake(applyUpdate);

  ssmMock.reset();
  ssmMock.onAnyCommand().rejects(new Error('unexpected SSM call'));
  fakeParameterStore(ssmMock, params);
});

afterEach(() => jest.restoreAllMocks());

function applyUpdate(input: { Catalog: string; Revision: number; AccessType: string; ExcludedParticipantIdentifiers?: string[] }) {
  const p = live.get(input.Catalog)!;
  if (concurrentWrites > 0) {
    concurrentWrites--;
    p.revision++;
    if (concurrentValues) Object.assign(p, { accessType: concurrentValues.accessType, excluded: [...concurrentValues.excluded] });
  }
  if (input.Revision !== p.revision) throw conflict(CONFLICT);
  live.set(input.Catalog, { accessType: input.AccessType, excluded: [...(input.ExcludedParticipantIdentifiers ?? [])], revision: p.revision + 1 });
  return prefsOut(input.Catalog);
}

const header = () => JSON.parse(params.get(HEADER)!);
const updates = () => pcMock.commandCalls(UpdateConnectionPreferencesCommand).map((c) => c.args[0].input);
const ssmWrites = () => ssmMock.commandCalls(PutParameterCommand).length + ssmMock.commandCalls(DeleteParametersCommand).length;
/** The one write a Create may attempt on a claimed catalog: the create-only header put, which SSM refuses. */
const onlyRefusedClaim = () =>
  ssmMock.commandCalls(PutParameterCommand).map((c) => ({ name: c.args[0].input.Name, overwrite: c.args[0].input.Overwrite }));

const DESIRED = { Catalog: 'AWS', AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIdentifiers: ['p-2', 'p-1'], OnDelete: 'RESTORE' };
const create = (props: Record<string, unknown> = DESIRED, logicalId?: string) => handler(createEvent(RESOURCE_TYPE, props, logicalId), fakeContext());
const update = (props: Record<string, unknown>, old: Record<string, unknown> = DESIRED, physicalId = ARN) =>
  handler(updateEvent(RESOURCE_TYPE, physicalId, props, old), fakeContext());
const del = (props: Record<string, unknown> = DESIRED, physicalId = ARN) => handler(deleteEvent(RESOURCE_TYPE, physicalId, props), fakeContext());

/** Logged lines, parsed. */
function spyLogs(): () => Array<Record<string, unknown>> {
  const spy = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  return () => spy.mock.calls.map((c) => JSON.parse(String(c[0])));
}

describe('Create', () => {
  test('snapshots what it found, writes with the Revision it read, answers with the ARN', async () => {
    const res = await create();
    expect(res).toEqual({
      PhysicalResourceId: ARN,
      Data: { Arn: ARN, Revision: '8', UpdatedAt: '2025-01-01T00:00:08.000Z' },
    });
    expect(pcMock).toHaveReceivedCommandWith(GetConnectionPreferencesCommand, { Catalog: 'AWS' });
    expect(updates()).toEqual([
      { Catalog: 'AWS', Revision: 7, AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIdentifiers: ['p-1', 'p-2'] },
    ]);
    expect(header()).toMatchObject({
      owner: { stackId: STACK_ID, logicalResourceId: 'Resource1' },
      meta: { applied: expect.stringMatching(/^[0-9a-f]{32}$/) },
    });
    expect(JSON.parse(header().inline)).toEqual({ accessType: 'ALLOW_ALL', excludedParticipantIds: [] });
    // One Parameter Store write: the claim carries the snapshot and what is applied.
    expect(ssmMock).toHaveReceivedCommandTimes(PutParameterCommand, 1);
    // The Partner Central client is pinned to us-east-1 with the time-bounded retry policy.
    const client = pcMock.call(0).thisValue as PartnerCentralAccountClient;
    expect(await client.config.region()).toBe('us-east-1');
    expect(await client.config.retryStrategy()).toBeInstanceOf(DeadlineRetryStrategy);
  });

  test('no write when the live state already matches', async () => {
    live.set('AWS', { accessType: 'ALLOW_BY_DEFAULT_DENY_SOME', excluded: ['p-2', 'p-1'], revision: 3 });
    const res = await create();
    expect(pcMock).toHaveReceivedCommandTimes(UpdateConnectionPreferencesCommand, 0);
    expect(res.Data!.Revision).toBe('3');
    expect(header().owner.logicalResourceId).toBe('Resource1');
  });

  test('repeated delivery: one write, and the snapshot of the first delivery is kept', async () => {
    await create();
    const first = params.get(HEADER);
    ssmMock.resetHistory();
    const again = await create();
    expect(again.PhysicalResourceId).toBe(ARN);
    // The claim is tried create-only and refused; nothing stored changes and nothing is deleted.
    expect(onlyRefusedClaim()).toEqual([{ name: HEADER, overwrite: false }]);
    expect(ssmMock).toHaveReceivedCommandTimes(DeleteParametersCommand, 0);
    expect(pcMock).toHaveReceivedCommandTimes(UpdateConnectionPreferencesCommand, 1);
    expect(params.get(HEADER)).toBe(first);
    expect(JSON.parse(header().inline)).toEqual({ accessType: 'ALLOW_ALL', excludedParticipantIds: [] });
  });

  test('lock held by another resource: fails naming the owner, writes nothing', async () => {
    await create(DESIRED, 'Someone');
    params.set(HEADER, params.get(HEADER)!.replace(STACK_ID, OTHER_STACK_ID));
    pcMock.resetHistory();
    ssmMock.resetHistory();
    await expect(create()).rejects.toThrow(/already managed by resource Someone of stack .*OtherStack.* delete-parameters/);
    expect(pcMock).toHaveReceivedCommandTimes(UpdateConnectionPreferencesCommand, 0);
    expect(onlyRefusedClaim()).toEqual([{ name: HEADER, overwrite: false }]);
    expect(params.get(HEADER)).toContain(OTHER_STACK_ID);
  });

  test('a failure after the claim undoes the write and the state', async () => {
    // The write lands, but its answer is lost (a connection reset): the Create fails after changing the setting.
    let calls = 0;
    pcMock.on(UpdateConnectionPreferencesCommand).callsFake((input) => {
      const out = applyUpdate(input);
      if (++calls === 1) throw new Error('connection reset after the write landed');
      return out;
    });
    await expect(create()).rejects.toThrow(/connection reset after the write landed/);
    expect(updates().map((u) => u.AccessType)).toEqual(['ALLOW_BY_DEFAULT_DENY_SOME', 'ALLOW_ALL']);
    expect(live.get('AWS')).toMatchObject({ accessType: 'ALLOW_ALL', excluded: [] });
    expect([...params.keys()]).toEqual([]);
  });

  test('a rejected write: operator message, no restore write needed, state released', async () => {
    pcMock.on(UpdateConnectionPreferencesCommand).rejects(
      new ValidationException({ message: 'unknown participant', Message: 'unknown participant', ErrorDetails: [], $metadata: {}, Reason: 'BUSINESS_VALIDATION_FAILED' }),
    );
    const err = await create().catch((e: Error) => e);
    expect(String(err)).toMatch(/rejected UpdateConnectionPreferences on catalog AWS \(BUSINESS_VALIDATION_FAILED\): unknown participant\. Check the catalog, accessType/);
    expect((err as Error).message.length).toBeLessThan(1500);
    expect(pcMock).toHaveReceivedCommandTimes(UpdateConnectionPreferencesCommand, 1);
    expect([...params.keys()]).toEqual([]);
  });

  test('access denied: says what to check', async () => {
    pcMock.on(GetConnectionPreferencesCommand).rejects(new AccessDeniedException({ message: 'not registered', Message: 'not registered', Reason: undefined, $metadata: {} }));
    await expect(create()).rejects.toThrow(/denied GetConnectionPreferences on catalog AWS: not registered\. .*registered in Partner Central/);
    expect(ssmWrites()).toBe(0);
  });

  test('throttling is left to the clients\' retry strategy (bounded by time): one attempt per command from the handler', async () => {
    pcMock.on(GetConnectionPreferencesCommand).rejects(new ThrottlingException({ message: 'slow down', Message: 'slow down', $metadata: {} }));
    await expect(create()).rejects.toThrow(/Partner Central throttled GetConnectionPreferences .*until this invocation ran out of time.*\(catalog AWS\)/);
    // The mock replaces the SDK's send (and its retry middleware): the handler itself did not retry.
    expect(pcMock).toHaveReceivedCommandTimes(GetConnectionPreferencesCommand, 1);
    const client = pcMock.call(0).thisValue as PartnerCentralAccountClient;
    expect(await client.config.retryStrategy()).toBeInstanceOf(DeadlineRetryStrategy);
  });

  test('properties as strings: JSON list, comma list, lower-case OnDelete, missing Catalog', async () => {
    await create({ AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIdentifiers: '["p-2","p-1"]' });
    expect(updates()[0]).toMatchObject({ Catalog: 'AWS', ExcludedParticipantIdentifiers: ['p-1', 'p-2'] });
    // Same desired state in another shape: no change, no write.
    await update({ AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIdentifiers: 'p-1, p-2', OnDelete: 'retain' }, DESIRED);
    expect(pcMock).toHaveReceivedCommandTimes(UpdateConnectionPreferencesCommand, 1);
    await del({ AccessType: 'ALLOW_ALL', OnDelete: 'retain' });
    expect(pcMock).toHaveReceivedCommandTimes(UpdateConnectionPreferencesCommand, 1);
  });

  test('invalid property values are refused before any call', async () => {
    await expect(create({ ...DESIRED, AccessType: 'SOMETIMES' })).rejects.toThrow(/AccessType 'SOMETIMES' is invalid/);
    await expect(create({ ...DESIRED, OnDelete: 'true' })).rejects.toThrow(/OnDelete 'TRUE' is invalid/);
    expect(pcMock.calls()).toHaveLength(0);
  });
});

describe('revision conflicts', () => {
  test('conflict then success: reads again and writes with the new Revision', async () => {
    concurrentWrites = 1;
    const res = await create();
    expect(updates().map((u) => u.Revision)).toEqual([7, 8]);
    expect(pcMock).toHaveReceivedCommandTimes(GetConnectionPreferencesCommand, 2);
    expect(res.Data!.Revision).toBe('9');
  });

  test('exhausted by the Lambda time left: fails saying the preferences kept changing, and undoes the claim', async () => {
    concurrentWrites = 100;
    const event = createEvent(RESOURCE_TYPE, DESIRED);
    // Less time left (after the quarter kept back for undoing) than any backoff: the handler must not wait again.
    await expect(handler(event, fakeContext(CONFLICT_RETRY.baseDelayMs / 2))).rejects.toThrow(/kept changing concurrently: 1 write\(s\) lost the race/);
    expect(pcMock).toHaveReceivedCommandTimes(UpdateConnectionPreferencesCommand, 1);
    expect([...params.keys()]).toEqual([]);
  });

  test('exhausted by attempts: bounded, with growing jittered waits', async () => {
    const sleeps: number[] = [];
    const budget = {
      retry: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 250 },
      remainingMs: () => 60_000,
      sleep: async (ms: number) => void sleeps.push(ms),
    };
    concurrentWrites = 100;
    const pc = new PartnerCentralAccountClient({ region: 'us-east-1' });
    await expect(converge(pc, 'AWS', { accessType: 'DENY_ALL', excludedParticipantIds: [] }, budget)).rejects.toThrow(
      /kept changing concurrently: 4 write\(s\) lost the race/,
    );
    expect(pcMock).toHaveReceivedCommandTimes(UpdateConnectionPreferencesCommand, 4);
    expect(pcMock).toHaveReceivedCommandTimes(GetConnectionPreferencesCommand, 4);
    expect(sleeps).toHaveLength(3);
    expect(sleeps[0]).toBeGreaterThanOrEqual(50);
    expect(sleeps[0]).toBeLessThanOrEqual(100);
    expect(sleeps[2]).toBeGreaterThanOrEqual(125);
    expect(sleeps[2]).toBeLessThanOrEqual(250);
  });

  test('another conflict reason is not retried', async () => {
    pcMock.on(UpdateConnectionPreferencesCommand).rejects(conflict('SOMETHING_ELSE'));
    await expect(create()).rejects.toThrow(/conflict on UpdateConnectionPreferences for catalog AWS \(SOMETHING_ELSE\).*Not retried/);
    expect(pcMock).toHaveReceivedCommandTimes(UpdateConnectionPreferencesCommand, 1);
  });
});

describe('Update', () => {
  test('applies the new state, keeps the Create snapshot, records what it applied in one write', async () => {
    await create();
    const applied = header().meta.applied;
    ssmMock.resetHistory();
    const res = await update({ ...DESIRED, ExcludedParticipantIdentifiers: ['p-1', 'p-3'] });
    expect(res.PhysicalResourceId).toBe(ARN);
    expect(updates()[1]).toEqual({ Catalog: 'AWS', Revision: 8, AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIdentifiers: ['p-1', 'p-3'] });
    expect(header().meta.applied).not.toBe(applied);
    expect(ssmMock).toHaveReceivedCommandTimes(PutParameterCommand, 1);
    expect(JSON.parse(header().inline)).toEqual({ accessType: 'ALLOW_ALL', excludedParticipantIds: [] });
  });

  test('no-op update: no write at all', async () => {
    await create();
    pcMock.resetHistory();
    ssmMock.resetHistory();
    const res = await update({ ...DESIRED, ExcludedParticipantIdentifiers: ['p-1', 'p-2'] });
    expect(res.Data!.Revision).toBe('8');
    expect(pcMock).toHaveReceivedCommandTimes(UpdateConnectionPreferencesCommand, 0);
    expect(ssmWrites()).toBe(0);
  });

  test('drift is logged with what changed, in counts and a few examples, then converged', async () => {
    await create();
    const outside = Array.from({ length: 100 }, (_, i) => `outside-${i}`.padEnd(100, 'x'));
    live.set('AWS', { accessType: 'DENY_ALL', excluded: outside, revision: 20 });
    const logs = spyLogs();
    await update(DESIRED);
    const drift = logs().find((l) => String(l.msg).startsWith('drift'));
    expect(drift).toMatchObject({
      level: 'WARN',
      accessType: { from: 'ALLOW_BY_DEFAULT_DENY_SOME', to: 'DENY_ALL' },
      excludedAdded: { count: 100 },
      excludedRemoved: { count: 2, examples: ['p-1', 'p-2'] },
      liveRevision: 20,
    });
    expect((drift!.excludedAdded as { examples: string[] }).examples).toHaveLength(5);
    expect(updates()[1]).toMatchObject({ Revision: 20, AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIdentifiers: ['p-1', 'p-2'] });
  });

  test('no drift logged when the live state is what this resource applied', async () => {
    await create();
    const logs = spyLogs();
    await update({ ...DESIRED, AccessType: 'DENY_ALL' });
    expect(logs().some((l) => String(l.msg).startsWith('drift'))).toBe(false);
  });

  // The reconcile context key (lib/common/reconcile.ts): a deploy whose only change is the Reconcile property.
  test('reconcile: an Update that changes only Reconcile converges drift like any Update, same ARN, no state write', async () => {
    await create();
    live.set('AWS', { accessType: 'DENY_ALL', excluded: ['outside'], revision: 20 });
    pcMock.resetHistory();
    ssmMock.resetHistory();
    const logs = spyLogs();
    const res = await update({ ...DESIRED, Reconcile: '2026-12-02' }, DESIRED);
    expect(res.PhysicalResourceId).toBe(ARN);
    expect(updates()).toEqual([{ Catalog: 'AWS', Revision: 20, AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIdentifiers: ['p-1', 'p-2'] }]);
    expect(ssmWrites()).toBe(0);
    expect(logs().find((l) => String(l.msg).startsWith('reconcile requested'))).toMatchObject({ catalog: 'AWS', reconcile: '2026-12-02' });
    // The old properties say what was last applied: the drift is described, not just seen.
    expect(logs().find((l) => String(l.msg).startsWith('drift'))).toMatchObject({ accessType: { from: 'ALLOW_BY_DEFAULT_DENY_SOME', to: 'DENY_ALL' } });
  });

  test('reconcile: on converged preferences, and on the next deploy that drops the key, nothing is written', async () => {
    await create();
    pcMock.resetHistory();
    ssmMock.resetHistory();
    await update({ ...DESIRED, Reconcile: 'r1' }, DESIRED);
    await update(DESIRED, { ...DESIRED, Reconcile: 'r1' });
    expect(pcMock).toHaveReceivedCommandTimes(UpdateConnectionPreferencesCommand, 0);
    expect(ssmWrites()).toBe(0);
  });

  test('missing state (deployed before the state existed): claims the live state as snapshot', async () => {
    live.set('AWS', { accessType: 'DENY_ALL', excluded: [], revision: 4 });
    const logs = spyLogs();
    await update({ ...DESIRED, AccessType: 'ALLOW_ALL' }, { ...DESIRED, AccessType: 'DENY_ALL' });
    expect(JSON.parse(header().inline)).toEqual({ accessType: 'DENY_ALL', excludedParticipantIds: [] });
    expect(header().meta.applied).toMatch(/^[0-9a-f]{32}$/);
    expect(logs().some((l) => String(l.msg).startsWith('no saved state'))).toBe(true);
  });

  test('catalog change is a replacement: the new catalog is claimed, the old one is left to Delete', async () => {
    live.set('Sandbox', { accessType: 'ALLOW_ALL', excluded: [], revision: 1 });
    await create();
    const res = await update({ ...DESIRED, Catalog: 'Sandbox' });
    expect(res.PhysicalResourceId).toBe(arnOf('Sandbox'));
    expect(params.has('/cdk-connection-sharing/partner-central/Sandbox/header')).toBe(true);
    expect(params.has(HEADER)).toBe(true);
    // CloudFormation then deletes the old resource, restoring catalog AWS.
    await del(DESIRED, ARN);
    expect(live.get('AWS')!.accessType).toBe('ALLOW_ALL');
    expect(params.has(HEADER)).toBe(false);
    expect(live.get('Sandbox')!.accessType).toBe('ALLOW_BY_DEFAULT_DENY_SOME');
  });

  test('lock held by another resource is refused on Update too', async () => {
    await create(DESIRED, 'Someone');
    params.set(HEADER, params.get(HEADER)!.replace(STACK_ID, OTHER_STACK_ID));
    await expect(update({ ...DESIRED, AccessType: 'DENY_ALL' })).rejects.toThrow(/already managed by resource Someone/);
    expect(pcMock).toHaveReceivedCommandTimes(UpdateConnectionPreferencesCommand, 1);
  });
});

describe('Delete', () => {
  test('RESTORE writes the snapshot back with a fresh Revision, then removes the state', async () => {
    await create();
    live.get('AWS')!.revision = 30; // someone else wrote since: the handler must read before writing
    const res = await del();
    expect(res).toEqual({ PhysicalResourceId: ARN });
    expect(updates()[1]).toEqual({ Catalog: 'AWS', Revision: 30, AccessType: 'ALLOW_ALL', ExcludedParticipantIdentifiers: [] });
    expect([...params.keys()]).toEqual([]);
  });

  test('RESTORE with nothing to restore: no write', async () => {
    live.set('AWS', { accessType: 'ALLOW_BY_DEFAULT_DENY_SOME', excluded: ['p-1', 'p-2'], revision: 3 });
    await create();
    await del();
    expect(pcMock).toHaveReceivedCommandTimes(UpdateConnectionPreferencesCommand, 0);
    expect([...params.keys()]).toEqual([]);
  });

  test('RETAIN leaves the preferences and removes the state', async () => {
    await create();
    pcMock.resetHistory();
    await del({ ...DESIRED, OnDelete: 'RETAIN' });
    expect(pcMock.calls()).toHaveLength(0);
    expect(live.get('AWS')!.accessType).toBe('ALLOW_BY_DEFAULT_DENY_SOME');
    expect([...params.keys()]).toEqual([]);
  });

  test.each([[CREATE_FAILED_MARKER], ['Stack-Prefs-ABCDEF123456'], ['arn:aws:partnercentral:us-east-1:123456789012:catalog/AWS/something-else']])(
    'an id this handler never created (%s): success with no calls at all',
    async (physicalId) => {
      await expect(del(DESIRED, physicalId)).resolves.toEqual({ PhysicalResourceId: physicalId });
      expect(pcMock.calls()).toHaveLength(0);
      expect(ssmMock.calls()).toHaveLength(0);
    },
  );

  test('state missing or held by another resource: success with no writes', async () => {
    await expect(del()).resolves.toEqual({ PhysicalResourceId: ARN });
    await create(DESIRED, 'Someone');
    params.set(HEADER, params.get(HEADER)!.replace(STACK_ID, OTHER_STACK_ID));
    pcMock.resetHistory();
    ssmMock.resetHistory();
    await expect(del()).resolves.toEqual({ PhysicalResourceId: ARN });
    expect(pcMock).toHaveReceivedCommandTimes(UpdateConnectionPreferencesCommand, 0);
    expect(ssmWrites()).toBe(0);
  });

  test('a ~10 KB snapshot is split across parameters and restored exactly', async () => {
    // Random identifiers: too much entropy to fit one parameter even compressed.
    const found = Array.from({ length: 100 }, () => randomBytes(75).toString('base64').replace(/[+/=]/g, '-'));
    live.set('AWS', { accessType: 'ALLOW_BY_DEFAULT_DENY_SOME', excluded: found, revision: 1 });
    await create({ ...DESIRED, AccessType: 'DENY_ALL', ExcludedParticipantIdentifiers: [] });
    expect(params.size).toBeGreaterThan(3);
    for (const v of params.values()) expect(v.length).toBeLessThanOrEqual(4096);
    await del();
    expect(updates()[1]).toMatchObject({ AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIdentifiers: found });
    expect([...params.keys()]).toEqual([]);
  });
});

test('logs never hold the ResponseURL', async () => {
  const spy = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  await create();
  await update({ ...DESIRED, AccessType: 'DENY_ALL' });
  await del();
  expect(spy).toHaveBeenCalled();
  for (const call of spy.mock.calls) expect(String(call[0])).not.toContain(RESPONSE_URL.split('?')[0]);
});

describe('rollbacks and repeated updates that cannot get stuck', () => {
  test('a token that resolved to an invalid access type: the Update fails, its rollback (old properties invalid) succeeds', async () => {
    await create();
    await expect(update({ ...DESIRED, AccessType: 'allow_all' })).rejects.toThrow(/AccessType 'allow_all' is invalid/);
    // CloudFormation rolls back: the new properties are the last applied ones, the old ones the rejected values.
    const res = await update(DESIRED, { ...DESIRED, AccessType: 'allow_all' });
    expect(res.PhysicalResourceId).toBe(ARN);
    expect(pcMock).toHaveReceivedCommandTimes(UpdateConnectionPreferencesCommand, 1);
  });

  test('access lost: re-applying what this resource last applied succeeds without writing, with a warning; a change fails', async () => {
    await create();
    pcMock.on(GetConnectionPreferencesCommand).rejects(new AccessDeniedException({ message: 'account left Partner Central', Message: 'account left Partner Central', Reason: undefined, $metadata: {} }));
    const logs = spyLogs();
    const res = await update(DESIRED, { ...DESIRED, AccessType: 'DENY_ALL' });
    expect(res.Data!.Warning).toMatch(/Nothing was written: the declared preferences of catalog AWS .* are what this resource last applied.*account left Partner Central/);
    expect(logs().some((l) => l.level === 'WARN' && String(l.msg).startsWith('rollback or repeated update'))).toBe(true);
    await expect(update({ ...DESIRED, AccessType: 'DENY_ALL' })).rejects.toThrow(/denied GetConnectionPreferences/);
  });

  test('values refused by the service: same rule', async () => {
    await create();
    live.set('AWS', { accessType: 'DENY_ALL', excluded: [], revision: 30 });
    pcMock.on(UpdateConnectionPreferencesCommand).rejects(new ValidationException({ message: 'participant unknown', Message: 'participant unknown', Reason: 'BUSINESS_VALIDATION_FAILED', $metadata: {} }));
    expect((await update(DESIRED, { ...DESIRED, AccessType: 'DENY_ALL' })).Data!.Warning).toMatch(/participant unknown/);
    await expect(update({ ...DESIRED, ExcludedParticipantIdentifiers: ['p-9'] })).rejects.toThrow(/participant unknown/);
  });

  test('a rollback of a catalog change is an update of the catalog the physical id names, not a new claim', async () => {
    live.set('Sandbox', { accessType: 'ALLOW_ALL', excluded: [], revision: 1 });
    await create();
    ssmMock.resetHistory();
    const res = await update(DESIRED, { ...DESIRED, Catalog: 'Sandbox' }, ARN);
    expect(res.PhysicalResourceId).toBe(ARN);
    expect(params.has('/cdk-connection-sharing/partner-central/Sandbox/header')).toBe(false);
    expect(ssmMock).toHaveReceivedCommandTimes(PutParameterCommand, 0);
  });
});

describe('a stack re-created under the same name', () => {
  test('takes over the stale claim of its earlier incarnation and keeps the snapshot from before the very first Create', async () => {
    await create();
    const EARLIER = STACK_ID.replace('11111111-2222', '00000000-0000');
    params.set(HEADER, params.get(HEADER)!.replace(STACK_ID, EARLIER));
    const logs = spyLogs();
    const res = await create({ ...DESIRED, AccessType: 'DENY_ALL' });
    expect(res.PhysicalResourceId).toBe(ARN);
    expect(header().owner.stackId).toBe(STACK_ID);
    expect(JSON.parse(header().inline)).toEqual({ accessType: 'ALLOW_ALL', excludedParticipantIds: [] });
    expect(logs().some((l) => String(l.msg).startsWith('took over the claim'))).toBe(true);
    await del();
    expect(live.get('AWS')).toMatchObject({ accessType: 'ALLOW_ALL', excluded: [] });
  });

  test('a claim of another stack name is a live holder: refused with what to do', async () => {
    await create(DESIRED);
    params.set(HEADER, params.get(HEADER)!.replace(STACK_ID, OTHER_STACK_ID));
    await expect(create()).rejects.toThrow(/remove that resource from its stack \(or delete that stack\) and deploy this one again/);
  });
});

describe('defect 1: an undo puts back only what this invocation wrote', () => {
  test('defect 1: a failed Create leaves a concurrent writer\'s preferences', async () => {
    concurrentWrites = 100;
    concurrentValues = { accessType: 'DENY_ALL', excluded: ['other-writer'] };
    const err = (await handler(createEvent(RESOURCE_TYPE, DESIRED), fakeContext(CONFLICT_RETRY.baseDelayMs / 2)).catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(/kept changing concurrently: 1 write\(s\) lost the race/);
    expect(err.message).toContain('No write of this deployment landed, so the preferences were left as they are (AccessType DENY_ALL, 1 exclusion, Revision 8)');
    expect(err.message).toContain('the claim was released');
    // The one write attempted was ours, and it lost: no write back over the other writer's.
    expect(updates()).toHaveLength(1);
    expect(live.get('AWS')).toMatchObject({ accessType: 'DENY_ALL', excluded: ['other-writer'] });
    expect([...params.keys()]).toEqual([]);
  });

  test('defect 1: a write whose answer was lost, then overwritten by someone else, is not written back', async () => {
    let calls = 0;
    pcMock.on(UpdateConnectionPreferencesCommand).callsFake((input) => {
      const out = applyUpdate(input);
      if (++calls > 1) return out;
      // Ours landed, then someone else wrote before the failure reached us.
      live.set('AWS', { accessType: 'DENY_ALL', excluded: ['other-writer'], revision: live.get('AWS')!.revision + 1 });
      throw new Error('connection reset after the write landed');
    });
    const err = (await create().catch((e: Error) => e)) as Error;
    expect(err.message).toContain('the live preferences are not what it sent (AccessType DENY_ALL, 1 exclusion, Revision 9): someone else\'s, left as they are');
    expect(updates()).toHaveLength(1);
    expect(live.get('AWS')).toMatchObject({ accessType: 'DENY_ALL', excluded: ['other-writer'] });
    expect([...params.keys()]).toEqual([]);
  });
});

describe('defect 3: the handler refuses what the construct refuses at synth', () => {
  test.each([
    ['an empty CommaDelimitedList item', [''], /invalid identifier\(s\) '' \(got \[""\]\).*An empty CommaDelimitedList parameter arrives as \[""\]/],
    ['an identifier with a space', ['a b'], /invalid identifier\(s\) 'a b'/],
    ['a repeat', ['p-1', 'p-1'], /lists 'p-1' more than once/],
    ['more than 100', Array.from({ length: 101 }, (_, i) => `p-${i}`), /has 101 identifiers; Partner Central accepts at most 100/],
  ])('ExcludedParticipantIdentifiers with %s: refused naming the property, before any call', async (_name, ids, message) => {
    await expect(create({ ...DESIRED, ExcludedParticipantIdentifiers: ids })).rejects.toThrow(message);
    await expect(create({ ...DESIRED, ExcludedParticipantIdentifiers: ids })).rejects.toThrow(/Property ExcludedParticipantIdentifiers/);
    expect(pcMock).not.toHaveReceivedAnyCommand();
    expect(ssmMock).not.toHaveReceivedAnyCommand();
  });

  test('absent or an empty string is still no exclusion (older property shapes)', async () => {
    await create({ AccessType: 'ALLOW_ALL', ExcludedParticipantIdentifiers: '' });
    expect(updates()).toEqual([]);
    expect(header().owner.stackId).toBe(STACK_ID);
  });

  test('a rollback to refused values this resource applied under the earlier rules succeeds without writing', async () => {
    await create({ AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIdentifiers: ['p-1'] });
    const before = updates().length;
    const res = await update({ AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIdentifiers: ['p-1', 'p-1'] }, DESIRED);
    expect(res.Data!.Warning).toMatch(/Nothing was written: the preferences of catalog AWS are what this resource last applied.*lists 'p-1' more than once/);
    expect(updates()).toHaveLength(before);
    await expect(update({ AccessType: 'DENY_ALL', ExcludedParticipantIdentifiers: ['p-2', 'p-2'] }, DESIRED)).rejects.toThrow(/lists 'p-2' more than once/);
  });
});

describe('defect 4: events for another stack are refused', () => {
  test.each(['Create', 'Update', 'Delete'] as const)('a forged %s naming another stack: refused before any read or write', async (type) => {
    const forged =
      type === 'Create' ? createEvent(RESOURCE_TYPE, DESIRED) : type === 'Update' ? updateEvent(RESOURCE_TYPE, ARN, DESIRED, DESIRED) : deleteEvent(RESOURCE_TYPE, ARN, DESIRED);
    await expect(handler({ ...forged, StackId: OTHER_STACK_ID }, fakeContext())).rejects.toThrow(
      `Refused: this ${type} event (resource Resource1) is for stack ${OTHER_STACK_ID}, but this handler serves only its own stack ${STACK_ID}. Nothing was read or changed.`,
    );
    expect(pcMock).not.toHaveReceivedAnyCommand();
    expect(ssmMock).not.toHaveReceivedAnyCommand();
  });

  test('a handler without its stack id in its environment acts on no event', async () => {
    delete process.env.CDK_CONNECTION_SHARING_STACK_ID;
    await expect(create()).rejects.toThrow(/Refused: this handler has no CDK_CONNECTION_SHARING_STACK_ID in its environment/);
    expect(pcMock).not.toHaveReceivedAnyCommand();
  });
});
