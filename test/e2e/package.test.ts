// How users get the library: `npm pack`, install the tarball into a fresh CDK app that has only aws-cdk-lib and
// constructs, and synthesize. The pack runs in a copy of the project so that its in-place compile of lib/ never
// races other test files reading lib/.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT, tempDir } from '../support/cdk-cli';
import { customResourceArtifacts, readTemplate } from '../../emulator/cloud-assembly';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
}

test('the packed tarball installs into a plain CDK app and synthesizes both constructs', () => {
  const copy = tempDir('pack-src');
  const tracked = run('git', ['ls-files', '--cached', '--others', '--exclude-standard'], ROOT).split('\n').filter(Boolean);
  for (const rel of tracked) {
    if (!fs.existsSync(path.join(ROOT, rel))) continue;
    fs.mkdirSync(path.dirname(path.join(copy, rel)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, rel), path.join(copy, rel));
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
  const tarball = run('npm', ['pack', '--silent'], copy).trim().split('\n').pop()!;

  const contents = run('tar', ['-tzf', path.join(copy, tarball)], copy).split('\n');
  expect(contents).toEqual(
    expect.arrayContaining(['package/.jsii', 'package/LICENSE', 'package/lib/index.js', 'package/lib/index.d.ts', 'package/assets/partner-central/index.js', 'package/assets/workspaces/index.js']),
  );
  expect(contents.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);

  const app = tempDir('consumer');
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', `aws-cdk-lib@${pkg.devDependencies['aws-cdk-lib']}`, `constructs@${pkg.devDependencies.constructs}`, path.join(copy, tarball)],
    app,
  );
  const installed = JSON.parse(fs.readFileSync(path.join(app, 'package.json'), 'utf8'));
  expect(Object.keys(installed.dependencies).sort()).toEqual(['aws-cdk-lib', 'cdk-connection-sharing', 'constructs']);

  fs.writeFileSync(
    path.join(app, 'app.js'),
    `const { App, Stack } = require('aws-cdk-lib');
const { PartnerConnectionPreferences, ConnectionAliasSharing, ConnectionAliasAssociation, AccessType } = require('cdk-connection-sharing');
const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'Consumer', { env: { account: '123456789012', region: 'us-west-2' } });
new PartnerConnectionPreferences(stack, 'Prefs', { accessType: AccessType.DENY_ALL });
new ConnectionAliasSharing(stack, 'Share', { aliasId: 'wsca-abcdefgh1', sharedAccountIds: ['210987654321'] });
new ConnectionAliasAssociation(stack, 'Association', { aliasId: 'wsca-abcdefgh2', directoryId: 'd-1234567890', aliasOwnerAccountId: '210987654321' });
app.synth();
`,
  );
  const out = path.join(app, 'cdk.out');
  run('node', ['app.js', out], app);
  const template = readTemplate(out, 'Consumer');
  expect(Object.values(template.Resources).map((r) => r.Type)).toEqual(
    expect.arrayContaining(['Custom::PartnerConnectionPreferences', 'Custom::ConnectionAliasSharing', 'Custom::ConnectionAliasAssociation']),
  );
  for (const type of ['Custom::PartnerConnectionPreferences', 'Custom::ConnectionAliasSharing', 'Custom::ConnectionAliasAssociation']) {
    const [artifacts] = customResourceArtifacts(out, 'Consumer', type);
    expect(fs.statSync(artifacts.handlerFile).size).toBeGreaterThan(10_000);
  }

  // The plan command, as `npx cdk-connection-sharing plan` runs it in this app: the package's bin, with its SDK
  // clients bundled and the app's own aws-cdk-lib reading the assembly. Without credentials it reads the assembly,
  // then stops at the first AWS call with exit 1 and a clear message.
  expect(contents).toContain('package/assets/cli/index.js');
  const bin = path.join(app, 'node_modules', '.bin', 'cdk-connection-sharing');
  expect(run(bin, ['--help'], app)).toContain('Usage: cdk-connection-sharing plan [--app DIR] [--stack NAME ...] [--json]');
  const env = { PATH: process.env.PATH!, HOME: tempDir('consumer-home'), AWS_REGION: 'us-west-2', AWS_EC2_METADATA_DISABLED: 'true' };
  const noCredentials = spawnSync(bin, ['plan', '--app', out, '--stack', 'Consumer'], { cwd: app, encoding: 'utf8', env, timeout: 60_000 });
  expect(noCredentials.status).toBe(1);
  expect(noCredentials.stderr).toContain('could not tell which AWS account your credentials belong to');
});
