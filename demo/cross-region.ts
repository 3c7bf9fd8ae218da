// The second part of `npm run demo`: the cross-Region redirection example (bin/cross-region-app.ts) walked against the
// emulator, in two Regions and two accounts, in the order its phases need: owner A's stacks (alias + sharing per
// Region), directory account B's (association per Region, giving the two connection identifiers), the DNS stack's
// failover TXT records, a change on the failover side, the owner's teardown reviewed while B is still associated and
// after, and the teardown in reverse. Every custom resource event runs the real Provider framework and the bundled
// handler under its stack's IAM policy (emulator/stack.ts); `plan` is the bundled command, run once per account with
// that account's own key (AKIDEMU<account>), since it reads only its caller's account.
//
// The first assembly comes from the CDK CLI, as a user runs the app (`cdk synth -a "npx tsx bin/cross-region-app.ts"`);
// the later ones, whose context holds values only known once earlier phases are deployed, are synthesized in this
// process with the same functions bin/cross-region-app.ts calls (and cdk.json's feature flags), which saves a CLI
// start (about 15 s each here).
import * as fs from 'fs';
import * as path from 'path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { startEmulator, type Emulator } from '../emulator';
import { LocalStack, type StackOperationResult } from '../emulator/stack';
import { addCrossRegionStacks, crossRegionConfigFromContext, type CrossRegionStacks } from '../bin/cross-region-stacks';
import { ROOT, cdkSynth, diffText, heading, indent, plan, printEvent } from './common';

export const CROSS_REGION_APP = 'npx tsx bin/cross-region-app.ts';
/** The app's default accounts and Regions (crossRegionConfigFromContext), kept so that the context stays short. */
const A = '123456789012';
const B = '210987654321';
const CONNECTION_STRING = 'desktop.example.com';
/** Neither A nor B: both then sign with their own key, AKIDEMU<account>, as two users' shells would. */
const EMULATOR_DEFAULT_ACCOUNT = '999999999999';

interface Side {
  readonly role: 'Primary' | 'Failover';
  readonly region: string;
  /** The id CloudFormation would give the owner stack's AWS::WorkSpaces::ConnectionAlias (the emulator creates none). */
  readonly aliasId: string;
  readonly directoryId: string;
}
const SIDES: readonly Side[] = [
  { role: 'Primary', region: 'us-east-1', aliasId: 'wsca-demoprimary01', directoryId: 'd-1234567890' },
  { role: 'Failover', region: 'us-west-2', aliasId: 'wsca-demofailover1', directoryId: 'd-0987654321' },
];
/** The failover-side change: B moves the failover Region's association to another directory of its own. */
const NEW_FAILOVER_DIRECTORY = 'd-0987654322';
const ownerStack = (s: Side) => `CrossRegion-AliasOwner-${s.role}`;
const directoryStack = (s: Side) => `CrossRegion-Directory-${s.role}`;
const DNS_STACK = 'CrossRegion-Dns';

/** Phase 2's context: the alias ids the owner stacks output. */
const ALIAS_CONTEXT: Record<string, string> = { primaryAliasId: SIDES[0].aliasId, failoverAliasId: SIDES[1].aliasId };

/** Starts the CLI synth of the app with phase 2's context (the owner and the directory stacks), into `outdir`. */
export function synthCrossRegion(outdir: string): Promise<void> {
  return cdkSynth(outdir, Object.entries(ALIAS_CONTEXT).flatMap(([k, v]) => ['-c', `${k}=${v}`]), CROSS_REGION_APP);
}

