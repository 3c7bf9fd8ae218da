import { Annotations, CustomResource, Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import { Construct, type IConstruct } from 'constructs';
import { grantStateStore, grantWithWildcard } from '../common/grants';
import { HandlerProvider } from '../common/provider';
import { OnDelete } from '../common/on-delete';
import { reconcileProperty } from '../common/reconcile';
import {
  ACCESS_TYPES,
  API_REGION,
  AccessType,
  Attr,
  CATALOG_PATTERN,
  DEFAULT_CATALOG,
  DOCUMENTED_CATALOGS,
  MAX_EXCLUDED_PARTICIPANTS,
  PARTICIPANT_ID_PATTERN,
  Prop,
  RESOURCE_TYPE,
  STATE_PATH_PREFIX,
} from './contract';

/** Construct id of the stack's provider singleton: public contract, never rename. */
const PROVIDER_ID = 'CdkConnectionSharingPartnerCentralProvider';
const GRANTS_ID = 'CatalogGrants';
const MARKER = Symbol.for('cdk-connection-sharing.PartnerConnectionPreferences');

export interface PartnerConnectionPreferencesProps {
  /**
   * The Partner Central catalog whose preferences are managed: `AWS` (production) or `Sandbox` (testing).
   * 1-64 characters of `[a-zA-Z0-9-]`. Changing it replaces the resource.
   *
   * @default 'AWS'
   */
  readonly catalog?: string;

  /** Who may send connection invitations to this account. */
  readonly accessType: AccessType;

  /**
   * Participants that may not send connection invitations, with `AccessType.ALLOW_BY_DEFAULT_DENY_SOME`.
   * At most 100 unique identifiers of 1-100 characters of `[a-zA-Z0-9-]`. Order does not matter: the list is
   * sorted before it reaches the template, so reordering it is no change.
   *
   * @default - no participant is excluded
   */
  readonly excludedParticipantIds?: string[];

  /**
   * What happens to the preferences when this resource is deleted (removed from the app, its stack deleted,
   * or replaced because its catalog changed).
   *
   * @default OnDelete.RESTORE - the preferences found before the first deployment are written back
   */
  readonly onDelete?: OnDelete;
}

/**
 * Manages the Partner Central connection preferences of one catalog of the deploying account.
 *
 * The Partner Central API is served in us-east-1 only; the construct works from a stack in any region.
 * At most one such resource may manage a catalog of an account: a second one fails at synth (same app) or at
 * deployment (the handler's lock).
 *
 * @example
 * new PartnerConnectionPreferences(this, 'Prefs', {
 *   accessType: AccessType.ALLOW_BY_DEFAULT_DENY_SOME,
 *   excludedParticipantIds: ['example-participant-id'],
 * });
 */
export class PartnerConnectionPreferences extends Construct {
  /** Whether `x` is a PartnerConnectionPreferences, also across copies of this library. */
  public static isPartnerConnectionPreferences(x: unknown): x is PartnerConnectionPreferences {
    return typeof x === 'object' && x !== null && MARKER in x;
  }

  /** The ARN of the connection preferences. */
  public readonly arn: string;
  /** The Revision of the preferences after the last deployment (a number, as a string). */
  public readonly revision: string;
  /** When the preferences were last updated (ISO 8601). */
  public readonly updatedAt: string;

  /** The catalog this resource manages (may be a token). */
  public readonly catalog: string;

  constructor(scope: Construct, id: string, props: PartnerConnectionPreferencesProps) {
    super(scope, id);
    Object.defineProperty(this, MARKER, { value: true });

    this.catalog = props.catalog ?? DEFAULT_CATALOG;
    const excluded = props.excludedParticipantIds ?? [];
    const onDelete = props.onDelete ?? OnDelete.RESTORE;
    validate(this, this.catalog, props.accessType, excluded, onDelete);
    this.checkCatalogNotManagedTwice();

    const provider = HandlerProvider.getOrCreate(this, {
      id: PROVIDER_ID,
      kind: 'partner-central',
      description: 'cdk-connection-sharing: Partner Central connection preferences',
      timeout: Duration.minutes(5),
    });
    CatalogGrants.of(provider).add(this.catalog);

    const resource = new CustomResource(this, 'Resource', {
      resourceType: RESOURCE_TYPE,
      serviceToken: provider.serviceToken,
      properties: {
        [Prop.CATALOG]: this.catalog,
        [Prop.ACCESS_TYPE]: props.accessType,
        [Prop.EXCLUDED_PARTICIPANT_IDENTIFIERS]: Token.isUnresolved(excluded) ? excluded : sortedUnique(excluded),
        [Prop.ON_DELETE]: onDelete,
        // Only when set, so that a deploy without it leaves the template as it was.
        ...reconcileProperty(this, Prop.RECONCILE),
      },
    });
    // The policy must exist when Create runs and still exist when Delete runs.
    resource.node.addDependency(provider.policy);

    this.arn = resource.getAttString(Attr.ARN);
    this.revision = resource.getAttString(Attr.REVISION);
    this.updatedAt = resource.getAttString(Attr.UPDATED_AT);
  }

  /**
   * Two resources managing one catalog of one account would undo each other's changes and restore each other's
   * snapshots. Caught here when the app shows it; the handler's lock catches what the app cannot see.
   */
  private checkCatalogNotManagedTwice(): void {
    if (Token.isUnresolved(this.catalog)) return;
    const stack = Stack.of(this);
    for (const other of this.node.root.node.findAll()) {
      if (other === this || !PartnerConnectionPreferences.isPartnerConnectionPreferences(other)) continue;
      if (Token.isUnresolved(other.catalog) || other.catalog !== this.catalog) continue;
      const otherStack = Stack.of(other);
      const accountKnown = !Token.isUnresolved(stack.account) && !Token.isUnresolved(otherStack.account);
      if (otherStack === stack || (accountKnown && otherStack.account === stack.account)) {
        throw new Error(
          `PartnerConnectionPreferences ${this.node.path}: catalog '${this.catalog}' of account ` +
            `${accountKnown ? stack.account : 'of this stack'} is already managed by ${other.node.path}. ` +
            'Only one resource may manage a catalog of an account: keep one of them.',
        );
      }
      if (!accountKnown) {
        Annotations.of(this).addWarningV2(
          'cdk-connection-sharing:partnerCentralCatalogMaybeManagedTwice',
          `catalog '${this.catalog}' is also managed by ${other.node.path}, in a stack whose account is not known at synth. ` +
            'If both stacks deploy to the same account, the second deployment will fail: only one resource may manage a catalog of an account.',
        );
      }
    }
  }
}

function validate(scope: IConstruct, catalog: string, accessType: string, excluded: string[], onDelete: string): void {
  if (!Token.isUnresolved(catalog) && !CATALOG_PATTERN.test(catalog)) {
    throw new Error(`PartnerConnectionPreferences: catalog '${catalog}' is invalid: use 1-64 characters of [a-zA-Z0-9-], e.g. 'AWS' or 'Sandbox'.`);
  }
  if (!Token.isUnresolved(accessType) && !ACCESS_TYPES.includes(accessType)) {
    throw new Error(`PartnerConnectionPreferences: accessType '${accessType}' is invalid: use one of ${ACCESS_TYPES.join(', ')}.`);
  }
  if (!Token.isUnresolved(onDelete) && !(Object.values(OnDelete) as string[]).includes(onDelete)) {
    throw new Error(`PartnerConnectionPreferences: onDelete '${onDelete}' is invalid: use one of ${Object.values(OnDelete).join(', ')}.`);
  }
  if (Token.isUnresolved(excluded)) return;
  const known = excluded.filter((id) => !Token.isUnresolved(id));
  const bad = known.filter((id) => !PARTICIPANT_ID_PATTERN.test(id));
  if (bad.length > 0) {
    throw new Error(
      `PartnerConnectionPreferences: excludedParticipantIds has ${bad.length} invalid identifier(s): ${examples(bad.map((id) => `'${id}'`))}. ` +
        'Each must be 1-100 characters of [a-zA-Z0-9-].',
    );
  }
  const duplicates = sortedUnique(known.filter((id, i) => known.indexOf(id) !== i));
  if (duplicates.length > 0) {
    throw new Error(`PartnerConnectionPreferences: excludedParticipantIds lists ${examples(duplicates.map((id) => `'${id}'`))} more than once. List each participant once.`);
  }
  if (excluded.length > MAX_EXCLUDED_PARTICIPANTS) {
    throw new Error(
      `PartnerConnectionPreferences: excludedParticipantIds has ${excluded.length} identifiers; Partner Central accepts at most ${MAX_EXCLUDED_PARTICIPANTS}.`,
    );
  }
  if (excluded.length > 0 && !Token.isUnresolved(accessType) && accessType !== AccessType.ALLOW_BY_DEFAULT_DENY_SOME) {
    Annotations.of(scope).addWarningV2(
      'cdk-connection-sharing:excludedParticipantsIgnored',
      `excludedParticipantIds has ${excluded.length} identifier(s) but accessType is ${accessType}: ` +
        `exclusions only take effect with ${AccessType.ALLOW_BY_DEFAULT_DENY_SOME}. They are still sent to Partner Central.`,
    );
  }
}

/**
 * The grants of one provider, shared by every instance in the stack, and the same whichever catalogs the stack
 * manages now or managed before (see lib/common/grants.ts): a replaced or removed resource is deleted under the
 * new policy, and a rollback runs under the failed update's one.
 *
 * - `partnercentral:GetConnectionPreferences` and `UpdateConnectionPreferences` have no resource type: `*`,
 *   narrowed by a `partnercentral:Catalog` condition that always lists both documented catalogs (`AWS`, `Sandbox`),
 *   so that it cannot exclude one this stack managed before, plus any other literal catalog the stack declares.
 * - A catalog given as a token cannot be known at synth and may resolve to any 1-64 characters of [a-zA-Z0-9-]:
 *   it is granted as that token, in a statement of its own, beside the documented pair. So whatever it resolves to
 *   now is granted, and so is whatever it resolved to before if that was a documented catalog. Its own statement,
 *   because a token that resolves to `AWS` would otherwise repeat a value in one condition list at deployment,
 *   which we cannot deduplicate and do not rely on IAM accepting.
 * - An undocumented catalog (literal or resolved) is granted only while it is declared: nothing narrower than `*`
 *   could cover every value it might have had. Such a catalog exists only if Partner Central adds one (then add it
 *   to DOCUMENTED_CATALOGS).
 * - The state store: the whole `/cdk-connection-sharing/partner-central/*` prefix, in us-east-1.
 *
 * A child construct of the provider rather than a module-level map, so that it lives and dies with the tree.
 */
class CatalogGrants extends Construct {
  public static of(provider: HandlerProvider): CatalogGrants {
    const existing = provider.node.tryFindChild(GRANTS_ID);
    return existing instanceof CatalogGrants ? existing : new CatalogGrants(provider);
  }

  private readonly literal = new Set<string>(DOCUMENTED_CATALOGS);
  private readonly tokens: string[] = [];

  private constructor(private readonly provider: HandlerProvider) {
    super(provider, GRANTS_ID);
    this.grantCatalogs(Lazy.list({ produce: () => [...this.literal].sort() }));
    // The state lives beside the API, in us-east-1, whatever the stack's region.
    grantStateStore(provider.policy, STATE_PATH_PREFIX, API_REGION);
  }

  public add(catalog: string): void {
    if (!Token.isUnresolved(catalog)) {
      this.literal.add(catalog);
    } else if (!this.tokens.includes(catalog)) {
      if (this.tokens.length === 0) this.grantCatalogs(Lazy.list({ produce: () => this.tokens }));
      this.tokens.push(catalog);
    }
  }

  private grantCatalogs(catalogs: string[]): void {
    grantWithWildcard(this.provider.policy, {
      actions: ['partnercentral:GetConnectionPreferences', 'partnercentral:UpdateConnectionPreferences'],
      resources: ['*'],
      conditions: { StringEquals: { 'partnercentral:Catalog': catalogs } },
      reason:
        'partnercentral:GetConnectionPreferences and UpdateConnectionPreferences have no resource type; the statement is narrowed by the ' +
        'partnercentral:Catalog condition to the documented catalogs (AWS, Sandbox) and the catalogs this stack declares.',
    });
  }
}

function sortedUnique(items: readonly string[]): string[] {
  return [...new Set(items)].sort();
}

function examples(items: string[], max = 5): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}
