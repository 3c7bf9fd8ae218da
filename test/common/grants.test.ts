// The handler's grants are per kind, never per instance: CloudFormation updates the handler's policy before the
// custom resources and deletes replaced or removed ones in the cleanup phase under the NEW policy, while a rollback
// (and its cleanup) runs custom resources before the policy is rolled back. So every request a resource of the old
// template makes must be allowed by the new policy, and every request of the new template by the old policy.
// Those requests are evaluated here against the rendered policies with IAM's matching rules, for each change that
// used to break (alias replaced, catalog changed, an instance removed, 21 -> 20 instances and back), and the
// policy's size is checked to be the same however many instances a stack holds.
import { App, CfnParameter, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AccessType, ConnectionAliasSharing, PartnerConnectionPreferences } from '../../lib';
import { RESOURCE_TYPE as PREFS_TYPE } from '../../lib/partner-central/contract';
import { RESOURCE_TYPE as SHARING_TYPE } from '../../lib/workspaces/contract';

const IAM_INLINE_LIMIT = 10_240;
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const env = { account: ACCOUNT, region: REGION };
const context = { '@aws-cdk/aws-iam:minimizePolicies': true };

type Json = unknown;
/** What CloudFormation substitutes at deployment: pseudo parameters and the stack's own parameters. */
type Deployment = { partition: string; account: string; region: string; parameters?: Record<string, string> };
const DEPLOYED: Deployment = { partition: 'aws', account: ACCOUNT, region: REGION };

function resolve(v: Json, d: Deployment): Json {
  if (Array.isArray(v)) return v.map((x) => resolve(x, d));
  if (v && typeof v === 'object') {
    const o = v as Record<string, Json>;
    if (typeof o.Ref === 'string') {
      const pseudo: Record<string, string> = { 'AWS::Partition': d.partition, 'AWS::AccountId': d.account, 'AWS::Region': d.region };
      const value = pseudo[o.Ref] ?? d.parameters?.[o.Ref];
      if (value === undefined) throw new Error(`test cannot resolve Ref ${o.Ref}`);
      return value;
    }
    if (o['Fn::Join']) {
      const [sep, parts] = o['Fn::Join'] as [string, Json[]];
      return parts.map((p) => resolve(p, d)).join(sep);
    }
    if (o['Fn::GetAtt']) throw new Error(`test cannot resolve ${JSON.stringify(o)}`);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x, d)]));
  }
  return v;
}

// ---- A small IAM evaluator: Allow statements, Action/Resource wildcards, StringEquals conditions. ----

type Statement = { Effect: string; Action: string | string[]; Resource: string | string[]; Condition?: Record<string, Record<string, string | string[]>> };
type Request = { action: string; resource: string; context?: Record<string, string> };

/** IAM's wildcards: `*` any run of characters (slashes included), `?` one character. */
function globMatches(pattern: string, value: string, caseInsensitive = false): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, caseInsensitive ? 'i' : '').test(value);
}

function conditionHolds(condition: Statement['Condition'], ctx: Record<string, string>): boolean {
  for (const [operator, keys] of Object.entries(condition ?? {})) {
    // Only what our policies use: anything else must make this test fail, not pass by accident.
    if (operator !== 'StringEquals') throw new Error(`test evaluator does not know condition operator ${operator}`);
    for (const [key, values] of Object.entries(keys)) {
      if (!(key in ctx) || !([] as string[]).concat(values).includes(ctx[key])) return false;
    }
  }
  return true;
}

function allows(statements: Statement[], r: Request): boolean {
  if (statements.some((s) => s.Effect !== 'Allow')) throw new Error('test evaluator only knows Allow statements');
  return statements.some(
    (s) =>
      ([] as string[]).concat(s.Action).some((a) => globMatches(a, r.action, true)) &&
      ([] as string[]).concat(s.Resource).some((res) => globMatches(res, r.resource)) &&
      conditionHolds(s.Condition, r.context ?? {}),
  );
}

type Kind = 'workspaces' | 'partner-central';
const POLICY_OF: Record<Kind, RegExp> = { workspaces: /^CdkConnectionSharingWorkSpacesProviderHandlerPolicy/, 'partner-central': /^CdkConnectionSharingPartnerCentralProviderHandlerPolicy/ };

