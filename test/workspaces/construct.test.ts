import { App, Lazy, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as workspaces from 'aws-cdk-lib/aws-workspaces';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConnectionAliasSharing, type ConnectionAliasSharingProps, OnDelete } from '../../lib';
import type { HandlerProvider } from '../../lib/common/provider';
import { RESOURCE_TYPE } from '../../lib/workspaces/contract';

const ACCOUNT = '123456789012';
const ALIAS = 'wsca-abcdefgh12';
// The flag cdk.json sets: `new App()` in tests does not read cdk.json.
const CONTEXT = { '@aws-cdk/aws-iam:minimizePolicies': true };

function newStack(env: { account?: string; region?: string } = { account: ACCOUNT, region: 'eu-west-1' }, app = new App({ context: CONTEXT })) {
  return new Stack(app, 'Stack', { env });
}

function share(stack: Stack, id: string, props: Partial<ConnectionAliasSharingProps> = {}) {
  return new ConnectionAliasSharing(stack, id, { aliasId: ALIAS, sharedAccountIds: ['210987654321'], ...props });
}

const arn = (...parts: unknown[]) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ...parts]] });

function handlerPolicy(template: Template) {
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('WorkSpacesProviderHandlerPolicy') } });
  expect(Object.keys(policies)).toHaveLength(1);
  const [id, policy] = Object.entries(policies)[0];
  return { id, statements: policy.Properties.PolicyDocument.Statement as unknown[] };
}

