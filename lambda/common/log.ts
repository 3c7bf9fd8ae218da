// Structured, one-line JSON logs. Handlers pass only the fields they choose: never the raw event, whose
// ResponseURL is a pre-signed URL that would let anyone answer for the stack.
export type LogFields = Record<string, unknown>;

function emit(level: 'INFO' | 'WARN' | 'ERROR', msg: string, fields: LogFields): void {
  console.log(JSON.stringify({ level, msg, ...fields }));
}

export const log = {
  info: (msg: string, fields: LogFields = {}) => emit('INFO', msg, fields),
  warn: (msg: string, fields: LogFields = {}) => emit('WARN', msg, fields),
  error: (msg: string, fields: LogFields = {}) => emit('ERROR', msg, fields),
};

/** The event fields that are safe and useful to log. */
export function eventSummary(event: {
  RequestType: string;
  LogicalResourceId: string;
  StackId: string;
  RequestId: string;
  PhysicalResourceId?: string;
}): LogFields {
  return {
    requestType: event.RequestType,
    stackId: event.StackId,
    logicalResourceId: event.LogicalResourceId,
    requestId: event.RequestId,
    physicalResourceId: event.PhysicalResourceId,
  };
}