/** The statements of a kind's handler policy (the one every custom resource of that kind depends on), resolved. */
function handlerStatements(template: Template, d: Deployment, kind: Kind): Statement[] | undefined {
  const policies = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) => POLICY_OF[kind].test(id));
  if (policies.length > 1) throw new Error(`more than one ${kind} handler policy`);
  return policies.length ? (resolve(policies[0][1].Properties.PolicyDocument, d) as { Statement: Statement[] }).Statement : undefined;
}

/**
 * Every request a resource of this template makes in its lifecycle (Create, Update, Delete), as the handlers make
 * them: the state store under its own path, and the alias or catalog it names in its properties.
 */
function requestsOf(template: Template, d: Deployment): { kind: Kind; resource: string; requests: Request[] }[] {
  const ssm = (region: string, path: string): Request[] => {
    const arn = (name: string) => `arn:${d.partition}:ssm:${region}:${d.account}:parameter${name}`;
    return [
      { action: 'ssm:GetParametersByPath', resource: arn(path) },
      { action: 'ssm:PutParameter', resource: arn(`${path}/header`) },
      { action: 'ssm:PutParameter', resource: arn(`${path}/part-1`) },
      { action: 'ssm:DeleteParameters', resource: arn(`${path}/header`) },
    ];
  };
  const sharing = Object.values(template.findResources(SHARING_TYPE)).map((r) => {
    const aliasId = resolve(r.Properties.AliasId, d) as string;
    const alias = `arn:${d.partition}:workspaces:${d.region}:${d.account}:connectionalias/${aliasId}`;
    return {
      kind: 'workspaces' as const,
      resource: aliasId,
      requests: [
        { action: 'workspaces:DescribeConnectionAliases', resource: '*' },
        { action: 'workspaces:DescribeConnectionAliasPermissions', resource: alias },
        { action: 'workspaces:UpdateConnectionAliasPermission', resource: alias },
        ...ssm(d.region, `/cdk-connection-sharing/workspaces/${aliasId}`),
      ],
    };
  });
  const prefs = Object.values(template.findResources(PREFS_TYPE)).map((r) => {
    const catalog = resolve(r.Properties.Catalog, d) as string;
    const ctx = { 'partnercentral:Catalog': catalog };
    return {
      kind: 'partner-central' as const,
      resource: catalog,
      requests: [
        { action: 'partnercentral:GetConnectionPreferences', resource: '*', context: ctx },
        { action: 'partnercentral:UpdateConnectionPreferences', resource: '*', context: ctx },
        ...ssm('us-east-1', `/cdk-connection-sharing/partner-central/${catalog}`),
      ],
    };
  });
  return [...sharing, ...prefs];
}

/**
 * The requests of `from`'s resources that `under`'s handler policy of their kind denies (empty when all are
 * covered). When `under` has no provider of that kind any more (its last instance was removed), the resources are
 * deleted with their provider, before the policy they depend on: under `from`'s own policy.
 */
function denied(from: Template, fromDeployment: Deployment, under: Template, underDeployment: Deployment): string[] {
  return requestsOf(from, fromDeployment).flatMap(({ kind, resource, requests }) => {
    const statements = handlerStatements(under, underDeployment, kind) ?? handlerStatements(from, fromDeployment, kind)!;
    return requests.filter((r) => !allows(statements, r)).map((r) => `${resource}: ${r.action} on ${r.resource}${r.context ? ` ${JSON.stringify(r.context)}` : ''}`);
  });
}

const aliasId = (i: number) => `wsca-${String(i).padStart(10, '0')}`;
function aliases(stack: Stack, ids: number[]): void {
  for (const i of ids) new ConnectionAliasSharing(stack, `Share${i}`, { aliasId: aliasId(i), sharedAccountIds: ['210987654321'] });
}
function catalogs(stack: Stack, names: string[]): void {
  for (const catalog of names) new PartnerConnectionPreferences(stack, `Prefs-${catalog}`, { catalog, accessType: AccessType.DENY_ALL });
}
const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

function synth(build: (stack: Stack) => void, stackEnv: { account?: string; region?: string } = env): Template {
  const app = new App({ context });
  const stack = new Stack(app, 'S', { env: stackEnv });
  build(stack);
  return Template.fromStack(stack);
}

