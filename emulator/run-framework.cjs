// Runs one Provider framework handler from a synthesized cloud assembly (e.g. `framework.onEvent` in its asset folder)
// on one CloudFormation event read from stdin, as the framework's Lambda function would; used by
// emulator/cloudformation.ts. The framework PUTs its response to the event's ResponseURL itself.
//
// Plain CommonJS: it runs under a bare `node`. The framework's own `require('@aws-sdk/client-lambda')` resolves
// through NODE_PATH, standing in for the SDK that the Lambda Node.js runtime provides.
//
// argv: <framework asset folder> <handler, e.g. framework.onEvent>
'use strict';
const path = require('path');
const { Buffer } = require('buffer');

const [dir, handler] = process.argv.slice(2);
const dot = handler.lastIndexOf('.');
const fn = require(path.join(dir, handler.slice(0, dot)))[handler.slice(dot + 1)];

const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  Promise.resolve(fn(event)).then(
    // Explicit exits: SDK keep-alive sockets or timers must not keep a finished "invocation" alive.
    () => process.exit(0),
    (err) => {
      console.error('[run-framework] the framework handler threw:', err);
      process.exit(3);
    },
  );
});
