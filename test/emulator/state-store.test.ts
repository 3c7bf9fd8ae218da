import { randomBytes } from 'crypto';
// The state store is the emulator's main SSM consumer: running it here checks that the emulated SSM is rich enough
// (paging, Overwrite=false, batch deletes, the size limit) for the end-to-end tests to rely on.
import { SSMClient } from '@aws-sdk/client-ssm';
import { LockHeldError, PART_CHARS, StateStore } from '../../lambda/common/state-store';
import { type Emulator, startEmulator } from '../../emulator';

let emulator: Emulator;
let ssm: SSMClient;
const BASE = '/cdk-connection-sharing/test/AWS';
const A = { stackId: 'stack-a', logicalResourceId: 'Res' };
const B = { stackId: 'stack-b', logicalResourceId: 'Res' };

beforeAll(async () => {
  emulator = await startEmulator();
  ssm = new SSMClient({ ...emulator.clientConfig(), maxAttempts: 1 });
});
afterAll(async () => {
  ssm.destroy();
  await emulator.close();
});
beforeEach(() => emulator.reset());

test('a ~10 KB snapshot is split into parameters that fit the Standard tier and reads back intact', async () => {
  const store = new StateStore<{ ids: string[] }>(ssm, BASE, 'test setting');
  const snapshot = { ids: Array.from({ length: 100 }, () => randomBytes(75).toString('base64').replace(/[+/=]/g, '-')) };
  expect((await store.claim(A, snapshot)).outcome).toBe('created');
  const names = emulator.ssm.names(BASE);
  expect(names.length).toBeGreaterThan(3);
  expect(Object.values(emulator.ssm.snapshot(BASE)).every((v) => v.length <= PART_CHARS)).toBe(true);
  expect((await store.read()).record?.snapshot).toEqual(snapshot);
  await store.remove();
  expect(emulator.ssm.names(BASE)).toEqual([]);
});

test('a second owner is refused through ParameterAlreadyExists and leaves the holder untouched', async () => {
  const a = new StateStore<{ v: number }>(ssm, BASE, 'test setting');
  await a.claim(A, { v: 1 });
  const before = emulator.ssm.snapshot(BASE);
  await expect(new StateStore<{ v: number }>(ssm, BASE, 'test setting').claim(B, { v: 2 })).rejects.toBeInstanceOf(LockHeldError);
  expect(emulator.ssm.snapshot(BASE)).toEqual(before);
  expect(emulator.log.list('PutParameter').some((c) => c.errorType === 'ParameterAlreadyExists')).toBe(true);
});
