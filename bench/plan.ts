// Planning a fleet with `cdk-connection-sharing plan`: 100 ConnectionAliasSharing + 2 PartnerConnectionPreferences in
// one stack, planned by the bundled command (a fresh `node` process, as `npx` runs it) against the emulator with a
// per-call latency, under the fleet benchmark's rate limits (Parameter Store's defaults plus 5 per second per
// WorkSpaces and Partner Central operation, emulator/rate-limits.ts FLEET_RATES). Measured: wall time against the
// floor (the time the slowest rate bucket needs for the calls the APIs require), the calls made by operation, and the
// highest Parameter Store read rate in any one-second window (the account's shared budget is 40 per second).
// `BENCH_ONLY=plan npm run bench` reruns only this and rewrites its section of BENCHMARKS.md in place.
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { SSMClient } from '@aws-sdk/client-ssm';
import * as workspaces from 'aws-cdk-lib/aws-workspaces';
import { type Emulator, FLEET_RATES, startEmulator } from '../emulator';
import { AccessType } from '../lib';
import { statePath as prefsStatePath } from '../lib/partner-central/contract';
import { statePath as aliasStatePath } from '../lib/workspaces/contract';
import { StateStore } from '../lambda/common/state-store';
import { digest } from '../lambda/partner-central/preferences';
import { ACCOUNT, REGION, accountOf, aliasIdOf, newApp, newStack, ourPreferences, ourSharing } from './apps';
import { median } from './harness';
import { LATENCY_MS } from './scenarios';

const ROOT = path.join(__dirname, '..');
const CLI = path.join(ROOT, 'assets', 'cli', 'index.js');
export const PLAN_FLEET = 100;
const STACK = 'BenchPlan';
const CATALOGS = ['AWS', 'Sandbox'] as const;
const DENY_SOME = { accessType: 'ALLOW_BY_DEFAULT_DENY_SOME', excludedParticipantIds: ['partner-blocked-1'] };

export interface PlanBenchRow {
  readonly scenario: string;
  readonly resources: number;
  readonly samplesMs: number[];
  readonly medianMs: number;
  readonly exitCode: number;
  readonly summary: Record<string, number>;
  /** Calls of one run, by `Service.Operation` (every HTTP attempt, as the emulator saw them). */
  readonly calls: Record<string, number>;
  readonly writes: number;
  readonly peakSsmReadsPerSecond: number;
  /** Calls refused by a rate bucket (and retried by the command's SDK clients). */
  readonly throttled: number;
  readonly floorMs: number;
  /** The bucket that sets the floor. */
  readonly floorBucket: string;
}

export interface PlanBenchResult {
  readonly date: string;
  readonly commit: string;
  readonly runs: number;
  readonly latencyMs: number;
  readonly rates: Record<string, number>;
  readonly rows: PlanBenchRow[];
}

/**
 * The calls the APIs require for the fleet, by rate bucket: one DescribeConnectionAliasPermissions per alias (no batch
 * form; each alias has at most one share, one page), DescribeConnectionAliases by 25 ids, one GetConnectionPreferences
 * per catalog, and Parameter Store's state reads: one recursive read per kind and Region, a page of 10 per 10 records.
 */
function requiredCalls(converged: boolean): Record<string, number> {
  const records = (n: number) => Math.max(1, Math.ceil((converged ? n : 0) / 10));
  return {
    'WorkSpaces.DescribeConnectionAliasPermissions': PLAN_FLEET,
    'WorkSpaces.DescribeConnectionAliases': Math.ceil(PLAN_FLEET / 25),
    'PartnerCentralAccount.GetConnectionPreferences': CATALOGS.length,
    'SSM.GetParameter*': records(PLAN_FLEET) + records(CATALOGS.length),
  };
}

/** (calls − bucket size) ÷ rate for each bucket: the slowest is the floor (the fleet benchmark's rule). */
function floorOf(emulator: Emulator, required: Record<string, number>): { ms: number; bucket: string } {
  let floor = { ms: 0, bucket: '(none)' };
  for (const [key, calls] of Object.entries(required)) {
    const [service, operation] = key.split('.');
    const limit = emulator.rateLimits.limitOf(service as 'SSM', operation.replace('*', 'sByPath'));
    if (!limit) continue;
    const ms = (Math.max(0, calls - limit.burst) / limit.perSecond) * 1000;
    if (ms > floor.ms) floor = { ms, bucket: `${key}: ${calls} calls at ${limit.perSecond}/s, bucket ${limit.burst}` };
  }
  return floor;
}

