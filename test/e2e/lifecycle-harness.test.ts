// The local CloudFormation itself (emulator/cloudformation.ts): what the handler container looks like from inside,
// and that timeouts end in clear errors with every process cleaned up. The lifecycle tests trust these.
import * as fs from 'fs';
import * as path from 'path';
import { type Emulator, startEmulator } from '../../emulator';
import { LocalCloudFormation } from '../../emulator/cloudformation';
import { STACK, synthExample } from '../support/lifecycle';
import { tempDir } from '../support/cdk-cli';

const SHARING = 'Custom::ConnectionAliasSharing';
const ALIAS = 'wsca-abcdefgh12';

let emulator: Emulator;
let dir: string;
let probeDir: string;

beforeAll(async () => {
  dir = synthExample();
  emulator = await startEmulator();
  // A copy of the assembly whose handlers first print what the Lambda environment gives them.
  probeDir = tempDir('e2e-probe');
  fs.cpSync(dir, probeDir, { recursive: true });
  const cfn = await LocalCloudFormation.load({ emulator, assemblyDir: dir, stack: STACK, attributes: { Alias: ALIAS } });
  for (const info of cfn.customResources()) {
    const file = path.join(probeDir, path.relative(dir, info.userFunction.handlerFile));
    fs.renameSync(file, `${file}.real.js`);
    fs.writeFileSync(
      file,
      `const real = require('./${path.basename(file)}.real.js');\n` +
        `exports.handler = async (event, context) => {\n` +
        `  console.log('PROBE ' + JSON.stringify({ pid: process.pid, remaining: context.getRemainingTimeInMillis(), region: process.env.AWS_REGION, fn: process.env.AWS_LAMBDA_FUNCTION_NAME, props: event.ResourceProperties }));\n` +
        // A handler that never answers (ours bound every call by the clock, so only a stuck handler outlives its Timeout).
        `  if (event.ResourceProperties.ProbeHang === 'true') await new Promise(() => {});\n` +
        `  return real.handler(event, context);\n};\n`,
    );
  }
}, 120_000);

afterAll(async () => {
  await emulator?.close();
  for (const d of [dir, probeDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

beforeEach(() => {
  emulator.reset();
  emulator.workspaces.seedAlias({ AliasId: ALIAS });
});

function probe(lines: string[]): { pid: number; remaining: number; region: string; fn: string; props: Record<string, unknown> } {
  const line = lines.find((l) => l.startsWith('PROBE '));
  if (!line) throw new Error(`no PROBE line in ${lines.join('\n')}`);
  return JSON.parse(line.slice('PROBE '.length));
}

test('the handler runs warm in a container with the Lambda environment, the template Timeout and delivered properties', async () => {
  const cfn = await LocalCloudFormation.load({ emulator, assemblyDir: probeDir, stack: STACK, attributes: { Alias: ALIAS } });
  try {
    const sharing = cfn.resource(SHARING);
    const created = await sharing.create();
    const first = probe(created.handlerLogs);
    expect(first).toMatchObject({ region: 'eu-west-1', fn: sharing.info.userFunction.name, props: created.event.ResourceProperties });
    // The template says Timeout: 300.
    expect(first.remaining).toBeGreaterThan(290_000);
    expect(first.remaining).toBeLessThanOrEqual(300_000);

    const warm = probe((await sharing.update({ SharedAccountIds: ['333333333333'] })).update.handlerLogs);
    expect(warm.pid).toBe(first.pid);
    await cfn.coldStart();
    const cold = probe((await sharing.delete()).handlerLogs);
    expect(cold.pid).not.toBe(first.pid);
    expect(emulator.workspaces.permissions(ALIAS)).toEqual([]);
  } finally {
    await cfn.close();
  }
});

test('a handler that outlives its Timeout is killed and the framework answers FAILED; the next event starts a new container', async () => {
  const cfn = await LocalCloudFormation.load({ emulator, assemblyDir: probeDir, stack: STACK, attributes: { Alias: ALIAS }, handlerTimeoutMs: 1_500 });
  try {
    const sharing = cfn.resource(SHARING);
    const timedOut = await sharing.create((p) => ({ ...p, ProbeHang: 'true' }));
    expect(timedOut.response.Status).toBe('FAILED');
    expect(timedOut.response.Reason).toContain('Task timed out after 1.50 seconds');
    const retried = await cfn.send(SHARING, { requestType: 'Create' });
    expect(retried.response.Status).toBe('SUCCESS');
    expect(probe(retried.handlerLogs).pid).not.toBe(probe(timedOut.handlerLogs).pid);
  } finally {
    await cfn.close();
  }
});

test('our handler, a call slower than its whole Timeout: the call is given up in time and the handler answers, saying what to do', async () => {
  const cfn = await LocalCloudFormation.load({ emulator, assemblyDir: dir, stack: STACK, attributes: { Alias: ALIAS }, handlerTimeoutMs: 1_500 });
  try {
    emulator.faults.latency(2_500, 'DescribeConnectionAliases');
    const created = await cfn.resource(SHARING).create();
    expect(created.response.Status).toBe('FAILED');
    expect(created.response.Reason).not.toContain('Task timed out');
    expect(created.response.Reason).toMatch(/DescribeConnectionAliases did not answer within the \d+ s this invocation had left for it .*Retry the deployment/);
    expect(emulator.ssm.names('/cdk-connection-sharing')).toEqual([]);
  } finally {
    emulator.faults.clear();
    await new Promise((r) => setTimeout(r, 2_500));
    await cfn.close();
  }
});

test('an event that outlives eventTimeoutMs rejects with a clear error, and close() leaves no process behind', async () => {
  const cfn = await LocalCloudFormation.load({ emulator, assemblyDir: dir, stack: STACK, attributes: { Alias: ALIAS }, eventTimeoutMs: 1_000 });
  emulator.faults.latency(2_500, 'DescribeConnectionAliases');
  const start = Date.now();
  await expect(cfn.send(SHARING, { requestType: 'Create' })).rejects.toThrow(/AliasSharing\w+ Create did not finish within 1000 ms; killed the framework process/);
  // The handler container is still busy with the abandoned invocation.
  const pids = cfn.processIds();
  expect(pids.length).toBeGreaterThan(0);
  await cfn.close();
  expect(cfn.processIds()).toEqual([]);
  for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  // The emulator still sleeps out the injected latency of the abandoned call: let it, so that jest exits cleanly.
  await new Promise((r) => setTimeout(r, Math.max(0, start + 4_000 - Date.now())));
  await expect(cfn.send(SHARING, { requestType: 'Create' })).rejects.toThrow('closed');
});
