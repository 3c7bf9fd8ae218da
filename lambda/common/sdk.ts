// One retry policy for every AWS client of the handlers, bounded by the Lambda's remaining time rather than by a
// fixed count. Parameter Store's write budget (PutParameter: 3 per second per account and region by default) is
// shared with everything else in the account: when a hundred resources deploy at once, a throttled call may have to
// wait tens of seconds for its turn, far longer than the SDK's standard 3-5 attempts (about 3 s of backoff) allow.
// So a throttled or transient failure is retried with capped full-jitter exponential backoff for as long as the
// invocation has time left for what must follow it (undo, state save, the response); then the error is thrown with
// how long it was retried, so the handler can say which service throttled which operation for how long.
//
// Our own retry loops (Partner Central revision conflicts, the SSM re-create window) never wrap throttling errors,
// so retries are never stacked.
import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from '@smithy/types';
import { errorName } from './errors';

/** Lambda's context method, optional so that tests and local runs can call handlers without one. */
export interface LambdaContextLike {
  getRemainingTimeInMillis?: () => number;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Backoff of a retried call: full jitter in [0, min(cap, base * 2^retries)]. */
export const RETRY_BASE_MS = 100;
export const RETRY_CAP_MS = 15_000;
/**
 * Time kept back, at the end of an invocation, for what follows a failed call: undoing a partial Create or Update
 * (which may itself be throttled) and answering CloudFormation. Calls made while undoing use the reserve themselves.
 */
export const UNDO_RESERVE_MS = 60_000;
/** The last seconds are for the response alone. */
export const RESPONSE_RESERVE_MS = 5_000;
/** Without a Lambda context (tests, local runs) a call is retried for at most this long. */
export const NO_CONTEXT_BUDGET_MS = 120_000;

/** How long a call was retried before it gave up; attached to the error it finally throws. */
export interface RetryHistory {
  readonly retries: number;
  readonly elapsedMs: number;
  /** True when it stopped because the invocation had no time left, false for a non-retryable error. */
  readonly outOfTime: boolean;
}

/**
 * The invocation's clock. `begin` at the start of every event; `undoing` before reversing a failed change, which
 * lets the reversal use the time kept back for it.
 */
export class InvocationClock {
  private endsAt = Date.now() + NO_CONTEXT_BUDGET_MS + UNDO_RESERVE_MS;
  private responseReserveMs = RESPONSE_RESERVE_MS;
  private undoReserveMs = UNDO_RESERVE_MS;
  private reserveMs = UNDO_RESERVE_MS;

  begin(context?: LambdaContextLike): void {
    const remaining = context?.getRemainingTimeInMillis?.();
    // A short (test or scaled) budget keeps the same proportions: a quarter for undo, a few percent for the response.
    const total = remaining ?? NO_CONTEXT_BUDGET_MS + UNDO_RESERVE_MS;
    this.endsAt = Date.now() + total;
    this.responseReserveMs = Math.min(RESPONSE_RESERVE_MS, total * 0.05);
    this.undoReserveMs = Math.min(UNDO_RESERVE_MS, total * 0.25);
    this.reserveMs = this.undoReserveMs;
  }

  /** Lets what follows use the time kept back for undoing. */
  undoing(): void {
    this.reserveMs = this.responseReserveMs;
  }

  /** Milliseconds the current phase may still spend. */
  remainingMs(): number {
    return this.endsAt - this.reserveMs - Date.now();
  }
}

/** The clock every client of this container consults; the handlers `begin` it per event. */
export const clock = new InvocationClock();

/** For clients outside a Lambda invocation (the `plan` command): their calls are not bounded by any clock. */
export const NO_DEADLINE = { remainingMs: () => Number.POSITIVE_INFINITY };

class Token implements RetryToken {
  constructor(
    readonly count: number,
    readonly delay: number,
    readonly startedAt: number,
  ) {}
  getRetryCount(): number {
    return this.count;
  }
  getRetryDelay(): number {
    return this.delay;
  }
}

/** A retry strategy (the SDK's RetryStrategyV2) that retries throttling, transient and 5xx errors until the clock runs out. */
export class DeadlineRetryStrategy implements RetryStrategyV2 {
  constructor(
    private readonly time: { remainingMs(): number } = clock,
    private readonly random: () => number = Math.random,
  ) {}

  async acquireInitialRetryToken(): Promise<RetryToken> {
    return new Token(0, 0, Date.now());
  }