/** One stack: 100 sharing resources (literal alias ids, or ids of CfnConnectionAlias resources of the stack) + 2 catalogs. */
function synthFleet(outdir: string, tokens: boolean): void {
  const app = newApp(outdir);
  const stack = newStack(app, STACK);
  for (const catalog of CATALOGS) ourPreferences(stack, `Prefs${catalog}`, { catalog, accessType: AccessType.ALLOW_BY_DEFAULT_DENY_SOME, excluded: DENY_SOME.excludedParticipantIds });
  for (let i = 0; i < PLAN_FLEET; i++) {
    const aliasId = tokens ? new workspaces.CfnConnectionAlias(stack, `Alias${i}`, { connectionString: `desktop${i}.example.com` }).attrAliasId : aliasIdOf(i);
    ourSharing(stack, `Sharing${i}`, aliasId, [accountOf(i)]);
  }
  app.synth();
}

interface Fleet {
  readonly dir: string;
  readonly template: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
}

function loadFleet(dir: string): Fleet {
  return { dir, template: JSON.parse(fs.readFileSync(path.join(dir, `${STACK}.template.json`), 'utf8')) };
}

const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${STACK}/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b`;

/** The account: every alias exists; `converged` = every resource deployed (its state stored, the alias shared). */
async function seed(emulator: Emulator, fleet: Fleet, converged: boolean, tokens: boolean): Promise<void> {
  emulator.reset();
  const ssm = new SSMClient({ ...emulator.clientConfig(REGION), maxAttempts: 3 });
  const pcSsm = new SSMClient({ ...emulator.clientConfig('us-east-1'), maxAttempts: 3 });
  const logicalIds = Object.entries(fleet.template.Resources);
  for (let i = 0; i < PLAN_FLEET; i++) {
    emulator.workspaces.seedAlias({ AliasId: aliasIdOf(i), Permissions: converged ? [{ SharedAccountId: accountOf(i), AllowAssociation: true }] : [] });
  }
  for (const catalog of CATALOGS) {
    emulator.partnerCentral.seed(catalog, converged ? { AccessType: DENY_SOME.accessType as 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIds: DENY_SOME.excludedParticipantIds } : {});
  }
  const ref = { stackId: STACK_ID, stackName: STACK, region: REGION };
  // An L1 directly in the stack keeps its construct id as logical id: Alias<i>.
  if (tokens) for (let i = 0; i < PLAN_FLEET; i++) emulator.cloudFormation.recordResource(ref, { logicalId: `Alias${i}`, physicalId: aliasIdOf(i), resourceType: 'AWS::WorkSpaces::ConnectionAlias' });
  if (converged) {
    // The records the handlers would have written at Create (the same state store code).
    for (const [logicalId, r] of logicalIds) {
      const owner = { stackId: STACK_ID, logicalResourceId: logicalId };
      if (r.Type === 'Custom::PartnerConnectionPreferences') {
        const catalog = String(r.Properties!.Catalog);
        const store = new StateStore(pcSsm, prefsStatePath(catalog), catalog);
        await store.claim(owner, { accessType: 'ALLOW_ALL', excludedParticipantIds: [] }, { applied: digest(DENY_SOME) });
      } else if (r.Type === 'Custom::ConnectionAliasSharing') {
        const i = indexOfAlias(r.Properties!.AliasId);
        await new StateStore(ssm, aliasStatePath(aliasIdOf(i)), aliasIdOf(i)).claim(owner, { preShared: [] }, { declared: [accountOf(i)] });
        emulator.cloudFormation.recordResource(ref, { logicalId, physicalId: aliasIdOf(i), resourceType: r.Type });
      }
      if (r.Type === 'Custom::PartnerConnectionPreferences') {
        const arn = `arn:aws:partnercentral:us-east-1:${ACCOUNT}:catalog/${String(r.Properties!.Catalog)}/connection-preferences`;
        emulator.cloudFormation.recordResource(ref, { logicalId, physicalId: arn, resourceType: r.Type });
      }
    }
    // The stack deployed with this template (what the plan reads with DescribeStacks, ListStackResources, GetTemplate).
    emulator.cloudFormation.recordTemplate(ref, fleet.template);
  }
  ssm.destroy();
  pcSsm.destroy();
  emulator.log.reset();
}

/** The fleet index of a sharing resource: from its literal alias id, or from the Alias<i> its token refers to. */
function indexOfAlias(aliasId: unknown): number {
  const att = (aliasId as { 'Fn::GetAtt'?: [string, string] })?.['Fn::GetAtt'];
  return att ? Number(att[0].replace(/^Alias/, '')) : Number(/(\d+)$/.exec(String(aliasId))![1]) - 1;
}

function runCli(emulator: Emulator, dir: string): Promise<{ code: number; ms: number; json?: { summary: Record<string, number> }; stderr: string }> {
  const start = performance.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, 'plan', '--json', '--app', dir],
      { env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), ...emulator.env() }, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 },
      (err, stdout, stderr) => {
        const code = err ? Number((err as { code?: unknown }).code ?? 1) : 0;
        resolve({ code, ms: performance.now() - start, json: stdout ? JSON.parse(stdout) : undefined, stderr });
      },
    );
  });
}

/** The most calls of `operation` in any one-second window. */
function peakPerSecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i] - sorted[j] >= 1000) j++;
    peak = Math.max(peak, i - j + 1);
  }
  return peak;
}

export async function runPlanBench(runs: number, commit: string, step: (what: string) => void = () => undefined): Promise<PlanBenchResult> {
  if (!fs.existsSync(CLI)) throw new Error('run `npm run bundle` first');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ccs-bench-plan-'));
  const emulator = await startEmulator({ region: REGION, rateLimits: { enabled: false, rates: FLEET_RATES } });
  try {
    const literal = path.join(work, 'literal');
    const tokens = path.join(work, 'tokens');
    synthFleet(literal, false);
    synthFleet(tokens, true);
    const scenarios = [
      { scenario: 'fresh account, literal alias ids', fleet: loadFleet(literal), converged: false, tokens: false },
      { scenario: 'converged, literal alias ids', fleet: loadFleet(literal), converged: true, tokens: false },
      { scenario: 'converged, alias ids from CfnConnectionAlias', fleet: loadFleet(tokens), converged: true, tokens: true },
    ];
    emulator.faults.latency(LATENCY_MS);
    const rows: PlanBenchRow[] = [];
    for (const s of scenarios) {
      step(`plan: ${s.scenario} (${runs} runs)`);
      const samples: number[] = [];
      let last: Awaited<ReturnType<typeof runCli>> | undefined;
      let calls: Record<string, number> = {};
      let peak = 0;
      let writes = 0;
      let throttled = 0;
      for (let r = 0; r < runs; r++) {
        await seed(emulator, s.fleet, s.converged, s.tokens);
        emulator.faults.latency(LATENCY_MS);
        // Seeded without limits (the writes would take half a minute at Parameter Store's 3 per second); planned under them, buckets full.
        emulator.rateLimits.enable({ rates: FLEET_RATES });
        last = await runCli(emulator, s.fleet.dir);
        if (last.code !== 0 && last.code !== 2) throw new Error(`plan failed (exit ${last.code}): ${last.stderr.slice(-2000)}`);
        samples.push(last.ms);
        calls = emulator.log.countsByOperation();
        peak = Math.max(peak, peakPerSecond(emulator.log.list('GetParametersByPath').map((c) => c.time)));
        writes = emulator.log.entries.filter((c) => !/^(Get|Describe|List)/.test(c.operation)).length;
        throttled = emulator.log.entries.filter((c) => c.throttled).length;
        emulator.rateLimits.disable();
      }
      const floor = floorOf(emulator, requiredCalls(s.converged));
      rows.push({
        scenario: s.scenario,
        resources: PLAN_FLEET + CATALOGS.length,
        samplesMs: samples,
        medianMs: median(samples),
        exitCode: last!.code,
        summary: last!.json!.summary,
        calls,
        writes,
        peakSsmReadsPerSecond: peak,
        throttled,
        floorMs: floor.ms,
        floorBucket: floor.bucket,
      });
    }
    return { date: new Date().toISOString(), commit, runs, latencyMs: LATENCY_MS, rates: emulator.rateLimits.configuredRates(), rows };
  } finally {
    await emulator.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

const START = '<!-- plan-bench:start -->';
const END = '<!-- plan-bench:end -->';

export function renderPlanSection(r: PlanBenchResult): string {
  const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
  const rows = r.rows.map((row) => {
    const summary = Object.entries(row.summary)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ');
    const calls = Object.entries(row.calls)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `${n} ${k}`)
      .join(', ');
    const floor = row.floorMs / 1000;
    return `| ${row.scenario} | ${row.resources} | ${(row.medianMs / 1000).toFixed(2)} | ${row.samplesMs.map((m) => (m / 1000).toFixed(2)).join(', ')} | ${floor.toFixed(2)} (${row.floorBucket}) | ${(row.medianMs / 1000 / floor).toFixed(2)}× | ${summary} (exit ${row.exitCode}) | ${total(row.calls)}: ${calls} | ${row.throttled} | ${row.writes} | ${row.peakSsmReadsPerSecond} |`;
  });
  return `${START}
