// The reconcile context key (lib/common/reconcile.ts): what it adds to the template, where, and what it refuses.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AccessType, ConnectionAliasSharing, PartnerConnectionPreferences } from '../../lib';
import { RECONCILE_CONTEXT_KEY } from '../../lib/common/reconcile';
import { Prop as PrefsProp, RESOURCE_TYPE as PREFS } from '../../lib/partner-central/contract';
import { Prop as SharingProp, RESOURCE_TYPE as SHARING } from '../../lib/workspaces/contract';

const ENV = { account: '123456789012', region: 'eu-west-1' };
const BASE_CONTEXT = { '@aws-cdk/aws-iam:minimizePolicies': true };

/** Two stacks, each with one resource of each kind; `scoped` sets the key on the first stack only. */
function synth(context: Record<string, unknown> = {}, scoped?: unknown): Template[] {
  const app = new App({ context: { ...BASE_CONTEXT, ...context } });
  const stacks = ['One', 'Two'].map((name, i) => {
    const stack = new Stack(app, name, { env: ENV });
    // Context set on a scope must be set before its children are added.
    if (i === 0 && scoped !== undefined) stack.node.setContext(RECONCILE_CONTEXT_KEY, scoped);
    new PartnerConnectionPreferences(stack, 'Prefs', { catalog: i === 0 ? 'AWS' : 'Sandbox', accessType: AccessType.DENY_ALL });
    new ConnectionAliasSharing(stack, 'Share', { aliasId: `wsca-abcdefgh1${i}`, sharedAccountIds: ['210987654321'] });
    return stack;
  });
  return stacks.map((stack) => Template.fromStack(stack));
}

/** The Reconcile value of every resource of this library, by stack, `-` where there is none. */
function reconcileValues(templates: Template[]): string[][] {
  return templates.map((t) => [
    ...Object.values(t.findResources(PREFS)).map((r) => r.Properties[PrefsProp.RECONCILE] ?? '-'),
    ...Object.values(t.findResources(SHARING)).map((r) => r.Properties[SharingProp.RECONCILE] ?? '-'),
  ]);
}

function withoutReconcile(template: Template): string {
  const json = template.toJSON();
  for (const r of Object.values(json.Resources as Record<string, { Type: string; Properties?: Record<string, unknown> }>)) {
    if (r.Type === PREFS || r.Type === SHARING) delete r.Properties![PrefsProp.RECONCILE];
  }
  return JSON.stringify(json);
}

describe('the reconcile context key', () => {
  test('absent: no Reconcile property, and the templates are byte-identical to a reconciling synth minus that property', () => {
    const plain = synth();
    const reconciling = synth({ [RECONCILE_CONTEXT_KEY]: 'r1' });
    expect(reconcileValues(plain)).toEqual([['-', '-'], ['-', '-']]);
    expect(plain.map((t) => JSON.stringify(t.toJSON()))).toEqual(reconciling.map(withoutReconcile));
    expect(JSON.stringify(plain.map((t) => t.toJSON()))).not.toContain('Reconcile');
  });

  test('set on the app (`cdk deploy -c`): every resource of both kinds in every stack gets it, as given', () => {
    expect(reconcileValues(synth({ [RECONCILE_CONTEXT_KEY]: '2026-12-02T09:00Z' }))).toEqual([
      ['2026-12-02T09:00Z', '2026-12-02T09:00Z'],
      ['2026-12-02T09:00Z', '2026-12-02T09:00Z'],
    ]);
  });

  test('set on a scope (node.setContext): only the resources under it', () => {
    expect(reconcileValues(synth({}, 'only-one'))).toEqual([['only-one', 'only-one'], ['-', '-']]);
  });

  test('a number or boolean from cdk.json is a string in the template', () => {
    expect(reconcileValues(synth({ [RECONCILE_CONTEXT_KEY]: 42 }))[0]).toEqual(['42', '42']);
  });

  test.each([[''], ['  '], [{ at: 'now' }], [['a']]])('%j is refused, naming the key and the value', (value) => {
    expect(() => synth({ [RECONCILE_CONTEXT_KEY]: value })).toThrow(
      new RegExp(`One/Prefs: context cdk-connection-sharing:reconcile is ${JSON.stringify(value).replace(/[[\]{}]/g, '\\$&')}: give it a new non-empty value`),
    );
  });
});