describe('the test evaluator can say no', () => {
  const exact: Statement[] = [
    { Effect: 'Allow', Action: 'workspaces:UpdateConnectionAliasPermission', Resource: 'arn:aws:workspaces:eu-west-1:123456789012:connectionalias/wsca-b' },
    { Effect: 'Allow', Action: 'ssm:GetParametersByPath', Resource: 'arn:aws:ssm:eu-west-1:123456789012:parameter/cdk-connection-sharing/workspaces/wsca-b' },
    { Effect: 'Allow', Action: 'partnercentral:GetConnectionPreferences', Resource: '*', Condition: { StringEquals: { 'partnercentral:Catalog': ['AWS'] } } },
  ];

  test('per-instance grants (what this library used to render) deny the replaced alias and the old catalog', () => {
    expect(allows(exact, { action: 'workspaces:UpdateConnectionAliasPermission', resource: 'arn:aws:workspaces:eu-west-1:123456789012:connectionalias/wsca-b' })).toBe(true);
    expect(allows(exact, { action: 'workspaces:UpdateConnectionAliasPermission', resource: 'arn:aws:workspaces:eu-west-1:123456789012:connectionalias/wsca-a' })).toBe(false);
    expect(allows(exact, { action: 'ssm:GetParametersByPath', resource: 'arn:aws:ssm:eu-west-1:123456789012:parameter/cdk-connection-sharing/workspaces/wsca-a' })).toBe(false);
    expect(allows(exact, { action: 'partnercentral:GetConnectionPreferences', resource: '*', context: { 'partnercentral:Catalog': 'Sandbox' } })).toBe(false);
    expect(allows(exact, { action: 'partnercentral:GetConnectionPreferences', resource: '*' })).toBe(false);
  });

  test('a prefix matches the paths below it, slashes included, and nothing beside it', () => {
    const prefix: Statement[] = [{ Effect: 'Allow', Action: 'ssm:GetParametersByPath', Resource: 'arn:aws:ssm:eu-west-1:1:parameter/cdk-connection-sharing/workspaces/*' }];
    expect(allows(prefix, { action: 'ssm:GetParametersByPath', resource: 'arn:aws:ssm:eu-west-1:1:parameter/cdk-connection-sharing/workspaces/wsca-x' })).toBe(true);
    expect(allows(prefix, { action: 'ssm:GetParametersByPath', resource: 'arn:aws:ssm:eu-west-1:1:parameter/cdk-connection-sharing/workspaces/wsca-x/header' })).toBe(true);
    expect(allows(prefix, { action: 'ssm:GetParametersByPath', resource: 'arn:aws:ssm:eu-west-1:1:parameter/cdk-connection-sharing/workspaces' })).toBe(false);
    expect(allows(prefix, { action: 'ssm:GetParametersByPath', resource: 'arn:aws:ssm:eu-west-1:1:parameter/cdk-connection-sharing/workspacesX/a' })).toBe(false);
    expect(allows(prefix, { action: 'ssm:GetParameter', resource: 'arn:aws:ssm:eu-west-1:1:parameter/cdk-connection-sharing/workspaces/wsca-x' })).toBe(false);
  });
});

