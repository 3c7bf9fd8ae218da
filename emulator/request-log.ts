import type { ServiceName } from './protocol';

export interface LoggedCall {
  readonly service: ServiceName;
  readonly operation: string;
  /** The parsed JSON request (for Lambda Invoke: `{ FunctionName, Payload }`). */
  readonly input: unknown;
  readonly status: number;
  /** The error name sent back, when the call failed. */
  readonly errorType?: string;
  /** True when the error came from fault injection rather than from the emulated service's rules. */
  readonly injected?: boolean;
  /** True when a rate limit refused the call (emulator.rateLimits): the service's ThrottlingException. */
  readonly throttled?: boolean;
  /** Epoch ms when the request arrived. */
  readonly time: number;
  readonly durationMs: number;
}

export class RequestLog {
  private readonly store: LoggedCall[] = [];

  record(call: LoggedCall): void {
    this.store.push(call);
  }

  /** Every call so far, oldest first (a copy). */
  get entries(): LoggedCall[] {
    return [...this.store];
  }

  /** Calls of one operation (bare name such as `UpdateConnectionPreferences`), or all calls. */
  list(operation?: string): LoggedCall[] {
    return operation ? this.store.filter((c) => c.operation === operation) : [...this.store];
  }

  /** Number of calls of `operation` (all attempts, failed ones included), optionally narrowed further. */
  count(operation?: string, where?: (call: LoggedCall) => boolean): number {
    return this.list(operation).filter(where ?? (() => true)).length;
  }

  /** Calls refused by a rate limit (all operations, or one), e.g. the throttled calls a fleet absorbed. */
  throttledCount(operation?: string): number {
    return this.count(operation, (c) => c.throttled === true);
  }

  /** `{ 'SSM.PutParameter': 3, ... }`, handy for printing and for snapshot-style assertions. */
  countsByOperation(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const c of this.store) counts[`${c.service}.${c.operation}`] = (counts[`${c.service}.${c.operation}`] ?? 0) + 1;
    return counts;
  }

  reset(): void {
    this.store.length = 0;
  }
}
