// The contract between the construct and its handler. Dependency-free (no aws-cdk-lib), because the handler
// bundle imports it too: a property or attribute key is named here once, and both sides agree by construction.
// The keys are PascalCase because they land in the template and in `cdk diff`; renaming one is a breaking change.

/** CloudFormation resource type: public contract, renaming it replaces users' resources. */
export const RESOURCE_TYPE = 'Custom::PartnerConnectionPreferences';

/** Keys of the custom resource's properties. */
export const Prop = {
  CATALOG: 'Catalog',
  ACCESS_TYPE: 'AccessType',
  // Named after the request member of UpdateConnectionPreferences (the response calls it ExcludedParticipantIds).
  EXCLUDED_PARTICIPANT_IDENTIFIERS: 'ExcludedParticipantIdentifiers',
  ON_DELETE: 'OnDelete',
  /**
   * Present only in a deploy synthesized with the reconcile context key (lib/common/reconcile.ts), whose value it
   * is: a new value makes CloudFormation send an Update, which converges like any other. Never part of the state.
   */
  RECONCILE: 'Reconcile',
} as const;

/** Keys of the custom resource's attributes (`Fn::GetAtt`). */
export const Attr = {
  ARN: 'Arn',
  REVISION: 'Revision',
  UPDATED_AT: 'UpdatedAt',
} as const;

/** Who may send connection invitations to this account in Partner Central. */
export enum AccessType {
  /** Every participant may send connection invitations. */
  ALLOW_ALL = 'ALLOW_ALL',
  /** No participant may send connection invitations. */
  DENY_ALL = 'DENY_ALL',
  /** Every participant except the excluded ones may send connection invitations. */
  ALLOW_BY_DEFAULT_DENY_SOME = 'ALLOW_BY_DEFAULT_DENY_SOME',
}

export const ACCESS_TYPES: readonly string[] = Object.values(AccessType);

export const DEFAULT_CATALOG = 'AWS';

/**
 * The catalogs Partner Central documents (production and testing). The handler is granted both always, whichever
 * the stack declares, so that its grant never changes when a catalog is added, removed or changed (see
 * lib/common/grants.ts). When Partner Central documents another catalog, add it here.
 */
export const DOCUMENTED_CATALOGS: readonly string[] = ['AWS', 'Sandbox'];

/** Limits of the Partner Central API model, enforced at synth so a bad value never reaches a deployment. */
export const CATALOG_PATTERN = /^[a-zA-Z0-9-]{1,64}$/;
export const PARTICIPANT_ID_PATTERN = /^[a-zA-Z0-9-]{1,100}$/;
export const MAX_EXCLUDED_PARTICIPANTS = 100;

/**
 * The Partner Central Account API is served only in us-east-1, whatever the stack's region; the state store lives
 * beside it so that one account has one store per catalog.
 */
export const API_REGION = 'us-east-1';

/** SSM path prefix of the state store; the handler appends `/<catalog>`. */
export const STATE_PATH_PREFIX = '/cdk-connection-sharing/partner-central';

export function statePath(catalog: string): string {
  return `${STATE_PATH_PREFIX}/${catalog}`;
}