describe('every Delete, cleanup Delete and rollback stays allowed', () => {
  // [change, the template before, the template after]
  const changes: [string, (s: Stack) => void, (s: Stack) => void][] = [
    ['alias replaced (A -> B)', (s) => aliases(s, [1]), (s) => aliases(s, [2])],
    ['one of several aliases removed', (s) => aliases(s, [1, 2, 3]), (s) => aliases(s, [1, 3])],
    ['the last alias removed, another kind stays', (s) => (aliases(s, [1]), catalogs(s, ['AWS'])), (s) => catalogs(s, ['AWS'])],
    ['21 aliases -> 20', (s) => aliases(s, range(21)), (s) => aliases(s, range(20))],
    ['100 aliases -> 1 other', (s) => aliases(s, range(100)), (s) => aliases(s, [500])],
    ['catalog changed (Sandbox -> AWS)', (s) => catalogs(s, ['Sandbox']), (s) => catalogs(s, ['AWS'])],
    ['one of two catalogs removed', (s) => catalogs(s, ['AWS', 'Sandbox']), (s) => catalogs(s, ['AWS'])],
  ];

  test.each(changes)('%s: the old resources under the new policy (cleanup), the new ones under the old policy (rollback)', (_name, before, after) => {
    const old = synth(before);
    const next = synth(after);
    expect(requestsOf(old, DEPLOYED).length + requestsOf(next, DEPLOYED).length).toBeGreaterThan(0);
    expect(denied(old, DEPLOYED, next, DEPLOYED)).toEqual([]);
    expect(denied(next, DEPLOYED, old, DEPLOYED)).toEqual([]);
    expect(denied(old, DEPLOYED, old, DEPLOYED)).toEqual([]);
  });

  test('a stack with alias B covers alias A, and one that now declares only AWS still covers Sandbox', () => {
    const template = synth((s) => (aliases(s, [2]), catalogs(s, ['AWS'])));
    const statements = handlerStatements(template, DEPLOYED, 'workspaces')!;
    const a = aliasId(1);
    expect(allows(statements, { action: 'workspaces:UpdateConnectionAliasPermission', resource: `arn:aws:workspaces:${REGION}:${ACCOUNT}:connectionalias/${a}` })).toBe(true);
    expect(allows(statements, { action: 'ssm:GetParametersByPath', resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/cdk-connection-sharing/workspaces/${a}` })).toBe(true);
    expect(allows(statements, { action: 'ssm:DeleteParameters', resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/cdk-connection-sharing/workspaces/${a}/header` })).toBe(true);
    const sandbox = { 'partnercentral:Catalog': 'Sandbox' };
    const prefs = handlerStatements(template, DEPLOYED, 'partner-central')!;
    expect(allows(prefs, { action: 'partnercentral:GetConnectionPreferences', resource: '*', context: sandbox })).toBe(true);
    expect(allows(prefs, { action: 'partnercentral:UpdateConnectionPreferences', resource: '*', context: sandbox })).toBe(true);
    expect(allows(prefs, { action: 'ssm:GetParametersByPath', resource: `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/cdk-connection-sharing/partner-central/Sandbox` })).toBe(true);
  });

  test('a token catalog (a stack parameter) changed from Sandbox to AWS: both deployments cover each other', () => {
    const template = synth((s) => {
      const catalog = new CfnParameter(s, 'Catalog', { type: 'String', allowedValues: ['AWS', 'Sandbox'] }).valueAsString;
      new PartnerConnectionPreferences(s, 'Prefs', { catalog, accessType: AccessType.DENY_ALL });
    });
    const before = { ...DEPLOYED, parameters: { Catalog: 'Sandbox' } };
    const after = { ...DEPLOYED, parameters: { Catalog: 'AWS' } };
    expect(denied(template, before, template, after)).toEqual([]);
    expect(denied(template, after, template, before)).toEqual([]);
    // And whatever the token resolves to is granted, even a catalog Partner Central does not document yet.
    expect(denied(template, { ...DEPLOYED, parameters: { Catalog: 'Future' } }, template, { ...DEPLOYED, parameters: { Catalog: 'Future' } })).toEqual([]);
  });

  test('still least privilege: no other kind, prefix, region, account, operation or catalog', () => {
    const template = synth((s) => (aliases(s, [1]), catalogs(s, ['AWS'])));
    const ws = handlerStatements(template, DEPLOYED, 'workspaces')!;
    const pc = handlerStatements(template, DEPLOYED, 'partner-central')!;
    const no: [Statement[], Request][] = [
      [ws, { action: 'ssm:GetParameter', resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/cdk-connection-sharing/workspaces/${aliasId(1)}/header` }],
      [ws, { action: 'ssm:PutParameter', resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/other/x` }],
      [ws, { action: 'ssm:PutParameter', resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/cdk-connection-sharing/partner-central/AWS/header` }],
      [ws, { action: 'ssm:PutParameter', resource: `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/cdk-connection-sharing/workspaces/${aliasId(1)}/header` }],
      [ws, { action: 'ssm:DeleteParameters', resource: `arn:aws:ssm:${REGION}:210987654321:parameter/cdk-connection-sharing/workspaces/x` }],
      [ws, { action: 'workspaces:UpdateConnectionAliasPermission', resource: `arn:aws:workspaces:us-west-2:${ACCOUNT}:connectionalias/${aliasId(1)}` }],
      [ws, { action: 'workspaces:UpdateConnectionAliasPermission', resource: `arn:aws:workspaces:${REGION}:210987654321:connectionalias/${aliasId(1)}` }],
      [ws, { action: 'workspaces:DeleteConnectionAlias', resource: `arn:aws:workspaces:${REGION}:${ACCOUNT}:connectionalias/${aliasId(1)}` }],
      [ws, { action: 'partnercentral:GetConnectionPreferences', resource: '*', context: { 'partnercentral:Catalog': 'AWS' } }],
      [pc, { action: 'ssm:PutParameter', resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/cdk-connection-sharing/partner-central/AWS/header` }],
      [pc, { action: 'ssm:PutParameter', resource: `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/cdk-connection-sharing/workspaces/x/header` }],
      [pc, { action: 'workspaces:DescribeConnectionAliases', resource: '*' }],
      [pc, { action: 'partnercentral:GetConnectionPreferences', resource: '*', context: { 'partnercentral:Catalog': 'Other' } }],
      [pc, { action: 'partnercentral:GetConnectionPreferences', resource: '*' }],
    ];
    expect(no.filter(([statements, r]) => allows(statements, r)).map(([, r]) => r)).toEqual([]);
  });
});

