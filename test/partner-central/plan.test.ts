// The pure plan of PartnerConnectionPreferences, table-driven: (declared properties, stored state, live
// preferences) -> action, writes, drift, reason, on delete. The handler applies this plan; `plan` prints it.
import { OnDelete } from '../../lib/common/on-delete';
import type { PlanRequester } from '../../lambda/common/plan';
import type { Stored } from '../../lambda/common/state-store';
import { type PreferencesFacts, planPreferences } from '../../lambda/partner-central/plan';
import { type Desired, type Live, type Preferences, digest } from '../../lambda/partner-central/preferences';

const STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/ExampleStack/11111111-2222-3333-4444-555555555555';
const EARLIER_STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/ExampleStack/00000000-0000-0000-0000-000000000000';
const OTHER_STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/OtherStack/99999999-8888-7777-6666-555555555555';
const ARN = 'arn:aws:partnercentral:us-east-1:123456789012:catalog/AWS/connection-preferences';

/** As the handler asks (a CloudFormation event) and as the `plan` command asks (no stack id yet). */
const EVENT: PlanRequester = { stackId: STACK_ID, stackName: 'ExampleStack', logicalId: 'Prefs' };
const COMMAND: PlanRequester = { stackName: 'ExampleStack', region: 'eu-west-1', logicalId: 'Prefs' };

const prefs = (accessType: string, ...excluded: string[]): Preferences => ({ accessType, excludedParticipantIds: excluded });
const live = (p: Preferences): Live => ({ ...p, arn: ARN, revision: 7 });
const desired = (p: Preferences, onDelete = OnDelete.RESTORE): Desired => ({ catalog: 'AWS', ...p, onDelete });
/** The record a resource keeps: the snapshot found at Create, and the digest of what it last applied. */
const stored = (stackId: string, snapshot: Preferences, applied: Preferences, logicalResourceId = 'Prefs'): Stored<Preferences> => {
  const owner = { stackId, logicalResourceId };
  return { record: { owner, snapshot, meta: { applied: digest(applied) } }, owner, names: ['/cdk-connection-sharing/partner-central/AWS/header'] };
};

const ALLOW_ALL = prefs('ALLOW_ALL');
const DENY_SOME = prefs('ALLOW_BY_DEFAULT_DENY_SOME', 'p-1', 'p-2');
const DENY_ALL = prefs('DENY_ALL');

