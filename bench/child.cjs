// Runs a Lambda handler module in this Node process, as the Lambda runtime would, and reports what it measured.
// Plain CommonJS on purpose: a TypeScript loader (tsx) in the child would be measured as part of the cold start.
//
//   node bench/child.cjs cold '<job json>'   fresh process: load the module, serve one event, print one result line
//   node bench/child.cjs serve               IPC worker: load once, then serve events sent by the parent
//
// A job is {file, exportName, event}. The result line starts with RESULT_MARK so that the handlers' own log lines
// on stdout are never mistaken for it.
'use strict';
const fs = require('fs');
const { performance } = require('perf_hooks');

const RESULT_MARK = '@@BENCH_RESULT@@';

function contextFor(timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  return {
    functionName: 'bench',
    logStreamName: 'bench/log-stream',
    awsRequestId: 'bench-request',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

/**
 * Peak RSS of this process image (VmHWM). process.resourceUsage().maxRSS is not used for the comparison: Linux
 * carries a parent's peak across fork+exec into the child's ru_maxrss, so every child would report the benchmark
 * runner's own footprint (it is still recorded, as maxRssKb).
 */
function peakRssKb() {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function describe(err) {
  return { name: (err && err.name) || 'Error', message: String((err && err.message) || err) };
}

async function cold(job) {
  // Taken before require(): everything from here on is what a cold start adds to Node's own bootstrap.
  const t0 = performance.now();
  const mod = require(job.file);
  const t1 = performance.now();
  let ok = true;
  let error;
  let result;
  try {
    result = await mod[job.exportName](job.event, contextFor(300_000));
  } catch (err) {
    ok = false;
    error = describe(err);
  }
  const t2 = performance.now();
  // What the event made Node read and compile, wherever it came from (asset or runtime-provided SDK).
  const loaded = Object.keys(require.cache).filter((f) => f.endsWith('.js') || f.endsWith('.cjs') || f.endsWith('.json'));
  const loadedBytes = loaded.reduce((sum, f) => sum + fs.statSync(f).size, 0);
  const report = {
    bootMs: t0,
    loadMs: t1 - t0,
    serveMs: t2 - t1,
    firstEventMs: t2 - t0,
    maxRssKb: process.resourceUsage().maxRSS,
    peakRssKb: peakRssKb(),
    loadedFiles: loaded.length,
    loadedBytes,
    ok,
    error,
    result,
  };
  process.stdout.write(`\n${RESULT_MARK}${JSON.stringify(report)}\n`);
  // The SDK's keep-alive sockets would hold the process open; Lambda freezes it instead.
  process.exit(0);
}

function serve() {
  const modules = new Map();
  process.on('message', async (msg) => {
    if (msg === 'exit') process.exit(0);
    const { id, job } = msg;
    let mod = modules.get(job.file);
    if (!mod) {
      mod = require(job.file);
      modules.set(job.file, mod);
    }
    const t0 = performance.now();
    try {
      const result = await mod[job.exportName](job.event, contextFor(300_000));
      process.send({ id, ok: true, ms: performance.now() - t0, result });
    } catch (err) {
      process.send({ id, ok: false, ms: performance.now() - t0, error: describe(err) });
    }
  });
  process.send({ ready: true });
}

if (process.argv[2] === 'cold') cold(JSON.parse(process.argv[3]));
else if (process.argv[2] === 'serve') serve();
else {
  console.error('usage: child.cjs cold <job> | serve');
  process.exit(2);
}
