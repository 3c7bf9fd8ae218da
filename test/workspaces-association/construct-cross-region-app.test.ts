// The cross-Region redirection example app (bin/cross-region-app.ts): each phase's stacks, in the right account and
// Region, wired by values passed as context rather than cross-stack references.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { addCrossRegionStacks, crossRegionConfigFromContext } from '../../bin/cross-region-stacks';
import { RESOURCE_TYPE as ASSOCIATION } from '../../lib/workspaces-association/contract';
import { RESOURCE_TYPE as SHARING } from '../../lib/workspaces/contract';

const ROOT = path.join(__dirname, '..', '..');
const OWNER = '111111111111';
const DIRECTORY_ACCOUNT = '222222222222';
const BASE = {
  '@aws-cdk/aws-iam:minimizePolicies': true,
  ownerAccount: OWNER,
  directoryAccount: DIRECTORY_ACCOUNT,
  primaryRegion: 'eu-west-1',
  failoverRegion: 'eu-central-1',
  connectionString: 'desktop.corp.example.com',
  zoneName: 'corp.example.com',
  hostedZoneId: 'Z111EXAMPLE',
  primaryDirectoryId: 'd-aaaaaaaaaa',
  failoverDirectoryId: 'd-bbbbbbbbbb',
};
const ALIASES = { primaryAliasId: 'wsca-primary0001', failoverAliasId: 'wsca-failover001' };
const IDENTIFIERS = { primaryConnectionIdentifier: 'abcDEF123', failoverConnectionIdentifier: 'ghiJKL456' };

function synth(context: Record<string, unknown>) {
  const app = new App({ context: { ...BASE, ...context } });
  const stacks = addCrossRegionStacks(app, crossRegionConfigFromContext(app));
  return { app, stacks };
}

const names = (app: App) => app.node.children.filter((c): c is Stack => Stack.isStack(c)).map((s) => s.stackName);

