// The README's main command must keep working: `npm run demo` walks both constructs through their lifecycle against
// the emulator and exits non-zero if the account does not end exactly as it started.
import { spawnSync } from 'child_process';
import * as path from 'path';
import { ROOT } from '../support/cdk-cli';

test('npm run demo ends with the account exactly as before Create', () => {
  const result = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['demo/run.ts'], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
  expect(result.stderr).not.toMatch(/Error/);
  expect(result.status).toBe(0);
  expect(result.stdout).toMatch(/PartnerConnectionPreferences: SUCCESS/);
  expect(result.stdout).toMatch(/ConnectionAliasSharing: SUCCESS/);
  expect(result.stdout).toMatch(/\[~\] Custom::PartnerConnectionPreferences/);
  expect(result.stdout).toMatch(/Result: the account is exactly as it was before Create/);
  // The review before each deploy: create before the first (exit 2), drift after the change made outside the stack
  // (exit 2), nothing after the deploy (exit 0). The demo itself fails on any other exit status.
  expect(result.stdout).toMatch(/\[\+\] Custom::PartnerConnectionPreferences \S+ {2}catalog Sandbox {2}create[\s\S]*\(exit 2\)/);
  expect(result.stdout).toMatch(/drift {5}yes: the live AccessType DENY_ALL/);
  // The reconcile deploy: cdk diff shows the property, plan says this deploy reconciles, the Updates converge.
  expect(result.stdout).toMatch(/\[\+\] Reconcile\s+└─ demo-1/);
  expect(result.stdout).toMatch(/note {6}this deploy reconciles it: synthesized with cdk-connection-sharing:reconcile=demo-1/);
  expect(result.stdout).toMatch(/Converged: the settings are the declared ones again\./);
  expect(result.stdout).toMatch(/Nothing would change \(0 to create, 0 to update, 0 to delete, 2 unchanged, 0 blocked, 0 unknown\)\.\n\s*\(exit 0\)/);
});
