// `npm run demo`: the product working end to end with no AWS account. It starts the local emulator, synthesizes the
// example app with the real CDK CLI (as deployed, and with an update), and walks both custom resources through
// create -> drift -> reconcile -> update -> delete, each event going through the real Provider framework code and the bundled handlers
// from cdk.out, over real HTTP. It prints the API calls each step made, the resulting state, the `cdk diff` of
// the update and the review `cdk-connection-sharing plan` gives before each deploy (the bundled command, as a user runs
// it), and ends by checking that the state equals the one found before create. Part 2 (demo/cross-region.ts, from
// step 14) walks the cross-Region redirection app (bin/cross-region-app.ts) in two Regions and two accounts, and ends
// by checking that both accounts are exactly as they were.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LocalCloudFormation } from '../emulator/cloudformation';
import { startEmulator, type Emulator } from '../emulator';
import { RECONCILE_CONTEXT_KEY } from '../lib/common/reconcile';
import { cdkSynth, diffText, heading, indent, plan as planWith, printEvent } from './common';
import { synthCrossRegion, walkCrossRegion } from './cross-region';

const STACK = 'ConnectionSharingExample';
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const CATALOG = 'Sandbox';
/** The id CloudFormation would give the stack's AWS::WorkSpaces::ConnectionAlias (the emulator does not create aliases). */
const ALIAS_ID = 'wsca-demo0alias01';
/** The update: one more excluded participant, and the alias shared with another account instead. */
const UPDATE_CONTEXT = ['-c', 'excludedParticipantIds=partner-blocked-1,partner-blocked-2,partner-blocked-3', '-c', 'sharedAccountIds=345678901234'];

/** The reconcile deploy that converges the drift of step 5 (README, "Drift that no deploy fixes"). */
const RECONCILE_CONTEXT = ['-c', `${RECONCILE_CONTEXT_KEY}=demo-1`];

/** The review, with the account's own credentials (the emulator's default account). */
const plan = (emulator: Emulator, assemblyDir: string, expectedExit: number) => planWith(emulator.env(), assemblyDir, expectedExit);

interface State {
  preferences: { AccessType: string; ExcludedParticipantIds: string[] };
  aliasSharedWith: string[];
  stateStore: string[];
}

function state(emulator: Emulator): State {
  const prefs = emulator.partnerCentral.get(CATALOG)!;
  return {
    preferences: { AccessType: prefs.AccessType, ExcludedParticipantIds: [...prefs.ExcludedParticipantIds] },
    aliasSharedWith: emulator.workspaces.permissions(ALIAS_ID).filter((p) => p.AllowAssociation).map((p) => p.SharedAccountId),
    stateStore: emulator.ssm.names('/cdk-connection-sharing'),
  };
}

function printState(emulator: Emulator): State {
  const s = state(emulator);
  const prefs = emulator.partnerCentral.get(CATALOG)!;
  console.log(`  Partner Central (${CATALOG}): ${s.preferences.AccessType}, excluded [${s.preferences.ExcludedParticipantIds.join(', ')}], Revision ${prefs.Revision}`);
  console.log(`  Alias ${ALIAS_ID} shared with: [${s.aliasSharedWith.join(', ')}]`);
  console.log(`  State store (SSM): ${s.stateStore.length ? s.stateStore.join(', ') : 'empty'}`);
  return s;
}

