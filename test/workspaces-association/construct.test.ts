import { App, Lazy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as workspaces from 'aws-cdk-lib/aws-workspaces';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AccessType, ConnectionAliasAssociation, type ConnectionAliasAssociationProps, ConnectionAliasSharing, OnDelete, PartnerConnectionPreferences } from '../../lib';
import type { HandlerProvider } from '../../lib/common/provider';
import { RECONCILE_CONTEXT_KEY } from '../../lib/common/reconcile';
import { RESOURCE_TYPE } from '../../lib/workspaces-association/contract';

const ACCOUNT = '123456789012';
const OWNER = '210987654321';
const ALIAS = 'wsca-abcdefgh12';
const DIRECTORY = 'd-1234567890';
// The flag cdk.json sets: `new App()` in tests does not read cdk.json.
const CONTEXT = { '@aws-cdk/aws-iam:minimizePolicies': true };

function newStack(env: { account?: string; region?: string } = { account: ACCOUNT, region: 'eu-west-1' }, app = new App({ context: CONTEXT }), id = 'Stack') {
  return new Stack(app, id, { env });
}

function associate(stack: Stack, id: string, props: Partial<ConnectionAliasAssociationProps> = {}) {
  return new ConnectionAliasAssociation(stack, id, { aliasId: ALIAS, directoryId: DIRECTORY, ...props });
}

const arn = (...parts: unknown[]) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ...parts]] });

function handlerPolicy(template: Template) {
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('WorkSpacesAssociationProviderHandlerPolicy') } });
  expect(Object.keys(policies)).toHaveLength(1);
  const [id, policy] = Object.entries(policies)[0];
  return { id, statements: policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }> };
}

const byJson = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));

/** The resources of the one statement granting `action`, as a list in a fixed order (IAM does not care about it). */
function resourcesOf(statements: Array<{ Action: string | string[]; Resource: unknown }>, action: string): unknown[] {
  const found = statements.filter((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).includes(action));
  expect(found).toHaveLength(1);
  const r = found[0].Resource;
  return (Array.isArray(r) ? [...r] : [r]).sort(byJson);
}

