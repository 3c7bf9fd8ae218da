// The stacks of the cross-Region redirection example (bin/cross-region-app.ts), as the WorkSpaces Administration
// Guide's "Cross-Region Redirection" describes it:
//   owner account A, in the primary and the failover Region: a connection alias with the same connection string,
//     shared with account B (ConnectionAliasSharing);
//   directory account B, in each Region: the alias associated with B's directory there (ConnectionAliasAssociation);
//   DNS: failover TXT records at the connection string, PRIMARY (with a health check on the primary Region) and
//     SECONDARY, whose values are the two associations' connection identifiers.
//
// How values cross stacks: as props, filled from context by the app, never as CDK cross-stack references.
// - The alias ids go from account A's stacks to account B's: CDK refuses references between accounts at synth (and
//   `crossRegionReferences` works only within one account).
// - The connection identifiers go from B's stacks in two Regions to the DNS stack, which may be in yet another
//   account (where the hosted zone lives). Even within one account, an `Fn::ImportValue` (or a crossRegionReferences
//   SSM export) locks the exported value while it is imported, so a replaced alias or association (a new id) would
//   fail its own stack's update until the DNS stack stopped importing it.
// - Each phase needs other credentials (A's, B's, the zone's) anyway, so the operator runs them in order and passes
//   the previous phase's outputs on. The app adds a phase's stacks only once the values they need are given:
//   nothing placeholder-valued that would depend on another phase ever reaches a template.
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as workspaces from 'aws-cdk-lib/aws-workspaces';
import type { App } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ConnectionAliasAssociation, ConnectionAliasSharing } from '../lib';

export interface AliasOwnerStackProps extends StackProps {
  /** The FQDN users register with; the same in both Regions. */
  readonly connectionString: string;
  /** The account whose directory the alias is associated with. */
  readonly sharedAccountId: string;
}

/** Account A, one Region: the alias and its sharing with account B. */
export class AliasOwnerStack extends Stack {
  public readonly alias: workspaces.CfnConnectionAlias;

  constructor(scope: Construct, id: string, props: AliasOwnerStackProps) {
    super(scope, id, props);
    this.alias = new workspaces.CfnConnectionAlias(this, 'Alias', { connectionString: props.connectionString });
    new ConnectionAliasSharing(this, 'Sharing', { aliasId: this.alias.attrAliasId, sharedAccountIds: [props.sharedAccountId] });
    new CfnOutput(this, 'AliasId', { value: this.alias.attrAliasId, description: `The alias id in ${this.region}: pass it to the directory stacks (-c <primary|failover>AliasId=...)` });
  }
}

export interface DirectoryStackProps extends StackProps {
  readonly aliasId: string;
  readonly aliasOwnerAccountId: string;
  readonly directoryId: string;
}

/** Account B, one Region: the shared alias associated with B's directory there. */
export class DirectoryStack extends Stack {
  public readonly association: ConnectionAliasAssociation;

  constructor(scope: Construct, id: string, props: DirectoryStackProps) {
    super(scope, id, props);
    this.association = new ConnectionAliasAssociation(this, 'Association', {
      aliasId: props.aliasId,
      aliasOwnerAccountId: props.aliasOwnerAccountId,
      directoryId: props.directoryId,
    });
    new CfnOutput(this, 'ConnectionIdentifier', {
      value: this.association.connectionIdentifier,
      description: `The connection identifier in ${this.region}: pass it to the DNS stack (-c <primary|failover>ConnectionIdentifier=...)`,
    });
  }
}

export interface RedirectionDnsStackProps extends StackProps {
  readonly hostedZoneId: string;
  readonly zoneName: string;
  /** The record name: the alias's connection string, inside the zone. */
  readonly connectionString: string;
  readonly primaryConnectionIdentifier: string;
  readonly failoverConnectionIdentifier: string;
  /**
   * What says the primary Region is healthy, one of two: a CloudWatch alarm (the WorkSpaces guide's suggestion: a
   * Route 53 health check that monitors an alarm, e.g. on the primary directory's WorkSpaces metrics), or an HTTPS
   * endpoint that is healthy while that Region is.
   */
  readonly healthCheckAlarm?: { readonly name: string; readonly region: string };
  readonly healthCheckFqdn?: string;
  readonly healthCheckPath?: string;
  /** How long resolvers may cache the TXT records: short, so that a failover takes effect soon. */
  readonly ttl?: Duration;
}

