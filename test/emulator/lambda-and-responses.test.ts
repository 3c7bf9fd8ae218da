import { execFile } from 'child_process';
import * as https from 'https';
import * as path from 'path';
import { promisify } from 'util';
import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { type Emulator, startEmulator } from '../../emulator';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');
// By file path: aws-cdk-lib's package exports do not expose the framework's runtime files.
const RUNTIME = path.join(path.dirname(require.resolve('aws-cdk-lib/package.json')), 'custom-resources', 'lib', 'provider-framework', 'runtime');
const FRAMEWORK = path.join(RUNTIME, 'framework.js');
const CFN_RESPONSE = path.join(RUNTIME, 'cfn-response.js');
const USER_FN_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:user-on-event';

let emulator: Emulator;
let lambda: LambdaClient;

beforeAll(async () => {
  emulator = await startEmulator();
  lambda = new LambdaClient({ ...emulator.clientConfig(), maxAttempts: 1 });
});
afterAll(async () => {
  lambda.destroy();
  await emulator.close();
});
beforeEach(() => emulator.reset());

/** Runs a node snippet in a child process, asynchronously: a synchronous spawn would block the emulator it talks to. */
async function node(script: string, env: Record<string, string>, args: string[] = []): Promise<{ stdout: string; stderr: string }> {
  // Only what the child needs from this process; no AWS_* of the developer's shell leaks in.
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };
  return run(process.execPath, ['-e', script, ...args], { cwd: ROOT, env: { ...base, ...env }, timeout: 60_000 });
}