// ---- Size: IAM caps a role's inline policies at 10,240 characters in total. ----

/** The policies of the role as IAM would count them: intrinsics resolved (longest partition), no whitespace. */
function inlinePolicyChars(template: Template, roleLogicalIdPrefix: string): number {
  const resolveLongest = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(resolveLongest);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.Ref === 'AWS::Partition') return 'aws-iso-b';
      if (o.Ref) return `resolved-${String(o.Ref)}`;
      if (o['Fn::GetAtt']) return `arn:aws-iso-b:service:eu-west-1:123456789012:resource/${(o['Fn::GetAtt'] as string[])[0]}`;
      if (o['Fn::Join']) {
        const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
        return parts.map(resolveLongest).join(sep);
      }
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolveLongest(x)]));
    }
    return v;
  };
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleLogicalIdPrefix))
    .reduce((sum, p) => sum + JSON.stringify(resolveLongest(p.Properties.PolicyDocument)).length, 0);
}

const handlerPolicyDocument = (template: Template) =>
  Object.entries(template.findResources('AWS::IAM::Policy')).find(([id]) => /ProviderHandlerPolicy/.test(id))![1].Properties.PolicyDocument;

const SHARING_ROLE = 'CdkConnectionSharingWorkSpacesProviderHandlerRole';
const PREFS_ROLE = 'CdkConnectionSharingPartnerCentralProviderHandlerRole';
const SIZES = [1, 20, 21, 100];

describe('the policy does not grow with the number of instances', () => {
  test(`aliases: the same policy at N = ${SIZES.join(', ')}, under IAM's cap`, () => {
    const templates = SIZES.map((n) => synth((s) => aliases(s, range(n))));
    const sizes = templates.map((t) => inlinePolicyChars(t, SHARING_ROLE));
    for (const t of templates.slice(1)) expect(handlerPolicyDocument(t)).toEqual(handlerPolicyDocument(templates[0]));
    expect(new Set(sizes).size).toBe(1);
    expect(sizes[0]).toBeGreaterThan(500);
    expect(sizes[0]).toBeLessThan(IAM_INLINE_LIMIT);
  });

  test('catalogs: the same policy whichever documented catalogs the stack declares', () => {
    const templates = [['AWS'], ['Sandbox'], ['AWS', 'Sandbox']].map((names) => synth((s) => catalogs(s, names)));
    for (const t of templates.slice(1)) expect(handlerPolicyDocument(t)).toEqual(handlerPolicyDocument(templates[0]));
    expect(new Set(templates.map((t) => inlinePolicyChars(t, PREFS_ROLE))).size).toBe(1);
  });

  test(`catalogs: N = ${SIZES.join(', ')} undocumented catalogs change only the condition's list, and 100 of 64 characters fit`, () => {
    const names = (n: number, length = 12) => range(n).map((i) => `C${String(i).padStart(length - 1, '0')}`);
    const withoutCatalogs = (t: Template) => JSON.stringify(handlerPolicyDocument(t)).replace(/"partnercentral:Catalog":\[[^\]]*\]/, '');
    const templates = SIZES.map((n) => synth((s) => catalogs(s, names(n))));
    for (const [i, t] of templates.entries()) {
      const statement = (handlerPolicyDocument(t).Statement as Statement[]).find((s) => s.Condition)!;
      expect(statement.Condition!.StringEquals['partnercentral:Catalog']).toEqual(['AWS', ...names(SIZES[i]), 'Sandbox'].sort());
      expect(withoutCatalogs(t)).toEqual(withoutCatalogs(templates[0]));
    }
    expect(inlinePolicyChars(synth((s) => catalogs(s, names(100, 64))), PREFS_ROLE)).toBeLessThan(IAM_INLINE_LIMIT);
  });

  test.each([
    ['aliases', (s: Stack) => aliases(s, range(100))],
    ['catalogs', (s: Stack) => catalogs(s, range(100).map((i) => `Catalog-${i}`))],
  ])('100 %s: cdk-nag AwsSolutions passes with exact acknowledgements', (_kind, build) => {
    const app = new App({ context });
    build(new Stack(app, 'S', { env }));
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });
});