describe('ConnectionAliasAssociation resource', () => {
  test('properties: AliasId, DirectoryId, OnDelete RESTORE by default, and nothing else', () => {
    const stack = newStack();
    associate(stack, 'Association');
    const resources = Template.fromStack(stack).findResources(RESOURCE_TYPE);
    expect(Object.values(resources)).toHaveLength(1);
    expect(Object.values(resources)[0].Properties).toEqual({
      ServiceToken: expect.anything(),
      AliasId: ALIAS,
      DirectoryId: DIRECTORY,
      OnDelete: 'RESTORE',
    });
  });

  test('OnDelete RETAIN, and an alias created in the same stack', () => {
    const stack = newStack();
    const alias = new workspaces.CfnConnectionAlias(stack, 'Alias', { connectionString: 'desktop.example.com' });
    associate(stack, 'Association', { aliasId: alias.attrAliasId, onDelete: OnDelete.RETAIN });
    Template.fromStack(stack).hasResourceProperties(RESOURCE_TYPE, {
      AliasId: { 'Fn::GetAtt': ['Alias', 'AliasId'] },
      DirectoryId: DIRECTORY,
      OnDelete: 'RETAIN',
    });
  });

  test('aliasOwnerAccountId is not a property of the resource: changing it only changes the policy', () => {
    const stack = newStack();
    associate(stack, 'Association', { aliasOwnerAccountId: OWNER });
    const [resource] = Object.values(Template.fromStack(stack).findResources(RESOURCE_TYPE));
    expect(Object.keys(resource.Properties).sort()).toEqual(['AliasId', 'DirectoryId', 'OnDelete', 'ServiceToken']);
    expect(JSON.stringify(resource.Properties)).not.toContain(OWNER);
  });

  test('attributes: connectionIdentifier and aliasId are Fn::GetAtt of the resource; directoryId is the prop', () => {
    const stack = newStack();
    const a = associate(stack, 'Association');
    const logicalId = stack.getLogicalId(a.node.findChild('Resource').node.defaultChild as never);
    expect(stack.resolve(a.connectionIdentifier)).toEqual({ 'Fn::GetAtt': [logicalId, 'ConnectionIdentifier'] });
    expect(stack.resolve(a.aliasId)).toEqual({ 'Fn::GetAtt': [logicalId, 'AliasId'] });
    expect(a.directoryId).toBe(DIRECTORY);
  });

  test('one provider per stack, shared by every instance, a handler of its own kind; the resources depend on its policy', () => {
    const stack = newStack();
    associate(stack, 'One');
    associate(stack, 'Two', { aliasId: 'wsca-zzzzzzzz99', directoryId: 'd-0987654321' });
    const template = Template.fromStack(stack);
    // The handler and the Provider framework's onEvent function: one of each.
    template.resourceCountIs('AWS::Lambda::Function', 2);
    template.resourceCountIs(RESOURCE_TYPE, 2);
    template.hasResourceProperties(
      'AWS::Lambda::Function',
      Match.objectLike({
        Runtime: 'nodejs24.x',
        Handler: 'index.handler',
        Timeout: 600,
        Description: 'cdk-connection-sharing: WorkSpaces connection alias association',
        // The handler refuses events of other stacks: it must know its own.
        Environment: { Variables: { CDK_CONNECTION_SHARING_STACK_ID: { Ref: 'AWS::StackId' } } },
      }),
    );
    const { id } = handlerPolicy(template);
    for (const resource of Object.values(template.findResources(RESOURCE_TYPE))) expect(resource.DependsOn).toContain(id);
  });

  test('beside ConnectionAliasSharing in one stack: two providers, two handlers, neither sharing the other\'s grants', () => {
    const stack = newStack();
    const alias = new workspaces.CfnConnectionAlias(stack, 'Alias', { connectionString: 'desktop.example.com' });
    new ConnectionAliasSharing(stack, 'Sharing', { aliasId: alias.attrAliasId, sharedAccountIds: [OWNER] });
    associate(stack, 'Association', { aliasId: alias.attrAliasId });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 4);
    const { statements } = handlerPolicy(template);
    expect(JSON.stringify(statements)).not.toContain('ConnectionAliasPermission');
  });

  test('the reconcile context key adds Reconcile; without it there is no such property', () => {
    const app = new App({ context: { ...CONTEXT, [RECONCILE_CONTEXT_KEY]: '20261202T160000Z' } });
    associate(newStack(undefined, app), 'Association');
    Template.fromStack(app.node.findChild('Stack') as Stack).hasResourceProperties(RESOURCE_TYPE, { AliasId: ALIAS, Reconcile: '20261202T160000Z' });

    const plain = newStack();
    associate(plain, 'Association');
    Template.fromStack(plain).hasResourceProperties(RESOURCE_TYPE, { Reconcile: Match.absent() });
  });

  test('token props pass through without validation', () => {
    const stack = newStack();
    new ConnectionAliasAssociation(stack, 'Association', {
      aliasId: Lazy.string({ produce: () => 'not-an-alias' }),
      directoryId: Lazy.string({ produce: () => 'not-a-directory' }),
      aliasOwnerAccountId: Lazy.string({ produce: () => 'not-an-account' }),
    });
    Template.fromStack(stack).hasResourceProperties(RESOURCE_TYPE, { AliasId: 'not-an-alias', DirectoryId: 'not-a-directory' });
  });
});

