import { AwsError, type ServiceName } from './protocol';

/** What a concurrent writer of the connection preferences sets (nothing: it writes them unchanged, bumping the Revision). */
export interface ConcurrentWrite {
  readonly AccessType?: 'ALLOW_ALL' | 'DENY_ALL' | 'ALLOW_BY_DEFAULT_DENY_SOME';
  readonly ExcludedParticipantIds?: string[];
}

/**
 * What an injected failure looks like for one service. Each service names and shapes its throttling and server
 * errors differently, and the SDK's retry decision depends on exactly that (status 429/5xx, or a throttling name).
 * UNVERIFIED: the HTTP status of SSM's and WorkSpaces' throttling (400 here, as awsJson services commonly answer).
 */
export function throttlingError(service: ServiceName): AwsError {
  switch (service) {
    case 'PartnerCentralAccount':
      return new AwsError(429, 'ThrottlingException', 'Rate exceeded', { ServiceCode: 'partnercentral-account', QuotaCode: 'emulated' }, 'Message');
    case 'SSM':
      // SSM's modeled ThrottlingException (Message, QuotaCode, ServiceCode); the real service answers 400.
      return new AwsError(400, 'ThrottlingException', 'Rate exceeded', { ServiceCode: 'ssm' }, 'Message');
    case 'WorkSpaces':
      // Not modeled by WorkSpaces: the SDK retries it because of the name alone.
      return new AwsError(400, 'ThrottlingException', 'Rate exceeded');
    case 'Lambda':
      return new AwsError(429, 'TooManyRequestsException', 'Rate exceeded', { Reason: 'CallerRateLimitExceeded', Type: 'User' });
    case 'CloudFormation':
    case 'STS':
      // awsQuery services name it `Throttling` (HTTP 400), which the SDK knows as a throttling error.
      return new AwsError(400, 'Throttling', 'Rate exceeded');
  }
}

export function serverError(service: ServiceName): AwsError {
  switch (service) {
    case 'PartnerCentralAccount':
      return new AwsError(500, 'InternalServerException', 'Internal server error (injected)', {}, 'Message');
    case 'SSM':
      return new AwsError(500, 'InternalServerError', 'Internal server error (injected)', {}, 'Message');
    case 'WorkSpaces':
      return new AwsError(500, 'InternalServerException', 'Internal server error (injected)');
    case 'Lambda':
      return new AwsError(500, 'ServiceException', 'Internal server error (injected)', { Type: 'Service' });
    case 'CloudFormation':
    case 'STS':
      return new AwsError(500, 'InternalFailure', 'Internal server error (injected)');
  }
}

type FailureKind = 'throttle' | 'server' | AwsError;

/**
 * Narrows a fault to some calls of its operation: the top-level request members given must be equal
 * (`{ AliasId: 'wsca-12345678' }`), or the function must return true for the request.
 */
export type CallFilter = Record<string, unknown> | ((input: Record<string, unknown>) => boolean);

export interface FaultOptions {
  /** Only calls whose request matches take this fault (others pass untouched and do not count). */
  readonly where?: CallFilter;
}

interface Rule {
  /** `*`, a bare operation name (`PutParameter`) or `Service.Operation` (`SSM.PutParameter`). */
  readonly match: string;
  remaining: number;
  readonly kind: FailureKind;
  readonly where?: CallFilter;
}

function inputMatches(where: CallFilter | undefined, input: unknown): boolean {
  if (where === undefined) return true;
  const request = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  if (typeof where === 'function') return where(request);
  return Object.entries(where).every(([k, v]) => JSON.stringify(request[k]) === JSON.stringify(v));
}

/** Hooks into service state that some faults need; wired by the emulator. */
export interface FaultTargets {
  holdAliasCreating(aliasId: string, reads: number): void;
}

function matches(match: string, service: ServiceName, operation: string): boolean {
  return match === '*' || match === operation || match === `${service}.${operation}`;
}

export class Faults {
  private rules: Rule[] = [];
  private globalLatencyMs = 0;
  private readonly opLatencyMs = new Map<string, number>();
  /** One-shot delays: the next `remaining` calls matching `match` wait `ms` before the service handles them. */
  private slowRules: { readonly match: string; remaining: number; readonly ms: number }[] = [];
  private readonly revisionBumps = new Map<string, ConcurrentWrite[]>();
  private cfnResponseFailures: { remaining: number; status: number } = { remaining: 0, status: 500 };

  constructor(private readonly targets: FaultTargets) {}

  /** The next `times` calls matching `operation` (and `options.where`) fail with the service's throttling error (retried by the SDK). */
  throttle(operation: string, times = 1, options: FaultOptions = {}): this {
    return this.push(operation, times, 'throttle', options.where);
  }

