// The contract between the ConnectionAliasAssociation construct (issue 15) and its handler.
// Dependency-free (no aws-cdk-lib), because the handler bundle imports it too; keys are PascalCase because they land
// in the template and in `cdk diff`: renaming one is a breaking change.

/** CloudFormation resource type: public contract, renaming it replaces users' resources. */
export const RESOURCE_TYPE = 'Custom::ConnectionAliasAssociation';

/** Keys of the custom resource's properties. */
export const Prop = {
  ALIAS_ID: 'AliasId',
  DIRECTORY_ID: 'DirectoryId',
  ON_DELETE: 'OnDelete',
  /**
   * Present only in a deploy synthesized with the reconcile context key (lib/common/reconcile.ts), whose value it
   * is: a new value makes CloudFormation send an Update, which converges like any other. Never part of the state.
   */
  RECONCILE: 'Reconcile',
} as const;

/** Keys of the custom resource's attributes (`Fn::GetAtt`). */
export const Attr = {
  /** What AssociateConnectionAlias returned: the value of the DNS failover TXT records. */
  CONNECTION_IDENTIFIER: 'ConnectionIdentifier',
  ALIAS_ID: 'AliasId',
} as const;

/** Patterns of the WorkSpaces API model (AssociateConnectionAlias / DescribeConnectionAliases). */
export const ALIAS_ID_PATTERN = /^wsca-[0-9a-z]{8,63}$/;
/** Directory ids are `d-` and 10 hex-like characters in practice; the model only says min length 1 (UNVERIFIED beyond that). */
export const DIRECTORY_ID_PATTERN = /^d-[0-9a-f]{8,63}$/;
/** `ConnectionIdentifier`: 1-20 characters of [a-zA-Z0-9] (the model's pattern). */
export const CONNECTION_IDENTIFIER_PATTERN = /^[a-zA-Z0-9]{1,20}$/;

/**
 * SSM path prefix of the state store, in the directory's (and the stack's) Region, beside the other kinds'
 * (`/cdk-connection-sharing/<kind>`); the handler appends `/<aliasId>` (one directory per alias and Region).
 */
export const STATE_PATH_PREFIX = '/cdk-connection-sharing/workspaces-association';

export function statePath(aliasId: string): string {
  return `${STATE_PATH_PREFIX}/${aliasId}`;
}
