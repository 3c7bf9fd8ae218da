// The SDK clients of one `plan` run: created once per Region and shared by every resource, each with the handlers'
// retry policy (throttling and 5xx retried with capped full-jitter backoff) bounded by the run's own deadline, and
// Parameter Store reads paced under the account's shared budget. Region, credentials and endpoints come from the
// standard SDK chain and environment (AWS_ENDPOINT_URL_* included): no explicit endpoint is ever set.
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { PartnerCentralAccountClient } from '@aws-sdk/client-partnercentral-account';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { WorkSpacesClient } from '@aws-sdk/client-workspaces';
import { API_REGION } from '../lib/partner-central/contract';
import { DeadlineRetryStrategy, NO_DEADLINE, namingOperations } from '../lambda/common/sdk';

/**
 * Parameter Store's GetParameter/GetParameters/GetParametersByPath share 40 transactions per second per account and
 * Region by default, with everything else in the account (a deploying stack's handlers included). The plan spaces its
 * reads evenly at 25 per second (no burst: a burst would add to the rate within the same second), leaving the rest.
 */
export const SSM_READS_PER_SECOND = 25;
export const SSM_READ_BURST = 1;
/** How long a throttled or failing read may be retried, counted from the start of the run. */
export const RETRY_BUDGET_MS = 120_000;

type AnyClient = { middlewareStack: { add: (...args: never[]) => unknown } };
type MiddlewareAdder = {
  add(mw: (next: (args: unknown) => Promise<unknown>, context: { clientName?: string; commandName?: string }) => (args: unknown) => Promise<unknown>, options: object): void;
};

/** Spaces calls `1/rate` s apart after a burst (GCRA): safe with any number of concurrent callers. */
export class RateLimiter {
  private tat = 0;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Resolves when the caller may make its call. */
  async take(): Promise<void> {
    const interval = 1000 / this.perSecond;
    const now = this.now();
    this.tat = Math.max(this.tat, now);
    const wait = this.tat - now - (this.burst - 1) * interval;
    this.tat += interval;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

function rateLimited<C extends AnyClient>(client: C, limiter: RateLimiter): C {
  (client.middlewareStack as unknown as MiddlewareAdder).add(
    (next) => async (args) => {
      await limiter.take();
      return next(args);
    },
    { step: 'build', name: 'cdkConnectionSharingPlanReadRate' },
  );
  return client;
}

export class Clients {
  /** Calls made, by `Service.Operation` (each command once, however often it was retried). */
  readonly calls: Record<string, number> = {};
  private readonly started = Date.now();
  private readonly cache = new Map<string, unknown>();

  private config() {
    const deadline = this.started + RETRY_BUDGET_MS;
    return { retryStrategy: new DeadlineRetryStrategy({ remainingMs: () => deadline - Date.now() }), maxAttempts: 1000 };
  }

  private once<T extends AnyClient>(key: string, make: () => T): T {
    if (!this.cache.has(key)) this.cache.set(key, this.counted(make()));
    return this.cache.get(key) as T;
  }

  private counted<T extends AnyClient>(client: T): T {
    (client.middlewareStack as unknown as MiddlewareAdder).add(
      (next, context) => async (args) => {
        const key = `${String(context.clientName).replace(/Client$/, '')}.${String(context.commandName).replace(/Command$/, '')}`;
        this.calls[key] = (this.calls[key] ?? 0) + 1;
        return next(args);
      },
      { step: 'initialize', name: 'cdkConnectionSharingPlanCalls' },
    );
    return client;
  }

  /** Partner Central is served in us-east-1 only. */
  partnerCentral(): PartnerCentralAccountClient {
    return this.once('pc', () => namingOperations(new PartnerCentralAccountClient({ region: API_REGION, ...this.config() }), NO_DEADLINE));
  }

  ssm(region: string): SSMClient {
    return this.once(`ssm/${region}`, () => rateLimited(namingOperations(new SSMClient({ region, ...this.config() }), NO_DEADLINE), new RateLimiter(SSM_READS_PER_SECOND, SSM_READ_BURST)));
  }

  workspaces(region: string): WorkSpacesClient {
    return this.once(`ws/${region}`, () => namingOperations(new WorkSpacesClient({ region, ...this.config() }), NO_DEADLINE));
  }

  cloudFormation(region: string): CloudFormationClient {
    return this.once(`cfn/${region}`, () => namingOperations(new CloudFormationClient({ region, ...this.config() }), NO_DEADLINE));
  }

  /** STS in the default Region (or us-east-1 when none is configured: GetCallerIdentity answers the same anywhere). */
  sts(defaultRegion: string | undefined): STSClient {
    return this.once('sts', () => namingOperations(new STSClient({ region: defaultRegion ?? 'us-east-1', ...this.config() }), NO_DEADLINE));
  }

  /** The Region the SDK chain configures (AWS_REGION, the profile...), or undefined. */
  async defaultRegion(): Promise<string | undefined> {
    const probe = new SSMClient({});
    try {
      return await probe.config.region();
    } catch {
      return undefined;
    } finally {
      probe.destroy();
    }
  }

  destroy(): void {
    for (const client of this.cache.values()) (client as { destroy(): void }).destroy();
    this.cache.clear();
  }
}