/** What bin/cross-region-app.ts does, in this process, with `context` (and an optional edit of the stacks). */
function synthInProcess(outdir: string, context: Record<string, string>, edit?: (stacks: CrossRegionStacks) => void): string {
  const flags = (JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
  // The CLI sets the path metadata (which `plan` prints); a bare App does not.
  const app = new App({ outdir, context: { ...flags, 'aws:cdk:enable-path-metadata': true, ...context } });
  const stacks = addCrossRegionStacks(app, crossRegionConfigFromContext(app));
  edit?.(stacks);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
  return outdir;
}

interface Template {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  Outputs?: Record<string, { Value: unknown }>;
}
const templateOf = (dir: string, stack: string) => JSON.parse(fs.readFileSync(path.join(dir, `${stack}.template.json`), 'utf8')) as Template;

/** Both accounts' whole state: WorkSpaces as each sees it, B's directories, each one's state store and deployed stacks. */
function accountState(emulator: Emulator, account: string): unknown {
  const view = emulator.account(account);
  const stacks = [...SIDES.flatMap((s) => [[s.region, ownerStack(s)], [s.region, directoryStack(s)]])].filter(([region, name]) => {
    const deployed = emulator.cloudFormation.stack(region, name);
    return deployed && deployed.stackId.split(':')[4] === account;
  });
  return {
    aliases: SIDES.map((s) => view.workspaces.getAlias(s.aliasId) ?? null),
    directories: [...SIDES.map((s) => s.directoryId), NEW_FAILOVER_DIRECTORY].map((d) => view.workspaces.directory(d)).filter((d) => d?.AccountId === account),
    stateStore: view.ssm.snapshot(),
    stacks: stacks.map(([region, name]) => `${region}/${name}`),
  };
}

function printState(emulator: Emulator): Record<string, string> {
  for (const s of SIDES) {
    const alias = emulator.account(A).workspaces.getAlias(s.aliasId)!;
    const shared = alias.Permissions.filter((p) => p.AllowAssociation).map((p) => p.SharedAccountId);
    const assoc = alias.Associations.map((a) => `${a.ResourceId} of ${a.AssociatedAccountId} (${a.AssociationStatus}, ${a.ConnectionIdentifier ?? 'no id'})`);
    console.log(`  ${s.region.padEnd(9)} alias ${s.aliasId} (${alias.ConnectionString}, owner ${alias.OwnerAccountId}): shared with [${shared.join(', ')}], associated with ${assoc.join(', ') || 'nothing'}`);
  }
  for (const account of [A, B]) {
    const names = emulator.account(account).ssm.names('/cdk-connection-sharing');
    console.log(`  account ${account} state store (SSM): ${names.length ? names.join(', ') : 'empty'}`);
  }
  return { [A]: JSON.stringify(accountState(emulator, A)), [B]: JSON.stringify(accountState(emulator, B)) };
}

/** Prints one stack operation: its status, each event with its API calls, and any IAM denial (which fails the demo). */
function printOperation(stack: string, account: string, region: string, r: StackOperationResult): void {
  console.log(`  ${stack} (${account} / ${region}): ${r.status}`);
  for (const e of r.events) printEvent(`  ${e.phase} ${e.requestType} ${e.logicalId}`, e.result);
  const problems = [
    ...r.denials.map((d) => `IAM denied ${d.action} on ${d.resource}`),
    ...r.failedCleanups.map((f) => `cleanup of ${f.logicalId} given up: ${f.reason}`),
    ...(/COMPLETE$/.test(r.status) && !/ROLLBACK/.test(r.status) ? [] : [`unexpected status ${r.status}`]),
  ];
  for (const p of problems) console.log(`    UNEXPECTED: ${p}`);
  if (problems.length) process.exitCode = 1;
}

/** The stack output ConnectionIdentifier as CloudFormation computes it: the Fn::GetAtt the template names, from the resource's answer. */
function connectionIdentifier(assembly: string, stack: string, r: StackOperationResult): string {
  const att = (templateOf(assembly, stack).Outputs?.ConnectionIdentifier?.Value as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
  const answer = att && [...r.events].reverse().find((e) => e.logicalId === att[0] && e.requestType !== 'Delete' && e.result.response.Status === 'SUCCESS');
  const value = answer?.result.response.Data?.[att![1]];
  if (typeof value !== 'string') {
    console.log(`  UNEXPECTED: no ConnectionIdentifier output in ${stack}`);
    process.exitCode = 1;
    return '(none)';
  }
  return value;
}

/**
 * One side after the other: concurrent events would interleave their API calls in the emulator's log, and each
 * event's printed calls would then include the other Region's.
 */
async function eachSide<T>(fn: (s: Side) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (const s of SIDES) out.push(await fn(s));
  return out;
}

/** The TXT records as the DNS stack's template declares them (Route 53 is not emulated; LocalStack deploys only custom resources). */
function printDns(dir: string): void {
  const t = templateOf(dir, DNS_STACK);
  for (const [, r] of Object.entries(t.Resources)) {
    if (r.Type !== 'AWS::Route53::RecordSet') continue;
    const p = r.Properties as { Name: string; Type: string; TTL: string; Failover: string; ResourceRecords: string[]; HealthCheckId?: { Ref: string } };
    const check = p.HealthCheckId ? t.Resources[p.HealthCheckId.Ref]?.Properties?.HealthCheckConfig as { Type: string; FullyQualifiedDomainName?: string; ResourcePath?: string } | undefined : undefined;
    const health = check ? `, health check ${check.Type} ${check.FullyQualifiedDomainName ?? ''}${check.ResourcePath ?? ''}` : '';
    console.log(`  ${p.Failover.padEnd(9)} ${p.Name} ${p.Type} ${p.ResourceRecords.join(' ')}  (TTL ${p.TTL}${health})`);
  }
}

/**
 * Walks the cross-Region example; `assembly` is the CLI synth of {@link synthCrossRegion}. Returns whether both
 * accounts ended exactly as they started.
 */
export async function walkCrossRegion(assembly: string, work: string, step: number): Promise<boolean> {
  const title = (s: string) => heading(`${step++}. ${s}`);
  const emulator = await startEmulator({ accountId: EMULATOR_DEFAULT_ACCOUNT, region: SIDES[0].region });
  const envOf = (account: string) => ({ ...emulator.account(account).env() });
  const owners = new Map(SIDES.map((s) => [s.role, new LocalStack({ emulator, stack: ownerStack(s), accountId: A, region: s.region })]));
  const directories = new Map(SIDES.map((s) => [s.role, new LocalStack({ emulator, stack: directoryStack(s), accountId: B, region: s.region })]));
  const ownerStacks = SIDES.flatMap((s) => ['--stack', ownerStack(s)]);
  const directoryStacks = SIDES.flatMap((s) => ['--stack', directoryStack(s)]);
  try {
    title(`Cross-Region redirection (bin/cross-region-app.ts): account A ${A} owns the alias in ${SIDES.map((s) => s.region).join(' and ')}, account B ${B} has the directories`);
    console.log(`  cdk synth -a "${CROSS_REGION_APP}" ${Object.entries(ALIAS_CONTEXT).map(([k, v]) => `-c ${k}=${v}`).join(' ')}: ${fs.readdirSync(assembly).filter((f) => f.endsWith('.template.json')).map((f) => f.replace('.template.json', '')).join(', ')}`);
    console.log(`  (the alias ids are what A's stacks will output: the emulator creates no CfnConnectionAlias, so each Region's alias is seeded with that id, unshared)`);
    for (const s of SIDES) emulator.account(A).workspaces.seedAlias({ AliasId: s.aliasId, Region: s.region, OwnerAccountId: A, ConnectionString: CONNECTION_STRING });
    for (const [DirectoryId, Region] of [...SIDES.map((s) => [s.directoryId, s.region]), [NEW_FAILOVER_DIRECTORY, SIDES[1].region]]) emulator.account(B).workspaces.seedDirectory({ DirectoryId, Region });
    emulator.workspaces.setPendingDuration({ reads: 1 });
    console.log(`  account ${B} directories: ${[...SIDES.map((s) => `${s.directoryId} (${s.region})`), `${NEW_FAILOVER_DIRECTORY} (${SIDES[1].region})`].join(', ')}`);
    const before = printState(emulator);

    title(`Phase 1, account A: plan with A's key (AKIDEMU${A}), then deploy the owner stacks`);
    console.log('  The alias ids are tokens of resources this deploy creates, so the sharings cannot be planned yet (unknown).');
    await plan(envOf(A), assembly, 2, ownerStacks, 'A ');
    const deployedOwners = await eachSide((s) => owners.get(s.role)!.deploy(assembly, { attributes: { Alias: s.aliasId } }));
    SIDES.forEach((s, i) => printOperation(ownerStack(s), A, s.region, deployedOwners[i]));
    printState(emulator);

    title(`Phase 2, account B: plan with B's key (AKIDEMU${B}), then deploy the directory stacks`);
    await plan(envOf(B), assembly, 2, directoryStacks, 'B ');
    const deployedDirs = await eachSide((s) => directories.get(s.role)!.deploy(assembly));
    SIDES.forEach((s, i) => printOperation(directoryStack(s), B, s.region, deployedDirs[i]));
    const ids = Object.fromEntries(SIDES.map((s, i) => [s.role, connectionIdentifier(assembly, directoryStack(s), deployedDirs[i])]));
    for (const s of SIDES) console.log(`  Output ${directoryStack(s)}.ConnectionIdentifier = ${ids[s.role]}`);
    printState(emulator);

    title('Phase 3, the zone\'s account: the DNS stack, synthesized with the two identifiers as context');
    const dnsContext = (primary: string, failover: string) => ({ ...ALIAS_CONTEXT, primaryConnectionIdentifier: primary, failoverConnectionIdentifier: failover });
    const dns = synthInProcess(path.join(work, 'xr-dns'), dnsContext(ids.Primary, ids.Failover));
    console.log(`  -c primaryConnectionIdentifier=${ids.Primary} -c failoverConnectionIdentifier=${ids.Failover}; the failover TXT records at ${CONNECTION_STRING}:`);
    printDns(dns);

    title(`A failover-side change: B moves the failover Region's association to directory ${NEW_FAILOVER_DIRECTORY} (-c failoverDirectoryId=...)`);
    const failover = SIDES[1];
    const moved = synthInProcess(path.join(work, 'xr-moved'), { ...ALIAS_CONTEXT, failoverDirectoryId: NEW_FAILOVER_DIRECTORY });
    await plan(envOf(B), moved, 2, ['--stack', directoryStack(failover)], 'B ');
    const update = await directories.get(failover.role)!.deploy(moved);
    printOperation(directoryStack(failover), B, failover.region, update);
    const newId = connectionIdentifier(moved, directoryStack(failover), update);
    console.log(`  Output ${directoryStack(failover)}.ConnectionIdentifier = ${newId} (was ${ids.Failover}): a new association has a new identifier, so the DNS stack is deployed again:`);
    const dnsMoved = synthInProcess(path.join(work, 'xr-dns-moved'), { ...dnsContext(ids.Primary, newId), failoverDirectoryId: NEW_FAILOVER_DIRECTORY });
    console.log(indent(diffText(path.join(dns, `${DNS_STACK}.template.json`), path.join(dnsMoved, `${DNS_STACK}.template.json`))));
    printDns(dnsMoved);
    printState(emulator);

    // Deleting an owner stack deletes its sharing with it; the assembly without the sharings shows what that does.
    const unshared = synthInProcess(path.join(work, 'xr-unshared'), ALIAS_CONTEXT, (stacks) => stacks.owners.forEach((o) => o.node.tryRemoveChild('Sharing')));
    title("The owner's teardown reviewed while B is still associated: plan of the owner stacks without their sharing (what deleting them does)");
    const blocked = await plan(envOf(A), unshared, 3, ownerStacks, 'A ');
    if (!new RegExp(`associated by account ${B} with directory`).test(blocked)) {
      console.log(`  UNEXPECTED: the blocked plan does not name account ${B} and its directory`);
      process.exitCode = 1;
    }

    title(`Teardown, in reverse: ${DNS_STACK} (the zone's account, not emulated: cdk destroy removes the TXT records first), then B's directory stacks`);
    const deletedDirs = await eachSide((s) => directories.get(s.role)!.deleteStack());
    SIDES.forEach((s, i) => printOperation(directoryStack(s), B, s.region, deletedDirs[i]));
    printState(emulator);

    title("The owner's teardown reviewed again, now that B's associations are gone: plain unshares");
    await plan(envOf(A), unshared, 2, ownerStacks, 'A ');

    title('Teardown: the owner stacks (RESTORE unshares each alias)');
    const deletedOwners = await eachSide((s) => owners.get(s.role)!.deleteStack());
    SIDES.forEach((s, i) => printOperation(ownerStack(s), A, s.region, deletedOwners[i]));
    const after = printState(emulator);

    let same = true;
    for (const [label, account] of [
      ['A', A],
      ['B', B],
    ] as const) {
      const equal = before[account] === after[account];
      same &&= equal;
      heading(equal ? `Result: account ${label} (${account}) is exactly as it was` : `Result: account ${label} (${account}) DIFFERS from before`);
      if (!equal) console.log(`  before: ${before[account]}\n  after:  ${after[account]}`);
    }
    return same;
  } finally {
    await Promise.all([...owners.values(), ...directories.values()].map((s) => s.close()));
    await emulator.close();
  }
}
