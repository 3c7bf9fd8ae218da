// Request-rate limits: one token bucket per account, region and operation (or group of operations sharing a quota),
// as AWS throttles its APIs. Off unless enabled (see EmulatorOptions.rateLimits and emulator/README.md).
//
// Published and quoted rates (API-FACTS.md, "SSM Parameter Store"): PutParameter 3 per second by default (10 with
// higher throughput); GetParameter, GetParameters and GetParametersByPath share 40 per second. UNVERIFIED (not
// published): DeleteParameters and DeleteParameter, assumed to have the write rate, 3 per second each, in buckets of
// their own. Partner Central and WorkSpaces publish no rate: none applies unless a test sets one.
//
// Bucket size: one second of the rate (3 tokens for PutParameter, 40 for the reads). UNVERIFIED: AWS does not publish
// Parameter Store's burst. One second's worth is the smallest bucket that still lets the documented rate through when
// calls arrive together within a second (a bucket of 1 would throttle three calls that arrive at the same instant
// though the rate is 3 per second), and it gives a wave of many events no head start that a bigger bucket would
// (the time a fleet takes is then set by the rate, which is what the published number is). Override with `burst`.
//
// Throttled calls take no token: a client that keeps retrying gets through as soon as the bucket refills.
//
// Scale: `scale` = k multiplies every rate (refill) and divides the re-create window of Parameter Store (see
// emulator/ssm.ts), so a test can run k times faster than AWS and divide its own time budgets by k. Bucket sizes are
// counts of calls and do not scale.
import type { ServiceName } from './protocol';

/** Calls per second (before scaling), by key: `Service.Operation`, a bare operation name, a group, or `Service.*`. */
export type Rates = Record<string, number | undefined>;

export interface RateLimitOptions {
  /** Apply the buckets. Default false: the functional suites count calls and attempts exactly. */
  readonly enabled?: boolean;
  /**
   * Rates to add to (or, with `undefined`, remove from) {@link DEFAULT_RATES}. Keys: `SSM.PutParameter` or
   * `PutParameter`; a group (`SSM.GetParameter*`, also reached through any of its members); `WorkSpaces.*` for a
   * bucket of its own per operation of that service at this rate.
   */
  readonly rates?: Rates;
  /** Bucket sizes (calls) by the same keys; default one second of the unscaled rate, at least 1. */
  readonly burst?: Record<string, number>;
  /** Runs every rate k times faster (and the SSM re-create window k times shorter). Default 1. */
  readonly scale?: number;
}

/** Parameter Store's rates per account and region (API-FACTS.md); the deletes are UNVERIFIED, see the file header. */
export const DEFAULT_RATES: Readonly<Rates> = {
  'SSM.PutParameter': 3,
  'SSM.DeleteParameters': 3,
  'SSM.DeleteParameter': 3,
  'SSM.GetParameter*': 40,
};

/** Operations that draw from one shared bucket, by group key. */
export const RATE_GROUPS: Readonly<Record<string, readonly string[]>> = {
  'SSM.GetParameter*': ['SSM.GetParameter', 'SSM.GetParameters', 'SSM.GetParametersByPath'],
};

/** Every operation the emulator serves, to resolve a bare name to `Service.Operation`. */
const KNOWN_OPERATIONS: readonly string[] = [
  'PartnerCentralAccount.GetConnectionPreferences',
  'PartnerCentralAccount.UpdateConnectionPreferences',
  'WorkSpaces.DescribeConnectionAliases',
  'WorkSpaces.DescribeConnectionAliasPermissions',
  'WorkSpaces.UpdateConnectionAliasPermission',
  'SSM.PutParameter',
  'SSM.GetParameter',
  'SSM.GetParameters',
  'SSM.GetParametersByPath',
  'SSM.DeleteParameter',
  'SSM.DeleteParameters',
  'Lambda.Invoke',
  'Lambda.GetFunction',
];

/** The rates the load tests and the fleet benchmark use on top of the defaults (issue 9: 5/s per WorkSpaces operation). */
export const FLEET_RATES: Readonly<Rates> = { 'WorkSpaces.*': 5, 'PartnerCentralAccount.*': 5 };

interface Bucket {
  tokens: number;
  last: number;
}

/** What {@link RateLimits.take} decided about one call. */
export interface RateDecision {
  /** The bucket the call drew from (`SSM.PutParameter`, `SSM.GetParameter*`, ...), undefined when none applies. */
  readonly bucket?: string;
  readonly allowed: boolean;
}

/** Resolves `PutParameter`, `SSM.PutParameter`, a group member or a group to the key its bucket is configured by. */
export function rateKey(key: string): string {
  if (key.endsWith('.*') || key in RATE_GROUPS) return key;
  const full = key.includes('.') ? key : KNOWN_OPERATIONS.find((k) => k.endsWith(`.${key}`));
  if (!full) throw new Error(`emulator: unknown operation ${key} (use Service.Operation)`);
  const group = Object.entries(RATE_GROUPS).find(([, ops]) => ops.includes(full));
  return group ? group[0] : full;
}

