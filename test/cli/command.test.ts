// The command's arguments, output and exit status, without AWS.
import { stripVTControlCharacters } from 'util';
import { parseArgs } from '../../cli/args';
import { RateLimiter } from '../../cli/clients';
import { styleFor, toJson, toText } from '../../cli/format';
import { type PlanReport, type ResourceResult, exitCode, mapLimit, summarize } from '../../cli/plan';

test('arguments: plan [--app DIR] [--stack NAME ...] [--json]; --help; anything else is a usage error', () => {
  expect(parseArgs(['plan'])).toEqual({ command: 'plan', app: 'cdk.out', stacks: [], json: false });
  expect(parseArgs(['plan', '--app', 'out', '--stack', 'A', '--stack=B', '--json', '--app=dist'])).toEqual({ command: 'plan', app: 'dist', stacks: ['A', 'B'], json: true });
  expect(parseArgs(['plan', '--help'])).toEqual({ command: 'help' });
  expect(parseArgs(['-h'])).toEqual({ command: 'help' });
  expect(() => parseArgs([])).toThrow(/no command given/);
  expect(() => parseArgs(['deploy'])).toThrow(/unknown command 'deploy'/);
  expect(() => parseArgs(['plan', '--stack'])).toThrow(/--stack needs a value/);
  expect(() => parseArgs(['plan', '--app', '--json'])).toThrow(/--app needs a value/);
  expect(() => parseArgs(['plan', '--json=yes'])).toThrow(/--json takes no value/);
  expect(() => parseArgs(['plan', 'extra'])).toThrow(/unexpected argument 'extra'/);
});

const row = (action: ResourceResult['action'], extra: Partial<ResourceResult> = {}): ResourceResult => ({
  stack: 'Shop',
  logicalId: `R${action}`,
  path: `Shop/${action}/Resource/Default`,
  resourceType: 'Custom::ConnectionAliasSharing',
  account: '123456789012',
  region: 'eu-west-1',
  action,
  manages: 'alias wsca-abcdefgh12',
  drift: { drifted: false },
  writes: [],
  onDelete: 'unshare 210987654321',
  ...extra,
});
const report = (...resources: ResourceResult[]): PlanReport => ({ resources, summary: summarize(resources), warnings: [], calls: {} });

test('exit status: 3 if any blocked (wins), else 2 for any create, update or unknown, else 0', () => {
  expect(exitCode(summarize([]))).toBe(0);
  expect(exitCode(summarize([row('none')]))).toBe(0);
  expect(exitCode(summarize([row('none'), row('create')]))).toBe(2);
  expect(exitCode(summarize([row('update')]))).toBe(2);
  expect(exitCode(summarize([row('unknown')]))).toBe(2);
  expect(exitCode(summarize([row('create'), row('blocked'), row('unknown')]))).toBe(3);
});

test('--json: one object with the resources and the counts', () => {
  const json = JSON.parse(toJson(report(row('update', { writes: [{ operation: 'UpdateConnectionAliasPermission', summary: 'share 210987654321' }] }), row('unknown', { drift: null, onDelete: null, reason: 'AliasId is Ref X' }))));
  expect(Object.keys(json)).toEqual(['resources', 'summary']);
  expect(json.summary).toEqual({ create: 0, update: 1, delete: 0, none: 0, blocked: 0, unknown: 1 });
  expect(json.resources[0]).toEqual({
    stack: 'Shop',
    logicalId: 'Rupdate',
    path: 'Shop/update/Resource/Default',
    resourceType: 'Custom::ConnectionAliasSharing',
    action: 'update',
    manages: 'alias wsca-abcdefgh12',
    drift: { drifted: false },
    writes: [{ operation: 'UpdateConnectionAliasPermission', summary: 'share 210987654321' }],
    reason: null,
    onDelete: 'unshare 210987654321',
    account: '123456789012',
    region: 'eu-west-1',
  });
  expect(json.resources[1]).toMatchObject({ action: 'unknown', drift: null, onDelete: null, reason: 'AliasId is Ref X' });
});

test('human output: colour only on a terminal and never with NO_COLOR; blocked and drift stand out', () => {
  expect(styleFor({ isTTY: false }, {})).toEqual({ color: false });
  expect(styleFor({ isTTY: true }, {})).toEqual({ color: true });
  expect(styleFor({ isTTY: true }, { NO_COLOR: '1' })).toEqual({ color: false });
  const r = report(
    row('blocked', { reason: 'claimed by resource X of stack Other' }),
    row('update', { drift: { drifted: true, detail: 'declared account(s) 210987654321 were unshared outside the stack' }, writes: [{ operation: 'UpdateConnectionAliasPermission', summary: 'share 210987654321' }] }),
  );
  const plain = toText(r, { color: false });
  expect(plain).toBe(
    [
      'Stack Shop (123456789012 / eu-west-1)',
      '[!] Custom::ConnectionAliasSharing Rblocked  alias wsca-abcdefgh12  blocked',
      '    path      Shop/blocked/Resource/Default',
      '    drift     no',
      '    on delete unshare 210987654321',
      '    blocked   claimed by resource X of stack Other',
      '[~] Custom::ConnectionAliasSharing Rupdate  alias wsca-abcdefgh12  update',
      '    path      Shop/update/Resource/Default',
      '    writes    1. UpdateConnectionAliasPermission: share 210987654321',
      '    drift     yes: declared account(s) 210987654321 were unshared outside the stack',
      '    on delete unshare 210987654321',
      '',
      'The next deploy would FAIL (0 to create, 1 to update, 0 to delete, 0 unchanged, 1 blocked, 0 unknown).',
      '',
    ].join('\n'),
  );
  const coloured = toText(r, { color: true });
  expect(coloured).toContain('\x1b[31m[!]\x1b[39m');
  expect(stripVTControlCharacters(coloured)).toBe(plain);
  expect(toText(report(row('none')), { color: false })).toMatch(/Nothing would change \(0 to create, 0 to update, 0 to delete, 1 unchanged, 0 blocked, 0 unknown\)\.\n$/);
});

test('bounded concurrency keeps the input order', async () => {
  let inFlight = 0;
  let peak = 0;
  const out = await mapLimit([...Array(20).keys()], 4, async (i) => {
    peak = Math.max(peak, ++inFlight);
    await new Promise((r) => setTimeout(r, (20 - i) % 5));
    inFlight--;
    return i * 2;
  });
  expect(out).toEqual([...Array(20).keys()].map((i) => i * 2));
  expect(peak).toBe(4);
});

test('the read pacer lets a burst through, then spaces calls 1/rate apart', async () => {
  let now = 1_000_000;
  const limiter = new RateLimiter(10, 3, () => now);
  const waits: number[] = [];
  const realSetTimeout = global.setTimeout;
  jest.spyOn(global, 'setTimeout').mockImplementation(((fn: () => void, ms: number) => {
    waits.push(ms);
    return realSetTimeout(fn, 0);
  }) as typeof setTimeout);
  for (let i = 0; i < 6; i++) await limiter.take();
  expect(waits).toEqual([100, 200, 300]);
  now += 10_000;
  waits.length = 0;
  await limiter.take();
  expect(waits).toEqual([]);
  jest.restoreAllMocks();
});
