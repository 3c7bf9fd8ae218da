import { ArnFormat, Aws, CustomResource, Duration, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { grantStateStore, grantWithWildcard } from '../common/grants';
import { HandlerProvider } from '../common/provider';
import { OnDelete } from '../common/on-delete';
import { reconcileProperty } from '../common/reconcile';
import { ACCOUNT_ID_PATTERN } from '../workspaces/contract';
import { ALIAS_ID_PATTERN, Attr, DIRECTORY_ID_PATTERN, Prop, RESOURCE_TYPE, STATE_PATH_PREFIX } from './contract';

/** Construct id of the stack's provider singleton: public contract, never rename. */
const PROVIDER_ID = 'CdkConnectionSharingWorkSpacesAssociationProvider';
const GRANTS_ID = 'AssociationGrants';
const MARKER = Symbol.for('cdk-connection-sharing.ConnectionAliasAssociation');

export interface ConnectionAliasAssociationProps {
  /**
   * The id of the WorkSpaces connection alias to associate (`wsca-...`), in this stack's Region: an alias of this
   * stack's account (e.g. `CfnConnectionAlias.attrAliasId`), or an alias of another account that its owner has
   * shared with this one (`ConnectionAliasSharing` in the owner's account; then set `aliasOwnerAccountId`).
   * Changing it replaces the resource: the new alias is associated, then the old one is disassociated.
   */
  readonly aliasId: string;

  /**
   * The id of the WorkSpaces directory (`d-...`) of this stack's account and Region to associate the alias with.
   * Changing it moves the association in place: the alias is disassociated from the old directory, then associated
   * with the new one (WorkSpaces allows one directory per alias and Region, so it cannot be done the other way round).
   */
  readonly directoryId: string;

  /**
   * The 12-digit id of the account that owns the alias. The handler's permission to associate names the alias's ARN,
   * which carries its owner's account (`arn:<partition>:workspaces:<region>:<owner>:connectionalias/<aliasId>`): give the
   * owner's account when the alias was shared with this account by another one. It is not sent to WorkSpaces and is
   * not a property of the resource: changing it only changes the handler's policy.
   *
   * @default - this stack's account (an alias this account owns)
   */
  readonly aliasOwnerAccountId?: string;

  /**
   * What happens to the association when this resource is deleted (removed from the app, its stack deleted, or
   * replaced because its alias changed).
   *
   * @default OnDelete.RESTORE - the alias is disassociated if this resource associated it; an association that
   * existed before this resource (adopted) is left in place
   */
  readonly onDelete?: OnDelete;
}

/**
 * Associates a WorkSpaces connection alias with a WorkSpaces directory of this stack's account and Region.
 *
 * The alias may be this account's own or one shared with it by its owner (`ConnectionAliasSharing`). The
 * `connectionIdentifier` attribute is the value of the Route 53 failover TXT records of cross-Region redirection.
 *
 * @example
 * const alias = new workspaces.CfnConnectionAlias(this, 'Alias', { connectionString: 'desktop.example.com' });
 * const association = new ConnectionAliasAssociation(this, 'Association', {
 *   aliasId: alias.attrAliasId,
 *   directoryId: 'd-1234567890',
 * });
 * new CfnOutput(this, 'ConnectionIdentifier', { value: association.connectionIdentifier });
 */
export class ConnectionAliasAssociation extends Construct {
  /** Whether `x` is a ConnectionAliasAssociation, also across copies of this library. */
  public static isConnectionAliasAssociation(x: unknown): x is ConnectionAliasAssociation {
    return typeof x === 'object' && x !== null && MARKER in x;
  }

  /**
   * The connection identifier WorkSpaces gave the association (`Fn::GetAtt`): the value of the DNS failover TXT
   * record for this Region in cross-Region redirection.
   */
  public readonly connectionIdentifier: string;
  /** The id of the associated alias (`Fn::GetAtt`); referencing it orders your resources after the association. */
  public readonly aliasId: string;
  /** The directory the alias is associated with, as declared (may be a token). */
  public readonly directoryId: string;

  /** The aliasId prop as declared (a literal or a token), for the same-alias check. */
  private readonly declaredAliasId: string;

  constructor(scope: Construct, id: string, props: ConnectionAliasAssociationProps) {
    super(scope, id);
    Object.defineProperty(this, MARKER, { value: true });

    const stack = Stack.of(this);
    const onDelete = props.onDelete ?? OnDelete.RESTORE;
    const ownerAccountId = props.aliasOwnerAccountId ?? stack.account;
    validate(props, onDelete);
    this.declaredAliasId = props.aliasId;
    this.directoryId = props.directoryId;
    this.checkAliasNotAssociatedTwice();

    const provider = HandlerProvider.getOrCreate(this, {
      id: PROVIDER_ID,
      kind: 'workspaces-association',
      description: 'cdk-connection-sharing: WorkSpaces connection alias association',
      // Bounds the waits for an alias still CREATING and for a pending (dis)association, whose length WorkSpaces
      // does not document, and the undo work after a failure; the handler gives up in time to say what to do.
      timeout: Duration.minutes(10),
    });
    AssociationGrants.of(provider).add(ownerAccountId, props.aliasId);

    const resource = new CustomResource(this, 'Resource', {
      resourceType: RESOURCE_TYPE,
      serviceToken: provider.serviceToken,
      properties: {
        [Prop.ALIAS_ID]: props.aliasId,
        [Prop.DIRECTORY_ID]: props.directoryId,
        [Prop.ON_DELETE]: onDelete,
        // Only when set, so that a deploy without it leaves the template as it was.
        ...reconcileProperty(this, Prop.RECONCILE),
      },
    });
    // The policy must exist when Create runs and still exist when Delete runs.
    resource.node.addDependency(provider.policy);

    this.connectionIdentifier = resource.getAttString(Attr.CONNECTION_IDENTIFIER);
    this.aliasId = resource.getAttString(Attr.ALIAS_ID);
  }

  /**
   * WorkSpaces lets an alias be associated with one directory per Region, by one account: two resources of one app
   * associating one alias in one Region would fail or undo each other. Caught here when the app shows it (the same
   * stack, or stacks whose Regions are known to be the same); the handler's lock catches what the app cannot see.
   */
  private checkAliasNotAssociatedTwice(): void {
    const stack = Stack.of(this);
    for (const other of this.node.root.node.findAll()) {
      if (other === this || !ConnectionAliasAssociation.isConnectionAliasAssociation(other)) continue;
      if (other.declaredAliasId !== this.declaredAliasId) continue;
      const otherStack = Stack.of(other);
      const sameRegion = !Token.isUnresolved(stack.region) && otherStack.region === stack.region;
      if (otherStack === stack || (!Token.isUnresolved(this.declaredAliasId) && sameRegion)) {
        throw new Error(
          `ConnectionAliasAssociation ${this.node.path}: aliasId '${this.declaredAliasId}' is already associated by ${other.node.path}. ` +
            'WorkSpaces associates an alias with only one directory per Region: keep one of them.',
        );
      }
    }
  }
}

function validate(props: ConnectionAliasAssociationProps, onDelete: string): void {
  const name = 'ConnectionAliasAssociation';
  const { aliasId, directoryId, aliasOwnerAccountId } = props;
  if (!Token.isUnresolved(aliasId) && !ALIAS_ID_PATTERN.test(aliasId)) {
    throw new Error(`${name}: aliasId '${aliasId}' is invalid: it must match ${ALIAS_ID_PATTERN.source}, e.g. 'wsca-a1b2c3d4e5'.`);
  }
  if (!Token.isUnresolved(directoryId) && !DIRECTORY_ID_PATTERN.test(directoryId)) {
    throw new Error(
      `${name}: directoryId '${directoryId}' is invalid: it must match ${DIRECTORY_ID_PATTERN.source}, e.g. 'd-1234567890' ` +
        '(a WorkSpaces directory of this stack\'s account and Region: aws workspaces describe-workspace-directories).',
    );
  }
  if (aliasOwnerAccountId !== undefined && !Token.isUnresolved(aliasOwnerAccountId) && !ACCOUNT_ID_PATTERN.test(aliasOwnerAccountId)) {
    throw new Error(`${name}: aliasOwnerAccountId '${aliasOwnerAccountId}' is invalid: it must be a 12-digit account id, that of the account that owns alias '${aliasId}'.`);
  }
  if (!Token.isUnresolved(onDelete) && !(Object.values(OnDelete) as string[]).includes(onDelete)) {
    throw new Error(`${name}: onDelete '${onDelete}' is invalid: use one of ${Object.values(OnDelete).join(', ')}.`);
  }
}

/**
 * The grants of one provider, shared by every instance in the stack. Least privilege where it can be right in every
 * order of a stack update (see lib/common/grants.ts: a replaced or removed resource is deleted after the new policy is
 * in place, and a rollback runs under the failed update's policy):
 *
 * - `workspaces:DescribeConnectionAliases` on `*`: it has no resource type in IAM. It only reads.
 * - `workspaces:AssociateConnectionAlias` is authorized against the alias AND the directory. On the alias: the
 *   declared aliases only, each under its owner's account (`aliasOwnerAccountId`). That is enough because the handler
 *   associates only the alias of the event's own properties, which the policy in force declares: a Create, an Update
 *   (in place or onto a new alias) and the undo of a failed one run under the new template's policy, a rollback
 *   Update under the failed update's, which declares the same alias (a new alias is a replacement, never rolled back
 *   by an Update), and a Delete never associates. On the directory: every directory of this account in this Region
 *   (`directory/*`), because the rollback Update of a directory change associates the OLD directory under the failed
 *   update's policy, which names only the new one: a narrower grant would leave the stack UPDATE_ROLLBACK_FAILED.
 * - `workspaces:DisassociateConnectionAlias` (authorized against the alias only) on every alias of this Region, of
 *   any owner account (`<region>:*:connectionalias/*`): the Delete of a replaced or removed resource disassociates an
 *   alias the policy in force no longer declares, and its owner may be an account the stack no longer names. It
 *   cannot reach further than this account's own associations: WorkSpaces lets only the account that associated an
 *   alias disassociate it, and the handler does so only while the lock it stored names the event's own resource.
 * - The state store: the whole `/cdk-connection-sharing/workspaces-association/*` prefix, in the stack's Region.
 *
 * A child construct of the provider rather than a module-level map, so that it lives and dies with the tree.
 */
class AssociationGrants extends Construct {
  public static of(provider: HandlerProvider): AssociationGrants {
    const existing = provider.node.tryFindChild(GRANTS_ID);
    return existing instanceof AssociationGrants ? existing : new AssociationGrants(provider);
  }

  /** One statement that each declared alias adds its ARN to; IAM checks the alias and the directory separately. */
  private readonly associateAliases: iam.PolicyStatement;
  private readonly granted = new Set<string>();

  private constructor(provider: HandlerProvider) {
    super(provider, GRANTS_ID);
    const stack = Stack.of(provider);
    const workspacesArn = (resource: string, account?: string) =>
      stack.formatArn({ service: 'workspaces', partition: Aws.PARTITION, account, resource, resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME });

    grantWithWildcard(provider.policy, {
      actions: ['workspaces:DescribeConnectionAliases'],
      resources: ['*'],
      reason: 'workspaces:DescribeConnectionAliases has no resource type in IAM: it can only be granted on *. It only reads.',
    });
    grantWithWildcard(provider.policy, {
      actions: ['workspaces:AssociateConnectionAlias'],
      resources: [workspacesArn('directory')],
      reason:
        "This account's WorkSpaces directories in this Region (the directory half of AssociateConnectionAlias; the alias half names " +
        "the declared aliases): the rollback of a directory change associates the old directory under the failed update's policy, " +
        'which names only the new one.',
    });
    grantWithWildcard(provider.policy, {
      actions: ['workspaces:DisassociateConnectionAlias'],
      resources: [workspacesArn('connectionalias', '*')],
      reason:
        'Connection aliases of this Region of any owner account, since a shared alias carries its owner account: the Delete of a replaced or ' +
        "removed association runs after the new policy is in place and a rollback under the failed update's one, so a grant on the " +
        'declared aliases would deny them. WorkSpaces lets only the account that associated an alias disassociate it, and the handler ' +
        'does so only while its stored lock names its own resource.',
    });
    this.associateAliases = new iam.PolicyStatement({ actions: ['workspaces:AssociateConnectionAlias'] });
    provider.policy.addStatements(this.associateAliases);
    // The state store lives in the stack's Region, beside the directory and the handler's default SSM client.
    grantStateStore(provider.policy, STATE_PATH_PREFIX);
  }

  /** Grants AssociateConnectionAlias on one declared alias, under its owner's account. */
  public add(ownerAccountId: string, aliasId: string): void {
    // Token strings are stable per token, so the same pair given twice is granted once.
    const key = `${ownerAccountId}/${aliasId}`;
    if (this.granted.has(key)) return;
    this.granted.add(key);
    this.associateAliases.addResources(
      Stack.of(this).formatArn({
        service: 'workspaces',
        partition: Aws.PARTITION,
        account: ownerAccountId,
        resource: 'connectionalias',
        resourceName: aliasId,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      }),
    );
  }
}
