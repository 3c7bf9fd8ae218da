// Routes HTTPS requests for chosen hosts to the emulator's HTTPS port.
//
// Why: the aws-cdk-lib Provider framework sends its CloudFormation response with
// https.request({ hostname, path, method }) built from the ResponseURL, so the URL's port is dropped and the
// request goes to port 443. Listening on 443 needs privileges and collides between parallel test workers, so the
// process that runs the framework instead loads this file (`node -r <this file>`, or NODE_OPTIONS=--require ...),
// which rewrites only requests for the routed hosts that carry no explicit port.
//
// Plain CommonJS on purpose: it must load with `node -r` in a child process, without tsx or ts-jest.
//
// Configuration (environment, read at load time):
//   EMULATOR_HTTPS_ROUTES  comma-separated `hostname=port` pairs; the target host is always 127.0.0.1
//   EMULATOR_CA_FILE       the emulator's certificate, trusted for routed requests only
'use strict';
const https = require('https');
const fs = require('fs');
const { URL } = require('url');

const LOCAL_NAMES = new Set(['127.0.0.1', 'localhost']);

function parseRoutes(text) {
  const routes = new Map();
  for (const pair of (text || '').split(',')) {
    const [host, port] = pair.split('=');
    if (host && port) routes.set(host.trim(), Number(port));
  }
  return routes;
}

/**
 * Patches https.request and https.get so that requests to a routed host (without an explicit port, or with 443)
 * reach 127.0.0.1:<port>. Returns a function that undoes the patch.
 */
function install(routes, ca) {
  const original = { request: https.request, get: https.get };
  const rewrite = (options) => {
    const host = options.hostname || (options.host ? String(options.host).replace(/:\d+$/, '') : undefined);
    const port = routes.get(host);
    if (port === undefined || (options.port !== undefined && options.port !== null && Number(options.port) !== 443)) return options;
    const routed = { ...options, hostname: '127.0.0.1', host: undefined, port };
    if (ca) routed.ca = ca;
    // The certificate names 127.0.0.1 and localhost only; another routed name (e.g. the real S3 host of a
    // fixture's ResponseURL) keeps its chain check against `ca` but skips the name check.
    if (!LOCAL_NAMES.has(host)) routed.checkServerIdentity = () => undefined;
    return routed;
  };
  const wrap = (fn) =>
    function patched(...args) {
      // Accepted shapes: (url[, options][, cb]) and (options[, cb]).
      if (typeof args[0] === 'string' || args[0] instanceof URL) {
        const u = new URL(String(args[0]));
        const extra = typeof args[1] === 'object' && args[1] !== null ? args[1] : {};
        const rest = typeof args[1] === 'object' && args[1] !== null ? args.slice(2) : args.slice(1);
        const options = {
          protocol: u.protocol,
          hostname: u.hostname,
          port: u.port === '' ? undefined : Number(u.port),
          path: `${u.pathname}${u.search}`,
          ...extra,
        };
        return fn.call(https, rewrite(options), ...rest);
      }
      if (typeof args[0] === 'object' && args[0] !== null) return fn.call(https, rewrite(args[0]), ...args.slice(1));
      return fn.apply(https, args);
    };
  https.request = wrap(original.request);
  https.get = wrap(original.get);
  return () => {
    https.request = original.request;
    https.get = original.get;
  };
}

if (process.env.EMULATOR_HTTPS_ROUTES) {
  const ca = process.env.EMULATOR_CA_FILE ? fs.readFileSync(process.env.EMULATOR_CA_FILE, 'utf8') : undefined;
  install(parseRoutes(process.env.EMULATOR_HTTPS_ROUTES), ca);
}

module.exports = { install, parseRoutes };
