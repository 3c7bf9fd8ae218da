// The batched reads (cli/reads.ts) against the emulator, in process: the plan of many resources read in batches is
// the plan read one resource at a time (the handlers' own reads), resource for resource, in fewer calls.
import { App, Stack } from 'aws-cdk-lib';
import { SSMClient } from '@aws-sdk/client-ssm';
import { type Emulator, startEmulator } from '../../emulator';
import { AccessType, ConnectionAliasSharing, PartnerConnectionPreferences } from '../../lib';
import { statePath as aliasStatePath } from '../../lib/workspaces/contract';
import { statePath as prefsStatePath } from '../../lib/partner-central/contract';
import { StateStore } from '../../lambda/common/state-store';
import { digest } from '../../lambda/partner-central/preferences';
import { runPlan } from '../../cli/plan';
import { tempDir } from '../support/cdk-cli';
import * as fs from 'fs';

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const N = 30; // more than one DescribeConnectionAliases batch of 25
const alias = (i: number) => `wsca-batch${String(i).padStart(5, '0')}`;
const account = (i: number) => String(200000000000 + i);
const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Batch/00000000-1111-2222-3333-444444444444`;

let emulator: Emulator;
let dir: string;
const saved = { ...process.env };

beforeAll(async () => {
  emulator = await startEmulator({ region: REGION });
  Object.assign(process.env, emulator.env(), { AWS_REGION: REGION });
  dir = tempDir('plan-batch');
  const app = new App({ outdir: dir });
  const stack = new Stack(app, 'Batch', { env: { account: ACCOUNT, region: REGION } });
  new PartnerConnectionPreferences(stack, 'PrefsAws', { catalog: 'AWS', accessType: AccessType.DENY_ALL });
  new PartnerConnectionPreferences(stack, 'PrefsSandbox', { catalog: 'Sandbox', accessType: AccessType.ALLOW_ALL });
  // Sharing 0..N-1 on alias i; alias N-1 is missing (blocked), alias 1 is managed by another stack (blocked).
  for (let i = 0; i < N; i++) new ConnectionAliasSharing(stack, `Share${i}`, { aliasId: alias(i), sharedAccountIds: [account(i)] });
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
  const pcSsm = new SSMClient({ ...emulator.clientConfig('us-east-1'), maxAttempts: 3 });
  const template = JSON.parse(fs.readFileSync(`${dir}/Batch.template.json`, 'utf8')) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  const ids = Object.entries(template.Resources);
  const idOf = (prefix: string) => ids.find(([id]) => id.startsWith(prefix))![0];
  for (let i = 0; i < N - 1; i++) {
    // Even aliases deployed and shared; every third drifted (unshared outside); odd ones fresh.
    const deployed = i % 2 === 0;
    emulator.workspaces.seedAlias({ AliasId: alias(i), Permissions: deployed && i % 3 !== 0 ? [{ SharedAccountId: account(i), AllowAssociation: true }] : [] });
    if (i === 1) await new StateStore(ssm, aliasStatePath(alias(i)), alias(i)).claim({ stackId: STACK_ID.replace('/Batch/', '/Other/'), logicalResourceId: 'X' }, { preShared: [] }, { declared: [] });
    if (deployed) await new StateStore(ssm, aliasStatePath(alias(i)), alias(i)).claim({ stackId: STACK_ID, logicalResourceId: idOf(`Share${i}`) }, { preShared: [] }, { declared: [account(i)] });
  }
  emulator.partnerCentral.seed('AWS', { AccessType: 'DENY_ALL' });
  await new StateStore(pcSsm, prefsStatePath('AWS'), 'AWS').claim({ stackId: STACK_ID, logicalResourceId: idOf('PrefsAws') }, { accessType: 'ALLOW_ALL', excludedParticipantIds: [] }, { applied: digest({ accessType: 'DENY_ALL', excludedParticipantIds: [] }) });
  for (const [logicalId, r] of ids) {
    if (r.Type === 'Custom::ConnectionAliasSharing') emulator.cloudFormation.recordResource({ stackId: STACK_ID, stackName: 'Batch', region: REGION }, { logicalId, physicalId: String(r.Properties.AliasId), resourceType: r.Type });
  }
  emulator.cloudFormation.recordTemplate({ stackId: STACK_ID, stackName: 'Batch', region: REGION }, template);
  ssm.destroy();
  pcSsm.destroy();
  emulator.log.reset();
}

test('the batched plan equals the plan read one resource at a time, in far fewer calls', async () => {
  await seed();
  const single = await runPlan({ app: dir, stacks: [], unbatched: true });
  await seed();
  const batched = await runPlan({ app: dir, stacks: [], unbatched: false });
  expect(batched.resources).toEqual(single.resources);
  expect(batched.summary).toEqual(single.summary);
  // Every kind of outcome is in the comparison.
  expect(new Set(batched.resources.map((r) => r.action))).toEqual(new Set(['create', 'update', 'none', 'blocked']));
  expect(single.calls['WorkSpaces.DescribeConnectionAliases']).toBe(N);
  expect(batched.calls['WorkSpaces.DescribeConnectionAliases']).toBe(2);
  expect(single.calls['SSM.GetParametersByPath']).toBe(N + 2);
  expect(batched.calls['SSM.GetParametersByPath']).toBeLessThanOrEqual(Math.ceil((N - 1) / 2 / 10) + 2);
  expect(batched.calls['WorkSpaces.DescribeConnectionAliasPermissions']).toBe(single.calls['WorkSpaces.DescribeConnectionAliasPermissions']);
}, 120_000);
