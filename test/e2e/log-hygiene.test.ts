// Log hygiene: the ResponseURL is a pre-signed URL that lets anyone answer for the stack, and the raw event carries
// every property. Everything the bundled handlers and the Provider framework print is captured (stdout and stderr)
// across the paths that log the most (warnings, failures, undo, repeated delivery) and searched for them.
// lifecycle*.test.ts apply the same check to every event they send.
import * as fs from 'fs';
import * as path from 'path';
import { AwsError, type Emulator, startEmulator } from '../../emulator';
import { type EventResult, LocalCloudFormation } from '../../emulator/cloudformation';
import { STACK, logLeaks, synthExample } from '../support/lifecycle';
import { tempDir } from '../support/cdk-cli';

const PREFS = 'Custom::PartnerConnectionPreferences';
const SHARING = 'Custom::ConnectionAliasSharing';
const ALIAS = 'wsca-abcdefgh12';

let emulator: Emulator;
let dir: string;
let leakyDir: string;
let cfn: LocalCloudFormation;
const results: EventResult[] = [];

beforeAll(async () => {
  dir = synthExample();
  emulator = await startEmulator();
  cfn = await LocalCloudFormation.load({ emulator, assemblyDir: dir, stack: STACK, attributes: { Alias: ALIAS }, onEvent: (r) => results.push(r) });

  // A copy of the assembly whose handler logs its raw event, the mistake this file exists to catch.
  leakyDir = tempDir('e2e-leaky');
  fs.cpSync(dir, leakyDir, { recursive: true });
  for (const info of cfn.customResources()) {
    const file = path.join(leakyDir, path.relative(dir, info.userFunction.handlerFile));
    fs.renameSync(file, `${file}.real.js`);
    fs.writeFileSync(
      file,
      `const real = require('./${path.basename(file)}.real.js');\n` +
        `exports.${info.userFunction.handlerExport} = async (event, context) => { console.log('event', JSON.stringify(event)); return real.${info.userFunction.handlerExport}(event, context); };\n`,
    );
  }
}, 120_000);

afterAll(async () => {
  await cfn?.close();
  await emulator?.close();
  for (const d of [dir, leakyDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

beforeEach(() => {
  emulator.reset();
  emulator.workspaces.seedAlias({ AliasId: ALIAS });
});

test('the check catches a handler that logs its raw event', async () => {
  const leaky = await LocalCloudFormation.load({ emulator, assemblyDir: leakyDir, stack: STACK, attributes: { Alias: ALIAS } });
  try {
    const created = await leaky.resource(SHARING).create();
    expect(created.response.Status).toBe('SUCCESS');
    expect(logLeaks(created)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('handler log of AliasSharing'),
        expect.stringMatching(/contains the signature value$/),
        expect.stringMatching(/contains the raw ResourceProperties$/),
        expect.stringMatching(/contains the ServiceToken$/),
      ]),
    );
  } finally {
    await leaky.close();
  }
});

test('no ResponseURL, signature or raw event in any handler log, and no signature in the framework logs', async () => {
  const prefs = cfn.resource(PREFS);
  const sharing = cfn.resource(SHARING);

  // Conflicts, drift, a repeated Create, a rejected update with its rollback, then delete.
  emulator.faults.bumpRevisionBeforeUpdate('Sandbox', 1);
  await prefs.create();
  await cfn.deliver(results[results.length - 1].event);
  emulator.partnerCentral.externalWrite('Sandbox', { AccessType: 'ALLOW_ALL' });
  await prefs.update({ AccessType: 'DENY_ALL' });
  await prefs.update({ ExcludedParticipantIdentifiers: ['not valid'] });
  // State lost outside the stack: the handler warns and re-snapshots.
  for (const name of emulator.ssm.names('/cdk-connection-sharing')) emulator.ssm.remove(name);
  await prefs.update({ AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME' });
  await prefs.delete();
  // A failure the handler did not anticipate: the SDK's error travels as it is.
  emulator.faults.failNext('SSM.PutParameter', 1, new AwsError(400, 'AccessDeniedException', 'User is not authorized to perform ssm:PutParameter', {}, 'Message'));
  const denied = await cfn.resource(PREFS).create();
  expect(denied.response.Reason).toContain('not authorized to perform ssm:PutParameter');

  // Sharing: a share, an association that blocks an unshare, a limit, out-of-band deletion.
  await sharing.create();
  emulator.workspaces.associate(ALIAS, '210987654321');
  await sharing.update({ SharedAccountIds: ['333333333333'] });
  emulator.workspaces.disassociate(ALIAS, '210987654321');
  await sharing.update({ SharedAccountIds: ['210987654321', '333333333333'] });
  emulator.workspaces.deleteAlias(ALIAS);
  await sharing.delete();
  emulator.workspaces.seedAlias({ AliasId: ALIAS, State: 'DELETING' });
  await cfn.resource(SHARING).create();

  const statuses = results.map((r) => r.response.Status);
  expect(statuses).toContain('SUCCESS');
  expect(statuses).toContain('FAILED');
  // Not vacuous: the handlers did log (warnings and errors included) and the framework's output was captured.
  const handlerText = results.flatMap((r) => r.handlerLogs).join('\n');
  for (const msg of ['revision conflict', 'drift', 'state already owned', 'no saved state', 'Cannot unshare', 'sharing limit', 'DELETING']) {
    expect(handlerText + results.map((r) => r.response.Reason ?? '').join('\n')).toContain(msg);
  }
  expect(handlerText).toContain('"level":"WARN"');
  expect(results.filter((r) => r.invocations > 0).every((r) => r.handlerLogs.length > 0)).toBe(true);
  expect(results.every((r) => r.frameworkLogs.some((l) => l.includes('submit response to cloudformation')))).toBe(true);
  // By design the framework logs the URL as host and path only.
  expect(results.every((r) => r.frameworkLogs.join('\n').includes('/cfn-response/'))).toBe(true);

  expect(results.flatMap(logLeaks)).toEqual([]);
});