const cases: [string, PreferencesFacts, Record<string, unknown>][] = [
  [
    'create: nothing stored, the live preferences differ',
    { desired: desired(DENY_SOME), requester: COMMAND, live: live(ALLOW_ALL) },
    {
      action: 'create',
      manages: 'catalog AWS',
      writes: [{ operation: 'UpdateConnectionPreferences', summary: 'AccessType ALLOW_ALL -> ALLOW_BY_DEFAULT_DENY_SOME, excluded +2 -0' }],
      target: DENY_SOME,
      drift: { drifted: false },
      snapshot: ALLOW_ALL,
      onDelete: 'restore AccessType ALLOW_ALL, 0 exclusions',
      reason: undefined,
    },
  ],
  [
    'create with nothing to write: the live preferences are already the declared ones',
    { desired: desired(DENY_SOME), requester: EVENT, live: live(prefs('ALLOW_BY_DEFAULT_DENY_SOME', 'p-2', 'p-1')) },
    { action: 'create', writes: [], target: undefined, onDelete: 'nothing to restore (AccessType ALLOW_BY_DEFAULT_DENY_SOME, 2 exclusions is what was found)' },
  ],
  [
    'none: ours, converged',
    { desired: desired(DENY_SOME), requester: COMMAND, stored: stored(STACK_ID, ALLOW_ALL, DENY_SOME), live: live(DENY_SOME) },
    { action: 'none', writes: [], drift: { drifted: false }, ownership: 'ours', recordApplied: false, onDelete: 'restore AccessType ALLOW_ALL, 0 exclusions' },
  ],
  [
    'update: a property changed (exclusions: +1 -2)',
    { desired: desired(prefs('ALLOW_BY_DEFAULT_DENY_SOME', 'p-3')), requester: EVENT, stored: stored(STACK_ID, ALLOW_ALL, DENY_SOME), live: live(DENY_SOME) },
    { action: 'update', writes: [{ operation: 'UpdateConnectionPreferences', summary: 'excluded +1 -2' }], drift: { drifted: false }, recordApplied: true },
  ],
  [
    'update with drift: changed outside the stack since it last applied them',
    { desired: desired(DENY_SOME), requester: COMMAND, stored: stored(STACK_ID, ALLOW_ALL, DENY_SOME), live: live(DENY_ALL) },
    {
      action: 'update',
      writes: [{ operation: 'UpdateConnectionPreferences', summary: 'AccessType DENY_ALL -> ALLOW_BY_DEFAULT_DENY_SOME, excluded +2 -0' }],
      drift: { drifted: true, detail: 'the live AccessType DENY_ALL, 0 exclusions is not what this resource last applied (changed outside the stack)' },
      recordApplied: false,
    },
  ],
  [
    'drift that the new properties match: no write, still drift',
    { desired: desired(DENY_ALL), requester: EVENT, stored: stored(STACK_ID, ALLOW_ALL, DENY_SOME), live: live(DENY_ALL) },
    { action: 'none', writes: [], drift: { drifted: true } },
  ],
  [
    'blocked: another stack holds the catalog',
    { desired: desired(DENY_SOME), requester: COMMAND, stored: stored(OTHER_STACK_ID, ALLOW_ALL, DENY_ALL, 'TheirPrefs'), live: live(DENY_ALL) },
    {
      action: 'blocked',
      writes: [],
      ownership: 'other',
      reason: expect.stringContaining(`are managed by resource TheirPrefs of stack OtherStack (${OTHER_STACK_ID}): only one resource may manage them`),
      onDelete: 'nothing: this resource owns no state',
    },
  ],
  [
    'blocked: the same logical id in a stack of another name',
    { desired: desired(DENY_SOME), requester: COMMAND, stored: stored(OTHER_STACK_ID, ALLOW_ALL, DENY_ALL), live: live(DENY_ALL) },
    { action: 'blocked', ownership: 'other' },
  ],
  [
    'the plan command: the same stack name in another Region is another stack',
    { desired: desired(DENY_SOME), requester: { ...COMMAND, region: 'us-west-2' }, stored: stored(STACK_ID, ALLOW_ALL, DENY_SOME), live: live(DENY_SOME) },
    { action: 'blocked', ownership: 'other' },
  ],
  [
    'stale claim of this resource of an earlier stack of the same name: create, taking over its snapshot',
    { desired: desired(DENY_SOME), requester: EVENT, stored: stored(EARLIER_STACK_ID, prefs('DENY_ALL', 'old-1'), DENY_SOME), live: live(DENY_SOME) },
    {
      action: 'create',
      ownership: 'stale',
      writes: [],
      snapshot: prefs('DENY_ALL', 'old-1'),
      reason: `takes over the claim left by resource Prefs of stack ExampleStack (${EARLIER_STACK_ID}), a stack of the same name that no longer exists`,
      onDelete: 'restore AccessType DENY_ALL, 1 exclusion',
    },
  ],
  [
    'OnDelete RETAIN: deleting keeps what will be there',
    { desired: desired(DENY_SOME, OnDelete.RETAIN), requester: COMMAND, stored: stored(STACK_ID, ALLOW_ALL, DENY_SOME), live: live(DENY_SOME) },
    { action: 'none', onDelete: 'retain AccessType ALLOW_BY_DEFAULT_DENY_SOME, 2 exclusions' },
  ],
  [
    'blocked: an invalid property, with what deleting would still restore',
    { desired: { catalog: 'AWS', invalid: "Property AccessType 'allow_all' is invalid" }, requester: COMMAND, stored: stored(STACK_ID, ALLOW_ALL, DENY_SOME), live: live(DENY_SOME) },
    { action: 'blocked', writes: [], reason: "Property AccessType 'allow_all' is invalid", onDelete: 'restore AccessType ALLOW_ALL, 0 exclusions' },
  ],
];

test.each(cases)('%s', (_name, facts, expected) => {
  expect(planPreferences(facts)).toMatchObject(expected);
});

test('the writes are exactly the target: one UpdateConnectionPreferences, or none', () => {
  for (const [, facts] of cases) {
    const plan = planPreferences(facts);
    if (plan.action === 'blocked') continue;
    expect(plan.writes.length).toBe(plan.target ? 1 : 0);
  }
});
