// A warm "Lambda container" for the local CloudFormation (emulator/cloudformation.ts): loads one bundled handler file
// once (the cold start) and runs the invocations it receives over IPC, one at a time, as the Node.js runtime does.
//
// Everything the handler writes to stdout/stderr is sent back over the same IPC channel, tagged with the invocation
// it belongs to, so the parent can attribute each log line to one event; IPC keeps the order of a log line and the
// result that follows it, which two separate pipes would not.
//
// Plain CommonJS: it runs under a bare `node`, without tsx or ts-jest.
//
// argv: <handler file> <export name>
// parent -> child: { type: 'invoke', id, event, deadline (epoch ms), requestId, functionName, functionArn, memoryMb }
// child -> parent: { type: 'log', id, stream, text } | { type: 'result', id, ok: true, result }
//                  | { type: 'result', id, ok: false, error: { errorType, errorMessage, trace } }
'use strict';
const { Buffer } = require('buffer');

const [handlerFile, exportName] = process.argv.slice(2);
let current;

function send(message) {
  if (process.connected) process.send(message);
}

for (const stream of ['stdout', 'stderr']) {
  process[stream].write = (chunk, encoding, callback) => {
    send({ type: 'log', id: current, stream, text: typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8') });
    const cb = typeof encoding === 'function' ? encoding : callback;
    if (typeof cb === 'function') cb();
    return true;
  };
}

function errorPayload(err, fallbackType) {
  const e = err instanceof Error ? err : new Error(String(err));
  return { errorType: e.name && e.name !== 'Error' ? e.name : fallbackType || e.name, errorMessage: e.message, trace: String(e.stack || '').split('\n') };
}

let handler;
let initError;
try {
  handler = require(handlerFile)[exportName];
  if (typeof handler !== 'function') throw Object.assign(new Error(`${handlerFile} does not export a function named ${exportName}`), { name: 'Runtime.HandlerNotFound' });
} catch (err) {
  initError = errorPayload(err, 'Runtime.ImportModuleError');
}

// An error that escapes the handler ends the container, as in Lambda; the invocation in flight reports it.
function crash(err) {
  send({ type: 'result', id: current, ok: false, error: errorPayload(err, 'Runtime.UnhandledPromiseRejection') });
  process.exit(1);
}
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);
process.on('disconnect', () => process.exit(0));

process.on('message', async (message) => {
  if (!message || message.type !== 'invoke') return;
  current = message.id;
  if (initError) {
    send({ type: 'result', id: message.id, ok: false, error: initError });
    return;
  }
  const context = {
    functionName: message.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: message.functionArn,
    memoryLimitInMB: String(message.memoryMb),
    awsRequestId: message.requestId,
    logGroupName: `/aws/lambda/${message.functionName}`,
    logStreamName: 'emulated',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
  };
  try {
    const result = await new Promise((resolve, reject) => {
      const callback = (err, value) => (err ? reject(err) : resolve(value));
      const returned = handler(message.event, context, callback);
      if (returned && typeof returned.then === 'function') returned.then(resolve, reject);
      else if (handler.length < 3) resolve(returned);
    });
    send({ type: 'result', id: message.id, ok: true, result: result === undefined ? null : result });
  } catch (err) {
    send({ type: 'result', id: message.id, ok: false, error: errorPayload(err) });
  }
});

send({ type: 'ready' });