/** The zone's account: failover TXT records whose values are the connection identifiers. */
export class RedirectionDnsStack extends Stack {
  constructor(scope: Construct, id: string, props: RedirectionDnsStackProps) {
    super(scope, id, props);
    const name = props.connectionString.replace(/\.$/, '');
    const zoneName = props.zoneName.replace(/\.$/, '');
    if (name !== zoneName && !name.endsWith(`.${zoneName}`)) {
      throw new Error(`RedirectionDnsStack: connectionString '${props.connectionString}' is not in hosted zone '${props.zoneName}'.`);
    }
    const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: props.hostedZoneId, zoneName });
    if ((props.healthCheckAlarm === undefined) === (props.healthCheckFqdn === undefined)) {
      throw new Error('RedirectionDnsStack: give exactly one of healthCheckAlarm and healthCheckFqdn: what says the primary Region is healthy.');
    }
    const health = props.healthCheckAlarm
      ? new route53.HealthCheck(this, 'PrimaryHealth', {
          type: route53.HealthCheckType.CLOUDWATCH_METRIC,
          alarmIdentifier: props.healthCheckAlarm,
          // No data (the alarm's Region unreachable, say) counts as unhealthy: fail over.
          insufficientDataHealthStatus: route53.InsufficientDataHealthStatusEnum.UNHEALTHY,
        })
      : new route53.HealthCheck(this, 'PrimaryHealth', {
          type: route53.HealthCheckType.HTTPS,
          fqdn: props.healthCheckFqdn,
          port: 443,
          resourcePath: props.healthCheckPath ?? '/',
          enableSNI: true,
        });
    const ttl = props.ttl ?? Duration.seconds(30);
    new route53.TxtRecord(this, 'Primary', {
      zone,
      recordName: `${name}.`,
      values: [props.primaryConnectionIdentifier],
      failover: route53.Failover.PRIMARY,
      healthCheck: health,
      ttl,
    });
    new route53.TxtRecord(this, 'Secondary', {
      zone,
      recordName: `${name}.`,
      values: [props.failoverConnectionIdentifier],
      failover: route53.Failover.SECONDARY,
      ttl,
    });
  }
}

/** Everything the example needs; the `phase` values come from the previous phase's outputs. */
export interface CrossRegionConfig {
  readonly ownerAccount: string;
  readonly directoryAccount: string;
  /** Where the hosted zone lives (Route 53 is global; the stack still needs a Region). */
  readonly dnsEnv: { readonly account: string; readonly region: string };
  readonly primaryRegion: string;
  readonly failoverRegion: string;
  readonly connectionString: string;
  readonly primaryDirectoryId: string;
  readonly failoverDirectoryId: string;
  readonly hostedZoneId: string;
  readonly zoneName: string;
  /** The CloudWatch alarm (in the primary Region) whose state is the primary Region's health; else healthCheckFqdn. */
  readonly healthCheckAlarmName?: string;
  readonly healthCheckFqdn: string;
  /** Phase 2 input: the alias ids the owner stacks output. */
  readonly primaryAliasId?: string;
  readonly failoverAliasId?: string;
  /** Phase 3 input: the connection identifiers the directory stacks output. */
  readonly primaryConnectionIdentifier?: string;
  readonly failoverConnectionIdentifier?: string;
}

