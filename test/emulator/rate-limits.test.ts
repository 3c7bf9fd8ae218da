// Rate limits (token buckets per account, region and operation) and Parameter Store's re-create window, driven by
// the real SDK clients. maxAttempts 1 unless a test is about the SDK's retries, so every refusal is visible.
import {
  GetConnectionPreferencesCommand,
  PartnerCentralAccountClient,
  ThrottlingException as PcThrottlingException,
} from '@aws-sdk/client-partnercentral-account';
import {
  DeleteParameterCommand,
  DeleteParametersCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
  ThrottlingException as SsmThrottlingException,
} from '@aws-sdk/client-ssm';
import { DescribeConnectionAliasesCommand, DescribeConnectionAliasPermissionsCommand, UpdateConnectionAliasPermissionCommand, WorkSpacesClient } from '@aws-sdk/client-workspaces';
import { AwsError, type Emulator, FLEET_RATES, RateLimits, startEmulator } from '../../emulator';
import { rejection } from '../support/rejection';

let emulator: Emulator;
let ssm: SSMClient;
let ssmOtherRegion: SSMClient;
let pc: PartnerCentralAccountClient;
let ws: WorkSpacesClient;

beforeAll(async () => {
  emulator = await startEmulator({ region: 'eu-west-1' });
  ssm = new SSMClient({ ...emulator.clientConfig(), maxAttempts: 1 });
  ssmOtherRegion = new SSMClient({ ...emulator.clientConfig('us-east-1'), maxAttempts: 1 });
  pc = new PartnerCentralAccountClient({ ...emulator.clientConfig('us-east-1'), maxAttempts: 1 });
  ws = new WorkSpacesClient({ ...emulator.clientConfig(), maxAttempts: 1 });
});
afterAll(async () => {
  for (const c of [ssm, ssmOtherRegion, pc, ws]) c.destroy();
  await emulator.close();
});
beforeEach(() => emulator.reset());

