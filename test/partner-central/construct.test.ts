import { App, CfnParameter, Lazy, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AccessType, OnDelete, PartnerConnectionPreferences, type PartnerConnectionPreferencesProps } from '../../lib';
import type { HandlerProvider } from '../../lib/common/provider';
import { RESOURCE_TYPE } from '../../lib/partner-central/contract';

const ACCOUNT = '123456789012';
// The flag cdk.json sets: `new App()` in tests does not read cdk.json.
const CONTEXT = { '@aws-cdk/aws-iam:minimizePolicies': true };

function newStack(env: { account?: string; region?: string } = { account: ACCOUNT, region: 'eu-west-1' }, app = new App({ context: CONTEXT }), id = 'Stack') {
  return new Stack(app, id, { env });
}

function prefs(stack: Stack, id: string, props: Partial<PartnerConnectionPreferencesProps> = {}) {
  return new PartnerConnectionPreferences(stack, id, { accessType: AccessType.ALLOW_BY_DEFAULT_DENY_SOME, ...props });
}

/** The state store's ARN in us-east-1: the account a literal, or the AWS::AccountId of an env-agnostic stack. */
const ssmArn = (account: string | object, suffix: string) => ({
  'Fn::Join': [
    '',
    typeof account === 'string'
      ? ['arn:', { Ref: 'AWS::Partition' }, `:ssm:us-east-1:${account}:parameter/cdk-connection-sharing/partner-central/${suffix}`]
      : ['arn:', { Ref: 'AWS::Partition' }, ':ssm:us-east-1:', account, `:parameter/cdk-connection-sharing/partner-central/${suffix}`],
  ],
});

describe('PartnerConnectionPreferences resource', () => {
  test('defaults: catalog AWS, no exclusions, OnDelete RESTORE', () => {
    const stack = newStack();
    prefs(stack, 'Prefs', { accessType: AccessType.DENY_ALL });
    Template.fromStack(stack).hasResourceProperties(RESOURCE_TYPE, {
      Catalog: 'AWS',
      AccessType: 'DENY_ALL',
      ExcludedParticipantIdentifiers: [],
      OnDelete: 'RESTORE',
    });
  });

  test('exclusions are sorted, so reordering them is no change', () => {
    const a = newStack();
    const b = newStack();
    prefs(a, 'Prefs', { catalog: 'Sandbox', excludedParticipantIds: ['b-2', 'a-1', 'C-3'], onDelete: OnDelete.RETAIN });
    prefs(b, 'Prefs', { catalog: 'Sandbox', excludedParticipantIds: ['a-1', 'C-3', 'b-2'], onDelete: OnDelete.RETAIN });
    const props = Template.fromStack(a).findResources(RESOURCE_TYPE);
    expect(Object.values(props)[0].Properties).toEqual({
      ServiceToken: expect.anything(),
      Catalog: 'Sandbox',
      AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME',
      ExcludedParticipantIdentifiers: ['C-3', 'a-1', 'b-2'],
      OnDelete: 'RETAIN',
    });
    expect(Template.fromStack(b).findResources(RESOURCE_TYPE)).toEqual(props);
  });

  test('attributes are GetAtt of Arn, Revision and UpdatedAt', () => {
    const stack = newStack();
    const p = prefs(stack, 'Prefs');
    const logicalId = stack.getLogicalId(p.node.findChild('Resource').node.defaultChild as never);
    expect(stack.resolve(p.arn)).toEqual({ 'Fn::GetAtt': [logicalId, 'Arn'] });
    expect(stack.resolve(p.revision)).toEqual({ 'Fn::GetAtt': [logicalId, 'Revision'] });
    expect(stack.resolve(p.updatedAt)).toEqual({ 'Fn::GetAtt': [logicalId, 'UpdatedAt'] });
  });

  test('one provider per stack, shared by every instance; the resources depend on its policy', () => {
    const stack = newStack();
    prefs(stack, 'One');
    prefs(stack, 'Two', { catalog: 'Sandbox' });
    const template = Template.fromStack(stack);
    // The handler and the Provider framework's onEvent function: one of each.
    template.resourceCountIs('AWS::Lambda::Function', 2);
    template.resourceCountIs(RESOURCE_TYPE, 2);
    template.hasResource('AWS::Lambda::Function', { Properties: Match.objectLike({ Runtime: 'nodejs24.x', Handler: 'index.handler' }) });
    const policyId = Object.keys(template.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('HandlerPolicy') } }))[0];
    expect(policyId).toBeDefined();
    for (const resource of Object.values(template.findResources(RESOURCE_TYPE))) {
      expect(resource.DependsOn).toContain(policyId);
    }
  });

  test('token props pass through without validation', () => {
    const stack = newStack();
    const catalog = Lazy.string({ produce: () => 'Sandbox' });
    const ids = Lazy.list({ produce: () => ['x'] });
    new PartnerConnectionPreferences(stack, 'Prefs', { catalog, accessType: AccessType.ALLOW_ALL, excludedParticipantIds: ids });
    Template.fromStack(stack).hasResourceProperties(RESOURCE_TYPE, { Catalog: 'Sandbox', ExcludedParticipantIdentifiers: ['x'] });
  });
});

