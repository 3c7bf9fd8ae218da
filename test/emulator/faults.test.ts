import {
  GetConnectionPreferencesCommand,
  InternalServerException,
  PartnerCentralAccountClient,
  ThrottlingException,
} from '@aws-sdk/client-partnercentral-account';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DescribeConnectionAliasesCommand, WorkSpacesClient } from '@aws-sdk/client-workspaces';
import { AwsError, type Emulator, startEmulator } from '../../emulator';

let emulator: Emulator;
let pc: PartnerCentralAccountClient;
let ws: WorkSpacesClient;
let ssm: SSMClient;

beforeAll(async () => {
  emulator = await startEmulator();
  pc = new PartnerCentralAccountClient({ ...emulator.clientConfig('us-east-1'), maxAttempts: 4 });
  ws = new WorkSpacesClient({ ...emulator.clientConfig(), maxAttempts: 4 });
  ssm = new SSMClient({ ...emulator.clientConfig(), maxAttempts: 4 });
});
afterAll(async () => {
  for (const c of [pc, ws, ssm]) c.destroy();
  await emulator.close();
});
beforeEach(() => emulator.reset());

const getPrefs = () => pc.send(new GetConnectionPreferencesCommand({ Catalog: 'AWS' }));

test('three throttles are retried by the SDK and the fourth attempt succeeds; the log shows every attempt', async () => {
  emulator.faults.throttle('GetConnectionPreferences', 3);
  const out = await getPrefs();
  expect(out.$metadata.attempts).toBe(4);
  expect(emulator.log.list('GetConnectionPreferences').map((c) => [c.status, c.errorType, c.injected])).toEqual([
    [429, 'ThrottlingException', true],
    [429, 'ThrottlingException', true],
    [429, 'ThrottlingException', true],
    [200, undefined, undefined],
  ]);
  expect(emulator.faults.pendingFailures()).toEqual([]);
});

test('more throttles than attempts surface as ThrottlingException', async () => {
  emulator.faults.throttle('PartnerCentralAccount.GetConnectionPreferences', 10);
  await expect(getPrefs()).rejects.toBeInstanceOf(ThrottlingException);
  expect(emulator.log.count('GetConnectionPreferences')).toBe(4);
  expect(emulator.faults.pendingFailures()).toEqual([{ match: 'PartnerCentralAccount.GetConnectionPreferences', remaining: 6 }]);
});

test('500s are retried too, and surface as InternalServerException when they persist', async () => {
  emulator.faults.serverError('GetConnectionPreferences', 2);
  expect((await getPrefs()).$metadata.attempts).toBe(3);
  emulator.faults.serverError('GetConnectionPreferences', 4);
  await expect(getPrefs()).rejects.toBeInstanceOf(InternalServerException);
});

test('WorkSpaces (unmodeled ThrottlingException) and SSM throttling are retried as well', async () => {
  emulator.workspaces.seedAlias({ AliasId: 'wsca-12345678' });
  emulator.ssm.seed('/x', 'v');
  emulator.faults.throttle('DescribeConnectionAliases', 1).throttle('GetParameter', 1).serverError('GetParameter', 1);
  expect((await ws.send(new DescribeConnectionAliasesCommand({ AliasIds: ['wsca-12345678'] }))).$metadata.attempts).toBe(2);
  expect((await ssm.send(new GetParameterCommand({ Name: '/x' }))).$metadata.attempts).toBe(3);
  expect(emulator.log.list('GetParameter').map((c) => c.errorType)).toEqual(['ThrottlingException', 'InternalServerError', undefined]);
});

test('a scripted error is returned as given (no retry for a client error)', async () => {
  emulator.faults.failNext('*', 1, new AwsError(403, 'AccessDeniedException', 'nope', { Reason: 'ACCESS_DENIED' }, 'Message'));
  await expect(getPrefs()).rejects.toMatchObject({ name: 'AccessDeniedException', Reason: 'ACCESS_DENIED', message: 'nope' });
  expect(emulator.log.count()).toBe(1);
});

test('latency is applied globally and per operation (the per-operation value wins)', async () => {
  emulator.faults.latency(150);
  let start = Date.now();
  await getPrefs();
  expect(Date.now() - start).toBeGreaterThanOrEqual(140);
  emulator.faults.latency(0).latency(300, 'GetConnectionPreferences');
  start = Date.now();
  await getPrefs();
  expect(Date.now() - start).toBeGreaterThanOrEqual(290);
  emulator.ssm.seed('/fast', 'v');
  start = Date.now();
  await ssm.send(new GetParameterCommand({ Name: '/fast' }));
  expect(Date.now() - start).toBeLessThan(250);
  emulator.faults.clear();
  start = Date.now();
  await getPrefs();
  expect(Date.now() - start).toBeLessThan(250);
});

test('faults are only consumed by matching operations', async () => {
  emulator.faults.throttle('UpdateConnectionPreferences', 1);
  expect((await getPrefs()).$metadata.attempts).toBe(1);
  expect(emulator.faults.pendingFailures()).toHaveLength(1);
});
