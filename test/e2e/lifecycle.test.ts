// End-to-end lifecycles through the real artifacts: the example app is synthesized, and each event runs the
// aws-cdk-lib Provider framework from cdk.out, which invokes the bundled handler from cdk.out, against the emulator.
// Assertions are on what CloudFormation would get back and on the emulated account's state.
import { createHash } from 'crypto';
import * as fs from 'fs';
import { type Emulator, startEmulator } from '../../emulator';
import { type EventResult, LocalCloudFormation } from '../../emulator/cloudformation';
import { AwsError } from '../../emulator/protocol';
import { AccessType } from '../../lib';
import { MARKER, STACK, logLeaks, preferences, responseProblems, stateParameters, synthExample, writes } from '../support/lifecycle';

const PREFS = 'Custom::PartnerConnectionPreferences';
const SHARING = 'Custom::ConnectionAliasSharing';
const ALIAS = 'wsca-abcdefgh12';
const NEW_ALIAS = 'wsca-replacement01';
const SHARED = '210987654321';
const OTHER = '333333333333';
const arnOf = (catalog: string) => `arn:aws:partnercentral:us-east-1:123456789012:catalog/${catalog}/connection-preferences`;

let emulator: Emulator;
let cfn: LocalCloudFormation;
/** The second variant of the example app: what the stack looks like after the user edits it. */
let edited: LocalCloudFormation;
const dirs: string[] = [];
const results: EventResult[] = [];

beforeAll(async () => {
  dirs.push(synthExample(), synthExample({ accessType: AccessType.DENY_ALL, sharedAccountIds: [OTHER] }));
  emulator = await startEmulator();
  const common = { emulator, stack: STACK, attributes: { Alias: ALIAS }, onEvent: (r: EventResult) => results.push(r) };
  cfn = await LocalCloudFormation.load({ ...common, assemblyDir: dirs[0] });
  edited = await LocalCloudFormation.load({ ...common, assemblyDir: dirs[1] });
}, 120_000);