async function main(): Promise<void> {
  const started = Date.now();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ccs-demo-'));
  const deployed = path.join(work, 'deployed');
  const reconciled = path.join(work, 'reconciled');
  const updated = path.join(work, 'updated');

  const crossRegion = path.join(work, 'cross-region');

  heading('1. Synthesize the example app (bin/app.ts) with the CDK CLI: as deployed, with the reconcile key, and with an update');
  // The cross-Region app of part 2 too, meanwhile (its walk starts at step 14).
  const crossRegionSynth = synthCrossRegion(crossRegion).then(
    () => undefined,
    (err: unknown) => err,
  );
  await Promise.all([cdkSynth(deployed), cdkSynth(reconciled, RECONCILE_CONTEXT), cdkSynth(updated, UPDATE_CONTEXT)]);
  console.log(`  cdk.out: ${deployed}, ${reconciled} and ${updated} (cdk-nag AwsSolutionsChecks ran and passed)`);

  const emulator = await startEmulator({ accountId: ACCOUNT, region: REGION });
  const cfn = await LocalCloudFormation.load({ emulator, assemblyDir: deployed, stack: STACK, attributes: { Alias: ALIAS_ID } });
  const reconcile = await LocalCloudFormation.load({ emulator, assemblyDir: reconciled, stack: STACK, attributes: { Alias: ALIAS_ID } });
  const next = await LocalCloudFormation.load({ emulator, assemblyDir: updated, stack: STACK, attributes: { Alias: ALIAS_ID } });
  try {
    heading(`2. The account before: local emulator on ${emulator.url}`);
    emulator.partnerCentral.seed(CATALOG, { AccessType: 'ALLOW_ALL', ExcludedParticipantIds: [] });
    emulator.workspaces.seedAlias({ AliasId: ALIAS_ID, ConnectionString: 'desktop.example.com', State: 'CREATED', OwnerAccountId: ACCOUNT });
    const before = printState(emulator);

    const prefs = cfn.resource('Custom::PartnerConnectionPreferences');
    const sharing = cfn.resource('Custom::ConnectionAliasSharing');

    heading('3. Review before the first deploy: cdk-connection-sharing plan (read-only; exit 2 = changes pending)');
    console.log('  The alias id is a token of a resource this deploy creates, so the sharing cannot be planned yet (unknown).');
    await plan(emulator, deployed, 2);

    heading('4. cdk deploy: Create (Provider framework -> bundled handler -> APIs)');
    printEvent('PartnerConnectionPreferences', await prefs.create());
    printEvent('ConnectionAliasSharing', await sharing.create());
    const declared = printState(emulator);

    heading('5. Someone changes both settings outside the stack (in the console); plan shows the drift');
    emulator.partnerCentral.externalWrite(CATALOG, { AccessType: 'DENY_ALL' });
    await emulator.workspaces.handle('UpdateConnectionAliasPermission', { AliasId: ALIAS_ID, ConnectionAliasPermission: { SharedAccountId: '210987654321', AllowAssociation: false } });
    printState(emulator);
    await plan(emulator, deployed, 2);

    heading(`6. A reconcile deploy (cdk deploy ${RECONCILE_CONTEXT.join(' ')}): its cdk diff, and its plan`);
    console.log(indent(diffText(path.join(deployed, `${STACK}.template.json`), path.join(reconciled, `${STACK}.template.json`))));
    await plan(emulator, reconciled, 2);

    heading('7. The reconcile deploy: an Update of each resource (only Reconcile changed), which converges the drift');
    for (const [label, resource] of [
      ['PartnerConnectionPreferences', prefs],
      ['ConnectionAliasSharing', sharing],
    ] as const) {
      printEvent(label, (await resource.update(reconcile.resolveProperties(resource.logicalId))).update);
    }
    const converged = JSON.stringify(printState(emulator)) === JSON.stringify(declared);
    console.log(converged ? '  Converged: the settings are the declared ones again.' : '  NOT converged: the settings differ from the declared ones.');
    if (!converged) process.exitCode = 1;

    heading('8. cdk diff of the update');
    console.log(
      diffText(path.join(reconciled, `${STACK}.template.json`), path.join(updated, `${STACK}.template.json`))
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n')
        .trimEnd(),
    );

    heading('9. Review the update with the live account: plan (the writes in order)');
    await plan(emulator, updated, 2);

    heading('10. cdk deploy of the update: Update');
    for (const [label, resource] of [
      ['PartnerConnectionPreferences', prefs],
      ['ConnectionAliasSharing', sharing],
    ] as const) {
      const outcome = await resource.update(next.resolveProperties(resource.logicalId));
      printEvent(label, outcome.update);
    }
    printState(emulator);

    heading('11. Review after the deploy: plan says nothing would change (exit 0)');
    await plan(emulator, updated, 0);

    heading('12. The same update delivered again (duplicate delivery): converged, nothing written');
    printEvent('PartnerConnectionPreferences', (await prefs.update(next.resolveProperties(prefs.logicalId))).update);

    heading('13. cdk destroy: Delete with OnDelete RESTORE');
    printEvent('ConnectionAliasSharing', await sharing.delete());
    printEvent('PartnerConnectionPreferences', await prefs.delete());
    const after = printState(emulator);

    const same = JSON.stringify(after) === JSON.stringify(before);
    heading(same ? 'Result: the account is exactly as it was before Create' : 'Result: the account DIFFERS from before Create');
    console.log(`  before: ${JSON.stringify(before)}\n  after:  ${JSON.stringify(after)}`);
    if (!same) process.exitCode = 1;
  } finally {
    await cfn.close();
    await reconcile.close();
    await next.close();
    await emulator.close();
  }
  try {
    const failed = await crossRegionSynth;
    if (failed) throw failed;
    const same = await walkCrossRegion(crossRegion, work, 14);
    if (same) heading('Result: both accounts are exactly as they were before the first deploy');
    console.log(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s. Try it yourself: npx tsx emulator/cli.ts (see README, Developing).`);
    if (!same || process.exitCode) process.exitCode = 1;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
