// Property resolution before a deploy: what CloudFormation would deliver, or which property cannot be known and why.
import { type ResolveContext, type Template, referencedResources, resolveProperties } from '../../cli/resolve';

const template: Template = {
  Resources: {
    Alias: { Type: 'AWS::WorkSpaces::ConnectionAlias' },
    Topic: { Type: 'AWS::SNS::Topic' },
    Later: { Type: 'AWS::WorkSpaces::ConnectionAlias' },
  },
  Parameters: { Catalog: { Type: 'String' } },
};
const deployed: Record<string, string> = { Alias: 'wsca-abcdefgh12', Topic: 'arn:aws:sns:eu-west-1:123456789012:t' };
const ctx: ResolveContext = {
  template,
  stackName: 'Shop',
  region: 'eu-west-1',
  accountId: '123456789012',
  partition: 'aws',
  deployed: (id) => (deployed[id] ? { physicalId: deployed[id] } : { missing: 'and it is not deployed yet' }),
};
const ok = (properties: Record<string, unknown>) => ({ ok: true, properties });

test('literals as CloudFormation delivers them: every scalar a string, shapes kept, ServiceToken left alone', () => {
  expect(resolveProperties({ ServiceToken: { 'Fn::GetAtt': ['Framework', 'Arn'] }, A: 'x', N: 42, B: true, L: ['1', 2], O: { k: false } }, ctx)).toEqual(
    ok({ A: 'x', N: '42', B: 'true', L: ['1', '2'], O: { k: 'false' } }),
  );
  expect([...referencedResources({ ServiceToken: { 'Fn::GetAtt': ['Framework', 'Arn'] }, A: 'x' }, template)]).toEqual([]);
});

test('pseudo parameters from the stack environment; AWS::NoValue drops the value', () => {
  expect(
    resolveProperties(
      {
        R: { Ref: 'AWS::Region' },
        A: { Ref: 'AWS::AccountId' },
        P: { Ref: 'AWS::Partition' },
        S: { Ref: 'AWS::StackName' },
        U: { Ref: 'AWS::URLSuffix' },
        Gone: { Ref: 'AWS::NoValue' },
        L: ['a', { Ref: 'AWS::NoValue' }],
      },
      ctx,
    ),
  ).toEqual(ok({ R: 'eu-west-1', A: '123456789012', P: 'aws', S: 'Shop', U: 'amazonaws.com', L: ['a'] }));
  expect(resolveProperties({ A: { Ref: 'AWS::AccountId' } }, { ...ctx, accountId: undefined })).toMatchObject({ ok: false, property: 'A' });
  expect(resolveProperties({ I: { Ref: 'AWS::StackId' } }, ctx)).toEqual({ ok: false, property: 'I', reason: 'I refers to AWS::StackId, known only at deploy time' });
});

test("Ref and Fn::GetAtt AliasId of a ConnectionAlias are its deployed physical id (the alias id); only those are looked up", () => {
  const props = { AliasId: { 'Fn::GetAtt': ['Alias', 'AliasId'] }, Same: { Ref: 'Alias' }, Dotted: { 'Fn::GetAtt': 'Alias.AliasId' } };
  expect([...referencedResources(props, template)]).toEqual(['Alias']);
  expect(resolveProperties(props, ctx)).toEqual(ok({ AliasId: 'wsca-abcdefgh12', Same: 'wsca-abcdefgh12', Dotted: 'wsca-abcdefgh12' }));
});

test('Fn::Join, Fn::Select, Fn::Split and Fn::Sub over what resolves', () => {
  const props = {
    J: { 'Fn::Join': ['-', ['a', { Ref: 'AWS::Region' }, 3]] },
    S: { 'Fn::Select': [1, { 'Fn::Split': [',', '111111111111,222222222222'] }] },
    L: { 'Fn::Split': [',', { 'Fn::Join': [',', ['x', { Ref: 'Alias' }]] }] },
    Sub: { 'Fn::Sub': 'arn:${AWS::Partition}:workspaces:${AWS::Region}:${AWS::AccountId}:connectionalias/${Alias}/${Alias.AliasId}${!Literal}' },
    SubVars: { 'Fn::Sub': ['${Name}-${AWS::StackName}', { Name: { Ref: 'Alias' } }] },
  };
  expect([...referencedResources(props, template)]).toEqual(['Alias']);
  expect(resolveProperties(props, ctx)).toEqual(
    ok({
      J: 'a-eu-west-1-3',
      S: '222222222222',
      L: ['x', 'wsca-abcdefgh12'],
      Sub: 'arn:aws:workspaces:eu-west-1:123456789012:connectionalias/wsca-abcdefgh12/wsca-abcdefgh12${Literal}',
      SubVars: 'wsca-abcdefgh12-Shop',
    }),
  );
});

test.each([
  ['a stack parameter', { Catalog: { Ref: 'Catalog' } }, 'Catalog is Ref Catalog, a stack parameter (CfnParameter): its value is given at deploy time'],
  ['an import', { AliasId: { 'Fn::ImportValue': 'SharedAlias' } }, 'AliasId is a Fn::ImportValue ("SharedAlias"): another stack\'s export, read only at deploy time'],
  ['a resource not deployed yet', { AliasId: { 'Fn::GetAtt': ['Later', 'AliasId'] } }, 'AliasId is Fn::GetAtt Later.AliasId (AWS::WorkSpaces::ConnectionAlias), and it is not deployed yet'],
  ['another attribute', { X: { 'Fn::GetAtt': ['Topic', 'TopicName'] } }, 'X is Fn::GetAtt Topic.TopicName of a AWS::SNS::Topic: only a deployed resource\'s physical id (Ref) can be read before the deploy'],
  ['a condition', { X: { 'Fn::If': ['IsProd', 'a', 'b'] } }, 'X uses Fn::If, which depends on values known only at deploy time'],
  ['inside a list', { SharedAccountIds: ['111111111111', { Ref: 'Catalog' }] }, 'SharedAccountIds[1] is Ref Catalog, a stack parameter (CfnParameter): its value is given at deploy time'],
  ['a select out of range', { X: { 'Fn::Select': [5, ['a']] } }, 'X is a Fn::Select of index 5 in a list of 1 item(s): the deploy would fail on it'],
])('unknown: %s, naming the property and why', (_what, props, reason) => {
  expect(resolveProperties(props, ctx)).toEqual({ ok: false, property: reason.split(' ')[0], reason });
});
