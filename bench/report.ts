// Writes BENCHMARKS.md from the results: tables, ratios (ours / AwsCustomResource, or / the API minimum), and the
// places where we are not ahead, each with its cause.
import * as fs from 'fs';
import type { ColdRow } from './cold';
import { type FleetBenchResult, renderFleetSection } from './fleet';
import { type GrowthRow, ROLE_INLINE_POLICY_LIMIT } from './growth';
import type { AssetSize } from './handlers';
import { median } from './harness';
import { LATENCY_MS, type ScenarioResult } from './scenarios';
import { type PlanBenchResult, renderPlanSection } from './plan';

export interface BenchResults {
  readonly date: string;
  /** The commit measured, and whether handler sources differed from it (others may be editing them). */
  readonly commit: string;
  readonly lambdaDirty: boolean;
  readonly runs: number;
  readonly durationS: number;
  readonly machine: {
    cpuModel: string;
    nproc: number;
    memoryGiB: number;
    node: string;
    os: string;
    awsCdkLib: string;
    sdkPartnerCentral: string;
    sdkWorkSpaces: string;
  };
  readonly sizes: Record<string, AssetSize>;
  readonly cold: ColdRow[];
  readonly memory: ColdRow[];
  readonly scenarios: ScenarioResult[];
  readonly creatingWait: { ours: { ms: number; outcome: string; reads: number }; acr: { ms: number; outcome: string } };
  readonly growth: GrowthRow[];
  /** Planning a fleet with `cdk-connection-sharing plan` (bench/plan.ts). */
  readonly plan?: PlanBenchResult;
  /** Section 6, absent when the run skipped it (BENCH_SKIP=fleet). */
  readonly fleet?: FleetBenchResult;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => `${Math.round(n)}`;
const x = (n: number) => `${n.toFixed(2)}×`;
const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
const ops = (o: Record<string, number>) =>
  Object.keys(o).length === 0
    ? '0'
    : `${sum(o)} (${Object.entries(o)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ')})`;

function table(head: string[], rows: (string | number)[][]): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function writeReport(r: BenchResults, file: string): void {
  const notAhead: string[] = [];
  const problems: string[] = [];
  const m = (row: ColdRow, key: 'bootMs' | 'loadMs' | 'serveMs' | 'firstEventMs' | 'processMs' | 'peakRssKb' | 'loadedBytes') => median(row.samples.map((s) => s[key]));
  const cold = Object.fromEntries(r.cold.map((c) => [c.id, c]));
  const size = (c: ColdRow) => r.sizes[c.handler.name];

  // ---- 1. cold start
  const coldRows = r.cold.map((c) => [
    c.handler.name,
    c.event,
    c.calls,
    int(size(c).bytes),
    int(size(c).zippedBytes),
    `${int(m(c, 'loadedBytes'))} (${c.samples[0].loadedFiles} files)`,
    ms(m(c, 'loadMs')),
    ms(m(c, 'firstEventMs')),
    ms(m(c, 'processMs')),
  ]);
  const pairs = [
    { name: 'Partner Central preferences', ours: cold['ours-pc'], acr: cold['acr-pc'] },
    { name: 'WorkSpaces alias sharing', ours: cold['ours-ws'], acr: cold['acr-ws'] },
  ];
  const fw = cold['ours-framework'];
  const ratioRows = pairs.map((p) => [
    p.name,
    x(size(p.ours).bytes / size(p.acr).bytes),
    x(size(p.ours).zippedBytes / size(p.acr).zippedBytes),
    x(m(p.ours, 'loadedBytes') / m(p.acr, 'loadedBytes')),
    x(m(p.ours, 'firstEventMs') / m(p.acr, 'firstEventMs')),
    x(m(p.ours, 'processMs') / m(p.acr, 'processMs')),
    x((m(p.ours, 'firstEventMs') + m(fw, 'firstEventMs')) / m(p.acr, 'firstEventMs')),
    x((m(p.ours, 'processMs') + m(fw, 'processMs')) / m(p.acr, 'processMs')),
  ]);
  for (const p of pairs) {
    const first = m(p.ours, 'firstEventMs') / m(p.acr, 'firstEventMs');
    if (first > 1) {
      notAhead.push(
        `**Cold first event, ${p.name}: ${x(first)}** (${ms(m(p.ours, 'firstEventMs'))} ms vs ${ms(m(p.acr, 'firstEventMs'))} ms). ` +
          `Our first event makes ${p.ours.calls} API calls (state store included), theirs ${p.acr.calls}: most of the gap is round trips, not loading ` +
          `(module load ${ms(m(p.ours, 'loadMs'))} ms vs ${ms(m(p.acr, 'loadMs'))} ms, but theirs requires the SDK lazily inside the event).`,
      );
    }
    if (size(p.ours).zippedBytes > size(p.acr).zippedBytes) {
      notAhead.push(
        `**Asset size, ${p.name}: ${x(size(p.ours).zippedBytes / size(p.acr).zippedBytes)} zipped.** Our asset bundles its SDK clients (pinned, minified); ` +
          `AwsCustomResource's asset has no SDK and uses the Lambda runtime's. Counting what each actually loads at its first event, ours reads ` +
          `${x(m(p.ours, 'loadedBytes') / m(p.acr, 'loadedBytes'))} the JavaScript theirs does.`,
      );
    }
  }
  notAhead.push(
    `**One more Lambda hop and more functions.** Our resources go through aws-cdk-lib's Provider framework: 2 functions per kind (framework + handler), ` +
      `both cold on a first deployment (framework cold first event: ${ms(m(fw, 'firstEventMs'))} ms, process ${ms(m(fw, 'processMs'))} ms). Counting both, our cold first event is ` +
      `${pairs.map((p) => `${x((m(p.ours, 'firstEventMs') + m(fw, 'firstEventMs')) / m(p.acr, 'firstEventMs'))} theirs (${p.name})`).join(' and ')}. AwsCustomResource uses 1 singleton function per stack. ` +
      `The framework is what gives us retries of the response PUT, a clean FAILED on a throw and an Invoke per event with the handler's own role.`,
  );

  // ---- 2 + 3. calls and latency
  const key = (s: ScenarioResult) => `${s.kind}|${s.event}`;
  const acrBy = new Map(r.scenarios.filter((s) => s.variant === 'acr').map((s) => [key(s), s]));
  const ours = r.scenarios.filter((s) => s.variant === 'ours');
  const callRows = ours.map((s) => {
    const a = acrBy.get(key(s));
    return [
      s.kind,
      s.event,
      s.minDetail,
      ops(s.apiCalls),
      ops(s.ssmCalls),
      `${sum(s.apiCalls) + sum(s.ssmCalls)} / ${s.minCalls}`,
      s.outcome,
      a ? `${ops(a.apiCalls)} in ${a.invocations} invocation(s)` : 'n/a',
      a ? a.outcome.replace(/\.$/, '') : 'n/a',
    ];
  });
  const latencyRows = ours.map((s) => {
    const a = acrBy.get(key(s));
    const floor = s.minCalls * LATENCY_MS;
    return [
      s.kind,
      s.event,
      s.minCalls,
      floor,
      ms(s.medianMs),
      x(s.medianMs / floor),
      a ? ms(a.medianMs) : 'n/a',
      a ? x(a.medianMs / floor) : 'n/a',
      a ? x(s.medianMs / a.medianMs) : 'n/a',
    ];
  });
  const worstLatency = ours.reduce((w, s) => (s.medianMs / (s.minCalls * LATENCY_MS) > w.medianMs / (w.minCalls * LATENCY_MS) ? s : w));
  notAhead.push(
    `**Latency against the API minimum: up to ${x(worstLatency.medianMs / (worstLatency.minCalls * LATENCY_MS))}** (${worstLatency.kind}, ${worstLatency.event}). ` +
      'Every state-store call is another sequential round trip; see "Calls above the minimum" for which of them are needed and which are not.',
  );
  const slower = ours
    .map((s) => ({ s, a: acrBy.get(key(s)) }))
    .filter(({ s, a }) => a && a.outcome === 'ok' && s.medianMs > a.medianMs);
  if (slower.length > 0) {
    notAhead.push(
      `**Latency against AwsCustomResource where it succeeds: ${slower.map(({ s, a }) => `${s.kind} "${s.event}" ${x(s.medianMs / a!.medianMs)}`).join('; ')}.** ` +
        'It makes one blind call per invocation; we read before we write (state and live state), which is what makes our Delete restore and our updates safe. ' +
        'Where it is faster on preferences it is because it did nothing (Delete) or failed.',
    );
  }
  const acrSharingCreate = acrBy.get('sharing|Create, share 1 account');
  if (acrSharingCreate && sum(acrSharingCreate.apiCalls) < acrSharingCreate.minCalls) {
    notAhead.push(
      `**Raw call count for sharing: AwsCustomResource makes fewer calls (${sum(acrSharingCreate.apiCalls)} per account and event).** It writes blind: no read of the alias ` +
        '(so no wait while it is CREATING, no check of associations before an unshare), no read of the existing shares (so it cannot tell an account it shared ' +
        'from one that was already shared, and its Delete unshares both), and no ordering of unshares before shares (so an account swap fails on the one-account limit).',
    );
  }

  // ---- 4. growth
  const growthTable = (kind: string) =>
    table(
      ['N', 'variant', 'synth ms', 'template bytes', 'CFN resources', 'Lambda functions', 'custom resources', 'AWS::IAM::Policy', 'largest role: inline policy chars', `over ${int(ROLE_INLINE_POLICY_LIMIT)}?`],
      r.growth
        .filter((g) => g.kind === kind)
        .sort((a, b) => a.n - b.n || a.variant.localeCompare(b.variant))
        .map((g) => [
          g.n,
          g.variant === 'ours' ? 'ours' : 'AwsCustomResource',
          ms(g.synthMs),
          int(g.templateBytes),
          g.resources,
          g.lambdas,
          g.customResources,
          g.iamPolicies,
          `${int(g.biggestRoleChars)}${g.handlerPolicyChars !== undefined ? ` (HandlerPolicy ${int(g.handlerPolicyChars)})` : ''}`,
          g.biggestRoleChars > ROLE_INLINE_POLICY_LIMIT ? '**YES: deploy fails**' : 'no',
        ]),
    );
  const g = (kind: string, variant: string, n: number) => r.growth.find((y) => y.kind === kind && y.variant === variant && y.n === n)!;
  const ns = [...new Set(r.growth.map((y) => y.n))].sort((a, b) => a - b);
  const big = ns[ns.length - 1];
  const growthRatios = (['preferences', 'sharing'] as const).map((kind) => {
    const o = g(kind, 'ours', big);
    const a = g(kind, 'acr', big);
    return [kind, x(o.synthMs / a.synthMs), x(o.templateBytes / a.templateBytes), x(o.resources / a.resources), `${o.lambdas} vs ${a.lambdas}`];
  });
  for (const kind of ['preferences', 'sharing'] as const) {
    const lambdas = new Set(r.growth.filter((y) => y.kind === kind && y.variant === 'ours').map((y) => y.lambdas));
    if (lambdas.size !== 1) problems.push(`Our ${kind} Lambda count changes with N (${[...lambdas].join(', ')}): the provider singleton is broken.`);
    const small = ns[0];
    for (const n of ns) {
      const o = g(kind, 'ours', n);
      const a = g(kind, 'acr', n);
      if (o.templateBytes > a.templateBytes) notAhead.push(`**Template size, ${kind}, N=${n}: ${x(o.templateBytes / a.templateBytes)}.** The fixed cost of our provider (2 functions, 2 roles, 2 log groups, 3 policies) is not yet paid back by the per-instance saving.`);
      if (o.synthMs > a.synthMs * 1.1 && n === small) notAhead.push(`**Synth time, ${kind}, N=${n}: ${x(o.synthMs / a.synthMs)}.** Same fixed cost: our provider has more constructs to build, and two asset folders to stage.`);
    }
    const o10 = g(kind, 'ours', ns[1] ?? ns[0]);
    const oBig = g(kind, 'ours', big);
    if (oBig.biggestRoleChars > ROLE_INLINE_POLICY_LIMIT) {
      const perInstance = (oBig.biggestRoleChars - o10.biggestRoleChars) / (oBig.n - o10.n);
      const breakN = Math.floor(o10.n + (ROLE_INLINE_POLICY_LIMIT - o10.biggestRoleChars) / perInstance);
      problems.push(
        `**IAM: ${kind} at N=${big} cannot deploy.** The handler role's inline policies total ${int(oBig.biggestRoleChars)} characters ` +
          `(HandlerPolicy alone ${int(oBig.handlerPolicyChars ?? 0)}), over IAM's ${int(ROLE_INLINE_POLICY_LIMIT)} per role. Each instance adds about ${int(perInstance)} characters, ` +
          `so the limit is crossed at about N=${breakN + 1} instances of this kind in one stack. ` +
          (kind === 'preferences'
            ? 'Cause: two SSM statements list one parameter ARN per catalog (`.../partner-central/<Catalog>` and `.../<Catalog>/*`). Fix: one ARN for the whole prefix, ' +
              '`arn:${Partition}:ssm:us-east-1:${Account}:parameter/cdk-connection-sharing/partner-central/*` (covers GetParametersByPath on each catalog path too), which makes the policy constant; ' +
              'the partnercentral statement stays narrowed by its Catalog condition (a list of names, ~7 chars each).'
            : 'Cause: per alias, one alias ARN (permission actions) and two SSM parameter ARNs. Fix: the SSM statements on the prefix ' +
              '`parameter/cdk-connection-sharing/workspaces/*` (constant); for the alias ARNs either `connectionalias/*` in the stack\'s account and region (broader), ' +
              'or spread them over customer-managed policies (6,144 chars each, 10 per role by default) once a threshold is passed.'),
      );
    }
    const aBig = g(kind, 'acr', big);
    if (aBig.biggestRoleChars > ROLE_INLINE_POLICY_LIMIT) {
      notAhead.push(
        `(Not a loss, for context) the AwsCustomResource equivalent of ${kind} at N=${big} also exceeds the limit: its singleton role gets one inline policy per call, ${int(aBig.biggestRoleChars)} characters in total.`,
      );
    }
  }

  // ---- 5. memory
  const mem = Object.fromEntries(r.memory.map((c) => [c.id, c]));
  const memRows = r.memory.map((c) => [c.handler.name, c.event, c.calls, `${int(m(c, 'peakRssKb') / 1024)} MiB`, `${int(median(c.samples.map((s) => s.maxRssKb)) / 1024)} MiB`, c.outcome]);
  const memRatio = m(mem['mem-ours-pc'], 'peakRssKb') / m(mem['mem-acr-pc'], 'peakRssKb');
  if (memRatio > 1) notAhead.push(`**Peak memory, 100 long exclusions: ${x(memRatio)}.** Our bundle holds two SDK clients (Partner Central and SSM) and splits a 10 KB snapshot into parts; theirs loads one client.`);

  // ---- removable calls, from the call log
  const pcCreate = ours.find((s) => s.kind === 'preferences' && s.event === 'Create');
  const pcCreateReads = pcCreate?.ssmCalls.GetParametersByPath ?? 0;
  const pcCreatePuts = pcCreate?.ssmCalls.PutParameter ?? 0;
  const apiAtMinimum = ours.every((s) => sum(s.apiCalls) <= s.minCalls);
  const extraRows = ours.map((s) => [s.kind, s.event, sum(s.apiCalls) - s.minCalls, sum(s.ssmCalls), ops(s.ssmCalls)]);

  const md = `# Benchmarks

Generated by \`npm run bench\` (bench/run.ts) on ${r.date.slice(0, 10)} at commit ${r.commit}${r.lambdaDirty ? ' (with uncommitted changes under lambda/, which the bundle includes)' : ''}; do not edit by hand, run it again. Raw results: \`bench/results/results.json\`
(gitignored). Timings are medians of ${r.runs} runs and are only compared as ratios measured in the same run; nothing here is asserted
in the test suite. The whole run took ${r.durationS} s.

## Machine

| CPU | cores (\`nproc\`) | memory | Node | OS | aws-cdk-lib | SDK clients |
| --- | --- | --- | --- | --- | --- | --- |
| ${r.machine.cpuModel} | ${r.machine.nproc} | ${r.machine.memoryGiB} GiB | ${r.machine.node} | ${r.machine.os} | ${r.machine.awsCdkLib} | partnercentral-account ${r.machine.sdkPartnerCentral}, workspaces ${r.machine.sdkWorkSpaces} |

## Reproduce

    npm ci
    npm run bench                         # = npm run bundle && tsx bench/run.ts
    BENCH_RUNS=15 npm run bench           # more samples per timing (default 7)
    BENCH_SYNTH_RUNS=5 npm run bench      # more synths per template size (default 3)
    BENCH_ONLY=fleet npm run bench        # only section 6 (the fleet), rewritten in place in this file
    BENCH_SKIP=fleet npm run bench        # everything but the fleet (it takes a few minutes at AWS's rates)
    BENCH_ONLY=plan npm run bench         # only the planning benchmark (\`cdk-connection-sharing plan\`), rewritten in place

Nothing reaches AWS: every call goes to the local emulator (\`emulator/\`), driven by the unmodified SDK clients.

## Method

- **What is compared.** Our constructs (\`PartnerConnectionPreferences\`, \`ConnectionAliasSharing\`) against what users write today with
  aws-cdk-lib's \`AwsCustomResource\` (bench/apps.ts): for preferences a Get call whose \`Revision\` feeds an Update call (with a per-deploy nonce
  in the Get's physical id, without which the Get never runs again and every later Update sends a stale Revision; no \`onDelete\`, since with no
  snapshot and no fresh Revision at Delete time there is nothing it could restore); for sharing one call per account, share on Create/Update,
  unshare on Delete. \`installLatestAwsSdk: false\`, its best case: \`true\` (the default without the feature flag) runs \`npm install\` inside the
  Lambda at cold start. Both are synthesized into one cloud assembly (\`bench/results/cdk.out\`); every handler is run from its asset folder there,
  and every event's properties are the template's, intrinsics resolved.
- **Cold start.** A fresh \`node\` process per sample (bench/child.cjs, plain CommonJS so that no TypeScript loader is measured) loads the handler
  module and serves one event against the emulator. Inside the child: *load* is \`require()\` of the handler; *first event* runs from before
  \`require()\` to the handler's promise settling. *Process* is spawn-to-exit seen from the parent (includes Node's own start-up). Samples are
  interleaved across handlers; one discarded round first fills the OS file cache. The AwsCustomResource handler's asset holds no SDK: in Lambda the
  runtime provides it, here it is resolved from \`node_modules\` (NODE_PATH), and loading it is part of its cold start too, as it is in Lambda.
  "JS loaded" sums every module file in \`require.cache\` after the event: the like-for-like size, whether the code came from the asset or the runtime.
  Asset zip size: each file deflated with zlib \`deflateRaw\` level 9 plus ZIP headers, one archive per asset folder as the CDK uploads it.
- **API calls.** Counted with the emulator's request log for one lifecycle event after its setup (setup calls are not counted), SSM (our state
  store) apart from the managed API. The minimum is what the API allows: preferences Create = 1 Get + 1 Update; an Update that finds the
  preferences already as desired = 1 Get, 0 writes; Delete with restore = 1 Get + 1 Update; sharing = 1 DescribeConnectionAliases + the
  DescribeConnectionAliasPermissions pages the API returns (the emulator pages by 1, as its default) + k writes.
- **Latency.** The emulator adds ${LATENCY_MS} ms to every API call (\`faults.latency\`). Handlers run warm in one long-lived worker process (cold
  start is measured above), after one unmeasured pass. Ratio = wall time of the event's handler invocation(s) ÷ (minimum calls × ${LATENCY_MS} ms);
  the minimum counts calls as sequential, so parallel reads could go below 1. AwsCustomResource's time includes the CloudFormation response it
  PUTs itself (unthrottled, local); ours excludes the Provider framework's. Waits for an alias still CREATING are excluded and measured apart.
- **Template growth.** Stacks with N = ${ns.join(', ')} instances of one kind (catalogs \`Cat1..CatN\`; aliases \`wsca-bench0001..\`, one account each),
  synthesized in-process with cdk.json's feature flags (median of the synth runs, after a warm-up synth). IAM inline policy size is counted as IAM
  does (characters without whitespace) on the policy documents with intrinsics resolved to realistic ARNs; IAM limits a role's inline policies
  (its \`Policies\` plus every \`AWS::IAM::Policy\` attached to it) to ${int(ROLE_INLINE_POLICY_LIMIT)} characters in total.
- **Memory.** Peak resident set (VmHWM from /proc/self/status) of a fresh process serving a Create with 100 exclusions of 100 characters
  (over live preferences holding 100 others, so ours also stores a maximal snapshot), against the AwsCustomResource handler serving the
  equivalent Update call. \`process.resourceUsage().maxRSS\` is shown too but not compared: on Linux a child's ru_maxrss carries the parent's
  peak across fork+exec, so it reports the benchmark runner's footprint, not the handler's.

## 1. Handler cold start

${table(['handler (from cdk.out)', 'first event', 'API calls in it', 'asset bytes', 'zipped bytes', 'JS loaded', 'load ms', 'first event ms', 'process ms'], coldRows)}

Ratios ours / AwsCustomResource (below 1 means we are ahead):

${table(['resource kind', 'asset bytes', 'zipped', 'JS loaded', 'first event', 'process', 'first event incl. framework hop', 'process incl. framework hop'], ratioRows)}

The AwsCustomResource asset is smaller because it carries no SDK; in Lambda it loads the runtime's (size not in its zip, load time in its first
event). Our first event does more work (see the calls column): the comparison is per event as each is deployed, not per API call.

## 2. API calls per lifecycle event

${table(['kind', 'event', 'API minimum', 'ours: API calls', 'ours: SSM calls', 'ours total / minimum', 'ours: outcome', 'AwsCustomResource: API calls', 'AwsCustomResource: outcome'], callRows)}

### Calls above the minimum

${table(['kind', 'event', 'API calls above minimum', 'SSM calls', 'SSM detail'], extraRows)}

${apiAtMinimum ? 'Our managed-API calls are at the minimum in every event. Every call above it is' : '**Some managed-API calls are above the minimum (see the table).** The other calls above it are'} the state store (SSM Parameter Store,
\`lambda/common/state-store.ts\`), explained here as the handlers stood at the commit above:

- **Read (GetParametersByPath).** Update and Delete need it: it holds the lock owner (a second resource managing the same catalog or alias must
  fail, not undo the other) and the snapshot Delete restores (what was there before Create: up to ~10 KB of exclusions, too big for the physical id or
  the response). ${pcCreateReads > 0 ? `Preferences Create makes ${pcCreateReads} read(s): **removable** — the claim (PutParameter with Overwrite=false) already detects both a holder and a repeated delivery, and the names a later save needs are the ones the claim wrote.` : 'Preferences Create makes no read: the claim (PutParameter with Overwrite=false) itself detects a holder or a repeated delivery.'}
- **Claim (PutParameter, Overwrite=false) at Create.** The lock and the snapshot in one write, before the first write to the setting, so that a
  crash after it still leaves what Delete must restore. The snapshot goes inline in the header, gzip-compressed when that makes it fit (the
  bench's 10 KB of exclusions compress into one parameter); only one that does not fit even compressed is split into parts before the header.
${pcCreatePuts > 1 ? `- **Save after the write (preferences: the PutParameter after UpdateConnectionPreferences).** Records the Revision this resource
  wrote (\`meta.lastRevision\`), which the state is specified to hold: on the next Update, a live Revision other than it shows that someone wrote
  outside the stack even when they put the same settings back (logged), and the drift warning names both revisions. It rewrites the header only,
  never the snapshot's parts. Kept by design; it is the one call that would go if that signal were given up.` : `- **Record of what was applied (preferences Update whose declared settings changed: PutParameter of the header, after the write).** A digest
  of the declared settings, which drift and a rollback are judged against. Written only when the declared settings change: the "converged" row
  changes AccessType to the value already live, so it records it; an Update that changes only OnDelete, or nothing, writes nothing. The
  Revision written is no longer stored (that signal was given up for one write per Create).`}
- **Save before the writes (sharing Update that changes something: PutParameter).** Needed: a repeated delivery must see the accounts it shared
  as declared by this resource, not as pre-existing. Skipped when nothing changes.
- **Remove (DeleteParameters) at Delete.** Releases the lock; needed.

On Update, the state read and the first API read run concurrently (one round trip less than the call count suggests). On Delete they stay in
sequence on purpose: the state decides whether the API is read at all (an id this resource never claimed is answered with no API call).

AwsCustomResource cannot keep a snapshot, so it cannot restore at Delete; its preferences Update call sends \`Revision\` as a string (a \`Fn::GetAtt\` in
its JSON parameters, and its type-coercion table does not know \`partnercentral-account\`), which the emulator rejects as the model's long requires
(the real service's handling is UNVERIFIED; the call count is the same either way).

## 3. Latency on the critical path (${LATENCY_MS} ms per API call)

${table(['kind', 'event', 'minimum calls', `floor ms (× ${LATENCY_MS})`, 'ours ms', 'ours ÷ floor', 'AwsCustomResource ms', 'AwsCustomResource ÷ floor', 'ours ÷ AwsCustomResource'], latencyRows)}

**Waits, excluded above.** An alias still CREATING for one more read: our Create waited and succeeded in ${ms(r.creatingWait.ours.ms)} ms
(${r.creatingWait.ours.reads} DescribeConnectionAliases, one poll interval of 5 s, outcome: ${r.creatingWait.ours.outcome}); AwsCustomResource does not wait:
${ms(r.creatingWait.acr.ms)} ms, ${r.creatingWait.acr.outcome.replace(/\.$/, '')}.

## 4. Template growth

### Preferences

${growthTable('preferences')}

### Sharing

${growthTable('sharing')}

Ratios ours / AwsCustomResource at N=${big}:

${table(['kind', 'synth time', 'template bytes', 'CFN resources', 'Lambda functions (ours vs theirs)'], growthRatios)}

Our Lambda count stays constant as N grows (the provider is a singleton per stack and kind); AwsCustomResource's is constant too (one singleton),
but it adds a custom resource and an \`AWS::IAM::Policy\` per call.

## 5. Memory

${table(['handler', 'event', 'API calls', 'peak RSS (VmHWM)', 'ru_maxrss (inflated, see Method)', 'outcome'], memRows)}

Ratio ours / AwsCustomResource (peak RSS): ${x(memRatio)}.

${r.fleet ? `${renderFleetSection(r.fleet)}\n\n` : ''}${r.plan ? `${renderPlanSection(r.plan)}\n\n` : ''}## Where we are not ahead, and why

${notAhead.map((s) => `- ${s}`).join('\n')}

## Problems found

${problems.length ? problems.map((s) => `- ${s}`).join('\n') : '- None.'}
`;
  fs.writeFileSync(file, md);
}