## Planning a fleet: \`cdk-connection-sharing plan\`

Generated by \`BENCH_ONLY=plan npm run bench\` (bench/plan.ts) on ${r.date.slice(0, 10)} at commit ${r.commit}; also part of \`npm run bench\`.
One stack with ${PLAN_FLEET} \`ConnectionAliasSharing\` (one account each) and 2 \`PartnerConnectionPreferences\` (catalogs AWS and Sandbox),
planned by the bundled command (\`node assets/cli/index.js plan --json\`, a fresh process per run, as \`npx\` runs it: Node start-up and
loading aws-cdk-lib's cloud-assembly reader included) against the emulator, which adds ${r.latencyMs} ms to every API call. ${r.runs} runs
per scenario; the account is seeded again before each. The command plans 8 resources at a time and spaces Parameter Store reads evenly at 25
per second per Region, under the account's shared 40 per second; throttling would be retried by the SDK clients.

Rate limits (the fleet benchmark's, emulator/rate-limits.ts \`FLEET_RATES\` over Parameter Store's defaults; buckets of one second's
worth, full at the start of each run): ${Object.entries(r.rates ?? {}).map(([k, v]) => `${k} ${v}/s`).join(', ')}. **Floor**: for each rate bucket,
(the calls the APIs require − the bucket size) ÷ the rate; the slowest bucket's. The calls required: one
\`DescribeConnectionAliasPermissions\` per alias (it has no batch form), \`DescribeConnectionAliases\` by 25 ids, one
\`GetConnectionPreferences\` per catalog, and the state as one recursive \`GetParametersByPath\` per kind and Region (10 records a page).

| scenario | resources | wall s (median) | wall s (runs) | floor s (binding bucket) | wall ÷ floor | plan | API calls in one run (every attempt) | throttled | writes | peak Parameter Store reads in 1 s |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

The plan reads what the handlers read, batched (cli/reads.ts): \`DescribeConnectionAliases\` by 25 alias ids, each kind's state in a Region by
one recursive \`GetParametersByPath\` (10 records a page; the emulator pages the same way), \`GetConnectionPreferences\` once per catalog, and
one \`DescribeConnectionAliasPermissions\` per alias (no batch form: the binding bucket); plus one \`GetCallerIdentity\` per run and, per
stack, \`DescribeStacks\`, \`ListStackResources\` (pages of 100) and \`GetTemplate\` for a deployed one (what the deploy deletes, and the
physical ids token properties resolve to). test/cli/reads.test.ts shows the batched plan equals the plan read one resource at a time.

Before the batched reads (commit 5b72795, one \`DescribeConnectionAliases\` and one \`GetParametersByPath\` per resource), measured the same
way under the same limits on 2026-12-02 (the "converged" scenarios then had no deployed stack registered: that plan did not read it):

| scenario | wall s (median) | wall s (runs) | floor s | wall ÷ floor | API calls in one run (every attempt) | throttled |
| --- | --- | --- | --- | --- | --- | --- |
| fresh account, literal alias ids | 28.96 | 30.30, 28.96, 27.29 | 19.00 | 1.52× | 503: 2 PartnerCentralAccount.GetConnectionPreferences, 102 SSM.GetParametersByPath, 1 STS.GetCallerIdentity, 110 WorkSpaces.DescribeConnectionAliasPermissions, 288 WorkSpaces.DescribeConnectionAliases | 198 |
| converged, literal alias ids | 25.28 | 25.28, 26.57, 24.46 | 19.00 | 1.33× | 523: 2 PartnerCentralAccount.GetConnectionPreferences, 102 SSM.GetParametersByPath, 1 STS.GetCallerIdentity, 112 WorkSpaces.DescribeConnectionAliasPermissions, 306 WorkSpaces.DescribeConnectionAliases | 218 |
| converged, alias ids from CfnConnectionAlias (DescribeStackResources) | 27.51 | 29.88, 27.51, 24.14 | 19.00 | 1.45× | 542: 1 CloudFormation.DescribeStackResources, 2 PartnerCentralAccount.GetConnectionPreferences, 102 SSM.GetParametersByPath, 1 STS.GetCallerIdentity, 133 WorkSpaces.DescribeConnectionAliasPermissions, 303 WorkSpaces.DescribeConnectionAliases | 236 |
${END}`;
}

/** Replaces the plan section of BENCHMARKS.md (or appends it). */
export function splicePlanSection(md: string, section: string): string {
  const start = md.indexOf(START);
  const end = md.indexOf(END);
  if (start >= 0 && end > start) return `${md.slice(0, start)}${section}${md.slice(end + END.length)}`;
  return `${md.trimEnd()}\n\n${section}\n`;
}
