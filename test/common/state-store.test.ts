import { createHash } from 'crypto';
import { ParameterAlreadyExists, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { clock } from '../../lambda/common/sdk';
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

/**
 * 100-character identifiers of pseudo-random characters (the same for the same tag): too much entropy to fit one
 * parameter even compressed, so ~10 KB of them must be split across parameters.
 */
function randomIds(n: number, tag = ''): string[] {
  const noise = (i: number, k: number) => createHash('sha256').update(`${tag}|${i}|${k}`).digest('base64').replace(/[+/=]/g, '-');
  return Array.from({ length: n }, (_, i) => `${tag}${noise(i, 0)}${noise(i, 1)}${noise(i, 2)}`.slice(0, 100));
}

const store = () => new StateStore<{ ids: string[] }>(new SSMClient({ region: 'us-east-1' }), BASE, 'the preferences of catalog AWS');

beforeEach(() => {
  params = new Map();
  fakeSsm();
});

test('a small snapshot is stored inline in the header, in one write', async () => {
  const { outcome } = await store().claim(OWNER, { ids: ['a', 'b'] }, { lastRevision: 3 });
  expect(outcome).toBe('created');
  expect([...params.keys()]).toEqual([`${BASE}/header`]);
  expect(ssmMock).toHaveReceivedCommandTimes(PutParameterCommand, 1);
  expect(ssmMock).toHaveReceivedCommandWith(PutParameterCommand, { Name: `${BASE}/header`, Overwrite: false });
  const { record } = await store().read();
  expect(record).toEqual({ owner: OWNER, snapshot: { ids: ['a', 'b'] }, meta: { lastRevision: 3 } });
});

test('a large snapshot is split across numbered parameters and rejoined exactly', async () => {
  const ids = randomIds(100);
  await store().claim(OWNER, { ids });
  const parts = [...params.keys()].filter((n) => n !== `${BASE}/header`);
  expect(parts.length).toBeGreaterThanOrEqual(Math.ceil((JSON.stringify({ ids }).length * 0.75) / PART_CHARS));
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
  expect(again.outcome).toBe('ours');
  expect(again.record.snapshot).toEqual({ ids: ['before'] });
});

test('a claim on a setting held by another owner fails, names the holder, and leaves its state intact', async () => {
  const big = randomIds(100, `id-`);
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
  const big = (tag: string) => randomIds(100, `${tag}-`);
  await store().claim(OWNER, { ids: big('one') });
  const first = await store().read();
  await store().save({ ...first.record!, snapshot: { ids: big('two') }, meta: { lastRevision: 9 } }, first.names);
  const second = await store().read();
  expect(second.record!.snapshot.ids).toEqual(big('two'));
  expect(second.record!.meta).toEqual({ lastRevision: 9 });
  expect(second.names.filter((n) => first.names.includes(n) && n !== `${BASE}/header`)).toEqual([]);
});

test('torn parts are reported, not silently used', async () => {
  await store().claim(OWNER, { ids: randomIds(100, `t`) });
  const part = [...params.keys()].find((n) => n !== `${BASE}/header`)!;
  params.delete(part);
  await expect(store().read()).rejects.toThrow(/cannot be read: its header points at \d+ part\(s\) under .*, and \d+ of them are there/);
});

test('remove deletes every parameter in batches of ten', async () => {
  await store().claim(OWNER, { ids: randomIds(100, `r`) });
  await store().remove();
  expect(params.size).toBe(0);
});

test('the holder claiming again with a different split snapshot never corrupts the stored one', async () => {
  const big = (tag: string) => randomIds(100, `${tag}-`);
  await store().claim(OWNER, { ids: big('first') });
  const again = await store().claim(OWNER, { ids: big('second') });
  expect(again.record.snapshot.ids).toEqual(big('first'));
  expect((await store().read()).record!.snapshot.ids).toEqual(big('first'));
  // The losing parts were cleaned up: only the header and the first generation remain.
  expect(new Set([...params.keys()].map((n) => n.split('/').slice(0, -1).join('/'))).size).toBe(2);
});

test('saving new bookkeeping with an unchanged split snapshot rewrites the header only', async () => {
  const ids = randomIds(100, `s`);
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

test('a typical list of 100 identifiers is compressed into the header: one write', async () => {
  // Identifiers with 128 random bits each, as generated ids have: 4.7 KB of text, about 1.6 KB of entropy.
  const ids = Array.from({ length: 100 }, (_, i) => `participant-${createHash('sha256').update(String(i)).digest('hex').slice(0, 32)}`);
  expect(JSON.stringify({ ids }).length).toBeGreaterThan(PART_CHARS);
  const { outcome } = await store().claim(OWNER, { ids });
  expect(outcome).toBe('created');
  expect([...params.keys()]).toEqual([`${BASE}/header`]);
  expect(ssmMock).toHaveReceivedCommandTimes(PutParameterCommand, 1);
  expect(JSON.parse(params.get(`${BASE}/header`)!).enc).toBe('gzip');
  expect((await store().read()).record!.snapshot.ids).toEqual(ids);
});

describe('stale claims', () => {
  const EARLIER = { stackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/A/0', logicalResourceId: 'Prefs' };

  test('the same logical id of an earlier stack of the same name is taken over, keeping its snapshot', async () => {
    await store().claim(EARLIER, { ids: ['found-before-the-first-create'] }, { applied: 'x' });
    const claim = await store().claim(OWNER, { ids: ['what-is-there-now'] }, { applied: 'y' });
    expect(claim.outcome).toBe('takeover');
    expect(claim.previous).toEqual({ owner: EARLIER, snapshot: { ids: ['found-before-the-first-create'] }, meta: { applied: 'x' } });
    const { record } = await store().read();
    expect(record).toEqual({ owner: OWNER, snapshot: { ids: ['found-before-the-first-create'] }, meta: { applied: 'y' } });
  });

  test.each([
    ['another stack name', { stackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/B/0', logicalResourceId: 'Prefs' }],
    ['another Region', { stackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/A/0', logicalResourceId: 'Prefs' }],
    ['another logical id', { stackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/A/0', logicalResourceId: 'Other' }],
  ])('%s is a live holder: the claim is refused', async (_, holder) => {
    await store().claim(holder, { ids: ['theirs'] });
    await expect(store().claim(OWNER, { ids: ['mine'] })).rejects.toThrow(/already managed by resource .* Only one resource may manage it, so nothing was changed/);
    expect((await store().read()).record!.owner).toEqual(holder);
  });
});

test('a name deleted moments ago (create-only write refused, no header): waits and claims it', async () => {
  clock.begin({ getRemainingTimeInMillis: () => 60_000 });
  let refusals = 1;
  ssmMock.on(PutParameterCommand).callsFake((input) => {
    if (!input.Overwrite && refusals-- > 0) throw new ParameterAlreadyExists({ message: 'deleted moments ago', $metadata: {} });
    params.set(input.Name, input.Value);
    return { Version: 1 };
  });
  const started = Date.now();
  const { outcome } = await store().claim(OWNER, { ids: ['a'] });
  expect(outcome).toBe('created');
  expect(Date.now() - started).toBeGreaterThanOrEqual(2_500);
  expect(ssmMock).toHaveReceivedCommandTimes(PutParameterCommand, 2);
});

test('the re-create window outlasting the invocation: fails saying so, leaving nothing', async () => {
  clock.begin({ getRemainingTimeInMillis: () => 1_000 });
  ssmMock.on(PutParameterCommand).rejects(new ParameterAlreadyExists({ message: 'deleted moments ago', $metadata: {} }));
  await expect(store().claim(OWNER, { ids: ['a'] })).rejects.toThrow(/still refuses to re-create .*deleted moments ago.*Retry the deployment/);
  expect([...params.keys()]).toEqual([]);
});

describe('defect 5: an unreadable or partial state record fails at once', () => {
  beforeEach(() => clock.begin({ getRemainingTimeInMillis: () => 60_000 }));

  test.each([
    ['a part deleted by hand (a partial delete-parameters)', async () => {
      await store().claim(OTHER, { ids: randomIds(100, 'p') });
      params.delete([...params.keys()].find((n) => n !== `${BASE}/header`)!);
    }, /its header points at \d+ part\(s\) under .*, and \d+ of them are there/, true],
    ['a header that is not JSON', async () => void params.set(`${BASE}/header`, '{"v":2,"owner":{"stackId'), /its header .*\/header is not valid JSON/, false],
    ['a header without its owner', async () => void params.set(`${BASE}/header`, JSON.stringify({ v: 2, sha256: 'x', gen: '', parts: 0, inline: '{}' })), /lacks its owner/, false],
    ['a snapshot that does not match its checksum', async () => {
      await store().claim(OTHER, { ids: ['a'] });
      const h = JSON.parse(params.get(`${BASE}/header`)!);
      params.set(`${BASE}/header`, JSON.stringify({ ...h, inline: '{"ids":["b"]}' }));
    }, /does not match the checksum/, true],
  ])('%s: the claim fails without waiting, naming the path, the owner and what to delete', async (_name, setup, why, ownerKnown) => {
    await setup();
    const before = new Set(params.keys());
    const started = Date.now();
    const err = (await store().claim(OWNER, { ids: randomIds(100, 'mine') }).catch((e: Error) => e)) as Error;
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(err.name).toBe('UnreadableStateError');
    expect(err.message).toMatch(why);
    expect(err.message).toContain(`The saved state of the preferences of catalog AWS under ${BASE} in us-east-1 cannot be read`);
    if (ownerKnown) expect(err.message).toContain(`belongs to resource Prefs of stack B (${OTHER.stackId})`);
    else expect(err.message).toContain('does not say which resource owns it');
    expect(err.message).toContain(`aws ssm delete-parameters --region us-east-1 --names ${[...before].join(' ')}`);
    expect(err.message.length).toBeLessThan(1500);
    // The claim's own parts are gone again: only what was there before is left, for the operator to delete.
    expect(new Set(params.keys())).toEqual(before);
    // No second create-only attempt: it did not wait for a re-create window.
    expect(ssmMock.commandCalls(PutParameterCommand).filter((c) => c.args[0].input.Name === `${BASE}/header` && !c.args[0].input.Overwrite).length).toBeLessThanOrEqual(ownerKnown ? 2 : 1);
  });
});
