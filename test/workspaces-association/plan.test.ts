import { type AliasView, type AssociationFacts, planAssociation } from '../../lambda/workspaces-association/plan';

const ME = '222222222222';
const OWNER = '111111111111';
const ALIAS = 'wsca-abcdefgh12';
const DIR = 'd-1234567890';
const OLD = 'd-0987654321';

const alias = (state: string, ...assoc: [string, string, string][]): AliasView => ({
  AliasId: ALIAS,
  State: state,
  OwnerAccountId: OWNER,
  Associations: assoc.map(([AssociatedAccountId, ResourceId, AssociationStatus]) => ({ AssociatedAccountId, ResourceId, AssociationStatus })),
});
const facts = (over: Partial<AssociationFacts>): AssociationFacts => ({ requestType: 'Create', aliasId: ALIAS, directoryId: DIR, accountId: ME, onDelete: 'RESTORE', ...over });
const ops = (f: AssociationFacts) => planAssociation(f).steps.map((s) => ('directoryId' in s ? `${s.op}:${s.directoryId}` : s.op));

describe('planAssociation', () => {
  test.each<[string, Partial<AssociationFacts>, string, string[], boolean]>([
    ['create on a CREATED alias', { alias: alias('CREATED') }, 'create', [`associate:${DIR}`, `waitAssociated:${DIR}`], false],
    ['create waits for CREATED first', { alias: alias('CREATING') }, 'create', ['waitCreated', `associate:${DIR}`, `waitAssociated:${DIR}`], false],
    ['create ignores NOT_ASSOCIATED entries', { alias: alias('CREATED', [OWNER, OLD, 'NOT_ASSOCIATED']) }, 'create', [`associate:${DIR}`, `waitAssociated:${DIR}`], false],
    ['create adopts this very association', { alias: alias('CREATED', [ME, DIR, 'ASSOCIATED_WITH_SHARED_ACCOUNT']) }, 'none', [], true],
    ['create adopts a pending one and waits', { alias: alias('CREATED', [ME, DIR, 'PENDING_ASSOCIATION']) }, 'none', [`waitAssociated:${DIR}`], true],
    ['create after a pending disassociation', { alias: alias('CREATED', [ME, DIR, 'PENDING_DISASSOCIATION']) }, 'create', [`waitDisassociated:${DIR}`, `associate:${DIR}`, `waitAssociated:${DIR}`], false],
    ['update moves the directory in place', { requestType: 'Update', oldDirectoryId: OLD, alias: alias('CREATED', [ME, OLD, 'ASSOCIATED_WITH_SHARED_ACCOUNT']) }, 'update', [`disassociate:${OLD}`, `waitDisassociated:${OLD}`, `associate:${DIR}`, `waitAssociated:${DIR}`], false],
    ['update repeated after it was done', { requestType: 'Update', oldDirectoryId: OLD, alias: alias('CREATED', [ME, DIR, 'ASSOCIATED_WITH_SHARED_ACCOUNT']) }, 'none', [], false],
    ['update when the old one is gone', { requestType: 'Update', oldDirectoryId: OLD, alias: alias('CREATED') }, 'update', [`associate:${DIR}`, `waitAssociated:${DIR}`], false],
    ['delete disassociates and waits', { requestType: 'Delete', alias: alias('CREATED', [ME, DIR, 'ASSOCIATED_WITH_OWNER_ACCOUNT']) }, 'delete', [`disassociate:${DIR}`, `waitDisassociated:${DIR}`], false],
    ['delete waits through a pending disassociation', { requestType: 'Delete', alias: alias('CREATED', [ME, DIR, 'PENDING_DISASSOCIATION']) }, 'delete', [`waitDisassociated:${DIR}`], false],
    ['delete lets a pending association settle first', { requestType: 'Delete', alias: alias('CREATED', [ME, DIR, 'PENDING_ASSOCIATION']) }, 'delete', [`waitAssociated:${DIR}`, `disassociate:${DIR}`, `waitDisassociated:${DIR}`], false],
    ['delete of an association already gone', { requestType: 'Delete', alias: alias('CREATED') }, 'none', [], false],
    ['delete of an alias already gone', { requestType: 'Delete' }, 'none', [], false],
    ["delete leaves another account's association", { requestType: 'Delete', alias: alias('CREATED', [OWNER, DIR, 'ASSOCIATED_WITH_OWNER_ACCOUNT']) }, 'none', [], false],
    ['delete RETAIN', { requestType: 'Delete', onDelete: 'RETAIN', alias: alias('CREATED', [ME, DIR, 'ASSOCIATED_WITH_SHARED_ACCOUNT']) }, 'none', [], false],
    ['delete RESTORE of an adopted one leaves it', { requestType: 'Delete', adopted: true, alias: alias('CREATED', [ME, DIR, 'ASSOCIATED_WITH_SHARED_ACCOUNT']) }, 'none', [], true],
  ])('%s', (_name, over, action, steps, adopted) => {
    const f = facts(over);
    expect(planAssociation(f).action).toBe(action);
    expect(ops(f)).toEqual(steps);
    expect(planAssociation(f).adopted).toBe(adopted);
  });

  test.each<[string, Partial<AssociationFacts>, RegExp]>([
    ['another account holds it', { alias: alias('CREATED', [OWNER, OLD, 'ASSOCIATED_WITH_OWNER_ACCOUNT']) }, new RegExp(`directory ${OLD} of account ${OWNER}`)],
    ['another directory of this account', { alias: alias('CREATED', [ME, OLD, 'ASSOCIATED_WITH_SHARED_ACCOUNT']) }, new RegExp(`directory ${OLD} of this account`)],
    ['update where another account holds it', { requestType: 'Update', oldDirectoryId: OLD, alias: alias('CREATED', [OWNER, OLD, 'PENDING_ASSOCIATION']) }, new RegExp(`PENDING_ASSOCIATION\\) with directory ${OLD} of account ${OWNER}`)],
    ['alias not visible', {}, /does not exist in this Region or is not shared with account 222222222222/],
    ['alias DELETING', { alias: alias('DELETING') }, /State DELETING/],
  ])('blocked before any write: %s', (_name, over, reason) => {
    const plan = planAssociation(facts(over));
    expect(plan.action).toBe('blocked');
    expect(plan.steps).toEqual([]);
    expect(plan.reason).toMatch(reason);
  });
});
