// The contract between the construct and its handler. Dependency-free (no aws-cdk-lib), because the handler
// bundle imports it too: a property or attribute key is named here once, and both sides agree by construction.
// The keys are PascalCase because they land in the template and in `cdk diff`; renaming one is a breaking change.

/** CloudFormation resource type: public contract, renaming it replaces users' resources. */
export const RESOURCE_TYPE = 'Custom::ConnectionAliasSharing';

/** Keys of the custom resource's properties. */
export const Prop = {
  ALIAS_ID: 'AliasId',
  SHARED_ACCOUNT_IDS: 'SharedAccountIds',
  ON_DELETE: 'OnDelete',
  /**
   * Present only in a deploy synthesized with the reconcile context key (lib/common/reconcile.ts), whose value it
   * is: a new value makes CloudFormation send an Update, which converges like any other. Never part of the state.
   */
  RECONCILE: 'Reconcile',
} as const;

/** Keys of the custom resource's attributes (`Fn::GetAtt`). */
export const Attr = {
  ALIAS_ID: 'AliasId',
  /** The declared accounts the alias is shared with after the deployment, comma-separated and sorted. */
  SHARED_ACCOUNT_IDS: 'SharedAccountIds',
} as const;

/** Patterns of the WorkSpaces API model, enforced at synth and again by the handler (tokens skip synth checks). */
export const ALIAS_ID_PATTERN = /^wsca-[0-9a-z]{8,63}$/;
export const ACCOUNT_ID_PATTERN = /^\d{12}$/;

/** SSM path prefix of the state store, in the alias's (and the stack's) region; the handler appends `/<aliasId>`. */
export const STATE_PATH_PREFIX = '/cdk-connection-sharing/workspaces';

export function statePath(aliasId: string): string {
  return `${STATE_PATH_PREFIX}/${aliasId}`;
}
