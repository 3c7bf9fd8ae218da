// Who may send this handler an event. Lambda does not check that an event comes from CloudFormation: anyone allowed
// to invoke the handler, or the Provider framework's function (whose ServiceToken any stack of the account can name),
// can hand it any event. The handler's grants reach every alias of the account and both catalogs, so before it reads
// or writes anything it refuses events that are not for its own stack, which the construct put in its environment.
import { STACK_ID_ENV } from '../../lib/common/handler-env';
import { OperatorError } from './errors';
import { log } from './log';

interface EventOrigin {
  readonly RequestType: string;
  readonly StackId?: unknown;
  readonly LogicalResourceId?: unknown;
}

/** Throws unless the event is for the stack this handler was deployed with. */
export function refuseForeignStack(event: EventOrigin, env: NodeJS.ProcessEnv = process.env): void {
  const own = env[STACK_ID_ENV];
  if (!own) {
    throw new OperatorError(
      `Refused: this handler has no ${STACK_ID_ENV} in its environment, so it cannot tell that the event is for its own stack, ` +
        'and acts on none. Nothing was read or changed. The constructs of cdk-connection-sharing set it (AWS::StackId): deploy the ' +
        'handler through them, not on its own.',
    );
  }
  if (event.StackId === own) return;
  log.error('refused an event for another stack', { requestType: event.RequestType, eventStackId: String(event.StackId), ownStackId: own });
  throw new OperatorError(
    `Refused: this ${event.RequestType} event (resource ${String(event.LogicalResourceId)}) is for stack ${String(event.StackId)}, but this handler ` +
      `serves only its own stack ${own}. Nothing was read or changed. A custom resource must use the provider of its own stack ` +
      '(each stack using these constructs gets its own); do not share its ServiceToken across stacks. If no deployment of yours sent ' +
      'this event, someone allowed to invoke this handler or its Provider framework did: check CloudTrail for lambda:Invoke.',
  );
}