describe('least privilege', () => {
  const CATALOG_ACTIONS = ['partnercentral:GetConnectionPreferences', 'partnercentral:UpdateConnectionPreferences'];
  const catalogStatement = (catalogs: unknown) => ({ Effect: 'Allow', Action: CATALOG_ACTIONS, Resource: '*', Condition: { StringEquals: { 'partnercentral:Catalog': catalogs } } });
  const stateStatement = (account: string | object) => ({
    Effect: 'Allow',
    Action: ['ssm:DeleteParameters', 'ssm:GetParametersByPath', 'ssm:PutParameter'],
    Resource: ssmArn(account, '*'),
  });
  const expectStatements = (stack: Stack, statements: unknown[]) =>
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('PartnerCentralProviderHandlerPolicy'),
      PolicyDocument: { Version: '2012-10-17', Statement: statements },
    });

  test('exact statements: both documented catalogs, and the state store prefix in us-east-1', () => {
    const stack = newStack();
    prefs(stack, 'One');
    prefs(stack, 'Two', { catalog: 'Sandbox' });
    expectStatements(stack, [catalogStatement(['AWS', 'Sandbox']), stateStatement(ACCOUNT)]);
  });

  test('a stack that declares only AWS still grants Sandbox: its earlier Sandbox resource is deleted under this policy', () => {
    const stack = newStack();
    prefs(stack, 'One');
    expectStatements(stack, [catalogStatement(['AWS', 'Sandbox']), stateStatement(ACCOUNT)]);
  });

  test('an undocumented literal catalog is listed beside the documented pair', () => {
    const stack = newStack();
    prefs(stack, 'One', { catalog: 'Future-1' });
    expectStatements(stack, [catalogStatement(['AWS', 'Future-1', 'Sandbox']), stateStatement(ACCOUNT)]);
  });

  test('a token catalog gets a statement of its own beside the documented pair, so no deploy-time value is listed twice in one condition', () => {
    const stack = newStack();
    const catalog = new CfnParameter(stack, 'Catalog', { type: 'String' }).valueAsString;
    prefs(stack, 'One', { catalog });
    expectStatements(stack, [catalogStatement(['AWS', 'Sandbox']), stateStatement(ACCOUNT), catalogStatement([{ Ref: 'Catalog' }])]);
  });

  test('env-agnostic stack: the account is the deploying account, never a literal partition', () => {
    const stack = newStack({});
    prefs(stack, 'One');
    const json = JSON.stringify(Template.fromStack(stack).toJSON());
    expect(json).not.toContain('arn:aws:');
    expectStatements(stack, [catalogStatement(['AWS', 'Sandbox']), stateStatement({ Ref: 'AWS::AccountId' })]);
  });

  test.each([
    ['with an account', { account: ACCOUNT, region: 'eu-west-1' }],
    ['env-agnostic', {}],
  ])('cdk-nag AwsSolutions has no unacknowledged finding (%s)', (_name, env) => {
    const app = new App({ context: CONTEXT });
    const stack = newStack(env, app);
    prefs(stack, 'One', { excludedParticipantIds: ['p-1'] });
    prefs(stack, 'Two', { catalog: 'Sandbox', accessType: AccessType.DENY_ALL });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    // cdk-nag 3 is a policy validation plugin: any unacknowledged finding makes synth throw with the report.
    expect(() => app.synth()).not.toThrow();
  });

  test('cdk-nag does report a finding we did not acknowledge (the check can fail)', () => {
    const app = new App({ context: CONTEXT });
    const stack = newStack(undefined, app);
    // With a token catalog, which adds a statement of its own on `*`: acknowledged too.
    prefs(stack, 'One', { catalog: Lazy.string({ produce: () => 'Sandbox' }) });
    const provider = stack.node.findChild('CdkConnectionSharingPartnerCentralProvider') as HandlerProvider;
    provider.policy.addStatements(new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: ['arn:aws:ssm:us-east-1:123456789012:parameter/other/*'] }));
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    let message = '';
    try {
      app.synth();
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('AwsSolutions-IAM5[Resource::arn:aws:ssm:us-east-1:123456789012:parameter/other/*]');
    expect(message).not.toContain('partner-central/*]');
    expect(message).not.toContain('[Resource::*]');
  });
});

