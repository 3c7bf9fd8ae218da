// The lifecycle engine on its own, with a tiny fake kind: one string setting in memory, whose reads, plan, write and
// undo are a few lines each, over the real state store (behind an in-memory Parameter Store).
import 'aws-sdk-client-mock-jest';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { OnDelete } from '../../lib/common/on-delete';
import { type EnginePlan, type Kind, handle } from '../../lambda/common/engine';
import { OperatorError } from '../../lambda/common/errors';
import { ownership, requesterOf } from '../../lambda/common/plan';
import { StateStore } from '../../lambda/common/state-store';
import { OTHER_STACK_ID, STACK_ID, createEvent, deleteEvent, fakeContext, serveStack, updateEvent } from '../fixtures/events';
import { fakeParameterStore } from '../fixtures/fake-ssm';

const TYPE = 'Custom::Fake';
const BASE = '/cdk-connection-sharing/fake';
const ssmMock = mockClient(SSMClient);
let params: Map<string, string>;
/** The managed settings, by key. */
let settings: Map<string, string>;
/** Make the next write land, then fail (as a write whose later step fails). */
let failAfterWrite: boolean;
/** The live read fails with this (e.g. the setting is gone). */
let readFailure: Error | undefined;
let reads: number;

interface Desired {
  key: string;
  value: string;
}
interface Snapshot {
  found?: string;
}
interface Plan extends EnginePlan {
  target?: string;
  snapshot: Snapshot;
  applied: string;
  record: boolean;
}

class GoneError extends OperatorError {}

const fakeKind = (): Kind<Desired, Snapshot, { live?: string }, Plan, { wrote?: string }, { restore?: string }> => ({
  field: 'key',
  saveRecord: 'afterWrites',
  texts: { event: 'event', replacement: 'replacement', unknownId: 'unknown id' },
  parse(props) {
    if (typeof props.Value !== 'string' || props.Value === '') throw new OperatorError('Property Value must be a non-empty string.');
    return { key: String(props.Key), value: props.Value };
  },
  keyOf: (d) => d.key,
  managedKey: (event) => event.PhysicalResourceId.replace(/^fake:/, ''),
  deleteKey: (id) => (id.startsWith('fake:') ? id.slice(5) : undefined),
  onDeleteOf: (props) => (props.OnDelete === 'RETAIN' ? OnDelete.RETAIN : OnDelete.RESTORE),
  store: (key) => new StateStore<Snapshot>(new SSMClient({ region: 'eu-west-1' }), `${BASE}/${key}`, `the fake setting ${key}`),
  async read(d) {
    reads++;
    if (readFailure) throw readFailure;
    return { live: settings.get(d.key) };
  },
  plan({ desired, event, reads: r, stored, claim }) {
    const held = claim ? { record: claim.record, owner: claim.record.owner } : stored;
    const rel = ownership(held?.owner, requesterOf(event));
    const record = rel === 'ours' || rel === 'stale' ? held?.record : undefined;
    const target = r.live === desired.value ? undefined : desired.value;
    const action = rel === 'other' ? 'blocked' : target ? 'update' : 'none';
    return { action, ownership: rel, reason: rel === 'other' ? 'held by another' : undefined, target, snapshot: record?.snapshot ?? { found: r.live }, applied: desired.value, record: record?.meta.applied !== desired.value };
  },
  claimOf: (_d, r, plan) => ({ snapshot: { found: r.live }, meta: { applied: plan.applied } }),
  recordOf: (plan) => (plan.record ? { snapshot: plan.snapshot, meta: { applied: plan.applied } } : undefined),
  warnNoState: () => undefined,
  planLog: (plan) => ({ target: plan.target }),
  newTrace: () => ({}),
  async write({ desired, plan, trace }) {
    if (plan.target !== undefined) {
      settings.set(desired.key, plan.target);
      trace.wrote = plan.target;
    }
    if (failAfterWrite) {
      failAfterWrite = false;
      throw new OperatorError('the step after the write failed.');
    }
    return { PhysicalResourceId: `fake:${desired.key}`, Data: { Value: desired.value } };
  },
  async undo({ desired, reads: r, trace, cause, release }) {
    // Only over this invocation's own write: someone else's later value stays.
    const own = trace.wrote !== undefined && settings.get(desired.key) === trace.wrote;
    if (own) {
      if (r.live === undefined) settings.delete(desired.key);
      else settings.set(desired.key, r.live);
    }
    await release();
    return new OperatorError(`${(cause as Error).message} ${own ? 'Undone.' : 'Nothing of ours to undo.'}`);
  },
  cannotApplyNow: (err) => err instanceof GoneError,
  lastApplied: (record, d) => record.meta.applied === d.value,
  declared: (d) => `the value ${d.value} of ${d.key}`,
  data: (d) => ({ Value: d.value }),
  async planDelete({ stored, event, onDelete }) {
    if (!stored.record || ownership(stored.owner, requesterOf(event)) !== 'ours') return undefined;
    return { restore: onDelete === OnDelete.RESTORE ? (stored.record.snapshot.found ?? '') : undefined };
  },
  async applyDelete(key, plan) {
    if (plan.restore === '') settings.delete(key);
    else if (plan.restore !== undefined) settings.set(key, plan.restore);
  },
});