afterAll(async () => {
  await cfn?.close();
  await edited?.close();
  await emulator?.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

beforeEach(() => {
  emulator.reset();
  results.length = 0;
  emulator.workspaces.seedAlias({ AliasId: ALIAS });
});

afterEach(() => {
  // Whatever the scenario: nothing secret or raw in the logs, and every response one CloudFormation accepts.
  expect(results.flatMap(logLeaks)).toEqual([]);
  expect(results.flatMap(responseProblems)).toEqual([]);
});

describe('the events CloudFormation delivers', () => {
  test('properties arrive resolved, with every scalar a string, and the event carries the CloudFormation fields', () => {
    const ev = cfn.buildEvent(SHARING, { requestType: 'Create' });
    expect(ev.ResourceProperties).toEqual({
      ServiceToken: ev.ServiceToken,
      AliasId: ALIAS,
      SharedAccountIds: [SHARED],
      OnDelete: 'RESTORE',
    });
    expect(ev.ServiceToken).toMatch(/^arn:aws:lambda:eu-west-1:123456789012:function:/);
    expect(ev.StackId).toMatch(/^arn:aws:cloudformation:eu-west-1:123456789012:stack\/ConnectionSharingExample\/[0-9a-f-]{36}$/);
    expect(ev).toMatchObject({ RequestType: 'Create', ResourceType: SHARING, LogicalResourceId: expect.stringMatching(/^AliasSharing/) });
    expect(ev.ResponseURL).toContain('X-Amz-Signature=');
    expect(cfn.resolve({ a: 42, b: true, c: [1, { 'Fn::Join': ['-', [{ Ref: 'AWS::Region' }, { Ref: 'AWS::AccountId' }]] }], d: { 'Fn::Sub': '${AWS::Partition}.${AWS::URLSuffix}' } })).toEqual({
      a: '42',
      b: 'true',
      c: ['1', 'eu-west-1-123456789012'],
      d: 'aws.amazonaws.com',
    });
  });
});

describe('full lifecycle ends in exactly the state found before Create', () => {
  test('PartnerConnectionPreferences: create, update, rollback update, replacement onto another catalog, delete', async () => {
    emulator.partnerCentral.seed('Sandbox', { AccessType: 'DENY_ALL', ExcludedParticipantIds: ['legacy-partner-1'] });
    emulator.partnerCentral.seed('AWS', { AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIds: ['prod-blocked-9'] });
    const before = { Sandbox: preferences(emulator, 'Sandbox'), AWS: preferences(emulator, 'AWS') };
    const prefs = cfn.resource(PREFS);

    const created = await prefs.create();
    const live = emulator.partnerCentral.get('Sandbox')!;
    expect(created.response).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: arnOf('Sandbox'),
      Data: { Arn: arnOf('Sandbox'), Revision: String(live.Revision), UpdatedAt: live.UpdatedAt },
    });
    expect(preferences(emulator, 'Sandbox')).toEqual({ AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIds: ['partner-blocked-1', 'partner-blocked-2'] });
    expect(created.invocations).toBe(1);
    expect(created.handlerLogs.join('\n')).toContain('updated the preferences');
    expect(created.frameworkLogs.join('\n')).toContain('submit response to cloudformation');

    // The user edits the app (the second synthesized variant) and deploys.
    const updated = await prefs.update(edited.resolveProperties(PREFS));
    expect(updated.update.event.OldResourceProperties).toEqual(created.event.ResourceProperties);
    expect(updated.update.response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: arnOf('Sandbox'), Data: { Revision: String(live.Revision + 1) } });
    expect(updated.rollback).toBeUndefined();
    expect(preferences(emulator, 'Sandbox')?.AccessType).toBe('DENY_ALL');

    // A later resource of the same stack update fails: CloudFormation sends this one the old properties again.
    const rolledBack = await prefs.rollbackLastUpdate();
    expect(rolledBack.event.ResourceProperties).toEqual(created.event.ResourceProperties);
    expect(rolledBack.event.OldResourceProperties).toEqual(updated.update.event.ResourceProperties);
    expect(rolledBack.response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: arnOf('Sandbox') });
    expect(preferences(emulator, 'Sandbox')).toEqual({ AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIds: ['partner-blocked-1', 'partner-blocked-2'] });

    // Another catalog is another resource: a new physical id, then CloudFormation deletes the old one.
    const replaced = await prefs.update({ Catalog: 'AWS' });
    expect(replaced.update.response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: arnOf('AWS'), Data: { Arn: arnOf('AWS') } });
    expect(replaced.cleanup?.event).toMatchObject({ RequestType: 'Delete', PhysicalResourceId: arnOf('Sandbox'), ResourceProperties: { Catalog: 'Sandbox' } });
    expect(replaced.cleanup?.response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: arnOf('Sandbox') });
    expect(preferences(emulator, 'Sandbox')).toEqual(before.Sandbox);
    expect(preferences(emulator, 'AWS')).toEqual({ AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIds: ['partner-blocked-1', 'partner-blocked-2'] });
    expect(stateParameters(emulator).every((n) => n.startsWith('/cdk-connection-sharing/partner-central/AWS/'))).toBe(true);

    const deleted = await prefs.delete();
    expect(deleted.response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: arnOf('AWS') });
    expect({ Sandbox: preferences(emulator, 'Sandbox'), AWS: preferences(emulator, 'AWS') }).toEqual(before);
    expect(stateParameters(emulator)).toEqual([]);
  });

  test('ConnectionAliasSharing: create, update, rollback update, replacement onto an already shared alias, delete', async () => {
    // The new alias was shared with the account before this stack existed: that share must survive everything.
    emulator.workspaces.seedAlias({ AliasId: NEW_ALIAS, Permissions: [{ SharedAccountId: SHARED, AllowAssociation: true }] });
    const before = { [ALIAS]: emulator.workspaces.permissions(ALIAS), [NEW_ALIAS]: emulator.workspaces.permissions(NEW_ALIAS) };
    const sharing = cfn.resource(SHARING);

    const created = await sharing.create();
    expect(created.response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: ALIAS, Data: { AliasId: ALIAS, SharedAccountIds: SHARED } });
    expect(emulator.workspaces.permissions(ALIAS)).toEqual([{ SharedAccountId: SHARED, AllowAssociation: true }]);

    const updated = await sharing.update(edited.resolveProperties(SHARING));
    expect(updated.update.response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: ALIAS, Data: { SharedAccountIds: OTHER } });
    expect(emulator.workspaces.permissions(ALIAS)).toEqual([{ SharedAccountId: OTHER, AllowAssociation: true }]);

    const rolledBack = await sharing.rollbackLastUpdate();
    expect(rolledBack.response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: ALIAS, Data: { SharedAccountIds: SHARED } });
    expect(emulator.workspaces.permissions(ALIAS)).toEqual([{ SharedAccountId: SHARED, AllowAssociation: true }]);

    const replaced = await sharing.update({ AliasId: NEW_ALIAS });
    expect(replaced.update.response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: NEW_ALIAS, Data: { AliasId: NEW_ALIAS } });
    expect(replaced.cleanup?.response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: ALIAS });
    expect(emulator.workspaces.permissions(ALIAS)).toEqual(before[ALIAS]);

    const deleted = await sharing.delete();
    expect(deleted.response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: NEW_ALIAS });
    expect({ [ALIAS]: emulator.workspaces.permissions(ALIAS), [NEW_ALIAS]: emulator.workspaces.permissions(NEW_ALIAS) }).toEqual(before);
    expect(stateParameters(emulator)).toEqual([]);
  });
});

