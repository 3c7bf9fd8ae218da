import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { LockHeldError, PART_CHARS, StateStore } from '../../lambda/common/state-store';
import { fakeParameterStore } from '../fixtures/fake-ssm';

const ssmMock = mockClient(SSMClient);
const BASE = '/cdk-connection-sharing/partner-central/AWS';
const OWNER = { stackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/A/1', logicalResourceId: 'Prefs' };
const OTHER = { stackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/B/2', logicalResourceId: 'Prefs' };

let params: Map<string, string>;
function fakeSsm() {
  ssmMock.reset();
  ssmMock.onAnyCommand().rejects(new Error('unexpected SSM call'));
  fakeParameterStore(ssmMock, params);
}

const store = () => new StateStore<{ ids: string[] }>(new SSMClient({ region: 'us-east-1' }), BASE, 'the preferences of catalog AWS');

beforeEach(() => {
  params = new Map();
  fakeSsm();
});

test('a small snapshot is stored inline in the header, in one write', async () => {
  const { created } = await store().claim(OWNER, { ids: ['a', 'b'] }, { lastRevision: 3 });
  expect(created).toBe(true);
  expect([...params.keys()]).toEqual([`${BASE}/header`]);
  expect(ssmMock).toHaveReceivedCommandTimes(PutParameterCommand, 1);
  expect(ssmMock).toHaveReceivedCommandWith(PutParameterCommand, { Name: `${BASE}/header`, Overwrite: false });
  const { record } = await store().read();
  expect(record).toEqual({ owner: OWNER, snapshot: { ids: ['a', 'b'] }, meta: { lastRevision: 3 } });
});

test('a large snapshot is split across numbered parameters and rejoined exactly', async () => {
  const ids = Array.from({ length: 100 }, (_, i) => `${i}`.padStart(3, '0').padEnd(100, 'x'));
  await store().claim(OWNER, { ids });
  const parts = [...params.keys()].filter((n) => n !== `${BASE}/header`);
  expect(parts.length).toBe(Math.ceil(JSON.stringify({ ids }).length / PART_CHARS));
  expect(parts.length).toBeGreaterThan(1);
  for (const n of parts) expect(params.get(n)!.length).toBeLessThanOrEqual(4096);
  // Pages of 10 make the reader follow NextToken.
  const { record } = await store().read();
  expect(record!.snapshot.ids).toEqual(ids);
});

test('non-ASCII text is escaped so that characters and bytes count alike against the limit', async () => {
  const ids = Array.from({ length: 30 }, () => 'é'.repeat(200));
  await store().claim(OWNER, { ids });
  for (const v of params.values()) expect(Buffer.byteLength(v, 'utf8')).toBe(v.length);
  expect((await store().read()).record!.snapshot.ids).toEqual(ids);
});

test('a second claim by the same owner returns the first snapshot untouched (repeated delivery)', async () => {
  await store().claim(OWNER, { ids: ['before'] });
  const again = await store().claim(OWNER, { ids: ['after-our-own-write'] });
  expect(again.created).toBe(false);
  expect(again.record.snapshot).toEqual({ ids: ['before'] });
});

test('a claim on a setting held by another owner fails, names the holder, and leaves its state intact', async () => {
  const big = Array.from({ length: 100 }, (_, i) => `id-${i}`.padEnd(100, 'y'));
  await store().claim(OTHER, { ids: big });
  const before = new Map(params);
  const err = await store().claim(OWNER, { ids: big.map((s) => s.replace('y', 'z')) }).catch((e) => e);
  expect(err).toBeInstanceOf(LockHeldError);
  expect(err.message).toContain(OTHER.stackId);
  expect(err.message).toContain(OTHER.logicalResourceId);
  expect(err.message).toContain(BASE);
  expect(params).toEqual(before);
});

test('save writes a new generation before switching the header, then deletes the old one', async () => {
  const big = (tag: string) => Array.from({ length: 100 }, (_, i) => `${tag}-${i}`.padEnd(100, 'q'));
  await store().claim(OWNER, { ids: big('one') });
  const first = await store().read();
  await store().save({ ...first.record!, snapshot: { ids: big('two') }, meta: { lastRevision: 9 } }, first.names);
  const second = await store().read();
  expect(second.record!.snapshot.ids).toEqual(big('two'));
  expect(second.record!.meta).toEqual({ lastRevision: 9 });
  expect(second.names.filter((n) => first.names.includes(n) && n !== `${BASE}/header`)).toEqual([]);
});

test('torn parts are reported, not silently used', async () => {
  await store().claim(OWNER, { ids: Array.from({ length: 100 }, (_, i) => `t${i}`.padEnd(100, 'w')) });
  const part = [...params.keys()].find((n) => n !== `${BASE}/header`)!;
  params.delete(part);
  await expect(store().read()).rejects.toThrow(/incomplete or corrupt/);
});

test('remove deletes every parameter in batches of ten', async () => {
  await store().claim(OWNER, { ids: Array.from({ length: 100 }, (_, i) => `r${i}`.padEnd(100, 'v')) });
  await store().remove();
  expect(params.size).toBe(0);
});

test('the holder claiming again with a different split snapshot never corrupts the stored one', async () => {
  const big = (tag: string) => Array.from({ length: 100 }, (_, i) => `${tag}-${i}`.padEnd(100, 'k'));
  await store().claim(OWNER, { ids: big('first') });
  const again = await store().claim(OWNER, { ids: big('second') });
  expect(again.record.snapshot.ids).toEqual(big('first'));
  expect((await store().read()).record!.snapshot.ids).toEqual(big('first'));
  // The losing parts were cleaned up: only the header and the first generation remain.
  expect(new Set([...params.keys()].map((n) => n.split('/').slice(0, -1).join('/'))).size).toBe(2);
});

test('saving new bookkeeping with an unchanged split snapshot rewrites the header only', async () => {
  const ids = Array.from({ length: 100 }, (_, i) => `s${i}`.padEnd(100, 'u'));
  const s = store();
  const claimed = await s.claim(OWNER, { ids });
  const partsBefore = [...params.entries()].filter(([n]) => n !== `${BASE}/header`);
  ssmMock.resetHistory();
  await s.save({ ...claimed.record, meta: { lastRevision: 42 } }, claimed.names);
  expect(ssmMock).toHaveReceivedCommandTimes(PutParameterCommand, 1);
  expect(ssmMock).toHaveReceivedCommandWith(PutParameterCommand, { Name: `${BASE}/header`, Overwrite: true });
  expect([...params.entries()].filter(([n]) => n !== `${BASE}/header`)).toEqual(partsBefore);
  const { record } = await store().read();
  expect(record).toEqual({ owner: OWNER, snapshot: { ids }, meta: { lastRevision: 42 } });
});