describe('cross-Region redirection example app', () => {
  test('phase 1 only, until the alias ids are known: the owner account\'s alias and sharing in each Region', () => {
    const { app, stacks } = synth({});
    expect(names(app)).toEqual(['CrossRegion-AliasOwner-Primary', 'CrossRegion-AliasOwner-Failover']);
    expect(stacks.directories).toEqual([]);
    expect(stacks.dns).toBeUndefined();
    expect(stacks.owners.map((s) => [s.account, s.region])).toEqual([
      [OWNER, 'eu-west-1'],
      [OWNER, 'eu-central-1'],
    ]);
    for (const stack of stacks.owners) {
      const t = Template.fromStack(stack);
      // The same connection string in both Regions: that is what makes the pair.
      t.hasResourceProperties('AWS::WorkSpaces::ConnectionAlias', { ConnectionString: 'desktop.corp.example.com' });
      t.hasResourceProperties(SHARING, { AliasId: { 'Fn::GetAtt': ['Alias', 'AliasId'] }, SharedAccountIds: [DIRECTORY_ACCOUNT] });
      t.hasOutput('AliasId', { Value: { 'Fn::GetAtt': ['Alias', 'AliasId'] } });
    }
  });

  test('phase 2 with the alias ids: the directory account associates each Region\'s alias, granted on the owner\'s alias ARN', () => {
    const { app, stacks } = synth(ALIASES);
    expect(names(app)).toEqual(['CrossRegion-AliasOwner-Primary', 'CrossRegion-AliasOwner-Failover', 'CrossRegion-Directory-Primary', 'CrossRegion-Directory-Failover']);
    const expected = [
      { region: 'eu-west-1', alias: 'wsca-primary0001', directory: 'd-aaaaaaaaaa' },
      { region: 'eu-central-1', alias: 'wsca-failover001', directory: 'd-bbbbbbbbbb' },
    ];
    stacks.directories.forEach((stack, i) => {
      const { region, alias, directory } = expected[i];
      expect([stack.account, stack.region]).toEqual([DIRECTORY_ACCOUNT, region]);
      const t = Template.fromStack(stack);
      t.hasResourceProperties(ASSOCIATION, { AliasId: alias, DirectoryId: directory, OnDelete: 'RESTORE' });
      t.hasOutput('ConnectionIdentifier', { Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Association'), 'ConnectionIdentifier'] } });
      expect(JSON.stringify(t.findResources('AWS::IAM::Policy'))).toContain(`:workspaces:${region}:${OWNER}:connectionalias/${alias}`);
    });
  });

  test('phase 3 with the connection identifiers: failover TXT records at the connection string, PRIMARY health-checked', () => {
    const { stacks } = synth({ ...ALIASES, ...IDENTIFIERS });
    expect([stacks.dns!.account, stacks.dns!.region]).toEqual([DIRECTORY_ACCOUNT, 'us-east-1']);
    const t = Template.fromStack(stacks.dns!);
    t.resourceCountIs('AWS::Route53::RecordSet', 2);
    const [check] = Object.keys(t.findResources('AWS::Route53::HealthCheck'));
    t.hasResourceProperties('AWS::Route53::HealthCheck', { HealthCheckConfig: Match.objectLike({ Type: 'HTTPS', FullyQualifiedDomainName: 'health.us-east-1.example.com' }) });
    t.hasResourceProperties('AWS::Route53::RecordSet', {
      Type: 'TXT',
      Name: 'desktop.corp.example.com.',
      HostedZoneId: 'Z111EXAMPLE',
      Failover: 'PRIMARY',
      HealthCheckId: { Ref: check },
      ResourceRecords: ['"abcDEF123"'],
    });
    t.hasResourceProperties('AWS::Route53::RecordSet', {
      Type: 'TXT',
      Name: 'desktop.corp.example.com.',
      Failover: 'SECONDARY',
      HealthCheckId: Match.absent(),
      ResourceRecords: ['"ghiJKL456"'],
    });
  });

  test('a CloudWatch alarm in the primary Region as the health check, and the zone in another account', () => {
    const { stacks } = synth({ ...IDENTIFIERS, healthCheckAlarmName: 'workspaces-primary-down', dnsAccount: '333333333333' });
    expect(stacks.dns!.account).toBe('333333333333');
    Template.fromStack(stacks.dns!).hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: Match.objectLike({
        Type: 'CLOUDWATCH_METRIC',
        AlarmIdentifier: { Name: 'workspaces-primary-down', Region: 'eu-west-1' },
        InsufficientDataHealthStatus: 'Unhealthy',
      }),
    });
  });

  test('no stack references another: every value crosses as a literal from context', () => {
    const { app } = synth({ ...ALIASES, ...IDENTIFIERS });
    const assembly = app.synth();
    expect(assembly.stacks).toHaveLength(5);
    for (const stack of assembly.stacks) {
      const text = JSON.stringify(stack.template);
      expect(text).not.toContain('Fn::ImportValue');
      expect(text).not.toContain('"Export"');
    }
  });

  test('refuses a connection string outside the hosted zone, and one Region for both roles', () => {
    expect(() => synth({ ...IDENTIFIERS, zoneName: 'other.example.com' })).toThrow(/connectionString 'desktop.corp.example.com' is not in hosted zone 'other.example.com'/);
    expect(() => synth({ failoverRegion: 'eu-west-1' })).toThrow(/primaryRegion and failoverRegion are both 'eu-west-1'/);
  });

  // The entry point itself, as `cdk synth -a "npx tsx bin/cross-region-app.ts"` runs it: a cdk-nag finding fails it.
  test('bin/cross-region-app.ts synthesizes all five stacks with the AwsSolutions checks on', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ccs-xr-'));
    try {
      execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'bin', 'cross-region-app.ts')], {
        cwd: ROOT,
        env: { ...process.env, CDK_OUTDIR: out, CDK_CONTEXT_JSON: JSON.stringify({ ...ALIASES, ...IDENTIFIERS }) },
        stdio: 'pipe',
      });
      const templates = fs.readdirSync(out).filter((f) => f.endsWith('.template.json')).sort();
      expect(templates).toEqual([
        'CrossRegion-AliasOwner-Failover.template.json',
        'CrossRegion-AliasOwner-Primary.template.json',
        'CrossRegion-Directory-Failover.template.json',
        'CrossRegion-Directory-Primary.template.json',
        'CrossRegion-Dns.template.json',
      ]);
      // Context not given falls back to the example's placeholders, as in bin/app.ts.
      const dns = JSON.parse(fs.readFileSync(path.join(out, 'CrossRegion-Dns.template.json'), 'utf8'));
      expect(JSON.stringify(dns)).toContain('desktop.example.com.');
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
