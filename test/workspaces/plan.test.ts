// The pure plan of ConnectionAliasSharing, table-driven: (declared accounts, stored state, the alias and its shares)
// -> action, writes in the handler's order, drift, reason, on delete. The handler applies this plan; `plan` prints it.
import type { ConnectionAlias } from '@aws-sdk/client-workspaces';
import { OnDelete } from '../../lib/common/on-delete';
import type { PlanRequester } from '../../lambda/common/plan';
import type { Stored } from '../../lambda/common/state-store';
import { type SharingFacts, planSharing, planSteps } from '../../lambda/workspaces/plan';
import type { Snapshot } from '../../lambda/workspaces/sharing';

const STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/ExampleStack/11111111-2222-3333-4444-555555555555';
const EARLIER_STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/ExampleStack/00000000-0000-0000-0000-000000000000';
const OTHER_STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/OtherStack/99999999-8888-7777-6666-555555555555';
const ALIAS = 'wsca-abcdefgh12';
const A = '210987654321';
const B = '333333333333';
const C = '444444444444';

const EVENT: PlanRequester = { stackId: STACK_ID, stackName: 'ExampleStack', logicalId: 'Share' };
const COMMAND: PlanRequester = { stackName: 'ExampleStack', region: 'eu-west-1', logicalId: 'Share' };
const alias = (associations: ConnectionAlias['Associations'] = []): ConnectionAlias => ({ AliasId: ALIAS, State: 'CREATED', OwnerAccountId: '123456789012', Associations: associations });
const stored = (stackId: string, preShared: string[], declared: string[], logicalResourceId = 'Share'): Stored<Snapshot> => {
  const owner = { stackId, logicalResourceId };
  return { record: { owner, snapshot: { preShared }, meta: { declared } }, owner, names: [`/cdk-connection-sharing/workspaces/${ALIAS}/header`] };
};
const facts = (accounts: string[], current: string[], more: Partial<SharingFacts> = {}, onDelete = OnDelete.RESTORE): SharingFacts => ({
  desired: { aliasId: ALIAS, accounts, onDelete },
  requester: COMMAND,
  alias: alias(),
  current: new Set(current),
  fallbackDeclared: [],
  ...more,
});
const share = (account: string) => ({ operation: 'UpdateConnectionAliasPermission', summary: `share ${account}` });
const unshare = (account: string) => ({ operation: 'UpdateConnectionAliasPermission', summary: `unshare ${account}` });

