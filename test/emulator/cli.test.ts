import { type ChildProcess, spawn } from 'child_process';
import * as path from 'path';
import { GetConnectionPreferencesCommand, PartnerCentralAccountClient } from '@aws-sdk/client-partnercentral-account';

const ROOT = path.join(__dirname, '..', '..');
let child: ChildProcess | undefined;

afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

test('the standalone CLI prints its URL and env, serves requests, and stops on SIGINT', async () => {
  child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['emulator/cli.ts', '--account', '444455556666'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`CLI did not start:\n${out}`)), 30_000);
    child!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ctrl-C to stop.')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const url = /export AWS_ENDPOINT_URL_PARTNERCENTRAL_ACCOUNT=(\S+)/.exec(out)![1];
  const client = new PartnerCentralAccountClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
  const prefs = await client.send(new GetConnectionPreferencesCommand({ Catalog: 'AWS' }));
  client.destroy();
  expect(prefs.Arn).toBe('arn:aws:partnercentral:us-east-1:444455556666:catalog/AWS/connection-preferences');
  const exit = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  expect(await exit).toBe(0);
});
