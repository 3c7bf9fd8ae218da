// The handler role's inline policies must stay under IAM's 10,240-character cap however many instances a stack
// holds: grants are exact per instance up to SCOPED_GRANTS_LIMIT, then widen to the kind's prefix.
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AccessType, ConnectionAliasSharing, PartnerConnectionPreferences } from '../../lib';
import { SCOPED_GRANTS_LIMIT } from '../../lib/common/grants';

const IAM_INLINE_LIMIT = 10_240;
const env = { account: '123456789012', region: 'eu-west-1' };
const context = { '@aws-cdk/aws-iam:minimizePolicies': true };

function aliases(stack: Stack, n: number): void {
  for (let i = 0; i < n; i++) {
    new ConnectionAliasSharing(stack, `Share${i}`, { aliasId: `wsca-${String(i).padStart(10, '0')}`, sharedAccountIds: ['210987654321'] });
  }
}
function catalogs(stack: Stack, n: number): void {
  for (let i = 0; i < n; i++) new PartnerConnectionPreferences(stack, `Prefs${i}`, { catalog: `Catalog-${i}`, accessType: AccessType.DENY_ALL });
}

/** The policies of the role as IAM would count them: intrinsics resolved (longest partition), no whitespace. */
function inlinePolicyChars(template: Template, roleLogicalIdPrefix: string): number {
  const resolve = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(resolve);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.Ref === 'AWS::Partition') return 'aws-iso-b';
      if (o.Ref) return `resolved-${String(o.Ref)}`;
      if (o['Fn::GetAtt']) return `arn:aws-iso-b:service:eu-west-1:123456789012:resource/${(o['Fn::GetAtt'] as string[])[0]}`;
      if (o['Fn::Join']) {
        const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
        return parts.map(resolve).join(sep);
      }
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x)]));
    }
    return v;
  };
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleLogicalIdPrefix))
    .reduce((sum, p) => sum + JSON.stringify(resolve(p.Properties.PolicyDocument)).length, 0);
}

function build(kind: 'aliases' | 'catalogs', n: number, nag = false) {
  const app = new App({ context });
  const stack = new Stack(app, 'S', { env });
  (kind === 'aliases' ? aliases : catalogs)(stack, n);
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, template: () => Template.fromStack(stack) };
}

const statementsWith = (template: Template, action: string) =>
  Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
    .filter((s) => ([] as string[]).concat(s.Action).includes(action));

describe.each([
  ['aliases', 'workspaces:UpdateConnectionAliasPermission', 'CdkConnectionSharingWorkSpacesProviderHandlerRole', /connectionalias\/\*$/],
  ['catalogs', 'ssm:PutParameter', 'CdkConnectionSharingPartnerCentralProviderHandlerRole', /partner-central\/\*$/],
] as const)('%s', (kind, action, role, widePattern) => {
  const resources = (template: Template) => statementsWith(template, action).flatMap((s) => ([] as unknown[]).concat(s.Resource)).map((r) => JSON.stringify(r));

  test(`exact per instance up to ${SCOPED_GRANTS_LIMIT}`, () => {
    const res = resources(build(kind, SCOPED_GRANTS_LIMIT).template());
    expect(res).toHaveLength(SCOPED_GRANTS_LIMIT);
    const flat = res.map((r) => JSON.parse(r)['Fn::Join'][1].join(''));
    expect(flat.filter((r: string) => widePattern.test(r))).toEqual([]);
  });

  test(`one prefix grant past ${SCOPED_GRANTS_LIMIT}`, () => {
    const res = resources(build(kind, SCOPED_GRANTS_LIMIT + 1).template());
    expect(res).toHaveLength(1);
    expect(JSON.parse(res[0])['Fn::Join'][1].join('')).toMatch(widePattern);
  });

  test('100 instances: the role stays under IAM inline policy limit, and cdk-nag passes with exact acknowledgements', () => {
    const { app, template } = build(kind, 100, true);
    expect(() => app.synth()).not.toThrow();
    const chars = inlinePolicyChars(template(), role);
    expect(chars).toBeGreaterThan(100);
    expect(chars).toBeLessThan(IAM_INLINE_LIMIT);
  });

  test(`${SCOPED_GRANTS_LIMIT} instances (the exact form at its largest) also fit`, () => {
    expect(inlinePolicyChars(build(kind, SCOPED_GRANTS_LIMIT).template(), role)).toBeLessThan(IAM_INLINE_LIMIT);
  });
});
