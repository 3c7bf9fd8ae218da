// Partner Central Account: connection preferences per catalog (API-FACTS.md, "Partner Central Account API").
import type { Faults } from './faults';
import { AwsError, clone, isObject } from './protocol';

export const ACCESS_TYPES = ['ALLOW_ALL', 'DENY_ALL', 'ALLOW_BY_DEFAULT_DENY_SOME'] as const;
export type AccessType = (typeof ACCESS_TYPES)[number];

const CATALOG = /^[a-zA-Z0-9-]{1,64}$/;
const PARTICIPANT = /^[a-zA-Z0-9-]{1,100}$/;
const MAX_EXCLUSIONS = 100;

export interface ConnectionPreferences {
  AccessType: AccessType;
  ExcludedParticipantIds: string[];
  Revision: number;
  /** RFC 3339, as on the wire. */
  UpdatedAt: string;
}

/**
 * What the service does with exclusions sent together with ALLOW_ALL or DENY_ALL. UNVERIFIED: the real behaviour is
 * not documented, so tests can pick one: 'store' (default: kept as sent), 'reject' (ValidationException with
 * BUSINESS_VALIDATION_FAILED) or 'drop' (accepted, not stored).
 */
export type ExclusionsWithoutDenySome = 'store' | 'reject' | 'drop';

export interface PartnerCentralOptions {
  accountId: string;
  /** Catalogs that exist at start, each with the default preferences. Default `['AWS', 'Sandbox']`. */
  catalogs?: string[];
}

type FieldCode = 'INVALID_STRING_FORMAT' | 'INVALID_ENUM_VALUE' | 'REQUIRED_FIELD_MISSING' | 'TOO_MANY_VALUES' | 'DUPLICATE_VALUE' | 'INVALID_VALUE';

function fieldError(name: string, code: FieldCode, message: string): AwsError {
  return new AwsError(
    400,
    'ValidationException',
    `Request validation failed: ${message}`,
    { Reason: 'REQUEST_VALIDATION_FAILED', ErrorDetails: [{ FieldValidationError: { Name: name, Message: message, Code: code } }] },
    'Message',
  );
}

function defaults(): ConnectionPreferences {
  return { AccessType: 'ALLOW_ALL', ExcludedParticipantIds: [], Revision: 1, UpdatedAt: new Date().toISOString() };
}

export class PartnerCentralState {
  private readonly catalogs = new Map<string, ConnectionPreferences>();
  /** See {@link ExclusionsWithoutDenySome}. */
  exclusionsWithoutDenySome: ExclusionsWithoutDenySome = 'store';

  constructor(
    private readonly options: PartnerCentralOptions,
    private readonly faults: Faults,
  ) {
    this.reset();
  }

  /** Back to the initial catalogs, each with default preferences (ALLOW_ALL, no exclusions, Revision 1). */
  reset(): void {
    this.catalogs.clear();
    for (const c of this.options.catalogs ?? ['AWS', 'Sandbox']) this.catalogs.set(c, defaults());
    this.exclusionsWithoutDenySome = 'store';
  }

  /** Sets a catalog's stored preferences (creating the catalog if needed) without any validation or log entry. */
  seed(catalog: string, prefs: Partial<ConnectionPreferences> = {}): ConnectionPreferences {
    const value = { ...defaults(), ...clone(prefs) };
    this.catalogs.set(catalog, value);
    return clone(value);
  }

  /** The stored preferences (a copy), or undefined for an unknown catalog. */
  get(catalog: string): ConnectionPreferences | undefined {
    return clone(this.catalogs.get(catalog));
  }

  /** An out-of-band write by someone else (console, another tool): applies `changes` and bumps the Revision. */
  externalWrite(catalog: string, changes: Partial<Pick<ConnectionPreferences, 'AccessType' | 'ExcludedParticipantIds'>> = {}): ConnectionPreferences {
    const current = this.catalogs.get(catalog);
    if (!current) throw new Error(`emulator: unknown catalog ${catalog}`);
    const next = { ...current, ...clone(changes), Revision: current.Revision + 1, UpdatedAt: new Date().toISOString() };
    this.catalogs.set(catalog, next);
    return clone(next);
  }

  /** @internal */
  async handle(operation: string, input: unknown): Promise<unknown> {
    if (!isObject(input)) throw fieldError('body', 'INVALID_VALUE', 'the request body must be a JSON object');
    switch (operation) {
      case 'GetConnectionPreferences':
        return this.view(this.catalogOf(input));
      case 'UpdateConnectionPreferences':
        return this.update(input);
      default:
        throw new AwsError(400, 'UnknownOperationException', `Operation ${operation} is not emulated`);
    }
  }