describe('a failed Create leaves nothing behind', () => {
  async function expectMarkerDeleteIgnored(resource: ReturnType<LocalCloudFormation['resource']>) {
    const deleted = await resource.delete();
    expect(deleted.event.PhysicalResourceId).toBe(MARKER);
    expect(deleted.response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: MARKER });
    expect(deleted.invocations).toBe(0);
    expect(deleted.calls).toEqual([]);
  }

  test('sharing an alias already at its one-account limit (ResourceLimitExceeded)', async () => {
    emulator.workspaces.seedAlias({ AliasId: ALIAS, Permissions: [{ SharedAccountId: '444444444444', AllowAssociation: true }] });
    const before = emulator.workspaces.permissions(ALIAS);
    const sharing = cfn.resource(SHARING);
    const created = await sharing.create();
    expect(created.response).toMatchObject({ Status: 'FAILED', PhysicalResourceId: MARKER });
    expect(created.response.Reason).toContain(`Could not share connection alias ${ALIAS} with account ${SHARED}: the alias is at its sharing limit`);
    expect(created.calls.some((c) => c.errorType === 'ResourceLimitExceededException')).toBe(true);
    expect(emulator.workspaces.permissions(ALIAS)).toEqual(before);
    expect(stateParameters(emulator)).toEqual([]);
    await expectMarkerDeleteIgnored(sharing);
  });

  test('preferences the service rejects (ValidationException) after the claim: undone, and the reason says what to fix', async () => {
    const before = preferences(emulator, 'Sandbox');
    const prefs = cfn.resource(PREFS);
    // Well-formed identifiers the service refuses (the handler itself refuses malformed ones before any call).
    emulator.faults.failNext('UpdateConnectionPreferences', 1, serviceRejects());
    const created = await prefs.create({ ExcludedParticipantIdentifiers: ['partner-blocked-1', 'partner-unknown-2'] });
    expect(created.response).toMatchObject({ Status: 'FAILED', PhysicalResourceId: MARKER });
    expect(created.response.Reason).toContain('Partner Central rejected UpdateConnectionPreferences on catalog Sandbox (REQUEST_VALIDATION_FAILED)');
    expect(created.calls.filter((c) => c.operation === 'PutParameter' && c.status === 200).length).toBeGreaterThan(0); // it did claim
    expect(preferences(emulator, 'Sandbox')).toEqual(before);
    expect(stateParameters(emulator)).toEqual([]);
    await expectMarkerDeleteIgnored(prefs);
  });

  test('a property the handler rejects: no API call at all', async () => {
    const prefs = cfn.resource(PREFS);
    const created = await prefs.create({ AccessType: 'ALLOW_SOME' });
    expect(created.response).toMatchObject({ Status: 'FAILED', PhysicalResourceId: MARKER });
    expect(created.response.Reason).toContain("Property AccessType 'ALLOW_SOME' is invalid: use one of ALLOW_ALL, DENY_ALL, ALLOW_BY_DEFAULT_DENY_SOME");
    expect(created.calls.map((c) => c.operation)).toEqual(['Invoke']);
    await expectMarkerDeleteIgnored(prefs);
  });
});