  async refreshRetryTokenForRetry(token: RetryToken, info: RetryErrorInfo): Promise<RetryToken> {
    const t = token as Token;
    const error = (info as RetryErrorInfo & { error?: unknown }).error;
    const history = (outOfTime: boolean): RetryHistory => ({ retries: t.count, elapsedMs: Date.now() - t.startedAt, outOfTime });
    if (info.errorType === 'CLIENT_ERROR') {
      attachHistory(error, history(false));
      throw new Error('not retryable');
    }
    const ceiling = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** t.count);
    let delay = Math.round(this.random() * ceiling);
    const hinted = info.retryAfterHint ? info.retryAfterHint.getTime() - Date.now() : 0;
    if (hinted > delay) delay = Math.min(hinted, RETRY_CAP_MS);
    if (delay >= this.time.remainingMs()) {
      attachHistory(error, history(true));
      throw new Error('out of time');
    }
    return new Token(t.count + 1, delay, t.startedAt);
  }

  recordSuccess(): void {}
}

function attachHistory(error: unknown, history: RetryHistory): void {
  if (typeof error === 'object' && error !== null) (error as { $retries?: RetryHistory }).$retries = history;
}

export function retryHistory(error: unknown): RetryHistory | undefined {
  return typeof error === 'object' && error !== null ? (error as { $retries?: RetryHistory }).$retries : undefined;
}

/**
 * A call that did not answer within the time this invocation had left for it. The request may still reach the service
 * and take effect after the handler gave up on it: a write that ends like this is uncertain, not failed.
 */
export class CallTimeoutError extends Error {
  override readonly name = 'CallTimeout';
  constructor(
    readonly $operation: string,
    readonly waitedMs: number,
  ) {
    super(
      `${$operation} did not answer within the ${Math.max(1, Math.round(waitedMs / 1000))} s this invocation had left for it (the request may still take effect). ` +
        'Retry the deployment: the next attempt reads what is live and converges; if it keeps happening, check the service health and raise the Lambda timeout.',
    );
  }
}

/**
 * Names the operation on every error a client throws (`err.$operation`), so that a throttling error caught far from
 * its call can still say which operation was throttled. And bounds every call (all its attempts) by the clock: a call
 * that hangs is given up when the current phase's time is spent, so that the handler, not the Lambda timeout, has
 * the last word: it can still undo what it did and say what to do. Otherwise Lambda kills it mid-way and the
 * Provider framework answers "Task timed out", with nothing undone and a claim left behind.
 */
export function namingOperations<C extends { middlewareStack: { add: (...args: never[]) => unknown } }>(client: C, time: { remainingMs(): number } = clock): C {
  const stack = client.middlewareStack as unknown as {
    add(mw: (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => Promise<unknown>, options: object): void;
  };
  stack.add(
    (next, context) => async (args) => {
      const operation = context.commandName?.replace(/Command$/, '') ?? 'a call';
      const budget = Math.max(0, time.remainingMs());
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          next(args),
          new Promise<never>((_, reject) => {
            // setTimeout takes at most 2^31-1 ms (more fires at once): a clock without a deadline bounds nothing.
            if (budget < 2 ** 31 - 1) timer = setTimeout(() => reject(new CallTimeoutError(operation, budget)), budget);
          }),
        ]);
      } catch (err) {
        if (typeof err === 'object' && err !== null) (err as { $operation?: string }).$operation ??= context.commandName?.replace(/Command$/, '');
        throw err;
      } finally {
        clearTimeout(timer);
      }
    },
    { step: 'initialize', name: 'cdkConnectionSharingOperationName' },
  );
  return client;
}

/** Client config shared by every handler client. `maxAttempts` only feeds the SDK's request header. */
export function retryConfig(strategy: RetryStrategyV2 = new DeadlineRetryStrategy()) {
  return { retryStrategy: strategy, maxAttempts: 1000 };
}

/** The names services give throttling, as the SDK recognizes them. */
const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'SlowDown',
]);

export function isThrottling(err: unknown): boolean {
  return THROTTLING.has(errorName(err) ?? '') || (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode === 429;
}

/**
 * The operator's message for a call that stayed throttled until the invocation ran out of time, or undefined when
 * `err` is not that. `service` and `operation` name the call as the operator knows it (e.g. `SSM Parameter Store`,
 * `PutParameter`).
 */
export function throttledMessage(err: unknown, service: string, operation: string): string | undefined {
  if (!isThrottling(err)) return undefined;
  const h = retryHistory(err);
  const how = h ? `for ${Math.round(h.elapsedMs / 1000)} s (${h.retries + 1} attempts)` : '';
  const advice =
    service === 'SSM Parameter Store'
      ? 'Parameter Store allows 3 PutParameter calls per second per account and Region by default, shared by everything in the account: ' +
        'enable its higher throughput (aws ssm update-service-setting --setting-id .../ssm/parameter-store/high-throughput-enabled --setting-value true), ' +
        'deploy fewer of these resources at once, or retry the deployment.'
      : `Deploy fewer of these resources at once, ask AWS for a higher ${service} quota, or retry the deployment.`;
  return `${service} throttled ${operation} ${how} until this invocation ran out of time (Rate exceeded). ${advice}`.replace(/ {2,}/g, ' ');
}
