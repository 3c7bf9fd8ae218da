// The stacks the benchmarks synthesize: our constructs, and the equivalent a user writes by hand today with
// aws-cdk-lib's AwsCustomResource (one call per custom resource, one shared singleton Lambda).
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { AccessType, ConnectionAliasSharing, OnDelete, PartnerConnectionPreferences } from '../lib';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
const ROOT = path.join(__dirname, '..');

/** The feature flags of cdk.json: `new App()` does not read them, and they change templates (minimizePolicies). */
function cdkJsonContext(): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context;
}

export function newApp(outdir: string): App {
  return new App({ outdir, context: cdkJsonContext() });
}

export function newStack(app: App, name: string): Stack {
  return new Stack(app, name, { env: { account: ACCOUNT, region: REGION } });
}

export const catalogName = (i: number) => `Cat${i + 1}`;
export const aliasIdOf = (i: number) => `wsca-bench${String(i + 1).padStart(4, '0')}`;
/** 12-digit account ids, different from ACCOUNT. */
export const accountOf = (i: number) => String(210000000000 + i);

export interface PrefsSpec {
  readonly catalog: string;
  readonly accessType: AccessType;
  readonly excluded: string[];
}

export function ourPreferences(stack: Stack, id: string, spec: PrefsSpec): PartnerConnectionPreferences {
  return new PartnerConnectionPreferences(stack, id, {
    catalog: spec.catalog,
    accessType: spec.accessType,
    excludedParticipantIds: spec.excluded,
    onDelete: OnDelete.RESTORE,
  });
}

export function ourSharing(stack: Stack, id: string, aliasId: string, accounts: string[]): ConnectionAliasSharing {
  return new ConnectionAliasSharing(stack, id, { aliasId, sharedAccountIds: accounts, onDelete: OnDelete.RESTORE });
}

/**
 * Written as a user would: a Get call whose Revision feeds an Update call. The Get's physical id carries a per-deploy
 * nonce, because without it the Get runs only at Create and every later Update sends a stale Revision. There is no
 * onDelete: with no snapshot of what was there before and no fresh Revision at Delete time, nothing can be restored.
 * installLatestAwsSdk is false (the best case for it): true would run `npm install` in the Lambda at cold start.
 * The service is named by its package: AwsCustomResource derives `@aws-sdk/client-<service>` from it, and IAM actions
 * are given explicitly because its own mapping would produce the prefix `partnercentral-account`, which IAM does not know.
 */
export function acrPreferences(stack: Stack, id: string, spec: PrefsSpec, nonce: string): { get: AwsCustomResource; update: AwsCustomResource } {
  const catalogCondition = { StringEquals: { 'partnercentral:Catalog': spec.catalog } };
  const get = new AwsCustomResource(stack, `${id}Get`, {
    onUpdate: {
      service: '@aws-sdk/client-partnercentral-account',
      action: 'GetConnectionPreferences',
      parameters: { Catalog: spec.catalog },
      region: 'us-east-1',
      physicalResourceId: PhysicalResourceId.of(`${spec.catalog}-get-${nonce}`),
      outputPaths: ['Revision'],
    },
    policy: AwsCustomResourcePolicy.fromStatements([
      new iam.PolicyStatement({ actions: ['partnercentral:GetConnectionPreferences'], resources: ['*'], conditions: catalogCondition }),
    ]),
    installLatestAwsSdk: false,
  });
  const update = new AwsCustomResource(stack, `${id}Update`, {
    onUpdate: {
      service: '@aws-sdk/client-partnercentral-account',
      action: 'UpdateConnectionPreferences',
      parameters: {
        Catalog: spec.catalog,
        Revision: get.getResponseField('Revision'),
        AccessType: spec.accessType,
        ExcludedParticipantIdentifiers: spec.excluded,
      },
      region: 'us-east-1',
      physicalResourceId: PhysicalResourceId.of(`${spec.catalog}-preferences`),
      outputPaths: ['Revision'],
    },
    policy: AwsCustomResourcePolicy.fromStatements([
      new iam.PolicyStatement({ actions: ['partnercentral:UpdateConnectionPreferences'], resources: ['*'], conditions: catalogCondition }),
    ]),
    installLatestAwsSdk: false,
  });
  return { get, update };
}