const cases: [string, SharingFacts, Record<string, unknown>][] = [
  [
    'more shared accounts than WorkSpaces documents: planned as the handler will try it, with the limit said',
    facts([A, B], [], { stored: stored(STACK_ID, [], [A]) }),
    { action: 'update', writes: [share(A), share(B)], reason: expect.stringContaining(`the alias would be shared with 2 accounts (${A}, ${B}), but WorkSpaces documents one`) },
  ],
  ['one account within the limit: no limit note', facts([B], [A], { stored: stored(STACK_ID, [], [A]) }), { action: 'update', reason: undefined }],
  ['create: nothing stored', facts([A], []), { action: 'create', manages: `alias ${ALIAS}`, writes: [share(A)], drift: { drifted: false }, onDelete: `unshare ${A}`, next: { snapshot: { preShared: [] } } }],
  [
    'create over an existing share: nothing to write, and deleting leaves it',
    facts([A], [A]),
    { action: 'create', writes: [], next: { snapshot: { preShared: [A] } }, onDelete: 'nothing to unshare (every declared account was shared before)' },
  ],
  ['none: ours, converged', facts([A], [A], { stored: stored(STACK_ID, [], [A]) }), { action: 'none', writes: [], recordChanged: false, onDelete: `unshare ${A}` }],
  [
    'update: an account swapped, unshare before share',
    facts([B], [A], { stored: stored(STACK_ID, [], [A]) }),
    { action: 'update', writes: [unshare(A), share(B)], steps: [{ account: A, share: false }, { account: B, share: true }], recordChanged: true, onDelete: `unshare ${B}` },
  ],
  [
    'update: a removed account that was shared before this resource is left shared',
    facts([B], [A], { stored: stored(STACK_ID, [A], [A]) }),
    { action: 'update', writes: [share(B)] },
  ],
  [
    'update: accounts not declared here are never touched',
    facts([A, B], [A, C], { stored: stored(STACK_ID, [], [A]) }),
    { action: 'update', writes: [share(B)], onDelete: `unshare ${A}, ${B}` },
  ],
  [
    'drift: a declared account unshared outside the stack is shared again',
    facts([A], [], { stored: stored(STACK_ID, [], [A]) }),
    { action: 'update', writes: [share(A)], drift: { drifted: true, detail: `declared account(s) ${A} were unshared outside the stack` }, recordChanged: false },
  ],
  [
    'blocked: another stack manages the alias',
    facts([A], [A], { stored: stored(OTHER_STACK_ID, [], [A], 'TheirShare') }),
    {
      action: 'blocked',
      writes: [],
      ownership: 'other',
      reason: `the sharing of connection alias ${ALIAS} is managed by resource TheirShare of stack OtherStack (${OTHER_STACK_ID}), not by this resource: only one resource may manage it. Remove one of the two resources.`,
      onDelete: 'nothing: this resource owns no state',
    },
  ],
  [
    'blocked: the account to unshare has associated the alias with a directory (the handler fails before any write)',
    facts([B], [A], { stored: stored(STACK_ID, [], [A]), alias: alias([{ AssociatedAccountId: A, ResourceId: 'd-9067a1b2c3', AssociationStatus: 'ASSOCIATED_WITH_SHARED_ACCOUNT' }]) }),
    {
      action: 'blocked',
      reason: expect.stringContaining(`it is associated by account ${A} with directory d-9067a1b2c3 (ASSOCIATED_WITH_SHARED_ACCOUNT). Nothing was changed.`),
      writes: [],
      onDelete: `unshare ${B}`,
    },
  ],
  [
    'an association of an account that is not unshared blocks nothing',
    facts([A, B], [A], { stored: stored(STACK_ID, [], [A]), alias: alias([{ AssociatedAccountId: A, ResourceId: 'd-1', AssociationStatus: 'ASSOCIATED_WITH_SHARED_ACCOUNT' }]) }),
    { action: 'update', writes: [share(B)] },
  ],
  [
    'blocked: the alias is missing (or DELETING, or another account\'s)',
    facts([A], [], { alias: undefined, aliasProblem: `Connection alias ${ALIAS} was not found in eu-west-1 of account 123456789012.` }),
    { action: 'blocked', writes: [], reason: `Connection alias ${ALIAS} was not found in eu-west-1 of account 123456789012.`, onDelete: 'nothing: this resource owns no state' },
  ],
  [
    'stale claim of this resource of an earlier stack of the same name: create, keeping what it knew was shared before',
    facts([A], [A], { requester: EVENT, stored: stored(EARLIER_STACK_ID, [A], [A]) }),
    { action: 'create', ownership: 'stale', writes: [], next: { snapshot: { preShared: [A] } }, reason: expect.stringContaining('takes over the claim left by resource Share of stack ExampleStack') },
  ],
  ['OnDelete RETAIN', facts([A], [A], { stored: stored(STACK_ID, [], [A]) }, OnDelete.RETAIN), { action: 'none', onDelete: 'retain every share' }],
  [
    'blocked: invalid properties, with what deleting would still do',
    { ...facts([], [A], { stored: stored(STACK_ID, [], [A]) }), desired: { aliasId: ALIAS, invalid: 'Property SharedAccountIds has invalid account id(s) 12: each must be 12 digits.' } },
    { action: 'blocked', writes: [], reason: 'Property SharedAccountIds has invalid account id(s) 12: each must be 12 digits.', onDelete: `unshare ${A}` },
  ],
];

test.each(cases)('%s', (_name, input, expected) => {
  expect(planSharing(input)).toMatchObject(expected);
});

test('steps: unshares first, then shares, each sorted; accounts already right are left out', () => {
  expect(planSteps(new Set([C, A]), [B, '111111111111', A], [C, '999999999999'])).toEqual([
    { account: C, share: false },
    { account: '111111111111', share: true },
    { account: B, share: true },
  ]);
});