describe('ConnectionAliasSharing resource', () => {
  test('properties: AliasId, sorted SharedAccountIds, OnDelete RESTORE by default', () => {
    const a = newStack();
    const b = newStack();
    share(a, 'Share', { sharedAccountIds: ['333333333333', '111111111111'] });
    share(b, 'Share', { sharedAccountIds: ['111111111111', '333333333333'] });
    const resources = Template.fromStack(a).findResources(RESOURCE_TYPE);
    expect(Object.values(resources)[0].Properties).toEqual({
      ServiceToken: expect.anything(),
      AliasId: ALIAS,
      SharedAccountIds: ['111111111111', '333333333333'],
      OnDelete: 'RESTORE',
    });
    expect(Template.fromStack(b).findResources(RESOURCE_TYPE)).toEqual(resources);
  });

  test('OnDelete RETAIN and an alias created in the same stack', () => {
    const stack = newStack();
    const alias = new workspaces.CfnConnectionAlias(stack, 'Alias', { connectionString: 'desktop.example.com' });
    const s = share(stack, 'Share', { aliasId: alias.attrAliasId, onDelete: OnDelete.RETAIN });
    Template.fromStack(stack).hasResourceProperties(RESOURCE_TYPE, {
      AliasId: { 'Fn::GetAtt': ['Alias', 'AliasId'] },
      SharedAccountIds: ['210987654321'],
      OnDelete: 'RETAIN',
    });
    const logicalId = stack.getLogicalId(s.node.findChild('Resource').node.defaultChild as never);
    expect(stack.resolve(s.sharedAccountIdsAttr)).toEqual({ 'Fn::GetAtt': [logicalId, 'SharedAccountIds'] });
  });

  test('one provider per stack, shared by every instance; the resources depend on its policy', () => {
    const stack = newStack();
    share(stack, 'One');
    share(stack, 'Two', { aliasId: 'wsca-zzzzzzzz99' });
    const template = Template.fromStack(stack);
    // The handler and the Provider framework's onEvent function: one of each.
    template.resourceCountIs('AWS::Lambda::Function', 2);
    template.resourceCountIs(RESOURCE_TYPE, 2);
    template.hasResourceProperties('AWS::Lambda::Function', Match.objectLike({ Runtime: 'nodejs24.x', Handler: 'index.handler', Timeout: 300 }));
    const { id } = handlerPolicy(template);
    for (const resource of Object.values(template.findResources(RESOURCE_TYPE))) expect(resource.DependsOn).toContain(id);
  });

  /** The handler's statements; region and account are literals, or the pseudo parameters of an env-agnostic stack. */
  const expectedStatements = (region: string | object, account: string | object) => {
    const arnIn = (service: string, rest: string) =>
      typeof region === 'string' && typeof account === 'string'
        ? arn(`:${service}:${region}:${account}:${rest}`)
        : arn(`:${service}:`, region, ':', account, `:${rest}`);
    return [
      { Action: 'workspaces:DescribeConnectionAliases', Effect: 'Allow', Resource: '*' },
      {
        Action: ['workspaces:DescribeConnectionAliasPermissions', 'workspaces:UpdateConnectionAliasPermission'],
        Effect: 'Allow',
        Resource: arnIn('workspaces', 'connectionalias/*'),
      },
      {
        Action: ['ssm:DeleteParameters', 'ssm:GetParametersByPath', 'ssm:PutParameter'],
        Effect: 'Allow',
        Resource: arnIn('ssm', 'parameter/cdk-connection-sharing/workspaces/*'),
      },
    ];
  };

  test("IAM: the account's aliases in the stack's region, DescribeConnectionAliases on *, the state store's prefix", () => {
    const stack = newStack();
    const alias = new workspaces.CfnConnectionAlias(stack, 'Alias', { connectionString: 'desktop.example.com' });
    share(stack, 'Share', { aliasId: alias.attrAliasId });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('WorkSpacesProviderHandlerPolicy'),
      PolicyDocument: { Version: '2012-10-17', Statement: expectedStatements('eu-west-1', ACCOUNT) },
    });
  });

  test('IAM: the same policy for one alias, another alias, two aliases, or a token alias: a replaced or removed alias stays covered', () => {
    const policyOf = (build: (stack: Stack) => void) => {
      const stack = newStack();
      build(stack);
      return handlerPolicy(Template.fromStack(stack)).statements;
    };
    const one = policyOf((stack) => share(stack, 'One'));
    expect(policyOf((stack) => share(stack, 'One', { aliasId: 'wsca-zzzzzzzz99' }))).toEqual(one);
    expect(policyOf((stack) => (share(stack, 'One'), share(stack, 'Two', { aliasId: 'wsca-zzzzzzzz99' })))).toEqual(one);
    expect(
      policyOf((stack) => share(stack, 'One', { aliasId: new workspaces.CfnConnectionAlias(stack, 'Alias', { connectionString: 'desktop.example.com' }).attrAliasId })),
    ).toEqual(one);
    expect(JSON.stringify(one)).not.toContain('wsca-');
  });

  test('an environment-agnostic stack uses the deploy-time region and account, never a literal partition', () => {
    const stack = newStack({});
    share(stack, 'Share');
    const { statements } = handlerPolicy(Template.fromStack(stack));
    expect(statements).toEqual(expectedStatements({ Ref: 'AWS::Region' }, { Ref: 'AWS::AccountId' }));
    expect(JSON.stringify(statements)).not.toContain('arn:aws:');
  });

  test('token props pass through without validation', () => {
    const stack = newStack();
    const ids = Lazy.list({ produce: () => ['x'] });
    new ConnectionAliasSharing(stack, 'Share', { aliasId: Lazy.string({ produce: () => 'not-an-alias' }), sharedAccountIds: ids });
    Template.fromStack(stack).hasResourceProperties(RESOURCE_TYPE, { AliasId: 'not-an-alias', SharedAccountIds: ['x'] });
  });

  test('a token account id is kept after the sorted literal ones', () => {
    const stack = newStack();
    share(stack, 'Share', { sharedAccountIds: ['333333333333', Lazy.string({ produce: () => '222222222222' }), '111111111111'] });
    Template.fromStack(stack).hasResourceProperties(RESOURCE_TYPE, { SharedAccountIds: ['111111111111', '333333333333', '222222222222'] });
  });
});