  /** The next `times` calls matching `operation` (and `options.where`) fail with the service's HTTP 500 error (retried by the SDK). */
  serverError(operation: string, times = 1, options: FaultOptions = {}): this {
    return this.push(operation, times, 'server', options.where);
  }

  /**
   * The next `times` calls matching `operation` fail with exactly this error. `options.where` scopes it to some
   * requests, e.g. one alias: `failNext('UpdateConnectionAliasPermission', Infinity, err, { where: { AliasId } })`.
   */
  failNext(operation: string, times: number, error: AwsError, options: FaultOptions = {}): this {
    return this.push(operation, times, error, options.where);
  }

  /** Adds `ms` of delay to every call (no `operation`) or to the calls of one operation (which then wins). */
  latency(ms: number, operation?: string): this {
    if (operation === undefined) this.globalLatencyMs = ms;
    else this.opLatencyMs.set(operation, ms);
    return this;
  }

  /**
   * The next `times` calls matching `operation` wait `ms` before the service handles them, then are handled as usual:
   * a caller that gives up (or is killed by its Lambda timeout) meanwhile does not stop the request from landing.
   */
  slowNext(operation: string, times: number, ms: number): this {
    this.slowRules.push({ match: operation, remaining: times, ms });
    return this;
  }

  /**
   * A concurrent writer: right before each of the next `times` UpdateConnectionPreferences calls on `catalog`,
   * someone else writes, so the Revision the caller read is stale and the call conflicts. `changes`: what that writer
   * sets (e.g. `{ AccessType: 'DENY_ALL', ExcludedParticipantIds: ['other-writer'] }`); by default the same preferences.
   */
  bumpRevisionBeforeUpdate(catalog: string, times = 1, changes: ConcurrentWrite = {}): this {
    const queue = this.revisionBumps.get(catalog) ?? [];
    for (let i = 0; i < times; i++) queue.push(changes);
    this.revisionBumps.set(catalog, queue);
    return this;
  }

  /** The alias reads as CREATING for the next `reads` DescribeConnectionAliases results, then becomes CREATED. */
  aliasCreatingFor(aliasId: string, reads: number): this {
    this.targets.holdAliasCreating(aliasId, reads);
    return this;
  }

  /** The next `times` CloudFormation responses (HTTPS PUT) are answered with `status` and not recorded. */
  failCfnResponses(times: number, status = 500): this {
    this.cfnResponseFailures = { remaining: times, status };
    return this;
  }

  /** Removes every fault (pending failures, latencies, revision bumps). Alias states already set stay as they are. */
  clear(): void {
    this.rules = [];
    this.globalLatencyMs = 0;
    this.opLatencyMs.clear();
    this.slowRules = [];
    this.revisionBumps.clear();
    this.cfnResponseFailures = { remaining: 0, status: 500 };
  }

  /** Injected failures not yet consumed, e.g. to assert that a scenario used them all. */
  pendingFailures(): { match: string; remaining: number }[] {
    return [...this.rules, ...this.slowRules].filter((r) => r.remaining > 0).map((r) => ({ match: r.match, remaining: r.remaining }));
  }

  /** @internal */
  latencyFor(service: ServiceName, operation: string): number {
    return this.opLatencyMs.get(`${service}.${operation}`) ?? this.opLatencyMs.get(operation) ?? this.globalLatencyMs;
  }

  /** @internal The delay of this call: a one-shot slowNext rule if one matches (consumed), else latencyFor. */
  takeLatency(service: ServiceName, operation: string): number {
    const rule = this.slowRules.find((r) => r.remaining > 0 && matches(r.match, service, operation));
    if (!rule) return this.latencyFor(service, operation);
    rule.remaining--;
    return rule.ms;
  }

  /** @internal Consumes one matching failure, if any. */
  takeFailure(service: ServiceName, operation: string, input?: unknown): AwsError | undefined {
    const rule = this.rules.find((r) => r.remaining > 0 && matches(r.match, service, operation) && inputMatches(r.where, input));
    if (!rule) return undefined;
    rule.remaining--;
    if (rule.kind === 'throttle') return throttlingError(service);
    if (rule.kind === 'server') return serverError(service);
    return rule.kind;
  }

  /** @internal */
  takeRevisionBump(catalog: string): ConcurrentWrite | undefined {
    return this.revisionBumps.get(catalog)?.shift();
  }

  /** @internal */
  takeCfnResponseFailure(): number | undefined {
    if (this.cfnResponseFailures.remaining <= 0) return undefined;
    this.cfnResponseFailures.remaining--;
    return this.cfnResponseFailures.status;
  }

  private push(match: string, times: number, kind: FailureKind, where?: CallFilter): this {
    this.rules.push({ match, remaining: times, kind, where });
    return this;
  }
}