describe('a failed Update followed by its rollback converges to the old state', () => {
  test('preferences: the service rejects the new exclusions', async () => {
    const before = preferences(emulator, 'Sandbox');
    const prefs = cfn.resource(PREFS);
    await prefs.create();
    const afterCreate = preferences(emulator, 'Sandbox');
    emulator.faults.failNext('UpdateConnectionPreferences', 1, serviceRejects());
    const { update, rollback } = await prefs.update({ AccessType: 'DENY_ALL', ExcludedParticipantIdentifiers: ['partner-unknown-2'] });
    expect(update.response).toMatchObject({ Status: 'FAILED', PhysicalResourceId: arnOf('Sandbox') });
    expect(update.response.Reason).toContain('Partner Central rejected UpdateConnectionPreferences');
    expect(rollback?.event.ResourceProperties).toEqual(expect.objectContaining({ AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME' }));
    expect(rollback?.event.OldResourceProperties).toEqual(expect.objectContaining({ AccessType: 'DENY_ALL', ExcludedParticipantIdentifiers: ['partner-unknown-2'] }));
    expect(rollback?.response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: arnOf('Sandbox') });
    expect(preferences(emulator, 'Sandbox')).toEqual(afterCreate);
    expect(stateParameters(emulator).length).toBeGreaterThan(0);
    await prefs.delete();
    expect(preferences(emulator, 'Sandbox')).toEqual(before);
    expect(stateParameters(emulator)).toEqual([]);
  });

  test('sharing: a second account exceeds the limit; the first share stays', async () => {
    const sharing = cfn.resource(SHARING);
    await sharing.create();
    const { update, rollback } = await sharing.update({ SharedAccountIds: [SHARED, OTHER] });
    expect(update.response).toMatchObject({ Status: 'FAILED', PhysicalResourceId: ALIAS });
    expect(update.response.Reason).toContain(`with account ${OTHER}: the alias is at its sharing limit`);
    expect(rollback?.response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: ALIAS, Data: { SharedAccountIds: SHARED } });
    expect(emulator.workspaces.permissions(ALIAS)).toEqual([{ SharedAccountId: SHARED, AllowAssociation: true }]);
    await sharing.delete();
    expect(emulator.workspaces.permissions(ALIAS)).toEqual([]);
    expect(stateParameters(emulator)).toEqual([]);
  });
});

describe('duplicate delivery: the same event twice gets the same answer and writes nothing more', () => {
  test.each([[PREFS], [SHARING]])('%s: Create, Update and Delete each delivered twice', async (type) => {
    const before = { prefs: preferences(emulator, 'Sandbox'), perms: emulator.workspaces.permissions(ALIAS) };
    const twice = async (ev: ReturnType<LocalCloudFormation['buildEvent']>) => {
      const first = await cfn.deliver(ev);
      const second = await cfn.deliver(ev);
      expect(first.response.Status).toBe('SUCCESS');
      expect(second.response).toEqual(first.response);
      expect(writes(second)).toEqual([]);
      expect(second.invocations).toBe(1);
      return first;
    };
    const created = await twice(cfn.buildEvent(type, { requestType: 'Create' }));
    expect(writes(created).length).toBeGreaterThan(0);
    const id = created.response.PhysicalResourceId!;
    const props = created.event.ResourceProperties;
    const next = type === PREFS ? { ...props, AccessType: 'DENY_ALL' } : { ...props, SharedAccountIds: [OTHER] };
    const updated = await twice(cfn.buildEvent(type, { requestType: 'Update', properties: next, oldProperties: props, physicalResourceId: id }));
    expect(writes(updated).length).toBeGreaterThan(0);
    await twice(cfn.buildEvent(type, { requestType: 'Delete', properties: next, physicalResourceId: id }));
    expect({ prefs: preferences(emulator, 'Sandbox'), perms: emulator.workspaces.permissions(ALIAS) }).toEqual(before);
    expect(stateParameters(emulator)).toEqual([]);
  });
});

test('Delete after the alias was deleted out of band succeeds and drops the state', async () => {
  const sharing = cfn.resource(SHARING);
  expect((await sharing.create()).response.Status).toBe('SUCCESS');
  emulator.workspaces.deleteAlias(ALIAS);
  const deleted = await sharing.delete();
  expect(deleted.response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: ALIAS });
  expect(writes(deleted).every((op) => op.startsWith('DeleteParameter'))).toBe(true);
  expect(stateParameters(emulator)).toEqual([]);
});

