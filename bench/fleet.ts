// The fleet section of the benchmarks (issue 9): the 100 + 2 Create, Update and Delete waves under AWS's rate limits,
// every event of a wave started at once, each in its own simulated Lambda container (test/support/fleet.ts, the same
// harness as the load tests). Wall time against the floor the limits allow, throttled calls absorbed, Parameter
// Store calls per event against the minimum.
//
// Run alone with `BENCH_ONLY=fleet npm run bench`: it rewrites only this section of BENCHMARKS.md.
import { performance } from 'perf_hooks';
import { FLEET_RATES, RECREATE_WINDOW_MS, startEmulator } from '../emulator';
import { FLEET_REGION, FleetDeployment, type WaveReport, describeWave, reportWave } from '../test/support/fleet';

/** Rates × k and time budgets ÷ k; the default 1 measures at AWS's own rates. */
export const FLEET_SCALE = Number(process.env.BENCH_FLEET_SCALE ?? 1);
export const FLEET_ALIASES = Number(process.env.BENCH_FLEET_ALIASES ?? 100);
/** The target of issue 9: every wave within 1.5× of its floor. */
export const FLEET_TARGET = 1.5;

export interface FleetBenchResult {
  readonly date: string;
  readonly commit: string;
  readonly lambdaDirty: boolean;
  readonly scale: number;
  readonly aliases: number;
  readonly rates: Record<string, number>;
  readonly waves: WaveReport[];
  /** Whether every alias and catalog ended as found and no state parameter was left. */
  readonly endsAsFound: boolean;
  readonly leftoverParameters: number;
  /** The first few names left, to say which resource leaked them. */
  readonly leftoverNames: string[];
  readonly setupS: number;
  readonly totalS: number;
}

export async function runFleetBench(meta: { commit: string; lambdaDirty: boolean }, log: (line: string) => void = console.log): Promise<FleetBenchResult> {
  const started = performance.now();
  const emulator = await startEmulator({ region: FLEET_REGION, rateLimits: { enabled: true, rates: FLEET_RATES, scale: FLEET_SCALE } });
  try {
    const fleet = FleetDeployment.load({ emulator, spec: { aliases: FLEET_ALIASES } });
    try {
      const asFound = fleet.seed();
      const setupS = (performance.now() - started) / 1000;
      const waves: WaveReport[] = [];
      for (const run of [() => fleet.create(), () => fleet.update(), () => fleet.delete()]) {
        const report = reportWave(await run(), emulator);
        log(`  ${describeWave(report)}`);
        waves.push(report);
      }
      // Whatever a failure left is not part of the measurement; cleaned so that the check below is about the handlers.
      const leftovers = fleet.resources.filter((r) => r.physicalResourceId);
      if (leftovers.length > 0) await fleet.delete(leftovers);
      const endsAsFound = JSON.stringify(fleet.state()) === JSON.stringify(asFound);
      return {
        date: new Date().toISOString(),
        ...meta,
        scale: FLEET_SCALE,
        aliases: FLEET_ALIASES,
        rates: emulator.rateLimits.configuredRates(),
        waves,
        endsAsFound,
        leftoverParameters: fleet.stateParameters().length,
        leftoverNames: fleet.stateParameters().slice(0, 5),
        setupS,
        totalS: (performance.now() - started) / 1000,
      };
    } finally {
      fleet.close();
    }
  } finally {
    await emulator.close();
  }
}

const s1 = (n: number) => n.toFixed(1);
const x = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : 'n/a');
const mean = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));

function table(head: string[], rows: (string | number)[][]): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export const FLEET_SECTION_START = '<!-- fleet section: written by bench/fleet.ts -->';
export const FLEET_SECTION_END = '<!-- end of fleet section -->';