describe('ConnectionAliasSharing validation', () => {
  test.each([
    ['an invalid alias id', { aliasId: 'wsca-SHORT' }, /aliasId 'wsca-SHORT' is invalid: it must match \^wsca-/],
    ['an alias id without prefix', { aliasId: 'abcdefgh12' }, /aliasId 'abcdefgh12' is invalid/],
    ['an empty account list', { sharedAccountIds: [] }, /sharedAccountIds is empty: list at least one 12-digit account id/],
    ['a short account id', { sharedAccountIds: ['12345'] }, /sharedAccountIds has invalid account id\(s\) '12345': each must be 12 digits/],
    ['a non-numeric account id', { sharedAccountIds: ['21098765432x'] }, /invalid account id\(s\) '21098765432x'/],
    ['a duplicate account', { sharedAccountIds: ['210987654321', '111111111111', '210987654321'] }, /sharedAccountIds lists '210987654321' more than once/],
    ['the stack own account', { sharedAccountIds: [ACCOUNT] }, new RegExp(`sharedAccountIds includes '${ACCOUNT}', the stack's own account`)],
    ['an unknown onDelete', { onDelete: 'KEEP' as OnDelete }, /onDelete 'KEEP' is invalid: use one of RESTORE, RETAIN/],
  ])('refuses %s', (_name, props, message) => {
    expect(() => share(newStack(), 'Share', props)).toThrow(message);
  });

  test('the own-account check is skipped when the stack account is not known', () => {
    expect(() => share(newStack({}), 'Share', { sharedAccountIds: [ACCOUNT] })).not.toThrow();
  });

  test('one alias shared by two resources of one stack is refused', () => {
    const stack = newStack();
    share(stack, 'One');
    expect(() => share(stack, 'Two', { sharedAccountIds: ['111111111111'] })).toThrow(/aliasId 'wsca-abcdefgh12' is already shared by Stack\/One/);
  });

  test('more than one account is a warning about the one-account rule, not an error', () => {
    const stack = newStack();
    share(stack, 'Share', { sharedAccountIds: ['111111111111', '210987654321'] });
    Annotations.fromStack(stack).hasWarning(
      '/Stack/Share',
      Match.stringLikeRegexp('sharedAccountIds has 2 accounts, but WorkSpaces documents that a connection alias can be shared with only one other account per region'),
    );
  });

  test('one account gives no warning', () => {
    const stack = newStack();
    share(stack, 'Share');
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });
});

describe('cdk-nag', () => {
  function synthWithNag(build: (stack: Stack) => void) {
    const app = new App({ context: CONTEXT });
    build(newStack({ account: ACCOUNT, region: 'eu-west-1' }, app));
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    return () => app.synth();
  }

  test('AwsSolutionsChecks pass with a literal alias id and with a token one, in a stack without env', () => {
    expect(
      synthWithNag((stack) => {
        const alias = new workspaces.CfnConnectionAlias(stack, 'Alias', { connectionString: 'desktop.example.com' });
        share(stack, 'Token', { aliasId: alias.attrAliasId });
        share(stack, 'Literal');
      }),
    ).not.toThrow();
    const app = new App({ context: CONTEXT });
    share(new Stack(app, 'NoEnv'), 'Share');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  test('the acknowledgements are exact: an extra wildcard on the same policy is still reported, ours are not', () => {
    const synth = synthWithNag((stack) => {
      share(stack, 'Share');
      const provider = stack.node.findChild('CdkConnectionSharingWorkSpacesProvider') as HandlerProvider;
      provider.policy.addStatements(new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: ['arn:aws:ssm:eu-west-1:123456789012:parameter/other/*'] }));
    });
    let message = '';
    try {
      synth();
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('AwsSolutions-IAM5[Resource::arn:aws:ssm:eu-west-1:123456789012:parameter/other/*]');
    expect(message).not.toContain('cdk-connection-sharing/workspaces');
    expect(message).not.toContain('[Resource::*]');
  });
});