const put = (Name: string, client = ssm, Overwrite?: boolean) => client.send(new PutParameterCommand({ Name, Value: 'v', Type: 'String', Overwrite }));
const settle = <T>(promises: Promise<T>[]) => Promise.allSettled(promises);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('token buckets', () => {
  test('off by default: 20 PutParameter at once all succeed', async () => {
    expect(emulator.rateLimits.enabled).toBe(false);
    const out = await settle(Array.from({ length: 20 }, (_, i) => put(`/off/${i}`)));
    expect(out.every((o) => o.status === 'fulfilled')).toBe(true);
    expect(emulator.log.throttledCount()).toBe(0);
  });

  test('PutParameter: a bucket of 3 (one second of 3/s); the 4th call at once is SSM ThrottlingException "Rate exceeded", logged as throttled', async () => {
    emulator.rateLimits.enable();
    const out = await settle(Array.from({ length: 5 }, (_, i) => put(`/w/${i}`)));
    expect(out.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
    const refused = out.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => o.reason);
    expect(refused).toHaveLength(2);
    for (const err of refused) {
      expect(err).toBeInstanceOf(SsmThrottlingException);
      expect(err.message).toBe('Rate exceeded');
      expect(err.$metadata.httpStatusCode).toBe(400);
    }
    expect(emulator.ssm.names('/w')).toHaveLength(3);
    const throttled = emulator.log.list('PutParameter').filter((c) => c.throttled);
    expect(throttled.map((c) => [c.status, c.errorType, c.injected])).toEqual([
      [400, 'ThrottlingException', undefined],
      [400, 'ThrottlingException', undefined],
    ]);
    expect(emulator.log.throttledCount('PutParameter')).toBe(2);
    expect(emulator.rateLimits.throttledCounts()).toEqual({ '123456789012|eu-west-1|SSM.PutParameter': 2 });
    // 3 per second: one token is back after a third of a second.
    await sleep(360);
    await put('/w/later');
    await expect(put('/w/later2')).rejects.toBeInstanceOf(SsmThrottlingException);
  });

  test('DeleteParameters has a bucket of its own (3/s), separate from PutParameter', async () => {
    emulator.rateLimits.enable();
    for (let i = 0; i < 5; i++) emulator.ssm.seed(`/d/${i}`, 'v');
    const deletes = await settle(Array.from({ length: 5 }, (_, i) => ssm.send(new DeleteParametersCommand({ Names: [`/d/${i}`] }))));
    expect(deletes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
    // The write bucket is untouched by the deletes.
    expect((await settle([put('/x/1'), put('/x/2'), put('/x/3')])).every((o) => o.status === 'fulfilled')).toBe(true);
    expect(emulator.log.throttledCount('DeleteParameters')).toBe(2);
    expect(emulator.log.throttledCount('DeleteParameter')).toBe(0);
  });

  test('GetParameter and GetParametersByPath share one bucket (40/s by default; setting either member sets the group)', async () => {
    emulator.rateLimits.enable();
    expect(emulator.rateLimits.limitOf('SSM', 'GetParametersByPath')).toEqual({ bucket: 'SSM.GetParameter*', perSecond: 40, burst: 40 });
    // 45 calls cannot be sent within the same instant; a smaller rate keeps the refill out of the count.
    emulator.rateLimits.setRate('GetParameter', 4);
    expect(emulator.rateLimits.limitOf('SSM', 'GetParametersByPath')).toEqual({ bucket: 'SSM.GetParameter*', perSecond: 4, burst: 4 });
    emulator.ssm.seed('/r/a', 'v');
    const calls = Array.from({ length: 6 }, (_, i) =>
      i % 2 ? ssm.send(new GetParameterCommand({ Name: '/r/a' })) : ssm.send(new GetParametersByPathCommand({ Path: '/r' })),
    );
    const out = await settle(calls);
    expect(out.filter((o) => o.status === 'fulfilled')).toHaveLength(4);
    expect(emulator.log.throttledCount('GetParameter') + emulator.log.throttledCount('GetParametersByPath')).toBe(2);
    expect(emulator.rateLimits.throttledCounts()).toEqual({ '123456789012|eu-west-1|SSM.GetParameter*': 2 });
  });

  test('per account and region: a client signing for another region draws from its own bucket', async () => {
    emulator.rateLimits.enable();
    const out = await settle([put('/a/1'), put('/a/2'), put('/a/3'), put('/b/1', ssmOtherRegion), put('/b/2', ssmOtherRegion), put('/b/3', ssmOtherRegion)]);
    expect(out.every((o) => o.status === 'fulfilled')).toBe(true);
    await expect(put('/a/4')).rejects.toBeInstanceOf(SsmThrottlingException);
    await expect(put('/b/4', ssmOtherRegion)).rejects.toBeInstanceOf(SsmThrottlingException);
  });

  test('Partner Central: no rate unless set; set, its throttling is HTTP 429 with Message', async () => {
    emulator.rateLimits.enable();
    expect((await settle(Array.from({ length: 10 }, () => pc.send(new GetConnectionPreferencesCommand({ Catalog: 'AWS' }))))).every((o) => o.status === 'fulfilled')).toBe(true);
    emulator.rateLimits.setRate('PartnerCentralAccount.GetConnectionPreferences', 2);
    const out = await settle(Array.from({ length: 3 }, () => pc.send(new GetConnectionPreferencesCommand({ Catalog: 'AWS' }))));
    const err = (out.find((o) => o.status === 'rejected') as PromiseRejectedResult).reason;
    expect(err).toBeInstanceOf(PcThrottlingException);
    expect(err.message).toBe('Rate exceeded');
    expect(err.$metadata.httpStatusCode).toBe(429);
    expect(emulator.log.list('GetConnectionPreferences').filter((c) => c.throttled).map((c) => c.status)).toEqual([429]);
  });

  test('FLEET_RATES: 5/s for each WorkSpaces operation, each in its own bucket', async () => {
    emulator.rateLimits.enable({ rates: FLEET_RATES });
    emulator.workspaces.seedAlias({ AliasId: 'wsca-12345678' });
    const describe = () => ws.send(new DescribeConnectionAliasesCommand({ AliasIds: ['wsca-12345678'] }));
    const perms = () => ws.send(new DescribeConnectionAliasPermissionsCommand({ AliasId: 'wsca-12345678' }));
    const share = () => ws.send(new UpdateConnectionAliasPermissionCommand({ AliasId: 'wsca-12345678', ConnectionAliasPermission: { SharedAccountId: '210987654321', AllowAssociation: true } }));
    const out = await settle([...Array.from({ length: 6 }, describe), ...Array.from({ length: 6 }, perms), ...Array.from({ length: 6 }, share)]);
    expect(out.filter((o) => o.status === 'fulfilled')).toHaveLength(15);
    const refused = out.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => o.reason);
    expect(refused.map((e) => [e.name, e.message, e.$metadata.httpStatusCode])).toEqual(Array(3).fill(['ThrottlingException', 'Rate exceeded', 400]));
    expect(Object.keys(emulator.rateLimits.throttledCounts()).sort()).toEqual([
      '123456789012|eu-west-1|WorkSpaces.DescribeConnectionAliasPermissions',
      '123456789012|eu-west-1|WorkSpaces.DescribeConnectionAliases',
      '123456789012|eu-west-1|WorkSpaces.UpdateConnectionAliasPermission',
    ]);
  });

  test('the SDK retries a throttled call: with enough attempts a burst of 6 writes all land, and the log counts what was absorbed', async () => {
    emulator.rateLimits.enable();
    const patient = new SSMClient({ ...emulator.clientConfig(), maxAttempts: 10 });
    try {
      const out = await settle(Array.from({ length: 6 }, (_, i) => put(`/retry/${i}`, patient)));
      expect(out.every((o) => o.status === 'fulfilled')).toBe(true);
      expect(emulator.ssm.names('/retry')).toHaveLength(6);
      expect(emulator.log.count('PutParameter')).toBe(6 + emulator.log.throttledCount('PutParameter'));
      expect(emulator.log.throttledCount('PutParameter')).toBeGreaterThan(0);
    } finally {
      patient.destroy();
    }
  });

  test('scale k multiplies the refill rate; bucket sizes stay counts of calls', async () => {
    // 0.1 per second (a bucket of 1) run 10 times faster: a token per second instead of one per 10 seconds.
    emulator.rateLimits.enable({ rates: { PutParameter: 0.1 }, scale: 10 });
    await put('/k/1');
    await expect(put('/k/2')).rejects.toBeInstanceOf(SsmThrottlingException);
    await sleep(1_050);
    await put('/k/2');
  });

  test('a throttled call consumes no injected fault; reset() returns to the constructor options (off)', async () => {
    emulator.rateLimits.enable({ rates: { 'SSM.PutParameter': 1 } });
    emulator.faults.failNext('PutParameter', 1, new AwsError(400, 'AccessDeniedException', 'denied', {}, 'Message'));
    await expect(put('/f/1')).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await expect(put('/f/2')).rejects.toBeInstanceOf(SsmThrottlingException);
    expect(emulator.faults.pendingFailures()).toEqual([]);
    emulator.reset();
    expect(emulator.rateLimits.enabled).toBe(false);
    expect(emulator.rateLimits.configuredRates()).toMatchObject({ 'SSM.PutParameter': 3 });
  });

  test('bucket arithmetic with an injected clock', () => {
    let now = 0;
    const limits = new RateLimits({ enabled: true, rates: { 'WorkSpaces.*': 5 }, burst: { 'SSM.PutParameter': 1 } }, () => now);
    const takePut = () => limits.take('SSM', 'PutParameter', 'acct', 'r').allowed;
    expect([takePut(), takePut()]).toEqual([true, false]);
    now = 333;
    expect(takePut()).toBe(false);
    now = 334;
    expect(takePut()).toBe(true);
    const takeShare = () => limits.take('WorkSpaces', 'UpdateConnectionAliasPermission', 'acct', 'r').allowed;
    expect(Array.from({ length: 6 }, takeShare)).toEqual([true, true, true, true, true, false]);
    expect(limits.take('WorkSpaces', 'DescribeConnectionAliases', 'acct', 'r')).toEqual({ bucket: 'WorkSpaces.DescribeConnectionAliases', allowed: true });
    expect(limits.take('Lambda', 'Invoke', 'acct', 'r')).toEqual({ allowed: true });
    limits.setScale(2);
    expect(() => limits.setRate('NoSuchOperation', 1)).toThrow(/unknown operation/);
    expect(() => limits.setScale(0)).toThrow(/positive/);
  });
});