/** The Markdown of the section, between its markers (so that BENCH_ONLY=fleet can replace it alone). */
export function renderFleetSection(r: FleetBenchResult): string {
  const minimum: Record<string, string> = {
    Create: '1 PutParameter, 0 reads',
    Update: '≤ 1 PutParameter (0 when converged), ≤ 1 GetParametersByPath page',
    Delete: '1 DeleteParameters, ≤ 1 GetParametersByPath page',
  };
  const waveRows = r.waves.map((w) => [
    w.requestType,
    `${w.invoked}`,
    w.failed === 0 ? '0' : `**${w.failed}**`,
    s1(w.wallS),
    `${s1(w.floorS)} (${w.floorBucket})`,
    w.ratio <= FLEET_TARGET ? x(w.ratio) : `**${x(w.ratio)}**`,
    s1(w.ssmFloorS),
    x(w.ssmRatio),
    w.throttled,
    `${w.ssmWritesAccepted} / ${w.ssmWritesNeeded}`,
  ]);
  const perEventRows = r.waves.flatMap((w) =>
    w.perEvent.map((p) => [
      w.requestType,
      p.kind,
      p.events,
      `${p.puts.max} / ${mean(p.puts.mean)}`,
      `${p.deletes.max} / ${mean(p.deletes.mean)}`,
      `${p.reads.max} / ${mean(p.reads.mean)}`,
      mean(p.attemptsMean),
      minimum[w.requestType],
    ]),
  );
  const failures = r.waves.flatMap((w) => Object.entries(w.failureReasons).map(([reason, n]) => `- ${w.requestType}: ${n} × \`${reason.replace(/`/g, "'")}\``));
  const misses = r.waves.filter((w) => w.failed > 0 || !(w.ratio <= FLEET_TARGET));
  const rates = Object.entries(r.rates)
    .map(([k, v]) => `${k} ${v}/s`)
    .join(', ');
  return `${FLEET_SECTION_START}
## 6. Fleet: ${r.aliases} + 2 resources deployed at once under the rate limits

Measured on ${r.date.slice(0, 10)} at commit ${r.commit}${r.lambdaDirty ? ' (with uncommitted changes under lambda/)' : ''}, scale k = ${r.scale}${r.scale === 1 ? ' (AWS\'s own rates)' : ` (rates × ${r.scale}, time budgets ÷ ${r.scale}; wall times and floors are both in scaled time)`}.
Rerun this section alone: \`BENCH_ONLY=fleet npm run bench\` (\`BENCH_FLEET_SCALE\`, \`BENCH_FLEET_ALIASES\` to change k and N).

One stack in one account and region (${FLEET_REGION}): ${r.aliases} \`ConnectionAliasSharing\` on ${r.aliases} seeded aliases, each shared with one
account, plus \`PartnerConnectionPreferences\` for both catalogs, each catalog seeded with 100 live exclusions of 100 characters (a ~10 KB
snapshot). Create deploys it, Update moves every alias to another account and every catalog to another access type, Delete restores everything.
Every event of a wave starts at the same moment (as CloudFormation starts every custom resource of a stack once their provider's policy exists),
each in a Lambda container of its own: the bundled handler from the synthesized assembly, evaluated afresh per container (own module state, own
SDK clients and retry quota), reused warm by the next wave; cold starts happen before the clock starts. The Provider framework hop is not run
(its answer is reproduced). Rate limits (emulator/rate-limits.ts), per account and region: ${rates}; each bucket holds one second of its rate.
Parameter Store's 30-second re-create window is on (${RECREATE_WINDOW_MS / 1000} s ÷ k).

- **Floor**: the time the slowest bucket needs for the calls the wave cannot avoid (per event: the minimum below, and the managed API's reads and
  writes), (calls − bucket size) ÷ (rate × k). **SSM-write floor**: the issue's, Parameter Store writes needed ÷ 3 per second. Target: every
  wave within ${FLEET_TARGET}× of its floor, with zero failed events.
- **Throttled calls absorbed**: attempts the emulator refused with ThrottlingException during the wave (each then retried by the SDK or the handler,
  or surfacing as a failure).

${table(['wave', 'events run', 'failed', 'wall s', 'floor s (binding bucket)', 'wall ÷ floor', 'SSM-write floor s', 'wall ÷ SSM-write floor', 'throttled calls absorbed', 'SSM writes accepted / minimum'], waveRows)}

Parameter Store calls per event (accepted calls, max / mean over the wave's events; attempts include throttled ones):

${table(['wave', 'kind', 'events', 'PutParameter', 'DeleteParameters', 'GetParametersByPath', 'SSM attempts (mean)', 'minimum'], perEventRows)}

End state after the Delete wave (and a second Delete of whatever a failure left): ${r.endsAsFound ? 'every alias and catalog as found' : '**NOT as found**'}, ${r.leftoverParameters === 0 ? 'no state parameter left' : `**${r.leftoverParameters} state parameter(s) left** (${r.leftoverNames.map((n) => `\`${n}\``).join(', ')}${r.leftoverParameters > r.leftoverNames.length ? ', ...' : ''})`}.
${failures.length ? `\nFailed events, by reason:\n\n${failures.join('\n')}\n` : ''}
${misses.length ? `**Target missed** by ${misses.map((w) => `${w.requestType} (${w.failed} failed, ${x(w.ratio)})`).join(', ')}. A wave whose events fail early finishes early, so its ratio flatters it until the failures are gone.` : `Target met: every wave within ${FLEET_TARGET}× of its floor, no failed event.`}
The fleet took ${Math.round(r.totalS)} s in all (of which ${Math.round(r.setupS)} s synthesizing the two template versions and seeding).
${FLEET_SECTION_END}`;
}

/** Replaces the fleet section of an existing BENCHMARKS.md (or inserts it before "Where we are not ahead"). */
export function spliceFleetSection(markdown: string, section: string): string {
  const start = markdown.indexOf(FLEET_SECTION_START);
  const end = markdown.indexOf(FLEET_SECTION_END);
  if (start >= 0 && end > start) return `${markdown.slice(0, start)}${section}${markdown.slice(end + FLEET_SECTION_END.length)}`;
  const anchor = markdown.indexOf('## Where we are not ahead');
  return anchor >= 0 ? `${markdown.slice(0, anchor)}${section}\n\n${markdown.slice(anchor)}` : `${markdown.trimEnd()}\n\n${section}\n`;
}
