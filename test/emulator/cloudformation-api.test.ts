// The emulated CloudFormation read API and STS GetCallerIdentity, spoken to over awsQuery by the unmodified SDK
// clients; the registry they read is filled the way LocalCloudFormation fills it (recordEvent).
import { CloudFormationClient, DescribeStackResourcesCommand, DescribeStacksCommand, GetTemplateCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { type Emulator, startEmulator } from '../../emulator';
import { DESCRIBE_STACK_RESOURCES_LIMIT, LIST_STACK_RESOURCES_PAGE, recordEvent } from '../../emulator/cloudformation-api';
import { rejection } from '../support/rejection';

const REGION = 'eu-west-1';
const STACK = { stackId: `arn:aws:cloudformation:${REGION}:123456789012:stack/Shop/11111111-2222-3333-4444-555555555555`, stackName: 'Shop', region: REGION };
const TEMPLATE = { Resources: { Alias: { Type: 'AWS::WorkSpaces::ConnectionAlias' }, Sharing: { Type: 'Custom::ConnectionAliasSharing' } } };

let emulator: Emulator;
let cfn: CloudFormationClient;

beforeAll(async () => {
  emulator = await startEmulator();
  cfn = new CloudFormationClient({ ...emulator.clientConfig(REGION), maxAttempts: 1 });
});
afterAll(async () => {
  cfn.destroy();
  await emulator.close();
});
beforeEach(() => emulator.reset());

const created = (logicalId: string, physicalId: string, requestType = 'Create') =>
  recordEvent(
    emulator.cloudFormation,
    { ...STACK, template: TEMPLATE, attributes: { Alias: 'wsca-abcdefgh12' } },
    { RequestType: requestType, LogicalResourceId: logicalId, ResourceType: TEMPLATE.Resources[logicalId as 'Sharing'].Type, PhysicalResourceId: requestType === 'Create' ? undefined : physicalId },
    { Status: 'SUCCESS', PhysicalResourceId: physicalId },
  );

test('a stack that was never deployed is a ValidationError naming it', async () => {
  const err = await rejection(cfn.send(new DescribeStackResourcesCommand({ StackName: 'Shop' })));
  expect(err).toMatchObject({ name: 'ValidationError', message: 'Stack with id Shop does not exist', $metadata: { httpStatusCode: 400 } });
  expect(emulator.log.list('DescribeStackResources')).toEqual([
    expect.objectContaining({ service: 'CloudFormation', input: { StackName: 'Shop' }, status: 400, errorType: 'ValidationError' }),
  ]);
});

test('a successful event records the resource and the resources it was given (by name or stack id; LogicalResourceId filters)', async () => {
  created('Sharing', 'wsca-abcdefgh12');
  const all = await cfn.send(new DescribeStackResourcesCommand({ StackName: 'Shop' }));
  expect(all.StackResources).toEqual([
    expect.objectContaining({ StackName: 'Shop', StackId: STACK.stackId, LogicalResourceId: 'Alias', PhysicalResourceId: 'wsca-abcdefgh12', ResourceType: 'AWS::WorkSpaces::ConnectionAlias', ResourceStatus: 'CREATE_COMPLETE' }),
    expect.objectContaining({ LogicalResourceId: 'Sharing', PhysicalResourceId: 'wsca-abcdefgh12', ResourceType: 'Custom::ConnectionAliasSharing' }),
  ]);
  expect(all.StackResources![0].Timestamp).toBeInstanceOf(Date);
  const one = await cfn.send(new DescribeStackResourcesCommand({ StackName: STACK.stackId, LogicalResourceId: 'Alias' }));
  expect(one.StackResources?.map((r) => r.LogicalResourceId)).toEqual(['Alias']);
  expect(await rejection(cfn.send(new DescribeStackResourcesCommand({ StackName: 'Shop', LogicalResourceId: 'Nope' })))).toMatchObject({ name: 'ValidationError' });
  // Regional: the same name in another Region is another stack.
  const elsewhere = new CloudFormationClient({ ...emulator.clientConfig('us-west-2'), maxAttempts: 1 });
  expect(await rejection(elsewhere.send(new DescribeStackResourcesCommand({ StackName: 'Shop' })))).toMatchObject({ name: 'ValidationError' });
  elsewhere.destroy();
});

test('a Delete removes the resource only while it has that physical id (a replacement cleanup keeps the new one)', async () => {
  created('Sharing', 'wsca-new0000001', 'Update');
  created('Sharing', 'wsca-old0000001', 'Delete');
  expect((await cfn.send(new DescribeStackResourcesCommand({ StackName: 'Shop', LogicalResourceId: 'Sharing' }))).StackResources?.[0].PhysicalResourceId).toBe('wsca-new0000001');
  created('Sharing', 'wsca-new0000001', 'Delete');
  expect(await rejection(cfn.send(new DescribeStackResourcesCommand({ StackName: 'Shop', LogicalResourceId: 'Sharing' })))).toMatchObject({ name: 'ValidationError' });
});

test('only the first 100 resources are returned, as documented', async () => {
  for (let i = 0; i < 120; i++) emulator.cloudFormation.recordResource(STACK, { logicalId: `R${i}`, physicalId: `p${i}`, resourceType: 'AWS::SNS::Topic' });
  const all = await cfn.send(new DescribeStackResourcesCommand({ StackName: 'Shop' }));
  expect(all.StackResources).toHaveLength(DESCRIBE_STACK_RESOURCES_LIMIT);
  const last = await cfn.send(new DescribeStackResourcesCommand({ StackName: 'Shop', LogicalResourceId: 'R119' }));
  expect(last.StackResources?.[0].PhysicalResourceId).toBe('p119');
});

test('StackName and PhysicalResourceId: one of them, not both; injected throttling is retried by the SDK', async () => {
  emulator.cloudFormation.recordResource(STACK, { logicalId: 'Alias', physicalId: 'wsca-abcdefgh12', resourceType: 'AWS::WorkSpaces::ConnectionAlias' });
  expect(await rejection(cfn.send(new DescribeStackResourcesCommand({})))).toMatchObject({ name: 'ValidationError' });
  expect(await rejection(cfn.send(new DescribeStackResourcesCommand({ StackName: 'Shop', PhysicalResourceId: 'x' })))).toMatchObject({ name: 'ValidationError' });
  const byPhysical = await cfn.send(new DescribeStackResourcesCommand({ PhysicalResourceId: 'wsca-abcdefgh12' }));
  expect(byPhysical.StackResources?.[0].StackName).toBe('Shop');

  emulator.faults.throttle('DescribeStackResources', 1);
  const retrying = new CloudFormationClient({ ...emulator.clientConfig(REGION), maxAttempts: 3, retryStrategy: undefined });
  await expect(retrying.send(new DescribeStackResourcesCommand({ StackName: 'Shop' }))).resolves.toBeDefined();
  expect(emulator.log.list('DescribeStackResources').slice(-2).map((c) => c.errorType)).toEqual(['Throttling', undefined]);
  retrying.destroy();
});

test('ListStackResources pages every resource; GetTemplate returns the template in force; DescribeStacks the stack id', async () => {
  for (let i = 0; i < 150; i++) emulator.cloudFormation.recordResource(STACK, { logicalId: `R${i}`, physicalId: `p${i}`, resourceType: 'AWS::SNS::Topic' });
  const first = await cfn.send(new ListStackResourcesCommand({ StackName: 'Shop' }));
  expect(first.StackResourceSummaries).toHaveLength(LIST_STACK_RESOURCES_PAGE);
  expect(first.StackResourceSummaries![0]).toMatchObject({ LogicalResourceId: 'R0', PhysicalResourceId: 'p0', ResourceType: 'AWS::SNS::Topic', ResourceStatus: 'CREATE_COMPLETE' });
  expect(first.StackResourceSummaries![0].LastUpdatedTimestamp).toBeInstanceOf(Date);
  const second = await cfn.send(new ListStackResourcesCommand({ StackName: STACK.stackId, NextToken: first.NextToken }));
  expect(second.StackResourceSummaries!.map((r) => r.LogicalResourceId).at(-1)).toBe('R149');
  expect(second.NextToken).toBeUndefined();
  expect(await rejection(cfn.send(new ListStackResourcesCommand({ StackName: 'Shop', NextToken: 'forged' })))).toMatchObject({ name: 'ValidationError' });

  // The template of the last successful Create or Update event (LocalStack records it again when an operation ends).
  created('Sharing', 'wsca-abcdefgh12');
  const template = await cfn.send(new GetTemplateCommand({ StackName: 'Shop' }));
  expect(JSON.parse(template.TemplateBody!)).toEqual(TEMPLATE);
  expect(template.StagesAvailable).toEqual(['Original', 'Processed']);
  const stacks = await cfn.send(new DescribeStacksCommand({ StackName: 'Shop' }));
  expect(stacks.Stacks).toEqual([expect.objectContaining({ StackId: STACK.stackId, StackName: 'Shop', StackStatus: 'CREATE_COMPLETE' })]);

  for (const command of [new ListStackResourcesCommand({ StackName: 'Nope' }), new GetTemplateCommand({ StackName: 'Nope' }), new DescribeStacksCommand({ StackName: 'Nope' })]) {
    expect(await rejection(cfn.send(command as never))).toMatchObject({ name: 'ValidationError', message: 'Stack with id Nope does not exist' });
  }
});

test('STS GetCallerIdentity answers the emulated account', async () => {
  const sts = new STSClient({ ...emulator.clientConfig(REGION), maxAttempts: 1 });
  expect(await sts.send(new GetCallerIdentityCommand({}))).toMatchObject({ Account: emulator.accountId, Arn: `arn:aws:iam::${emulator.accountId}:user/emulator` });
  expect(emulator.log.list('GetCallerIdentity')).toEqual([expect.objectContaining({ service: 'STS', status: 200 })]);
  sts.destroy();
});
