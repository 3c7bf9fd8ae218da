/**
 * CloudFormation shows the handler's message as the resource's status reason, and the whole response must fit
 * in 4096 bytes together with the ids the framework adds: keep the reason well inside that.
 */
export const MAX_REASON_CHARS = 1500;

/** An error whose message is meant for the operator: what happened and what to do. */
export class OperatorError extends Error {
  constructor(message: string) {
    super(truncate(message));
    this.name = 'OperatorError';
  }
}

export function truncate(message: string, max = MAX_REASON_CHARS): string {
  return message.length <= max ? message : `${message.slice(0, max - 15)}... (truncated)`;
}

/** The SDK's exception name, or undefined for anything that is not a service error. */
export function errorName(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'name' in err ? String((err as { name: unknown }).name) : undefined;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
