// ConnectionAliasAssociation deployed as CloudFormation runs it (emulator/stack.ts): the real Provider framework and
// the BUNDLED handler (assets/workspaces-association/index.js, `node scripts/bundle.mjs` first) from the synthesized
// assembly, in the directory's account, with IAM evaluated against the construct's policy. The alias belongs to
// another account, which shared it.
import { App, Stack } from 'aws-cdk-lib';
import * as fs from 'fs';
import { type Emulator, startEmulator } from '../../emulator';
import { LocalStack, type StackOperationResult } from '../../emulator/stack';
import { ConnectionAliasAssociation } from '../../lib/workspaces-association';
import { tempDir } from '../support/cdk-cli';

const OWNER = '123456789012'; // the emulator's default account: the alias's owner
const DIRECTORY_ACCOUNT = '210987654321';
const REGION = 'eu-west-1';
const ALIAS = 'wsca-abcdef0123';
const DIR1 = 'd-2222222222';
const DIR2 = 'd-2222222223';
const NAME = 'Directory';

const dirs = new Map<string, string>();
function synth(directoryId: string): string {
  let dir = dirs.get(directoryId);
  if (!dir) {
    dir = tempDir('assoc-stack');
    const app = new App({ outdir: dir });
    const stack = new Stack(app, NAME, { env: { account: DIRECTORY_ACCOUNT, region: REGION } });
    new ConnectionAliasAssociation(stack, 'Association', { aliasId: ALIAS, directoryId, aliasOwnerAccountId: OWNER });
    app.synth();
    dirs.set(directoryId, dir);
  }
  return dir;
}

let emulator: Emulator;
let stack: LocalStack;
beforeAll(async () => {
  emulator = await startEmulator({ accountId: OWNER, region: REGION });
}, 60_000);
afterAll(async () => {
  await stack?.close();
  await emulator?.close();
  for (const d of dirs.values()) fs.rmSync(d, { recursive: true, force: true });
});

const outcome = (r: StackOperationResult) => ({
  status: r.status,
  denied: r.denials.map((d) => `${d.operation} denied ${d.action} on ${d.resource}`),
  failures: r.failures.map((f) => `${f.phase} ${f.requestType} ${f.logicalId}: ${f.reason}`),
});
const associations = () => emulator.workspaces.getAlias(ALIAS)?.Associations.map((a) => `${a.AssociatedAccountId}:${a.ResourceId}:${a.AssociationStatus}`);

test('create, a directory change in place, and the stack deleted: associated, moved, disassociated, with no call denied', async () => {
  emulator.workspaces.seedAlias({ AliasId: ALIAS, Region: REGION, Permissions: [{ SharedAccountId: DIRECTORY_ACCOUNT, AllowAssociation: true }] });
  for (const d of [DIR1, DIR2]) emulator.account(DIRECTORY_ACCOUNT).workspaces.seedDirectory({ DirectoryId: d, Region: REGION });
  emulator.workspaces.setPendingDuration({ reads: 1 });
  stack = new LocalStack({ emulator, stack: NAME, accountId: DIRECTORY_ACCOUNT, region: REGION });

  expect(outcome(await stack.deploy(synth(DIR1)))).toEqual({ status: 'CREATE_COMPLETE', denied: [], failures: [] });
  expect(associations()).toEqual([`${DIRECTORY_ACCOUNT}:${DIR1}:ASSOCIATED_WITH_SHARED_ACCOUNT`]);

  expect(outcome(await stack.deploy(synth(DIR2)))).toEqual({ status: 'UPDATE_COMPLETE', denied: [], failures: [] });
  expect(associations()).toEqual([`${DIRECTORY_ACCOUNT}:${DIR2}:ASSOCIATED_WITH_SHARED_ACCOUNT`]);

  expect(outcome(await stack.deleteStack())).toEqual({ status: 'DELETE_COMPLETE', denied: [], failures: [] });
  expect(associations()).toEqual([]);
  expect(emulator.account(DIRECTORY_ACCOUNT).ssm.get(`/cdk-connection-sharing/workspaces-association/${ALIAS}/header`)).toBeUndefined();
}, 180_000);
