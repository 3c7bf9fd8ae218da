// IAM in the emulator (emulator/iam.ts): requests signed with a registered access key are evaluated against that
// identity's statements and refused the way each service refuses them, as the unmodified SDK clients surface it.
import {
  AccessDeniedException as PartnerCentralAccessDenied,
  GetConnectionPreferencesCommand,
  PartnerCentralAccountClient,
  UpdateConnectionPreferencesCommand,
} from '@aws-sdk/client-partnercentral-account';
import { AccessDeniedException as SsmAccessDenied, DeleteParametersCommand, GetParametersByPathCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import {
  AccessDeniedException as WorkSpacesAccessDenied,
  DescribeConnectionAliasesCommand,
  DescribeConnectionAliasPermissionsCommand,
  UpdateConnectionAliasPermissionCommand,
  WorkSpacesClient,
} from '@aws-sdk/client-workspaces';
import { type Emulator, type PolicyStatement, evaluate, startEmulator } from '../../emulator';
import { accessKeyIdOf, authorizationRequest, validateStatements } from '../../emulator/iam';
import { rejection } from '../support/rejection';

const ACCOUNT = '123456789012';
const KEY = 'ASIAEMULATEDROLE0001';
const PRINCIPAL = `arn:aws:sts::${ACCOUNT}:assumed-role/Stack-HandlerRole-abc/Stack-Handler-abc`;
const ALIAS = 'wsca-abcdef0123';
const OTHER_ALIAS = 'wsca-0ther00000';
const param = (name: string, region = 'eu-west-1') => `arn:aws:ssm:${region}:${ACCOUNT}:parameter/${name.replace(/^\//, '')}`;

let emulator: Emulator;
let ssm: SSMClient;
let workspaces: WorkSpacesClient;
let partnerCentral: PartnerCentralAccountClient;
/** The same services, signed with the tests' own key: never restricted. */
let ssmAsTest: SSMClient;

beforeAll(async () => {
  emulator = await startEmulator({ accountId: ACCOUNT, region: 'eu-west-1' });
  const as = (region: string) => ({ endpoint: emulator.url, region, credentials: { accessKeyId: KEY, secretAccessKey: 's', sessionToken: 't' }, maxAttempts: 1 });
  ssm = new SSMClient(as('eu-west-1'));
  workspaces = new WorkSpacesClient(as('eu-west-1'));
  partnerCentral = new PartnerCentralAccountClient(as('us-east-1'));
  ssmAsTest = new SSMClient({ ...emulator.clientConfig(), maxAttempts: 1 });
});
afterAll(async () => {
  for (const c of [ssm, workspaces, partnerCentral, ssmAsTest]) c.destroy();
  await emulator.close();
});
beforeEach(() => {
  emulator.reset();
  emulator.workspaces.seedAlias({ AliasId: ALIAS });
  emulator.workspaces.seedAlias({ AliasId: OTHER_ALIAS });
});

const allow = (Action: string | string[], Resource: string | string[] = '*', Condition?: PolicyStatement['Condition']): PolicyStatement => ({ Effect: 'Allow', Action, Resource, Condition });
const grant = (...statements: PolicyStatement[]) => emulator.iam.setIdentity(KEY, { principalArn: PRINCIPAL, statements });
const put = (client: SSMClient, Name: string) => client.send(new PutParameterCommand({ Name, Value: 'v', Type: 'String', Overwrite: true }));
const byPath = (Path: string) => ssm.send(new GetParametersByPathCommand({ Path, Recursive: true }));
const share = (AliasId: string) =>
  workspaces.send(new UpdateConnectionAliasPermissionCommand({ AliasId, ConnectionAliasPermission: { SharedAccountId: '210987654321', AllowAssociation: true } }));

describe('who is evaluated', () => {
  test('a key with no registered identity is unrestricted; a registered one with no statement may do nothing', async () => {
    await put(ssmAsTest, '/free/a');
    await put(ssm, '/free/b');
    grant();
    expect(await rejection(put(ssm, '/free/c'))).toBeInstanceOf(SsmAccessDenied);
    await put(ssmAsTest, '/free/d');
    expect(emulator.ssm.names('/free')).toEqual(['/free/a', '/free/b', '/free/d']);
    emulator.iam.removeIdentity(KEY);
    await put(ssm, '/free/e');
  });

  test('the caller is the access key of the SigV4 Authorization header', () => {
    expect(accessKeyIdOf(`AWS4-HMAC-SHA256 Credential=${KEY}/20240101/eu-west-1/ssm/aws4_request, SignedHeaders=host, Signature=abc`)).toBe(KEY);
    expect(accessKeyIdOf(undefined)).toBeUndefined();
  });

  test('IAM can be switched off as a whole', async () => {
    grant();
    emulator.iam.enabled = false;
    try {
      await put(ssm, '/off/a');
    } finally {
      emulator.iam.enabled = true;
    }
    expect(await rejection(put(ssm, '/off/b'))).toBeInstanceOf(SsmAccessDenied);
  });

  test('emulator.reset() forgets identities and denials', async () => {
    grant();
    await rejection(put(ssm, '/r/a'));
    expect(emulator.iam.denials).toHaveLength(1);
    emulator.reset();
    expect(emulator.iam.denials).toEqual([]);
    await put(ssm, '/r/a');
  });
});

describe('SSM', () => {
  test('allowed on the exact ARN; another name is denied with SSM\'s AccessDeniedException (HTTP 400) and IAM\'s wording', async () => {
    grant(allow('ssm:PutParameter', param('/app/a')));
    await put(ssm, '/app/a');
    const err = await rejection(put(ssm, '/app/b'));
    expect(err).toBeInstanceOf(SsmAccessDenied);
    expect(err.name).toBe('AccessDeniedException');
    expect((err.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(400);
    expect(err.message).toBe(
      `User: ${PRINCIPAL} is not authorized to perform: ssm:PutParameter on resource: ${param('/app/b')} because no identity-based policy allows the ssm:PutParameter action`,
    );
    expect(emulator.ssm.names('/app')).toEqual(['/app/a']);
  });

  test('denials are in the request log as AccessDeniedException and in iam.denials with the action and resource', async () => {
    grant();
    await rejection(byPath('/cdk-connection-sharing/workspaces/wsca-old'));
    expect(emulator.log.list('GetParametersByPath')).toEqual([expect.objectContaining({ status: 400, errorType: 'AccessDeniedException' })]);
    expect(emulator.iam.denials).toEqual([
      expect.objectContaining({
        accessKeyId: KEY,
        principalArn: PRINCIPAL,
        service: 'SSM',
        operation: 'GetParametersByPath',
        action: 'ssm:GetParametersByPath',
        resource: param('/cdk-connection-sharing/workspaces/wsca-old'),
        decision: 'ImplicitDeny',
      }),
    ]);
  });

  test('resource wildcards: `*` spans path segments, `?` is one character; a path prefix grant does not cover the path itself', async () => {
    grant(allow(['ssm:PutParameter', 'ssm:GetParametersByPath'], [param('/kind/*'), param('/exact/p?')]));
    await put(ssm, '/kind/x/header');
    await put(ssm, '/kind/x/gen-1/0');
    await put(ssm, '/exact/p1');
    await byPath('/kind/x');
    expect(await rejection(put(ssm, '/exact/p12'))).toBeInstanceOf(SsmAccessDenied);
    expect(await rejection(byPath('/kind'))).toBeInstanceOf(SsmAccessDenied);
    // Parameter ARNs are case-sensitive.
    expect(await rejection(put(ssm, '/KIND/x'))).toBeInstanceOf(SsmAccessDenied);
  });

  test('the region of the ARN is the one the request is signed for', async () => {
    grant(allow('ssm:PutParameter', param('/r/*', 'us-east-1')));
    expect(await rejection(put(ssm, '/r/a'))).toBeInstanceOf(SsmAccessDenied);
    const east = new SSMClient({ endpoint: emulator.url, region: 'us-east-1', credentials: { accessKeyId: KEY, secretAccessKey: 's' }, maxAttempts: 1 });
    try {
      await put(east, '/r/a');
    } finally {
      east.destroy();
    }
  });

  test('DeleteParameters: every name is authorized, and one denied name denies the call', async () => {
    for (const n of ['/mine/a', '/mine/b', '/theirs/c']) emulator.ssm.seed(n, 'v');
    grant(allow('ssm:DeleteParameters', param('/mine/*')));
    const err = await rejection(ssm.send(new DeleteParametersCommand({ Names: ['/mine/a', '/theirs/c'] })));
    expect(err).toBeInstanceOf(SsmAccessDenied);
    expect(err.message).toContain(`on resource: ${param('/theirs/c')}`);
    expect(emulator.ssm.names()).toEqual(['/mine/a', '/mine/b', '/theirs/c']);
    await ssm.send(new DeleteParametersCommand({ Names: ['/mine/a', '/mine/b'] }));
    expect(emulator.ssm.names()).toEqual(['/theirs/c']);
  });

  test('an explicit Deny wins over any Allow, and says so', async () => {
    grant(allow('ssm:*'), { Effect: 'Deny', Action: 'ssm:PutParameter', Resource: param('/locked/*') });
    await put(ssm, '/open/a');
    const err = await rejection(put(ssm, '/locked/a'));
    expect(err.message).toBe(`User: ${PRINCIPAL} is not authorized to perform: ssm:PutParameter on resource: ${param('/locked/a')} with an explicit deny in an identity-based policy`);
    expect(emulator.iam.denials.map((d) => d.decision)).toEqual(['ExplicitDeny']);
  });

  test('action wildcards and case: `ssm:put*`, `SSM:Get?arametersByPath`; NotAction', async () => {
    grant(allow('ssm:put*'), allow('SSM:Get?arametersByPath'));
    await put(ssm, '/a/b');
    await byPath('/a');
    expect(await rejection(ssm.send(new DeleteParametersCommand({ Names: ['/a/b'] })))).toBeInstanceOf(SsmAccessDenied);
    grant({ Effect: 'Allow', NotAction: 'ssm:DeleteParameters', Resource: '*' });
    await put(ssm, '/a/c');
    expect(await rejection(ssm.send(new DeleteParametersCommand({ Names: ['/a/b'] })))).toBeInstanceOf(SsmAccessDenied);
  });
});

describe('WorkSpaces', () => {
  test('permissions on the alias ARN; DescribeConnectionAliases needs `*`', async () => {
    const aliasArn = `arn:aws:workspaces:eu-west-1:${ACCOUNT}:connectionalias/${ALIAS}`;
    grant(allow(['workspaces:DescribeConnectionAliasPermissions', 'workspaces:UpdateConnectionAliasPermission'], aliasArn));
    await share(ALIAS);
    await workspaces.send(new DescribeConnectionAliasPermissionsCommand({ AliasId: ALIAS }));
    expect(await rejection(share(OTHER_ALIAS))).toBeInstanceOf(WorkSpacesAccessDenied);
    expect(await rejection(workspaces.send(new DescribeConnectionAliasesCommand({ AliasIds: [ALIAS] })))).toBeInstanceOf(WorkSpacesAccessDenied);
    grant(allow('workspaces:DescribeConnectionAliases', '*'), allow('workspaces:*ConnectionAliasPermission*', `arn:aws:workspaces:eu-west-1:${ACCOUNT}:connectionalias/*`));
    await workspaces.send(new DescribeConnectionAliasesCommand({ AliasIds: [ALIAS] }));
    await share(OTHER_ALIAS);
    expect(emulator.workspaces.permissions(OTHER_ALIAS)).toEqual([{ SharedAccountId: '210987654321', AllowAssociation: true }]);
  });

  test('the error as the SDK surfaces it: AccessDeniedException, HTTP 400, the lower-case message member', async () => {
    grant();
    const err = await rejection(share(ALIAS));
    expect(err).toBeInstanceOf(WorkSpacesAccessDenied);
    expect((err.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(400);
    expect(err.message).toBe(
      `User: ${PRINCIPAL} is not authorized to perform: workspaces:UpdateConnectionAliasPermission on resource: arn:aws:workspaces:eu-west-1:${ACCOUNT}:connectionalias/${ALIAS} because no identity-based policy allows the workspaces:UpdateConnectionAliasPermission action`,
    );
    expect(emulator.workspaces.permissions(ALIAS)).toEqual([]);
  });
});

describe('Partner Central', () => {
  const catalogCondition = (op: 'StringEquals' | 'StringLike', ...catalogs: string[]) => ({ [op]: { 'partnercentral:Catalog': catalogs } });
  const get = (Catalog: string) => partnerCentral.send(new GetConnectionPreferencesCommand({ Catalog }));

  test('the partnercentral:Catalog condition (StringEquals) is matched against the request\'s Catalog', async () => {
    grant(allow(['partnercentral:GetConnectionPreferences', 'partnercentral:UpdateConnectionPreferences'], '*', catalogCondition('StringEquals', 'Sandbox')));
    const { Revision } = await get('Sandbox');
    await partnerCentral.send(new UpdateConnectionPreferencesCommand({ Catalog: 'Sandbox', Revision, AccessType: 'DENY_ALL' }));
    expect(emulator.partnerCentral.get('Sandbox')?.AccessType).toBe('DENY_ALL');
    expect(await rejection(get('AWS'))).toBeInstanceOf(PartnerCentralAccessDenied);
    // StringEquals is case-sensitive.
    expect(await rejection(get('sandbox'))).toBeInstanceOf(PartnerCentralAccessDenied);
  });

  test('StringLike takes wildcards; StringNotEquals; a key the request lacks fails StringEquals', async () => {
    grant(allow('partnercentral:GetConnectionPreferences', '*', catalogCondition('StringLike', 'Sand*')));
    await get('Sandbox');
    expect(await rejection(get('AWS'))).toBeInstanceOf(PartnerCentralAccessDenied);
    grant(allow('partnercentral:GetConnectionPreferences', '*', { StringNotEquals: { 'partnercentral:Catalog': 'AWS' } }));
    await get('Sandbox');
    expect(await rejection(get('AWS'))).toBeInstanceOf(PartnerCentralAccessDenied);
    const statements = [allow('partnercentral:GetConnectionPreferences', '*', catalogCondition('StringEquals', 'AWS'))];
    expect(evaluate(statements, 'partnercentral:GetConnectionPreferences', '*', {})).toBe('ImplicitDeny');
    expect(evaluate([allow('partnercentral:GetConnectionPreferences', '*', { StringEqualsIfExists: { 'partnercentral:Catalog': 'AWS' } })], 'partnercentral:GetConnectionPreferences', '*', {})).toBe('Allow');
  });

  test('the IAM prefix is partnercentral, not the client name partnercentral-account', async () => {
    grant(allow('partnercentral-account:*'));
    expect(await rejection(get('AWS'))).toBeInstanceOf(PartnerCentralAccessDenied);
    grant(allow('partnercentral:*'));
    await get('AWS');
  });

  test('the error as the SDK surfaces it: AccessDeniedException, HTTP 403, the message (sent as Message) and Reason', async () => {
    grant(allow('partnercentral:GetConnectionPreferences', '*', catalogCondition('StringEquals', 'Sandbox')));
    const err = await rejection(get('AWS'));
    expect(err).toBeInstanceOf(PartnerCentralAccessDenied);
    expect((err.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(403);
    const message = `User: ${PRINCIPAL} is not authorized to perform: partnercentral:GetConnectionPreferences because no identity-based policy allows the partnercentral:GetConnectionPreferences action`;
    expect(err).toMatchObject({ message, Reason: 'ACCESS_DENIED' });
  });
});

describe('evaluation rules', () => {
  test('several condition keys are ANDed, several values of one key ORed', () => {
    const s: PolicyStatement[] = [
      allow('partnercentral:GetConnectionPreferences', '*', { StringEquals: { 'partnercentral:Catalog': ['AWS', 'Sandbox'], 'aws:RequestedRegion': 'us-east-1' } }),
    ];
    const ctx = (catalog: string, region: string) => ({ 'partnercentral:catalog': catalog, 'aws:requestedregion': region });
    expect(evaluate(s, 'partnercentral:GetConnectionPreferences', '*', ctx('AWS', 'us-east-1'))).toBe('Allow');
    expect(evaluate(s, 'partnercentral:GetConnectionPreferences', '*', ctx('Sandbox', 'us-east-1'))).toBe('Allow');
    expect(evaluate(s, 'partnercentral:GetConnectionPreferences', '*', ctx('Sandbox', 'eu-west-1'))).toBe('ImplicitDeny');
  });

  test('NotResource', () => {
    const s: PolicyStatement[] = [{ Effect: 'Allow', Action: 'ssm:PutParameter', NotResource: param('/secret/*') }];
    expect(evaluate(s, 'ssm:PutParameter', param('/open/a'))).toBe('Allow');
    expect(evaluate(s, 'ssm:PutParameter', param('/secret/a'))).toBe('ImplicitDeny');
  });

  test('a statement the emulator cannot evaluate is refused when it is registered, not guessed at', () => {
    expect(() => validateStatements([allow('ssm:PutParameter', '*', { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['a'] } })])).toThrow(/condition operator ForAnyValue:StringEquals/);
    expect(() => validateStatements([{ Effect: 'Allow', Resource: '*' } as PolicyStatement])).toThrow(/Action and NotAction/);
    expect(() => validateStatements([{ Effect: 'Permit', Action: 'x:y', Resource: '*' } as unknown as PolicyStatement])).toThrow(/Effect/);
    expect(() => grant(allow('ssm:PutParameter', '*', { ArnLike: { 'aws:SourceArn': 'x' } }))).toThrow(/ArnLike/);
  });

  test('the resources each request is authorized on', () => {
    const at = { region: 'eu-west-1', accountId: ACCOUNT };
    expect(authorizationRequest('SSM', 'GetParametersByPath', { Path: '/p/q' }, at)?.resources).toEqual([param('/p/q')]);
    expect(authorizationRequest('SSM', 'DeleteParameters', { Names: ['/a', 'b'] }, at)?.resources).toEqual([param('/a'), param('b')]);
    expect(authorizationRequest('SSM', 'GetParameter', { Name: '/a/b' }, at)).toMatchObject({ action: 'ssm:GetParameter', resources: [param('/a/b')] });
    expect(authorizationRequest('WorkSpaces', 'DescribeConnectionAliases', { AliasIds: [ALIAS] }, at)?.resources).toEqual(['*']);
    expect(authorizationRequest('WorkSpaces', 'DescribeConnectionAliasPermissions', { AliasId: ALIAS }, at)?.resources).toEqual([
      `arn:aws:workspaces:eu-west-1:${ACCOUNT}:connectionalias/${ALIAS}`,
    ]);
    expect(authorizationRequest('PartnerCentralAccount', 'UpdateConnectionPreferences', { Catalog: 'AWS' }, { ...at, region: 'us-east-1' })).toEqual({
      action: 'partnercentral:UpdateConnectionPreferences',
      resources: ['*'],
      context: { 'partnercentral:catalog': 'AWS', 'aws:requestedregion': 'us-east-1' },
    });
    // Too malformed to name a resource: the service's own validation answers.
    expect(authorizationRequest('SSM', 'DeleteParameters', { Names: [] }, at)).toBeUndefined();
  });
});
