import {
  DeleteParameterCommand,
  DeleteParametersCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  HierarchyLevelLimitExceededException,
  InvalidNextToken,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
  ValidationException,
} from '@aws-sdk/client-ssm';
import { type Emulator, startEmulator } from '../../emulator';
import { rejection } from '../support/rejection';

let emulator: Emulator;
let client: SSMClient;

beforeAll(async () => {
  emulator = await startEmulator({ region: 'eu-west-1' });
  client = new SSMClient({ ...emulator.clientConfig(), maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await emulator.close();
});
beforeEach(() => emulator.reset());

const put = (Name: string, Value: string, Overwrite?: boolean, Tier?: 'Standard' | 'Advanced' | 'Intelligent-Tiering') =>
  client.send(new PutParameterCommand({ Name, Value, Type: 'String', Overwrite, Tier }));

test('PutParameter creates, GetParameter reads it back with Version, ARN and a Date', async () => {
  expect(await put('/app/a', 'one')).toMatchObject({ Version: 1, Tier: 'Standard' });
  const { Parameter } = await client.send(new GetParameterCommand({ Name: '/app/a' }));
  expect(Parameter).toMatchObject({ Name: '/app/a', Value: 'one', Type: 'String', Version: 1, ARN: 'arn:aws:ssm:eu-west-1:123456789012:parameter/app/a' });
  expect(Parameter!.LastModifiedDate).toBeInstanceOf(Date);
  expect(Math.abs(Parameter!.LastModifiedDate!.getTime() - Date.now())).toBeLessThan(5000);
});

test('Overwrite=false on an existing name is ParameterAlreadyExists; Overwrite=true bumps the Version', async () => {
  await put('/app/a', 'one', false);
  const err = await rejection(put('/app/a', 'two', false));
  expect(err).toBeInstanceOf(ParameterAlreadyExists);
  expect(err.message).toMatch(/already exists/);
  expect(await rejection(put('/app/a', 'two'))).toBeInstanceOf(ParameterAlreadyExists);
  expect(await put('/app/a', 'two', true)).toMatchObject({ Version: 2 });
  expect(emulator.ssm.get('/app/a')?.Value).toBe('two');
});

test('a Standard value over 4096 bytes is a ValidationException; 4096 fits; Advanced and Intelligent-Tiering take more', async () => {
  await put('/app/max', 'x'.repeat(4096));
  const err = await rejection(put('/app/big', 'x'.repeat(4097)));
  expect(err).toBeInstanceOf(ValidationException);
  expect(err.message).toMatch(/4096/);
  expect(emulator.ssm.get('/app/big')).toBeUndefined();
  // Multi-byte characters count in bytes (UNVERIFIED, the stricter reading).
  expect(await rejection(put('/app/utf8', 'é'.repeat(2049)))).toBeInstanceOf(ValidationException);
  expect(await put('/app/adv', 'x'.repeat(5000), false, 'Advanced')).toMatchObject({ Tier: 'Advanced' });
  expect(await put('/app/it', 'x'.repeat(5000), false, 'Intelligent-Tiering')).toMatchObject({ Tier: 'Advanced' });
  expect(await rejection(put('/app/huge', 'x'.repeat(8193), false, 'Advanced'))).toBeInstanceOf(ValidationException);
});

test('names are validated', async () => {
  expect(await rejection(put('/bad name', 'v'))).toBeInstanceOf(ValidationException);
  expect(await rejection(put('/aws/reserved', 'v'))).toBeInstanceOf(ValidationException);
  expect(await rejection(put('no/leading/slash', 'v'))).toBeInstanceOf(ValidationException);
  expect(await rejection(put(`/${Array.from({ length: 16 }, (_, i) => `l${i}`).join('/')}`, 'v'))).toBeInstanceOf(HierarchyLevelLimitExceededException);
  expect(await rejection(client.send(new PutParameterCommand({ Name: '/app/typeless', Value: 'v' })))).toBeInstanceOf(ValidationException);
});

test('GetParametersByPath: recursive vs direct children, MaxResults paging with NextToken, limits', async () => {
  const names = ['/base/header', '/base/g-1/0', '/base/g-1/1', '/base/g-1/2', '/other/x', '/basement/y'];
  for (let i = 0; i < 12; i++) names.push(`/base/g-2/${String(i).padStart(2, '0')}`);
  for (const n of names) emulator.ssm.seed(n, `value of ${n}`);

  const collect = async (Recursive: boolean, MaxResults?: number) => {
    const out: string[] = [];
    let NextToken: string | undefined;
    let pages = 0;
    do {
      const page = await client.send(new GetParametersByPathCommand({ Path: '/base', Recursive, MaxResults, NextToken }));
      out.push(...page.Parameters!.map((p) => p.Name!));
      expect(page.Parameters!.length).toBeLessThanOrEqual(MaxResults ?? 10);
      NextToken = page.NextToken;
      pages++;
    } while (NextToken);
    return { out, pages };
  };
  const recursive = await collect(true, 10);
  expect(recursive.out.sort()).toEqual(names.filter((n) => n.startsWith('/base/')).sort());
  expect(recursive.pages).toBe(2);
  expect((await collect(true, 3)).pages).toBe(6);
  expect((await collect(false)).out).toEqual(['/base/header']);
  expect(await rejection(client.send(new GetParametersByPathCommand({ Path: '/base', MaxResults: 11 })))).toBeInstanceOf(ValidationException);
  expect(await rejection(client.send(new GetParametersByPathCommand({ Path: '/base', NextToken: 'nope' })))).toBeInstanceOf(InvalidNextToken);
});

test('paging survives deletions between pages (the cursor is the last name returned)', async () => {
  for (let i = 0; i < 6; i++) emulator.ssm.seed(`/p/${i}`, 'v');
  const first = await client.send(new GetParametersByPathCommand({ Path: '/p', Recursive: true, MaxResults: 3 }));
  await client.send(new DeleteParametersCommand({ Names: ['/p/0', '/p/1'] }));
  const second = await client.send(new GetParametersByPathCommand({ Path: '/p', Recursive: true, MaxResults: 3, NextToken: first.NextToken }));
  expect(second.Parameters!.map((p) => p.Name)).toEqual(['/p/3', '/p/4', '/p/5']);
});

test('DeleteParameters reports deleted and invalid names; DeleteParameter of a missing name is ParameterNotFound', async () => {
  emulator.ssm.seed('/d/a', '1');
  emulator.ssm.seed('/d/b', '2');
  const out = await client.send(new DeleteParametersCommand({ Names: ['/d/a', '/d/missing', '/d/b'] }));
  expect(out.DeletedParameters).toEqual(['/d/a', '/d/b']);
  expect(out.InvalidParameters).toEqual(['/d/missing']);
  expect(emulator.ssm.names('/d')).toEqual([]);
  expect(await rejection(client.send(new DeleteParametersCommand({ Names: Array.from({ length: 11 }, (_, i) => `/d/${i}`) })))).toBeInstanceOf(ValidationException);
  expect(await rejection(client.send(new DeleteParameterCommand({ Name: '/d/a' })))).toBeInstanceOf(ParameterNotFound);
  expect(await rejection(client.send(new GetParameterCommand({ Name: '/d/a' })))).toBeInstanceOf(ParameterNotFound);
  emulator.ssm.seed('/d/c', '3');
  await client.send(new DeleteParameterCommand({ Name: '/d/c' }));
  expect(emulator.ssm.snapshot()).toEqual({});
});

test('snapshot() gives the stored values under a prefix', async () => {
  await put('/s/a', '1');
  await put('/s/b/c', '2');
  await put('/t', '3');
  expect(emulator.ssm.snapshot('/s/')).toEqual({ '/s/a': '1', '/s/b/c': '2' });
});