describe("Parameter Store's re-create window", () => {
  test('PutParameter of a name deleted moments ago is refused with ParameterAlreadyExists although GetParameter finds nothing', async () => {
    await put('/cw/header');
    await ssm.send(new DeleteParametersCommand({ Names: ['/cw/header'] }));
    const err = await rejection(put('/cw/header', ssm, false));
    expect(err).toBeInstanceOf(ParameterAlreadyExists);
    expect(await rejection(ssm.send(new GetParameterCommand({ Name: '/cw/header' })))).toBeInstanceOf(ParameterNotFound);
    expect((await ssm.send(new GetParametersByPathCommand({ Path: '/cw', Recursive: true }))).Parameters).toEqual([]);
    // Overwrite=true is refused too (the stricter reading, UNVERIFIED); another name is not.
    expect(await rejection(put('/cw/header', ssm, true))).toBeInstanceOf(ParameterAlreadyExists);
    await put('/cw/other');
    expect(emulator.ssm.recreateBlockedForMs('/cw/header')).toBeGreaterThan(29_000);
    expect(emulator.ssm.recreateBlockedForMs('/cw/header')).toBeLessThanOrEqual(30_000);
  });

  test('the window ends (configurable), DeleteParameter starts it too, and the scale divides it', async () => {
    emulator.ssm.recreateWindowMs = 400;
    await put('/cw/a');
    await ssm.send(new DeleteParameterCommand({ Name: '/cw/a' }));
    await expect(put('/cw/a')).rejects.toBeInstanceOf(ParameterAlreadyExists);
    await sleep(420);
    expect(await put('/cw/a')).toMatchObject({ Version: 1 });

    emulator.ssm.recreateWindowMs = 4_000;
    emulator.rateLimits.setScale(20); // 200 ms
    await ssm.send(new DeleteParametersCommand({ Names: ['/cw/a'] }));
    expect(emulator.ssm.effectiveRecreateWindowMs).toBe(200);
    await expect(put('/cw/a')).rejects.toBeInstanceOf(ParameterAlreadyExists);
    await sleep(220);
    await put('/cw/a');
  });

  test('names DeleteParameters could not delete start no window; remove() starts none unless asked; 0 turns it off; reset() forgets it', async () => {
    await ssm.send(new DeleteParametersCommand({ Names: ['/cw/never'] }));
    await put('/cw/never');
    emulator.ssm.seed('/cw/hand', 'v');
    emulator.ssm.remove('/cw/hand');
    await put('/cw/hand');
    emulator.ssm.remove('/cw/hand', true);
    await expect(put('/cw/hand')).rejects.toBeInstanceOf(ParameterAlreadyExists);
    emulator.ssm.recreateWindowMs = 0;
    await put('/cw/hand');
    emulator.reset();
    expect(emulator.ssm.recreateWindowMs).toBe(30_000);
    await put('/cw/z');
    await ssm.send(new DeleteParametersCommand({ Names: ['/cw/z'] }));
    emulator.reset();
    await put('/cw/z');
  });

  test('the emulator option sets the window', async () => {
    const other = await startEmulator({ recreateWindowMs: 0 });
    const client = new SSMClient({ ...other.clientConfig(), maxAttempts: 1 });
    try {
      await put('/o/a', client);
      await client.send(new DeleteParametersCommand({ Names: ['/o/a'] }));
      await put('/o/a', client);
    } finally {
      client.destroy();
      await other.close();
    }
  });
});

