// The batched reads of ConnectionAliasAssociation resources (cli/reads.ts) against the emulator, in process: the plan
// read in batches is the plan read one resource at a time (the handler's reads), and the aliases of both WorkSpaces
// kinds in one Region are read in one DescribeConnectionAliases batch.
import * as fs from 'fs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { App, CustomResource, Stack } from 'aws-cdk-lib';
import { type Emulator, startEmulator } from '../../emulator';
import { ConnectionAliasSharing } from '../../lib';
import { StateStore } from '../../lambda/common/state-store';
import { statePath } from '../../lambda/workspaces-association/preview';
import { runPlan } from '../../cli/plan';
import { tempDir } from '../support/cdk-cli';

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const OTHER = '333333333333';
const N = 24; // with the sharing's alias, more than one DescribeConnectionAliases batch of 25
const alias = (i: number) => `wsca-assoc${String(i).padStart(5, '0')}`;
const directory = (i: number) => `d-${String(1000000000 + i)}`;
const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Assoc/00000000-1111-2222-3333-444444444444`;
const ASSOCIATION = 'Custom::ConnectionAliasAssociation';

let emulator: Emulator;
let dir: string;
const saved = { ...process.env };

beforeAll(async () => {
  emulator = await startEmulator({ region: REGION });
  Object.assign(process.env, emulator.env(), { AWS_REGION: REGION });
  dir = tempDir('plan-assoc-batch');
  const app = new App({ outdir: dir });
  const stack = new Stack(app, 'Assoc', { env: { account: ACCOUNT, region: REGION } });
  for (let i = 0; i < N; i++) {
    new CustomResource(stack, `Assoc${i}`, {
      serviceToken: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:association-handler`,
      resourceType: ASSOCIATION,
      properties: { AliasId: alias(i), DirectoryId: directory(i) },
    });
  }
  // The owner associating its own alias: the sharing of alias 0 is read in the same batch.
  new ConnectionAliasSharing(stack, 'Share', { aliasId: alias(0), sharedAccountIds: ['210987654321'] });
  app.synth();
}, 60_000);

afterAll(async () => {
  process.env = saved;
  await emulator.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function seed(): Promise<void> {
  emulator.reset();
  const ssm = new SSMClient({ ...emulator.clientConfig(REGION), maxAttempts: 3 });
  const template = JSON.parse(fs.readFileSync(`${dir}/Assoc.template.json`, 'utf8')) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  const ids = Object.keys(template.Resources);
  // A CustomResource's logical id is its construct id (its CfnResource child is `Default`).
  const idOf = (i: number) => ids.find((id) => id === `Assoc${i}`)!;
  const ref = { stackId: STACK_ID, stackName: 'Assoc', region: REGION };
  for (let i = 0; i < N; i++) {
    // Every 4th: deployed and associated (none); +1: associated outside (adopt: create); +2: another account's
    // (blocked); +3: fresh (create). Every 6th deployed one lost its association (drift: update). The last is missing.
    if (i === N - 1) continue;
    emulator.workspaces.seedAlias({ AliasId: alias(i) });
    if (i % 4 === 0) {
      await new StateStore(ssm, statePath(alias(i)), alias(i)).claim({ stackId: STACK_ID, logicalResourceId: idOf(i) }, { adopted: false }, { directoryId: directory(i) });
      emulator.cloudFormation.recordResource(ref, { logicalId: idOf(i), physicalId: alias(i), resourceType: ASSOCIATION });
      if (i % 6 !== 0 || i === 0) emulator.workspaces.associate(alias(i), ACCOUNT, directory(i));
    }
    if (i % 4 === 1) emulator.workspaces.associate(alias(i), ACCOUNT, directory(i));
    if (i % 4 === 2) emulator.workspaces.associate(alias(i), OTHER, 'd-abcdef0123');
  }
  emulator.cloudFormation.recordTemplate(ref, template);
  ssm.destroy();
  emulator.log.reset();
}

test('the batched plan of associations equals the plan read one resource at a time, in far fewer calls', async () => {
  await seed();
  const single = await runPlan({ app: dir, stacks: [], unbatched: true });
  await seed();
  const batched = await runPlan({ app: dir, stacks: [], unbatched: false });
  expect(batched.resources).toEqual(single.resources);
  const associations = batched.resources.filter((r) => r.resourceType === ASSOCIATION);
  expect(new Set(associations.map((r) => r.action))).toEqual(new Set(['create', 'update', 'none', 'blocked']));
  expect(associations.find((r) => r.manages.startsWith(`alias ${alias(N - 1)} `))).toMatchObject({ action: 'blocked', reason: expect.stringContaining('does not exist in this Region') });
  // N association aliases plus the sharing's (the same as association 0's): N distinct ids.
  expect(single.calls['WorkSpaces.DescribeConnectionAliases']).toBe(N + 1);
  expect(batched.calls['WorkSpaces.DescribeConnectionAliases']).toBe(1);
  expect(single.calls['SSM.GetParametersByPath']).toBe(N + 1);
  // One recursive read of each kind's tree (6 association records, 1 page; no sharing record).
  expect(batched.calls['SSM.GetParametersByPath']).toBe(2);
}, 120_000);