test('two stacks claiming the same catalog: the second Create fails naming the first owner, and changes nothing', async () => {
  const other = await LocalCloudFormation.load({ emulator, assemblyDir: dirs[0], stack: STACK, stackName: 'ConnectionSharingCopy', attributes: { Alias: ALIAS }, onEvent: (r) => results.push(r) });
  try {
    const before = preferences(emulator, 'Sandbox');
    const first = cfn.resource(PREFS);
    expect((await first.create()).response.Status).toBe('SUCCESS');
    const afterFirst = { prefs: emulator.partnerCentral.get('Sandbox'), ssm: emulator.ssm.snapshot('/cdk-connection-sharing') };

    const second = other.resource(PREFS);
    const claimed = await second.create({ AccessType: 'DENY_ALL' });
    expect(claimed.response).toMatchObject({ Status: 'FAILED', PhysicalResourceId: MARKER });
    expect(claimed.response.Reason).toContain(`is already managed by resource ${first.logicalId} of stack ${STACK} (${cfn.stackId})`);
    expect({ prefs: emulator.partnerCentral.get('Sandbox'), ssm: emulator.ssm.snapshot('/cdk-connection-sharing') }).toEqual(afterFirst);
    const ignored = await second.delete();
    expect(ignored).toMatchObject({ invocations: 0, response: { Status: 'SUCCESS' } });

    await first.delete();
    expect(preferences(emulator, 'Sandbox')).toEqual(before);
    expect(stateParameters(emulator)).toEqual([]);
  } finally {
    await other.close();
  }
});

test('100 exclusions of 100 characters found before Create are restored byte for byte at Delete', async () => {
  // Deliberately not sorted: the order found must come back too.
  // Random characters: too much entropy to fit one parameter even compressed, so the snapshot is split.
  const noise = (i: number, k: number) => createHash('sha256').update(`${i}|${k}`).digest('base64').replace(/[+/=]/g, '-');
  const ids = Array.from({ length: 100 }, (_, i) => `p${String((i * 37) % 100).padStart(3, '0')}-${noise(i, 0)}${noise(i, 1)}${noise(i, 2)}`.slice(0, 100));
  expect([...ids].sort()).not.toEqual(ids);
  expect(new Set(ids).size).toBe(100);
  expect(ids.every((id) => id.length === 100)).toBe(true);
  emulator.partnerCentral.seed('Sandbox', { AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIds: ids });
  const before = JSON.stringify(preferences(emulator, 'Sandbox'));

  const prefs = cfn.resource(PREFS);
  const created = await prefs.create();
  expect(created.response.Status).toBe('SUCCESS');
  expect(preferences(emulator, 'Sandbox')?.ExcludedParticipantIds).toEqual(['partner-blocked-1', 'partner-blocked-2']);
  // ~10 KB of snapshot: more than one parameter, never in the response.
  expect(stateParameters(emulator).length).toBeGreaterThan(2);
  expect(created.responseBytes).toBeLessThan(4096);

  const deleted = await prefs.delete();
  expect(deleted.response.Status).toBe('SUCCESS');
  expect(JSON.stringify(preferences(emulator, 'Sandbox'))).toBe(before);
  expect(stateParameters(emulator)).toEqual([]);
});

/** Partner Central's refusal of values that pass the handler's own checks. */
function serviceRejects(): AwsError {
  return new AwsError(400, 'ValidationException', 'injected: participant not found', { Reason: 'REQUEST_VALIDATION_FAILED' }, 'Message');
}