test('faults scoped to some requests: only the matching alias fails, and only matching calls count', async () => {
  emulator.workspaces.seedAlias({ AliasId: 'wsca-aaaaaaaa' });
  emulator.workspaces.seedAlias({ AliasId: 'wsca-bbbbbbbb' });
  const share = (AliasId: string, AllowAssociation = true) =>
    ws.send(new UpdateConnectionAliasPermissionCommand({ AliasId, ConnectionAliasPermission: { SharedAccountId: '210987654321', AllowAssociation } }));
  const denied = new AwsError(400, 'AccessDeniedException', 'denied by policy');
  emulator.faults.failNext('UpdateConnectionAliasPermission', Infinity, denied, { where: { AliasId: 'wsca-bbbbbbbb' } });
  emulator.faults.failNext('UpdateConnectionAliasPermission', 1, denied, { where: (input) => (input.ConnectionAliasPermission as { AllowAssociation?: boolean }).AllowAssociation === false });
  await share('wsca-aaaaaaaa');
  await expect(share('wsca-bbbbbbbb')).rejects.toMatchObject({ name: 'AccessDeniedException', message: 'denied by policy' });
  await expect(share('wsca-bbbbbbbb')).rejects.toMatchObject({ name: 'AccessDeniedException' });
  await expect(share('wsca-aaaaaaaa', false)).rejects.toMatchObject({ name: 'AccessDeniedException' });
  await share('wsca-aaaaaaaa', false);
  expect(emulator.faults.pendingFailures()).toEqual([{ match: 'UpdateConnectionAliasPermission', remaining: Infinity }]);
  expect(emulator.workspaces.permissions('wsca-bbbbbbbb')).toEqual([]);
});