/** One AwsCustomResource per account: share on Create/Update, unshare on Delete (whether or not it shared it). */
export function acrShare(stack: Stack, id: string, aliasId: string, account: string): AwsCustomResource {
  const call = (allow: boolean) => ({
    service: 'WorkSpaces',
    action: 'UpdateConnectionAliasPermission',
    parameters: { AliasId: aliasId, ConnectionAliasPermission: { SharedAccountId: account, AllowAssociation: allow } },
    physicalResourceId: PhysicalResourceId.of(`${aliasId}/${account}`),
  });
  return new AwsCustomResource(stack, id, {
    onUpdate: call(true),
    onDelete: call(false),
    policy: AwsCustomResourcePolicy.fromStatements([
      new iam.PolicyStatement({
        actions: ['workspaces:UpdateConnectionAliasPermission'],
        resources: [stack.formatArn({ service: 'workspaces', resource: 'connectionalias', resourceName: aliasId })],
      }),
    ]),
    installLatestAwsSdk: false,
  });
}

/** 100 unique participant ids of 100 characters: the API's maximum list, about 10 KB of text. */
export function maxExclusions(): string[] {
  return Array.from({ length: 100 }, (_, i) => `p${String(i).padStart(3, '0')}-`.padEnd(100, 'x'));
}

export const SCENARIO_STACK = { ours: 'BenchOurs', acr: 'BenchAwsCustomResource' } as const;
export const SCENARIO_ALIAS = 'wsca-bench0000';
export const SHARED_A = '210987654321';
export const SHARED_B = '210987654322';
export const NONCE = '1700000000000';

/**
 * The stacks every handler benchmark takes its functions and properties from: catalog AWS with two exclusions,
 * catalog Sandbox with the maximal exclusion list (memory), and one alias shared with one account.
 */
export function synthScenarioApp(outdir: string): void {
  const app = newApp(outdir);
  const ours = newStack(app, SCENARIO_STACK.ours);
  ourPreferences(ours, 'Prefs', { catalog: 'AWS', accessType: AccessType.ALLOW_BY_DEFAULT_DENY_SOME, excluded: ['partner-blocked-1', 'partner-blocked-2'] });
  ourPreferences(ours, 'PrefsMax', { catalog: 'Sandbox', accessType: AccessType.ALLOW_BY_DEFAULT_DENY_SOME, excluded: maxExclusions() });
  ourSharing(ours, 'Sharing', SCENARIO_ALIAS, [SHARED_A]);
  const acr = newStack(app, SCENARIO_STACK.acr);
  acrPreferences(acr, 'Prefs', { catalog: 'AWS', accessType: AccessType.ALLOW_BY_DEFAULT_DENY_SOME, excluded: ['partner-blocked-1', 'partner-blocked-2'] }, NONCE);
  acrPreferences(acr, 'PrefsMax', { catalog: 'Sandbox', accessType: AccessType.ALLOW_BY_DEFAULT_DENY_SOME, excluded: maxExclusions() }, NONCE);
  acrShare(acr, 'Share', SCENARIO_ALIAS, SHARED_A);
  app.synth();
}

export type Kind = 'preferences' | 'sharing';
export type Variant = 'ours' | 'acr';

/** A stack with `n` managed resources of one kind, in the given variant; returns the synthesized template path. */
export function synthGrowth(outdir: string, kind: Kind, variant: Variant, n: number): { stackName: string; templateFile: string } {
  const app = newApp(outdir);
  const stackName = `Growth-${kind}-${variant}-${n}`;
  const stack = newStack(app, stackName);
  for (let i = 0; i < n; i++) {
    if (kind === 'preferences') {
      const spec = { catalog: catalogName(i), accessType: AccessType.ALLOW_BY_DEFAULT_DENY_SOME, excluded: ['partner-blocked-1'] };
      if (variant === 'ours') ourPreferences(stack, `Prefs${i}`, spec);
      else acrPreferences(stack, `Prefs${i}`, spec, NONCE);
    } else if (variant === 'ours') ourSharing(stack, `Sharing${i}`, aliasIdOf(i), [accountOf(i)]);
    else acrShare(stack, `Share${i}`, aliasIdOf(i), accountOf(i));
  }
  app.synth();
  return { stackName, templateFile: path.join(outdir, `${stackName}.template.json`) };
}