describe('Lambda Invoke', () => {
  test('returns the function result as the payload, by name or ARN, and passes the parsed event', async () => {
    const seen: unknown[] = [];
    emulator.lambda.register(USER_FN_ARN, async (event, context) => {
      seen.push(event);
      expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
      return { PhysicalResourceId: 'pid-1', Data: { Answer: '42' } };
    });
    for (const FunctionName of [USER_FN_ARN, 'user-on-event', `${USER_FN_ARN}:$LATEST`]) {
      const out = await lambda.send(new InvokeCommand({ FunctionName, Payload: Buffer.from(JSON.stringify({ RequestType: 'Create' })) }));
      expect(out.StatusCode).toBe(200);
      expect(out.FunctionError).toBeUndefined();
      expect(JSON.parse(Buffer.from(out.Payload!).toString())).toEqual({ PhysicalResourceId: 'pid-1', Data: { Answer: '42' } });
    }
    expect(seen).toEqual([{ RequestType: 'Create' }, { RequestType: 'Create' }, { RequestType: 'Create' }]);
    expect(emulator.log.list('Invoke')[0]).toMatchObject({ service: 'Lambda', input: { FunctionName: USER_FN_ARN, Payload: { RequestType: 'Create' } }, status: 200 });
  });

  test('a thrown error is HTTP 200 with FunctionError Unhandled and {errorType, errorMessage, trace}', async () => {
    emulator.lambda.register('failing', async () => {
      const err = new Error('could not do it');
      err.name = 'OperatorError';
      throw err;
    });
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'failing', Payload: Buffer.from('{}') }));
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe('Unhandled');
    const payload = JSON.parse(Buffer.from(out.Payload!).toString());
    expect(payload).toMatchObject({ errorType: 'OperatorError', errorMessage: 'could not do it' });
    expect(payload.trace[0]).toBe('OperatorError: could not do it');
    expect(emulator.log.list('Invoke')[0].errorType).toBe('FunctionError');
  });

  test('an unknown function is ResourceNotFoundException', async () => {
    await expect(lambda.send(new InvokeCommand({ FunctionName: 'nope' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('CloudFormation response receiver (HTTPS)', () => {
  function put(url: string, body: string, port?: number): Promise<number> {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const req = https.request(
        { hostname: u.hostname, port: port ?? u.port, path: `${u.pathname}${u.search}`, method: 'PUT', ca: emulator.caCert, headers: { 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  test('records a PUT to a minted ResponseURL, parsed, under its id', async () => {
    const url = emulator.responseUrl('r-1');
    expect(url).toMatch(new RegExp(`^https://127\\.0\\.0\\.1:${emulator.httpsPort}/cfn-response/r-1\\?.*X-Amz-Signature=`));
    const waiting = emulator.waitForCfnResponse('r-1', 5000);
    expect(await put(url, JSON.stringify({ Status: 'SUCCESS', PhysicalResourceId: 'p' }))).toBe(200);
    const response = await waiting;
    expect(response).toMatchObject({ id: 'r-1', body: { Status: 'SUCCESS', PhysicalResourceId: 'p' } });
    expect(emulator.cfnResponses).toHaveLength(1);
  });

  test('failCfnResponses answers 5xx without recording', async () => {
    emulator.faults.failCfnResponses(1, 503);
    expect(await put(emulator.responseUrl('r-2'), '{}')).toBe(503);
    expect(emulator.cfnResponses).toHaveLength(0);
    expect(await put(emulator.responseUrl('r-2'), '{}')).toBe(200);
  });

  test('routeHttpsInProcess lets the framework submitResponse (which drops the port) reach the receiver in this process', async () => {
    const undo = emulator.routeHttpsInProcess();
    try {
      const { submitResponse } = require(CFN_RESPONSE) as { submitResponse(status: string, event: Record<string, unknown>, o?: object): Promise<void> };
      await submitResponse('SUCCESS', {
        ResponseURL: emulator.responseUrl('in-proc'),
        StackId: 'stack',
        RequestId: 'req',
        LogicalResourceId: 'R',
        PhysicalResourceId: 'pid',
        Data: { A: '1' },
      });
    } finally {
      undo();
    }
    expect((await emulator.waitForCfnResponse('in-proc', 5000)).body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'pid', Data: { A: '1' } });
  });
});

describe('the real Provider framework in a child process (childEnv: endpoints, HTTPS routing preload, CA)', () => {
  const script = `
    const framework = require(${JSON.stringify(FRAMEWORK)});
    framework.onEvent(JSON.parse(process.argv[1])).then(() => console.log('DONE'), (e) => { console.error('THROWN', e); process.exit(3); });
  `;
  const event = (id: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      RequestType: 'Create',
      ResponseURL: emulator.responseUrl(id),
      StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/S/1',
      RequestId: `req-${id}`,
      LogicalResourceId: 'Res',
      ResourceType: 'Custom::Thing',
      ResourceProperties: { ServiceToken: 'x', Prop: 'v' },
      ...extra,
    });

  test('Create: framework invokes the user function through the emulator and PUTs SUCCESS to the ResponseURL', async () => {
    const received: unknown[] = [];
    emulator.lambda.register(USER_FN_ARN, async (e) => {
      received.push(e);
      return { PhysicalResourceId: 'pid-42', Data: { Out: 'yes' } };
    });
    const ev = event('fw-1');
    const { stdout } = await node(script, { ...emulator.childEnv(), USER_ON_EVENT_FUNCTION_ARN: USER_FN_ARN }, [ev]);
    expect(stdout).toContain('DONE');
    const response = await emulator.waitForCfnResponse('fw-1', 10_000);
    expect(response.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'pid-42', Data: { Out: 'yes' }, LogicalResourceId: 'Res', RequestId: 'req-fw-1' });
    expect(received).toEqual([expect.objectContaining({ RequestType: 'Create', ResourceProperties: { ServiceToken: 'x', Prop: 'v' } })]);
    // The framework hands the real ResponseURL on to the user function.
    expect((received[0] as { ResponseURL: string }).ResponseURL).toBe(JSON.parse(ev).ResponseURL);
  });

  test('a throwing user function becomes FAILED with the message as Reason and the CREATE_FAILED marker id', async () => {
    emulator.lambda.register(USER_FN_ARN, async () => {
      throw new Error('catalog is managed by another stack');
    });
    emulator.faults.failCfnResponses(1, 500); // the framework retries its PUT
    await node(script, { ...emulator.childEnv(), USER_ON_EVENT_FUNCTION_ARN: USER_FN_ARN }, [event('fw-2')]);
    const response = await emulator.waitForCfnResponse('fw-2', 10_000);
    expect(response.body?.Status).toBe('FAILED');
    expect(response.body?.Reason).toContain('catalog is managed by another stack');
    expect(response.body?.PhysicalResourceId).toBe('AWSCDK::CustomResourceProviderFramework::CREATE_FAILED');
  });
});

describe('endpoint routing by environment variables (no endpoint in the client config)', () => {
  const script = `
    const { PartnerCentralAccountClient, GetConnectionPreferencesCommand } = require('@aws-sdk/client-partnercentral-account');
    const { WorkSpacesClient, DescribeConnectionAliasesCommand } = require('@aws-sdk/client-workspaces');
    const { SSMClient, GetParameterCommand } = require('@aws-sdk/client-ssm');
    const { LambdaClient, InvokeCommand } = require('@aws-sdk/client-lambda');
    (async () => {
      const pc = await new PartnerCentralAccountClient({ region: 'us-east-1', maxAttempts: 1 }).send(new GetConnectionPreferencesCommand({ Catalog: 'AWS' }));
      const ws = await new WorkSpacesClient({ maxAttempts: 1 }).send(new DescribeConnectionAliasesCommand({}));
      const ssm = await new SSMClient({ maxAttempts: 1 }).send(new GetParameterCommand({ Name: '/env/check' }));
      const fn = await new LambdaClient({ maxAttempts: 1 }).send(new InvokeCommand({ FunctionName: 'echo', Payload: '{"x":1}' }));
      console.log(JSON.stringify({ rev: pc.Revision, aliases: ws.ConnectionAliases.length, value: ssm.Parameter.Value, fn: Buffer.from(fn.Payload).toString() }));
    })().catch((e) => { console.error(e); process.exit(2); });
  `;

  beforeEach(() => {
    emulator.ssm.seed('/env/check', 'routed');
    emulator.workspaces.seedAlias();
    emulator.lambda.register('echo', async (p) => p);
  });

  test.each([
    ['the per-service variables alone', (env: Record<string, string>) => ({ ...env, AWS_ENDPOINT_URL: '' })],
    ['the generic AWS_ENDPOINT_URL alone', (env: Record<string, string>) => Object.fromEntries(Object.entries(env).filter(([k]) => !/^AWS_ENDPOINT_URL_/.test(k)))],
  ])('%s', async (_label, shape) => {
    const env = shape(emulator.env());
    const { stdout } = await node(script, env);
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ rev: 1, aliases: 1, value: 'routed', fn: '{"x":1}' });
    expect(emulator.log.countsByOperation()).toEqual({
      'PartnerCentralAccount.GetConnectionPreferences': 1,
      'WorkSpaces.DescribeConnectionAliases': 1,
      'SSM.GetParameter': 1,
      'Lambda.Invoke': 1,
    });
  });

  test('the per-service variable names are the ones the SDK derives from each service id', () => {
    expect(Object.keys(emulator.env())).toEqual(
      expect.arrayContaining(['AWS_ENDPOINT_URL_PARTNERCENTRAL_ACCOUNT', 'AWS_ENDPOINT_URL_WORKSPACES', 'AWS_ENDPOINT_URL_SSM', 'AWS_ENDPOINT_URL_LAMBDA']),
    );
  });
});
