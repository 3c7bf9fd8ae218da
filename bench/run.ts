// `npm run bench`: measures our handlers and constructs against aws-cdk-lib's AwsCustomResource and against the
// minimum the APIs allow, then writes bench/results/results.json and BENCHMARKS.md. See BENCHMARKS.md for the method.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { startEmulator } from '../emulator';
import { synthScenarioApp } from './apps';
import { measureColdStarts, measureMemory } from './cold';
import { measureGrowth } from './growth';
import { assetSize, readScenarioAssembly } from './handlers';
import { measureCreatingWait, runScenarios } from './scenarios';
import { FLEET_ALIASES, FLEET_SCALE, type FleetBenchResult, renderFleetSection, runFleetBench, spliceFleetSection } from './fleet';
import { renderPlanSection, runPlanBench, splicePlanSection } from './plan';
import { writeReport, type BenchResults } from './report';

const ROOT = path.join(__dirname, '..');
const RESULTS = path.join(__dirname, 'results');
/** Samples per timed measurement; the tables show medians. Override with BENCH_RUNS (odd numbers keep a true median). */
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const GROWTH_NS = [1, 10, 100];
const GROWTH_REPEATS = Number(process.env.BENCH_SYNTH_RUNS ?? 3);
/** Runs of each `plan` scenario (each a fresh process planning 102 resources). */
const PLAN_RUNS = Number(process.env.BENCH_PLAN_RUNS ?? 3);

function machine(): BenchResults['machine'] {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const nproc = (() => {
    try {
      return Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
    } catch {
      return os.availableParallelism();
    }
  })();
  const pkg = (name: string) => JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`, { paths: [ROOT] }), 'utf8')).version as string;
  return {
    cpuModel: model,
    nproc,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    awsCdkLib: pkg('aws-cdk-lib'),
    sdkPartnerCentral: pkg('@aws-sdk/client-partnercentral-account'),
    sdkWorkSpaces: pkg('@aws-sdk/client-workspaces'),
  };
}

/** `fleet` runs only section 6, `plan` only the planning benchmark; each rewrites its section of BENCHMARKS.md in place. */
const ONLY = process.env.BENCH_ONLY;
const SKIP = new Set((process.env.BENCH_SKIP ?? '').split(',').filter(Boolean));

const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
const commitInfo = () => ({ commit: git('rev-parse', '--short', 'HEAD'), lambdaDirty: git('status', '--porcelain', '--', 'lambda', 'lib').length > 0 });

async function fleet(step: (what: string) => void): Promise<FleetBenchResult> {
  step(`fleet: ${FLEET_ALIASES} + 2 resources, Create, Update and Delete waves under the rate limits (k = ${FLEET_SCALE})`);
  return runFleetBench(commitInfo());
}

async function main(): Promise<void> {
  const started = performance.now();
  const step = (what: string) => console.log(`[bench ${((performance.now() - started) / 1000).toFixed(1)} s] ${what}`);
  fs.mkdirSync(RESULTS, { recursive: true });
  if (ONLY === 'plan') {
    const plan = await runPlanBench(PLAN_RUNS, commitInfo().commit, step);
    fs.writeFileSync(path.join(RESULTS, 'plan.json'), `${JSON.stringify(plan, null, 2)}\n`);
    const file = path.join(ROOT, 'BENCHMARKS.md');
    fs.writeFileSync(file, splicePlanSection(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n', renderPlanSection(plan)));
    step('done: the plan section of BENCHMARKS.md and bench/results/plan.json written');
    return;
  }
  if (ONLY !== undefined && ONLY !== 'fleet' && ONLY !== 'plan') throw new Error(`BENCH_ONLY=${ONLY}: only "fleet" or "plan" can run alone`);
  if (ONLY === 'fleet') {
    const result = await fleet(step);
    fs.writeFileSync(path.join(RESULTS, 'fleet.json'), `${JSON.stringify(result, null, 2)}\n`);
    const file = path.join(ROOT, 'BENCHMARKS.md');
    fs.writeFileSync(file, spliceFleetSection(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n', renderFleetSection(result)));
    step('done: section 6 of BENCHMARKS.md and bench/results/fleet.json written');
    return;
  }
  const assemblyDir = path.join(RESULTS, 'cdk.out');
  fs.rmSync(assemblyDir, { recursive: true, force: true });

  step('synthesizing the scenario stacks');
  synthScenarioApp(assemblyDir);
  const assembly = readScenarioAssembly(assemblyDir);
  const handlers = [assembly.partnerCentral, assembly.workspaces, assembly.framework, assembly.awsCustomResource];
  const sizes = Object.fromEntries(handlers.map((h) => [h.name, assetSize(h.dir)]));

  const emulator = await startEmulator();
  let results: Omit<BenchResults, 'growth' | 'machine' | 'durationS' | 'runs' | 'date' | 'commit' | 'lambdaDirty'>;
  try {
    step(`cold starts (${RUNS} fresh processes per handler)`);
    const cold = await measureColdStarts(emulator, assembly, RUNS);
    step(`peak memory (${RUNS} fresh processes per handler)`);
    const memory = await measureMemory(emulator, assembly, RUNS);
    step(`API calls and latency per lifecycle event (${RUNS} runs each)`);
    const scenarios = await runScenarios(emulator, assembly, RUNS);
    step('alias CREATING wait (once)');
    const creatingWait = await measureCreatingWait(emulator, assembly);
    results = { sizes, cold, memory, scenarios, creatingWait };
  } finally {
    await emulator.close();
  }

  step(`template growth (N = ${GROWTH_NS.join(', ')}; ${GROWTH_REPEATS} synths each)`);
  const growth = measureGrowth(GROWTH_NS, GROWTH_REPEATS);
  const plan = SKIP.has('plan') ? undefined : await runPlanBench(PLAN_RUNS, commitInfo().commit, step);
  const fleetResult = SKIP.has('fleet') ? undefined : await fleet(step);

  const all: BenchResults = {
    date: new Date().toISOString(),
    ...commitInfo(),
    runs: RUNS,
    machine: machine(),
    durationS: Math.round((performance.now() - started) / 1000),
    ...results,
    growth,
    fleet: fleetResult,
    plan,
  };
  fs.writeFileSync(path.join(RESULTS, 'results.json'), `${JSON.stringify(all, null, 2)}\n`);
  writeReport(all, path.join(ROOT, 'BENCHMARKS.md'));
  step(`done: BENCHMARKS.md and bench/results/results.json written (${all.durationS} s)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