/** The example's configuration: context values (`-c key=value`), else example placeholders (as bin/app.ts has). */
export function crossRegionConfigFromContext(app: App): CrossRegionConfig {
  const ctx = (key: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(key);
    return value === undefined || value === null || value === '' ? undefined : String(value);
  };
  const directoryAccount = ctx('directoryAccount') ?? '210987654321';
  return {
    ownerAccount: ctx('ownerAccount') ?? '123456789012',
    directoryAccount,
    dnsEnv: { account: ctx('dnsAccount') ?? directoryAccount, region: ctx('dnsRegion') ?? 'us-east-1' },
    primaryRegion: ctx('primaryRegion') ?? 'us-east-1',
    failoverRegion: ctx('failoverRegion') ?? 'us-west-2',
    connectionString: ctx('connectionString') ?? 'desktop.example.com',
    primaryDirectoryId: ctx('primaryDirectoryId') ?? 'd-1234567890',
    failoverDirectoryId: ctx('failoverDirectoryId') ?? 'd-0987654321',
    hostedZoneId: ctx('hostedZoneId') ?? 'Z0123456789EXAMPLE',
    zoneName: ctx('zoneName') ?? 'example.com',
    healthCheckAlarmName: ctx('healthCheckAlarmName'),
    healthCheckFqdn: ctx('healthCheckFqdn') ?? 'health.us-east-1.example.com',
    primaryAliasId: ctx('primaryAliasId'),
    failoverAliasId: ctx('failoverAliasId'),
    primaryConnectionIdentifier: ctx('primaryConnectionIdentifier'),
    failoverConnectionIdentifier: ctx('failoverConnectionIdentifier'),
  };
}

export interface CrossRegionStacks {
  readonly owners: AliasOwnerStack[];
  readonly directories: DirectoryStack[];
  readonly dns?: RedirectionDnsStack;
}

/**
 * Adds each phase's stacks once its inputs are known: phase 1 (account A's owner stacks) always, phase 2 (account B's
 * directory stacks) with both alias ids, phase 3 (the DNS stack) with both connection identifiers.
 */
export function addCrossRegionStacks(app: App, config: CrossRegionConfig): CrossRegionStacks {
  const regions = [
    { role: 'Primary', region: config.primaryRegion, directoryId: config.primaryDirectoryId, aliasId: config.primaryAliasId },
    { role: 'Failover', region: config.failoverRegion, directoryId: config.failoverDirectoryId, aliasId: config.failoverAliasId },
  ];
  if (config.primaryRegion === config.failoverRegion) {
    throw new Error(`cross-region example: primaryRegion and failoverRegion are both '${config.primaryRegion}': use two Regions.`);
  }
  const owners = regions.map(
    (r) =>
      new AliasOwnerStack(app, `CrossRegion-AliasOwner-${r.role}`, {
        env: { account: config.ownerAccount, region: r.region },
        description: `cdk-connection-sharing example: the ${r.role.toLowerCase()} Region's connection alias, shared with ${config.directoryAccount}`,
        connectionString: config.connectionString,
        sharedAccountId: config.directoryAccount,
      }),
  );
  const directories: DirectoryStack[] = [];
  if (config.primaryAliasId && config.failoverAliasId) {
    for (const r of regions) {
      directories.push(
        new DirectoryStack(app, `CrossRegion-Directory-${r.role}`, {
          env: { account: config.directoryAccount, region: r.region },
          description: `cdk-connection-sharing example: the shared alias associated with directory ${r.directoryId}`,
          aliasId: r.aliasId!,
          aliasOwnerAccountId: config.ownerAccount,
          directoryId: r.directoryId,
        }),
      );
    }
  }
  let dns: RedirectionDnsStack | undefined;
  if (config.primaryConnectionIdentifier && config.failoverConnectionIdentifier) {
    dns = new RedirectionDnsStack(app, 'CrossRegion-Dns', {
      env: config.dnsEnv,
      description: `cdk-connection-sharing example: failover TXT records for ${config.connectionString}`,
      hostedZoneId: config.hostedZoneId,
      zoneName: config.zoneName,
      connectionString: config.connectionString,
      primaryConnectionIdentifier: config.primaryConnectionIdentifier,
      failoverConnectionIdentifier: config.failoverConnectionIdentifier,
      ...(config.healthCheckAlarmName
        ? { healthCheckAlarm: { name: config.healthCheckAlarmName, region: config.primaryRegion } }
        : { healthCheckFqdn: config.healthCheckFqdn }),
    });
  }
  return { owners, directories, dns };
}
