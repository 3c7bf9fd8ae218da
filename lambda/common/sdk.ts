// One retry policy for every client, chosen on purpose: the SDK's standard mode retries throttling and 5xx with
// jittered exponential backoff. Our own retry loops (revision conflicts) never wrap these errors, so retries are
// never stacked: a throttled call costs at most MAX_ATTEMPTS attempts, not MAX_ATTEMPTS squared.
export const SDK_MAX_ATTEMPTS = 5;

export const sdkRetryConfig = { maxAttempts: SDK_MAX_ATTEMPTS, retryMode: 'standard' } as const;

/** Lambda's context method, optional so that tests and local runs can call handlers without one. */
export interface LambdaContextLike {
  getRemainingTimeInMillis?: () => number;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