describe('ConnectionAliasAssociation IAM', () => {
  const stateStore = (region: string, account: string) => ({
    Action: ['ssm:DeleteParameters', 'ssm:GetParametersByPath', 'ssm:PutParameter'],
    Effect: 'Allow',
    Resource: arn(`:ssm:${region}:${account}:parameter/cdk-connection-sharing/workspaces-association/*`),
  });

  test('an alias of this account: the exact statements', () => {
    const stack = newStack();
    associate(stack, 'Association');
    const { statements } = handlerPolicy(Template.fromStack(stack));
    const sorted = statements.map((st) => (Array.isArray(st.Resource) ? { ...st, Resource: [...st.Resource].sort(byJson) } : st));
    expect(sorted).toEqual([
      { Action: 'workspaces:DescribeConnectionAliases', Effect: 'Allow', Resource: '*' },
      {
        Action: 'workspaces:AssociateConnectionAlias',
        Effect: 'Allow',
        Resource: [arn(`:workspaces:eu-west-1:${ACCOUNT}:directory/*`), arn(`:workspaces:eu-west-1:${ACCOUNT}:connectionalias/${ALIAS}`)].sort(byJson),
      },
      { Action: 'workspaces:DisassociateConnectionAlias', Effect: 'Allow', Resource: arn(':workspaces:eu-west-1:*:connectionalias/*') },
      stateStore('eu-west-1', ACCOUNT),
    ]);
  });

  test("a shared alias: AssociateConnectionAlias names the alias under its owner's account, the directory under this one", () => {
    const stack = newStack();
    associate(stack, 'Association', { aliasOwnerAccountId: OWNER });
    const { statements } = handlerPolicy(Template.fromStack(stack));
    expect(resourcesOf(statements, 'workspaces:AssociateConnectionAlias')).toEqual(
      [arn(`:workspaces:eu-west-1:${ACCOUNT}:directory/*`), arn(`:workspaces:eu-west-1:${OWNER}:connectionalias/${ALIAS}`)].sort(byJson),
    );
    expect(JSON.stringify(resourcesOf(statements, 'workspaces:AssociateConnectionAlias'))).not.toContain(`${ACCOUNT}:connectionalias`);
  });

  test('several aliases, own and shared, literal and token: each declared alias once, under its owner', () => {
    const stack = newStack();
    const alias = new workspaces.CfnConnectionAlias(stack, 'Alias', { connectionString: 'desktop.example.com' });
    associate(stack, 'Own', { aliasId: alias.attrAliasId });
    associate(stack, 'Shared', { aliasId: 'wsca-zzzzzzzz99', aliasOwnerAccountId: OWNER, directoryId: 'd-0987654321' });
    const { statements } = handlerPolicy(Template.fromStack(stack));
    expect(resourcesOf(statements, 'workspaces:AssociateConnectionAlias')).toEqual(
      expect.arrayContaining([
        arn(`:workspaces:eu-west-1:${ACCOUNT}:directory/*`),
        arn(`:workspaces:eu-west-1:${OWNER}:connectionalias/wsca-zzzzzzzz99`),
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:workspaces:eu-west-1:${ACCOUNT}:connectionalias/`, { 'Fn::GetAtt': ['Alias', 'AliasId'] }]] },
      ]),
    );
    expect(resourcesOf(statements, 'workspaces:AssociateConnectionAlias')).toHaveLength(3);
  });

  test('what Delete and rollback need is the same whichever aliases, owners and directories are declared', () => {
    // Everything but the alias half of AssociateConnectionAlias: a replaced or removed association is deleted under the
    // new policy, and a rollback runs under the failed update's, so these must not depend on the declared instances.
    const stable = (build: (stack: Stack) => void) => {
      const stack = newStack();
      build(stack);
      return handlerPolicy(Template.fromStack(stack)).statements.map((s) =>
        s.Action === 'workspaces:AssociateConnectionAlias' ? { ...s, Resource: (s.Resource as unknown[]).filter((r) => JSON.stringify(r).includes(':directory/')) } : s,
      );
    };
    const one = stable((stack) => associate(stack, 'One'));
    expect(stable((stack) => associate(stack, 'One', { aliasId: 'wsca-zzzzzzzz99', directoryId: 'd-0987654321' }))).toEqual(one);
    expect(stable((stack) => associate(stack, 'One', { aliasOwnerAccountId: OWNER }))).toEqual(one);
    expect(stable((stack) => (associate(stack, 'One'), associate(stack, 'Two', { aliasId: 'wsca-zzzzzzzz99', aliasOwnerAccountId: OWNER })))).toEqual(one);
    expect(JSON.stringify(one)).not.toContain('wsca-');
    expect(JSON.stringify(one)).not.toContain(DIRECTORY);
  });

  test('an environment-agnostic stack uses the deploy-time region and account, never a literal partition', () => {
    const stack = newStack({});
    associate(stack, 'Association');
    const { statements } = handlerPolicy(Template.fromStack(stack));
    const inStack = (service: string, rest: string) => arn(`:${service}:`, { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:${rest}`);
    expect(resourcesOf(statements, 'workspaces:AssociateConnectionAlias')).toEqual([inStack('workspaces', 'directory/*'), inStack('workspaces', `connectionalias/${ALIAS}`)].sort(byJson));
    expect(resourcesOf(statements, 'workspaces:DisassociateConnectionAlias')).toEqual([arn(':workspaces:', { Ref: 'AWS::Region' }, ':*:connectionalias/*')]);
    expect(resourcesOf(statements, 'ssm:PutParameter')).toEqual([inStack('ssm', 'parameter/cdk-connection-sharing/workspaces-association/*')]);
    expect(JSON.stringify(statements)).not.toContain('arn:aws:');
  });
});

describe('ConnectionAliasAssociation validation', () => {
  test.each([
    ['an invalid alias id', { aliasId: 'wsca-SHORT' }, /aliasId 'wsca-SHORT' is invalid: it must match \^wsca-/],
    ['an alias id without prefix', { aliasId: 'abcdefgh12' }, /aliasId 'abcdefgh12' is invalid/],
    ['a directory id without prefix', { directoryId: '1234567890' }, /directoryId '1234567890' is invalid: it must match \^d-/],
    ['a directory id in capitals', { directoryId: 'd-ABCDEF1234' }, /directoryId 'd-ABCDEF1234' is invalid/],
    ['an empty directory id', { directoryId: '' }, /directoryId '' is invalid/],
    ['a short owner account id', { aliasOwnerAccountId: '12345' }, /aliasOwnerAccountId '12345' is invalid: it must be a 12-digit account id/],
    ['a non-numeric owner account id', { aliasOwnerAccountId: '21098765432x' }, /aliasOwnerAccountId '21098765432x' is invalid/],
    ['an unknown onDelete', { onDelete: 'KEEP' as OnDelete }, /onDelete 'KEEP' is invalid: use one of RESTORE, RETAIN/],
  ])('refuses %s', (_name, props, message) => {
    expect(() => associate(newStack(), 'Association', props)).toThrow(message);
  });

  test('the owner account may be this stack\'s own', () => {
    expect(() => associate(newStack(), 'Association', { aliasOwnerAccountId: ACCOUNT })).not.toThrow();
  });

  test('one alias associated by two resources of one stack is refused', () => {
    const stack = newStack();
    associate(stack, 'One');
    expect(() => associate(stack, 'Two', { directoryId: 'd-0987654321' })).toThrow(/aliasId 'wsca-abcdefgh12' is already associated by Stack\/One/);
  });

  test('one alias in two stacks of one Region is refused; in two Regions, or a Region unknown at synth, it is not', () => {
    const app = new App({ context: CONTEXT });
    associate(newStack({ account: ACCOUNT, region: 'eu-west-1' }, app, 'A'), 'One');
    expect(() => associate(newStack({ account: OWNER, region: 'eu-west-1' }, app, 'B'), 'Two')).toThrow(/already associated by A\/One/);
    expect(() => associate(newStack({ account: ACCOUNT, region: 'us-east-1' }, app, 'C'), 'Three')).not.toThrow();
    expect(() => associate(newStack({}, app, 'D'), 'Four')).not.toThrow();
  });
});

describe('cdk-nag', () => {
  function synthWithNag(build: (stack: Stack) => void, env: { account?: string; region?: string } = { account: ACCOUNT, region: 'eu-west-1' }) {
    const app = new App({ context: CONTEXT });
    build(newStack(env, app));
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    return () => app.synth();
  }

  test('AwsSolutionsChecks pass: own alias (token), shared alias (literal), and in a stack without env', () => {
    expect(
      synthWithNag((stack) => {
        const alias = new workspaces.CfnConnectionAlias(stack, 'Alias', { connectionString: 'desktop.example.com' });
        associate(stack, 'Own', { aliasId: alias.attrAliasId });
        associate(stack, 'Shared', { aliasId: 'wsca-zzzzzzzz99', aliasOwnerAccountId: OWNER, directoryId: 'd-0987654321' });
      }),
    ).not.toThrow();
    expect(synthWithNag((stack) => associate(stack, 'Association'), {})).not.toThrow();
  });

  test('AwsSolutionsChecks pass on a stack using all three constructs (the README says so)', () => {
    expect(
      synthWithNag((stack) => {
        new PartnerConnectionPreferences(stack, 'Preferences', { accessType: AccessType.ALLOW_ALL });
        const alias = new workspaces.CfnConnectionAlias(stack, 'Alias', { connectionString: 'desktop.example.com' });
        new ConnectionAliasSharing(stack, 'Sharing', { aliasId: alias.attrAliasId, sharedAccountIds: [OWNER] });
        associate(stack, 'Association', { aliasId: alias.attrAliasId });
      }),
    ).not.toThrow();
  });

  test('the acknowledgements are exact: an extra wildcard on the same policy is still reported, ours are not', () => {
    const synth = synthWithNag((stack) => {
      associate(stack, 'Association');
      const provider = stack.node.findChild('CdkConnectionSharingWorkSpacesAssociationProvider') as HandlerProvider;
      provider.policy.addStatements(new iam.PolicyStatement({ actions: ['workspaces:DeleteConnectionAlias'], resources: ['arn:aws:workspaces:eu-west-1:123456789012:connectionalias/*'] }));
    });
    let message = '';
    try {
      synth();
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('AwsSolutions-IAM5[Resource::arn:aws:workspaces:eu-west-1:123456789012:connectionalias/*]');
    expect(message).not.toContain('directory/*');
    expect(message).not.toContain(':*:connectionalias/*');
    expect(message).not.toContain('workspaces-association/*');
    expect(message).not.toContain('[Resource::*]');
  });
});