export class RateLimits {
  private enabledNow = false;
  private scaleNow = 1;
  private rates = new Map<string, number>();
  private bursts = new Map<string, number>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly throttledBy = new Map<string, number>();

  /**
   * @param options the configuration {@link reset} returns to
   * @param now the clock, in milliseconds (fractions allowed); injectable for unit tests
   */
  constructor(
    private readonly options: RateLimitOptions = {},
    private readonly now: () => number = () => performance.now(),
  ) {
    this.reset();
  }

  get enabled(): boolean {
    return this.enabledNow;
  }

  /** The factor k every rate is multiplied by (and the SSM re-create window divided by). */
  get scale(): number {
    return this.scaleNow;
  }

  /** Turns the buckets on, optionally with more rates (merged into the current ones) and a scale. Buckets start full. */
  enable(options: Omit<RateLimitOptions, 'enabled'> = {}): this {
    this.enabledNow = true;
    this.apply(options);
    return this;
  }

  /** Turns every bucket off (the configuration stays, for a later enable()). */
  disable(): this {
    this.enabledNow = false;
    return this;
  }

  /** Sets (or with `undefined` removes) the rate of one key; see {@link RateLimitOptions.rates}. */
  setRate(key: string, perSecond: number | undefined, burst?: number): this {
    this.apply({ rates: { [key]: perSecond }, ...(burst !== undefined ? { burst: { [key]: burst } } : {}) });
    return this;
  }

  /** Sets the scale factor k (> 0). */
  setScale(k: number): this {
    this.apply({ scale: k });
    return this;
  }

  /** The configured (unscaled) rates, by key. */
  configuredRates(): Record<string, number> {
    return Object.fromEntries(this.rates);
  }

  /** The unscaled rate and the bucket size that apply to one operation, undefined when it is not limited. */
  limitOf(service: ServiceName, operation: string): { bucket: string; perSecond: number; burst: number } | undefined {
    const full = `${service}.${operation}`;
    const key = rateKey(full);
    const perSecond = this.rates.get(key) ?? this.rates.get(`${service}.*`);
    if (perSecond === undefined) return undefined;
    // A wildcard gives each operation a bucket of its own.
    const bucket = this.rates.has(key) ? key : full;
    const burst = this.bursts.get(key) ?? this.bursts.get(`${service}.*`) ?? Math.max(1, perSecond);
    return { bucket, perSecond, burst };
  }

  /**
   * @internal Draws one token for a call of `service.operation` by `account` in `region`. A throttled call takes
   * none; its count is kept in {@link throttledCounts}.
   */
  take(service: ServiceName, operation: string, account: string, region: string): RateDecision {
    if (!this.enabledNow) return { allowed: true };
    const limit = this.limitOf(service, operation);
    if (!limit) return { allowed: true };
    const id = `${account}|${region}|${limit.bucket}`;
    const now = this.now();
    const bucket = this.buckets.get(id) ?? { tokens: limit.burst, last: now };
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.last) * limit.perSecond * this.scaleNow) / 1000);
    bucket.last = now;
    this.buckets.set(id, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { bucket: limit.bucket, allowed: true };
    }
    this.throttledBy.set(id, (this.throttledBy.get(id) ?? 0) + 1);
    return { bucket: limit.bucket, allowed: false };
  }

  /** Throttled calls so far by `account|region|bucket` (the request log marks each one too: `throttled: true`). */
  throttledCounts(): Record<string, number> {
    return Object.fromEntries(this.throttledBy);
  }

  /** Fills every bucket again (a quiet second between two phases of a test), keeping the configuration. */
  refill(): this {
    this.buckets.clear();
    return this;
  }

  /** Back to the configuration given to the constructor, with full buckets and no counts. */
  reset(): void {
    this.enabledNow = this.options.enabled ?? false;
    this.scaleNow = 1;
    this.rates = new Map();
    this.bursts = new Map();
    this.apply({ rates: { ...DEFAULT_RATES, ...(this.options.rates ?? {}) }, burst: this.options.burst, scale: this.options.scale });
    this.throttledBy.clear();
  }

  private apply(options: Omit<RateLimitOptions, 'enabled'>): void {
    if (options.scale !== undefined) {
      if (!(options.scale > 0) || !Number.isFinite(options.scale)) throw new Error(`emulator: rate scale must be a positive number, got ${options.scale}`);
      this.scaleNow = options.scale;
    }
    for (const [key, rate] of Object.entries(options.rates ?? {})) {
      const k = rateKey(key);
      if (rate === undefined) this.rates.delete(k);
      else if (!(rate > 0) || !Number.isFinite(rate)) throw new Error(`emulator: rate of ${key} must be a positive number, got ${rate}`);
      else this.rates.set(k, rate);
    }
    for (const [key, size] of Object.entries(options.burst ?? {})) {
      if (!(size >= 1)) throw new Error(`emulator: burst of ${key} must be at least 1, got ${size}`);
      this.bursts.set(rateKey(key), size);
    }
    this.buckets.clear();
  }
}
