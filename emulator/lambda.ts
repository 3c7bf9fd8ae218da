// Lambda Invoke (REST JSON), just enough for the aws-cdk-lib Provider framework to call a user handler.
import { randomUUID } from 'crypto';
import { AwsError } from './protocol';

/** Minimal Lambda context: the handlers only use `getRemainingTimeInMillis`. */
export interface EmulatedLambdaContext {
  functionName: string;
  awsRequestId: string;
  getRemainingTimeInMillis(): number;
}

export type LambdaFunction = (payload: unknown, context: EmulatedLambdaContext) => Promise<unknown>;

export interface RegisterOptions {
  /** What `getRemainingTimeInMillis` counts down from. Default 300 000 ms. */
  timeoutMs?: number;
}

export interface InvokeResult {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** `my-fn`, `arn:aws:lambda:r:a:function:my-fn[:qualifier]` and `a:function:my-fn` all name `my-fn`. */
export function functionNameOf(nameOrArn: string): string {
  const m = /(?:^|:)function:([^:]+)/.exec(nameOrArn);
  return m ? m[1] : nameOrArn;
}

export class LambdaFunctions {
  private readonly functions = new Map<string, { fn: LambdaFunction; timeoutMs: number }>();

  /** Registers `fn` under a function name or ARN; invocations by name, ARN or partial ARN all reach it. */
  register(nameOrArn: string, fn: LambdaFunction, options: RegisterOptions = {}): void {
    this.functions.set(functionNameOf(nameOrArn), { fn, timeoutMs: options.timeoutMs ?? 300_000 });
  }

  unregister(nameOrArn: string): void {
    this.functions.delete(functionNameOf(nameOrArn));
  }

  reset(): void {
    this.functions.clear();
  }

  /** @internal GetFunction, which the framework's waiter calls after a failed Invoke. */
  getFunction(nameOrArn: string): unknown {
    const name = functionNameOf(nameOrArn);
    if (!this.functions.has(name)) throw this.notFound(nameOrArn);
    return { Configuration: { FunctionName: name, State: 'Active', LastUpdateStatus: 'Successful' } };
  }

  /** @internal Answers like Lambda: a handler error is still HTTP 200, flagged with X-Amz-Function-Error. */
  async invoke(nameOrArn: string, payloadText: string, invocationType: string | undefined): Promise<InvokeResult> {
    const entry = this.functions.get(functionNameOf(nameOrArn));
    if (!entry) throw this.notFound(nameOrArn);
    let payload: unknown;
    try {
      payload = payloadText === '' ? {} : JSON.parse(payloadText);
    } catch {
      throw new AwsError(400, 'InvalidRequestContentException', 'Could not parse request body into json');
    }
    if (invocationType === 'DryRun') return { status: 204, headers: {}, body: '' };
    const deadline = Date.now() + entry.timeoutMs;
    const context: EmulatedLambdaContext = {
      functionName: functionNameOf(nameOrArn),
      awsRequestId: randomUUID(),
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    if (invocationType === 'Event') {
      // Fire and forget, like an asynchronous invocation; a failure only shows in the test's own assertions.
      void entry.fn(payload, context).catch(() => undefined);
      return { status: 202, headers: {}, body: '' };
    }
    try {
      const result = await entry.fn(payload, context);
      return { status: 200, headers: { 'x-amz-executed-version': '$LATEST' }, body: JSON.stringify(result ?? null) };
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      return {
        status: 200,
        headers: { 'x-amz-function-error': 'Unhandled', 'x-amz-executed-version': '$LATEST' },
        body: JSON.stringify({ errorType: e.name, errorMessage: e.message, trace: (e.stack ?? '').split('\n') }),
      };
    }
  }

  private notFound(nameOrArn: string): AwsError {
    return new AwsError(404, 'ResourceNotFoundException', `Function not found: ${nameOrArn}`, { Type: 'User' }, 'Message');
  }
}
