// The README's main command must keep working: `npm run demo` walks both constructs through their lifecycle against
// the emulator, then the cross-Region redirection app in two Regions and two accounts, and exits non-zero if any
// account does not end exactly as it started.
import { spawnSync } from 'child_process';
import * as path from 'path';
import { ROOT } from '../support/cdk-cli';

const A = '123456789012';
const B = '210987654321';

test('npm run demo ends with every account exactly as before Create', () => {
  const result = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['demo/run.ts'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  expect(result.stderr).not.toMatch(/Error/);
  expect(result.stdout).not.toMatch(/UNEXPECTED/);
  expect(result.status).toBe(0);
  const [part1, part2] = result.stdout.split(/^== 14\. /m);
  expect(part2).toBeDefined();

  expect(part1).toMatch(/PartnerConnectionPreferences: SUCCESS/);
  expect(part1).toMatch(/ConnectionAliasSharing: SUCCESS/);
  expect(part1).toMatch(/\[~\] Custom::PartnerConnectionPreferences/);
  expect(part1).toMatch(/Result: the account is exactly as it was before Create/);
  // The review before each deploy: create before the first (exit 2), drift after the change made outside the stack
  // (exit 2), nothing after the deploy (exit 0). The demo itself fails on any other exit status.
  expect(part1).toMatch(/\[\+\] Custom::PartnerConnectionPreferences \S+ {2}catalog Sandbox {2}create[\s\S]*\(exit 2\)/);
  expect(part1).toMatch(/drift {5}yes: the live AccessType DENY_ALL/);
  // The reconcile deploy: cdk diff shows the property, plan says this deploy reconciles, the Updates converge.
  expect(part1).toMatch(/\[\+\] Reconcile\s+└─ demo-1/);
  expect(part1).toMatch(/note {6}this deploy reconciles it: synthesized with cdk-connection-sharing:reconcile=demo-1/);
  expect(part1).toMatch(/Converged: the settings are the declared ones again\./);
  expect(part1).toMatch(/Nothing would change \(0 to create, 0 to update, 0 to delete, 2 unchanged, 0 blocked, 0 unknown\)\.\n\s*\(exit 0\)/);

  // Part 2, the cross-Region app: each account's plan with its own key, the owner stacks, then the associations.
  expect(part2).toContain(`A $ npx cdk-connection-sharing plan --app cross-region --stack CrossRegion-AliasOwner-Primary`);
  expect(part2).toMatch(/CrossRegion-AliasOwner-Primary \(123456789012 \/ us-east-1\): CREATE_COMPLETE/);
  expect(part2).toMatch(/CrossRegion-AliasOwner-Failover \(123456789012 \/ us-west-2\): CREATE_COMPLETE/);
  expect(part2).toMatch(/\[\+\] Custom::ConnectionAliasAssociation \S+ {2}alias wsca-demoprimary01 on directory d-1234567890 {2}create/);
  const primary = /Output CrossRegion-Directory-Primary\.ConnectionIdentifier = ([a-zA-Z0-9]{1,20})\n/.exec(part2)?.[1];
  const failover = /Output CrossRegion-Directory-Failover\.ConnectionIdentifier = ([a-zA-Z0-9]{1,20})\n/.exec(part2)?.[1];
  expect([primary, failover]).toEqual([expect.any(String), expect.any(String)]);
  // The DNS stack's failover TXT records carry them.
  expect(part2).toContain(`PRIMARY   desktop.example.com. TXT "${primary}"  (TTL 30, health check HTTPS`);
  expect(part2).toContain(`SECONDARY desktop.example.com. TXT "${failover}"  (TTL 30)`);
  // The failover directory moved in place (disassociate, then associate), a new identifier, the secondary record updated.
  expect(part2).toMatch(/1\. DisassociateConnectionAlias: disassociate from directory d-0987654321\n\s+2\. AssociateConnectionAlias: associate with directory d-0987654322/);
  const moved = /Output CrossRegion-Directory-Failover\.ConnectionIdentifier = ([a-zA-Z0-9]{1,20}) \(was (\w+)\)/.exec(part2);
  expect(moved?.[2]).toBe(failover);
  expect(part2).toContain(`SECONDARY desktop.example.com. TXT "${moved?.[1]}"  (TTL 30)`);
  // The owner's teardown, reviewed while B is associated: blocked, naming the account, its directory and what to do.
  expect(part2).toMatch(new RegExp(`blocked .*associated by account ${B} with directory d-1234567890 .*must disassociate the alias from its directory first`));
  expect(part2).toMatch(new RegExp(`blocked .*associated by account ${B} with directory d-0987654322`));
  expect(part2).toMatch(/2 blocked, 0 unknown\)\.\n\s*\(exit 3\)/);
  // Once B's association stacks are deleted: plain unshares.
  expect(part2).toMatch(/CrossRegion-Directory-Primary \(210987654321 \/ us-east-1\): DELETE_COMPLETE/);
  expect(part2).toMatch(new RegExp(`UpdateConnectionAliasPermission: unshare ${B}[\\s\\S]*0 to create, 0 to update, 2 to delete, 0 unchanged, 0 blocked, 0 unknown\\)\\.\\n\\s*\\(exit 2\\)`));
  expect(part2).toMatch(/CrossRegion-AliasOwner-Failover \(123456789012 \/ us-west-2\): DELETE_COMPLETE/);
  expect(part2).toContain(`Result: account A (${A}) is exactly as it was`);
  expect(part2).toContain(`Result: account B (${B}) is exactly as it was`);
  expect(part2).toMatch(/Result: both accounts are exactly as they were before the first deploy ==\n\nDone in [\d.]+ s\./);
}, 360_000);