describe('validation', () => {
  test.each([
    ['catalog', { catalog: 'bad_catalog' }, /catalog 'bad_catalog' is invalid/],
    ['empty catalog', { catalog: '' }, /catalog '' is invalid/],
    ['catalog too long', { catalog: 'a'.repeat(65) }, /catalog 'a{65}' is invalid/],
    ['accessType', { accessType: 'SOME' as AccessType }, /accessType 'SOME' is invalid: use one of ALLOW_ALL, DENY_ALL, ALLOW_BY_DEFAULT_DENY_SOME/],
    ['onDelete', { onDelete: 'KEEP' as OnDelete }, /onDelete 'KEEP' is invalid/],
    ['identifier pattern', { excludedParticipantIds: ['ok', 'not ok'] }, /1 invalid identifier\(s\): 'not ok'/],
    ['identifier length', { excludedParticipantIds: ['x'.repeat(101)] }, /invalid identifier\(s\): 'x{101}'/],
    ['empty identifier', { excludedParticipantIds: [''] }, /invalid identifier\(s\): ''/],
    ['duplicates', { excludedParticipantIds: ['a', 'b', 'a', 'c', 'b'] }, /lists 'a', 'b' more than once/],
    ['too many', { excludedParticipantIds: Array.from({ length: 101 }, (_, i) => `p-${i}`) }, /has 101 identifiers; Partner Central accepts at most 100/],
  ])('rejects a bad %s', (_name, props, message) => {
    expect(() => prefs(newStack(), 'Prefs', props as Partial<PartnerConnectionPreferencesProps>)).toThrow(message);
  });

  test('accepts 100 identifiers of 100 characters', () => {
    const ids = Array.from({ length: 100 }, (_, i) => `${i}`.padStart(100, 'a'));
    expect(() => prefs(newStack(), 'Prefs', { excludedParticipantIds: ids })).not.toThrow();
  });

  test('warns when exclusions come with an access type that ignores them', () => {
    const stack = newStack();
    prefs(stack, 'Prefs', { accessType: AccessType.ALLOW_ALL, excludedParticipantIds: ['p-1'] });
    Annotations.fromStack(stack).hasWarning('/Stack/Prefs', Match.stringLikeRegexp('accessType is ALLOW_ALL: exclusions only take effect with ALLOW_BY_DEFAULT_DENY_SOME'));
  });

  test('no warning with ALLOW_BY_DEFAULT_DENY_SOME', () => {
    const stack = newStack();
    prefs(stack, 'Prefs', { excludedParticipantIds: ['p-1'] });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });
});

describe('one resource per catalog and account', () => {
  test('two in one stack for the same catalog is an error naming both', () => {
    const stack = newStack();
    prefs(stack, 'One');
    expect(() => prefs(stack, 'Two')).toThrow(/Stack\/Two: catalog 'AWS' of account 123456789012 is already managed by Stack\/One/);
  });

  test('two stacks of the same account, same catalog: error', () => {
    const app = new App({ context: CONTEXT });
    prefs(newStack({ account: ACCOUNT, region: 'eu-west-1' }, app, 'A'), 'One');
    expect(() => prefs(newStack({ account: ACCOUNT, region: 'us-east-1' }, app, 'B'), 'Two')).toThrow(/already managed by A\/One/);
  });

  test('different catalogs, or different accounts: fine', () => {
    const app = new App({ context: CONTEXT });
    const a = newStack({ account: ACCOUNT, region: 'eu-west-1' }, app, 'A');
    prefs(a, 'One');
    prefs(a, 'Two', { catalog: 'Sandbox' });
    expect(() => prefs(newStack({ account: '210987654321', region: 'eu-west-1' }, app, 'B'), 'Three')).not.toThrow();
  });

  test('env-agnostic stacks: a warning, since the accounts are not known', () => {
    const app = new App({ context: CONTEXT });
    prefs(newStack({}, app, 'A'), 'One');
    const b = newStack({}, app, 'B');
    prefs(b, 'Two');
    Annotations.fromStack(b).hasWarning('/B/Two', Match.stringLikeRegexp("catalog 'AWS' is also managed by A/One"));
  });

  test('env-agnostic, same stack: still an error', () => {
    const stack = newStack({});
    prefs(stack, 'One');
    expect(() => prefs(stack, 'Two')).toThrow(/already managed by Stack\/One/);
  });
});
