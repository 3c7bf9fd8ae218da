import { Annotations, ArnFormat, Aws, CustomResource, Duration, Stack, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { grantStateStore, grantWithWildcard } from '../common/grants';
import { HandlerProvider } from '../common/provider';
import { OnDelete } from '../common/on-delete';
import { reconcileProperty } from '../common/reconcile';
import { ACCOUNT_ID_PATTERN, ALIAS_ID_PATTERN, Attr, Prop, RESOURCE_TYPE, STATE_PATH_PREFIX } from './contract';

/** Construct id of the stack's provider singleton: public contract, never rename. */
const PROVIDER_ID = 'CdkConnectionSharingWorkSpacesProvider';
const GRANTS_ID = 'AliasGrants';
const MARKER = Symbol.for('cdk-connection-sharing.ConnectionAliasSharing');

export interface ConnectionAliasSharingProps {
  /**
   * The id of the WorkSpaces connection alias to share (`wsca-...`), e.g. `CfnConnectionAlias.attrAliasId`.
   * The alias must be owned by this stack's account and live in this stack's region.
   * Changing it replaces the resource: the new alias is shared, then the old one's shares are reversed.
   */
  readonly aliasId: string;

  /**
   * The 12-digit AWS account ids to share the alias with. Order does not matter: the list is sorted before it
   * reaches the template. Accounts not listed here are never touched, even if the alias is shared with them.
   *
   * WorkSpaces documents that an alias can be shared with one other account per region: more than one account
   * is a synth warning, and the deployment fails if the service enforces the limit.
   */
  readonly sharedAccountIds: string[];

  /**
   * What happens to the shares when this resource is deleted (removed from the app, its stack deleted, or
   * replaced because its alias changed).
   *
   * @default OnDelete.RESTORE - the accounts this resource shared the alias with are unshared; accounts it was
   * already shared with before this resource existed stay shared
   */
  readonly onDelete?: OnDelete;
}

/**
 * Shares a WorkSpaces connection alias of this stack's account with other AWS accounts.
 *
 * @example
 * const alias = new workspaces.CfnConnectionAlias(this, 'Alias', { connectionString: 'desktop.example.com' });
 * new ConnectionAliasSharing(this, 'Share', {
 *   aliasId: alias.attrAliasId,
 *   sharedAccountIds: ['210987654321'],
 * });
 */
export class ConnectionAliasSharing extends Construct {
  /** Whether `x` is a ConnectionAliasSharing, also across copies of this library. */
  public static isConnectionAliasSharing(x: unknown): x is ConnectionAliasSharing {
    return typeof x === 'object' && x !== null && MARKER in x;
  }

  /** The id of the shared alias (may be a token). */
  public readonly aliasId: string;
  /**
   * The declared accounts the alias is shared with after the deployment, comma-separated and sorted
   * (`Fn::GetAtt`); referencing it orders your resources after the sharing.
   */
  public readonly sharedAccountIdsAttr: string;

  constructor(scope: Construct, id: string, props: ConnectionAliasSharingProps) {
    super(scope, id);
    Object.defineProperty(this, MARKER, { value: true });

    this.aliasId = props.aliasId;
    const onDelete = props.onDelete ?? OnDelete.RESTORE;
    const accounts = validate(this, props.aliasId, props.sharedAccountIds, onDelete);
    this.checkAliasNotManagedTwice();

    const provider = HandlerProvider.getOrCreate(this, {
      id: PROVIDER_ID,
      kind: 'workspaces',
      description: 'cdk-connection-sharing: WorkSpaces connection alias sharing',
      // Bounds the wait for an alias still CREATING, and the undo work after a failure.
      timeout: Duration.minutes(5),
    });
    AliasGrants.of(provider);

    const resource = new CustomResource(this, 'Resource', {
      resourceType: RESOURCE_TYPE,
      serviceToken: provider.serviceToken,
      properties: {
        [Prop.ALIAS_ID]: props.aliasId,
        [Prop.SHARED_ACCOUNT_IDS]: accounts,
        [Prop.ON_DELETE]: onDelete,
        // Only when set, so that a deploy without it leaves the template as it was.
        ...reconcileProperty(this, Prop.RECONCILE),
      },
    });
    // The policy must exist when Create runs and still exist when Delete runs.
    resource.node.addDependency(provider.policy);

    this.sharedAccountIdsAttr = resource.getAttString(Attr.SHARED_ACCOUNT_IDS);
  }

  /** Two resources sharing one alias would unshare each other's accounts; the handler's lock catches other stacks. */
  private checkAliasNotManagedTwice(): void {
    const stack = Stack.of(this);
    for (const other of stack.node.findAll()) {
      if (other === this || !ConnectionAliasSharing.isConnectionAliasSharing(other)) continue;
      if (Stack.of(other) === stack && other.aliasId === this.aliasId) {
        throw new Error(
          `ConnectionAliasSharing ${this.node.path}: aliasId '${this.aliasId}' is already shared by ${other.node.path}. ` +
            'Only one resource may manage the sharing of an alias: list all its accounts in one of them.',
        );
      }
    }
  }
}

/** Validates the props and returns the account list as the template gets it: sorted, literal ids first. */
function validate(scope: Construct, aliasId: string, sharedAccountIds: string[], onDelete: string): string[] {
  const name = 'ConnectionAliasSharing';
  if (!Token.isUnresolved(aliasId) && !ALIAS_ID_PATTERN.test(aliasId)) {
    throw new Error(`${name}: aliasId '${aliasId}' is invalid: it must match ${ALIAS_ID_PATTERN.source}, e.g. 'wsca-a1b2c3d4e5'.`);
  }
  if (!Token.isUnresolved(onDelete) && !(Object.values(OnDelete) as string[]).includes(onDelete)) {
    throw new Error(`${name}: onDelete '${onDelete}' is invalid: use one of ${Object.values(OnDelete).join(', ')}.`);
  }
  if (Token.isUnresolved(sharedAccountIds)) return sharedAccountIds;
  if (!Array.isArray(sharedAccountIds) || sharedAccountIds.length === 0) {
    // Sharing with nobody manages nothing; an empty list is almost always a mistake (e.g. an unset variable).
    throw new Error(`${name}: sharedAccountIds is empty: list at least one 12-digit account id to share alias '${aliasId}' with.`);
  }
  const literal = sharedAccountIds.filter((a) => !Token.isUnresolved(a));
  const tokens = sharedAccountIds.filter((a) => Token.isUnresolved(a));
  const bad = literal.filter((a) => !ACCOUNT_ID_PATTERN.test(a));
  if (bad.length > 0) {
    throw new Error(`${name}: sharedAccountIds has invalid account id(s) ${bad.map((a) => `'${a}'`).join(', ')}: each must be 12 digits.`);
  }
  const duplicates = [...new Set(literal.filter((a, i) => literal.indexOf(a) !== i))].sort();
  if (duplicates.length > 0) {
    throw new Error(`${name}: sharedAccountIds lists ${duplicates.map((a) => `'${a}'`).join(', ')} more than once. List each account once.`);
  }
  const own = Stack.of(scope).account;
  if (!Token.isUnresolved(own) && literal.includes(own)) {
    throw new Error(
      `${name}: sharedAccountIds includes '${own}', the stack's own account, which owns the alias. List only the other accounts to share it with.`,
    );
  }
  if (sharedAccountIds.length > 1) {
    Annotations.of(scope).addWarningV2(
      'cdk-connection-sharing:aliasSharedWithSeveralAccounts',
      `sharedAccountIds has ${sharedAccountIds.length} accounts, but WorkSpaces documents that a connection alias can be shared ` +
        'with only one other account per region: the deployment will fail if the service enforces that limit.',
    );
  }
  // Literal ids sorted so that reordering is no change in `cdk diff`; tokens keep their declared order.
  return [...literal.sort(), ...tokens];
}

/**
 * The grants of one provider, shared by every instance in the stack, and the same whichever aliases the stack
 * shares now or shared before (see lib/common/grants.ts): the Delete of a replaced or removed alias runs under the
 * new policy, and a rollback under the failed update's one.
 *
 * - `workspaces:DescribeConnectionAliases` on `*`: it has no resource type in IAM. It only reads.
 * - `workspaces:DescribeConnectionAliasPermissions` and `UpdateConnectionAliasPermission` on every alias of the
 *   stack's account in the stack's region (`connectionalias/*`): the alias ids the stack shared before are not in
 *   its template any more, and only the owner account can share its aliases anyway.
 * - The state store: the whole `/cdk-connection-sharing/workspaces/*` prefix, in the stack's region.
 *
 * A child construct of the provider rather than a module-level map, so that it is added once per provider.
 */
class AliasGrants extends Construct {
  public static of(provider: HandlerProvider): AliasGrants {
    const existing = provider.node.tryFindChild(GRANTS_ID);
    return existing instanceof AliasGrants ? existing : new AliasGrants(provider);
  }

  private constructor(provider: HandlerProvider) {
    super(provider, GRANTS_ID);
    const stack = Stack.of(provider);
    grantWithWildcard(provider.policy, {
      actions: ['workspaces:DescribeConnectionAliases'],
      resources: ['*'],
      reason: 'workspaces:DescribeConnectionAliases has no resource type in IAM: it can only be granted on *. It only reads.',
    });
    grantWithWildcard(provider.policy, {
      actions: ['workspaces:DescribeConnectionAliasPermissions', 'workspaces:UpdateConnectionAliasPermission'],
      resources: [stack.formatArn({ service: 'workspaces', partition: Aws.PARTITION, resource: 'connectionalias', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME })],
      reason:
        "This account's connection aliases in this region: the Delete of a replaced or removed alias runs after the new policy is in place, " +
        "and a rollback under the failed update's policy, so a grant on the declared aliases alone would deny them. The handler " +
        'changes only the shares of an alias whose stored lock names its own resource.',
    });
    // The state store lives in the stack's region, beside the alias and the handler's default SSM client.
    grantStateStore(provider.policy, STATE_PATH_PREFIX);
  }
}