const props = (value: string, key = 'k1') => ({ Key: key, Value: value });
const create = (value: string, logicalId?: string) => handle(fakeKind(), createEvent(TYPE, props(value), logicalId), fakeContext());
const update = (value: string, old: string) => handle(fakeKind(), updateEvent(TYPE, 'fake:k1', props(value), props(old)), fakeContext());
const del = (value: string, extra: Record<string, unknown> = {}) => handle(fakeKind(), deleteEvent(TYPE, 'fake:k1', { ...props(value), ...extra }), fakeContext());
const header = () => params.get(`${BASE}/k1/header`);

beforeEach(() => {
  serveStack();
  ssmMock.reset();
  ssmMock.onAnyCommand().rejects(new Error('unexpected SSM call'));
  params = new Map();
  fakeParameterStore(ssmMock, params);
  settings = new Map([['k1', 'original']]);
  failAfterWrite = false;
  readFailure = undefined;
  reads = 0;
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

afterEach(() => jest.restoreAllMocks());

test('Create claims the setting with a snapshot of what was there, then writes', async () => {
  await expect(create('mine')).resolves.toEqual({ PhysicalResourceId: 'fake:k1', Data: { Value: 'mine' } });
  expect(settings.get('k1')).toBe('mine');
  const h = JSON.parse(header()!);
  expect(h.owner).toEqual({ stackId: STACK_ID, logicalResourceId: 'Resource1' });
  expect(JSON.parse(h.inline)).toEqual({ found: 'original' });
  // One create-only write is the claim and the snapshot at once.
  expect(ssmMock).toHaveReceivedCommandTimes(PutParameterCommand, 1);
});

test('a failed Create undoes its own write and releases its claim', async () => {
  failAfterWrite = true;
  await expect(create('mine')).rejects.toThrow('the step after the write failed. Undone.');
  expect(settings.get('k1')).toBe('original');
  expect(params.size).toBe(0);
});

test('a repeated Create keeps the snapshot taken before its first write', async () => {
  await create('mine');
  await create('mine');
  expect(JSON.parse(JSON.parse(header()!).inline)).toEqual({ found: 'original' });
  await del('mine');
  expect(settings.get('k1')).toBe('original');
  expect(params.size).toBe(0);
});

test('a setting another resource claimed is refused before any write', async () => {
  await create('theirs', 'Other');
  await expect(create('mine')).rejects.toThrow('the fake setting k1 is already managed by resource Other of stack ExampleStack');
  expect(settings.get('k1')).toBe('theirs');
});

test('an event for another stack is refused before any read or write', async () => {
  await expect(handle(fakeKind(), { ...createEvent(TYPE, props('mine')), StackId: OTHER_STACK_ID }, fakeContext())).rejects.toThrow(/^Refused: this Create event/);
  expect(reads).toBe(0);
  expect(ssmMock.calls()).toHaveLength(0);
  expect(settings.get('k1')).toBe('original');
});

test('an Update that cannot be applied succeeds with a warning only when it declares what was last applied', async () => {
  await create('one');
  readFailure = new GoneError('the setting is gone.');
  await expect(update('two', 'one')).rejects.toThrow('the setting is gone.');
  await expect(update('one', 'two')).resolves.toEqual({
    PhysicalResourceId: 'fake:k1',
    Data: { Value: 'one', Warning: 'Nothing was written: the value one of k1 are what this resource last applied, and they cannot be applied again now: the setting is gone.' },
  });
});

test('Delete restores what the claim found; RETAIN leaves it; another resource\'s state is left alone', async () => {
  await create('one', 'Other');
  await del('one');
  expect(header()).toBeDefined();
  expect(settings.get('k1')).toBe('one');
  params.clear();
  await create('two');
  await del('two', { OnDelete: 'RETAIN' });
  expect(settings.get('k1')).toBe('two');
  expect(params.size).toBe(0);
});