  private catalogOf(input: Record<string, unknown>): string {
    const catalog = input.Catalog;
    if (catalog === undefined || catalog === null) throw fieldError('Catalog', 'REQUIRED_FIELD_MISSING', 'Catalog is required');
    if (typeof catalog !== 'string' || !CATALOG.test(catalog)) {
      throw fieldError('Catalog', 'INVALID_STRING_FORMAT', 'Catalog must be 1-64 characters of [a-zA-Z0-9-]');
    }
    // UNVERIFIED: a well-formed catalog that does not exist. We answer ValidationException/INVALID_VALUE; the real
    // service might answer AccessDenied or ResourceNotFound instead.
    if (!this.catalogs.has(catalog)) throw fieldError('Catalog', 'INVALID_VALUE', `Catalog ${catalog} does not exist`);
    return catalog;
  }

  private update(input: Record<string, unknown>): unknown {
    const catalog = this.catalogOf(input);
    const { Revision, AccessType, ExcludedParticipantIdentifiers } = input;
    if (Revision === undefined || Revision === null) throw fieldError('Revision', 'REQUIRED_FIELD_MISSING', 'Revision is required');
    if (typeof Revision !== 'number' || !Number.isInteger(Revision)) throw fieldError('Revision', 'INVALID_VALUE', 'Revision must be a long');
    if (AccessType === undefined || AccessType === null) throw fieldError('AccessType', 'REQUIRED_FIELD_MISSING', 'AccessType is required');
    if (typeof AccessType !== 'string' || !(ACCESS_TYPES as readonly string[]).includes(AccessType)) {
      throw fieldError('AccessType', 'INVALID_ENUM_VALUE', `AccessType must be one of ${ACCESS_TYPES.join(', ')}`);
    }
    let exclusions: string[] = [];
    if (ExcludedParticipantIdentifiers !== undefined && ExcludedParticipantIdentifiers !== null) {
      if (!Array.isArray(ExcludedParticipantIdentifiers)) {
        throw fieldError('ExcludedParticipantIdentifiers', 'INVALID_VALUE', 'ExcludedParticipantIdentifiers must be a list');
      }
      if (ExcludedParticipantIdentifiers.length > MAX_EXCLUSIONS) {
        throw fieldError('ExcludedParticipantIdentifiers', 'TOO_MANY_VALUES', `at most ${MAX_EXCLUSIONS} participant identifiers are allowed`);
      }
      const seen = new Set<string>();
      for (const id of ExcludedParticipantIdentifiers as unknown[]) {
        if (typeof id !== 'string' || !PARTICIPANT.test(id)) {
          throw fieldError('ExcludedParticipantIdentifiers', 'INVALID_STRING_FORMAT', 'each participant identifier must be 1-100 characters of [a-zA-Z0-9-]');
        }
        if (seen.has(id)) throw fieldError('ExcludedParticipantIdentifiers', 'DUPLICATE_VALUE', `duplicate participant identifier ${id}`);
        seen.add(id);
      }
      exclusions = ExcludedParticipantIdentifiers as string[];
    }
    if (exclusions.length > 0 && AccessType !== 'ALLOW_BY_DEFAULT_DENY_SOME') {
      if (this.exclusionsWithoutDenySome === 'reject') {
        throw new AwsError(
          400,
          'ValidationException',
          'Excluded participants are only allowed with AccessType ALLOW_BY_DEFAULT_DENY_SOME',
          { Reason: 'BUSINESS_VALIDATION_FAILED', ErrorDetails: [{ BusinessValidationError: { Message: 'exclusions need ALLOW_BY_DEFAULT_DENY_SOME', Code: 'INVALID_VALUE' } }] },
          'Message',
        );
      }
      if (this.exclusionsWithoutDenySome === 'drop') exclusions = [];
    }
    // The concurrent writer strikes between the caller's Get and this Update (after request validation, which the
    // real service would also do before looking at stored state).
    const concurrent = this.faults.takeRevisionBump(catalog);
    if (concurrent) this.externalWrite(catalog, concurrent);
    const current = this.catalogs.get(catalog)!;
    // UNVERIFIED: the exact server rule. We require the caller's Revision to equal the stored one.
    if (Revision !== current.Revision) {
      throw new AwsError(
        409,
        'ConflictException',
        `Revision ${Revision} does not match the current revision ${current.Revision} of the connection preferences`,
        { Reason: 'INCOMPATIBLE_CONNECTION_PREFERENCES_REVISION' },
        'Message',
      );
    }
    this.catalogs.set(catalog, {
      AccessType: AccessType as AccessType,
      ExcludedParticipantIds: [...exclusions],
      Revision: current.Revision + 1,
      UpdatedAt: new Date().toISOString(),
    });
    return this.view(catalog);
  }

  private view(catalog: string): Record<string, unknown> {
    const p = this.catalogs.get(catalog)!;
    return {
      Catalog: catalog,
      Arn: `arn:aws:partnercentral:us-east-1:${this.options.accountId}:catalog/${catalog}/connection-preferences`,
      AccessType: p.AccessType,
      // UNVERIFIED: whether an empty list is sent or omitted. We omit it, the harder case for a client.
      ...(p.ExcludedParticipantIds.length > 0 ? { ExcludedParticipantIds: [...p.ExcludedParticipantIds] } : {}),
      UpdatedAt: p.UpdatedAt,
      Revision: p.Revision,
    };
  }
}
