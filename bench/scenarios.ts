// API calls and critical-path latency of each lifecycle event, ours and the AwsCustomResource equivalent, counted
// with the emulator's request log and timed in a warm handler process with a fixed latency on every API call.
import type { CfnResponseBody, Emulator } from '../emulator';
import { SCENARIO_ALIAS, SCENARIO_STACK, SHARED_A, SHARED_B, maxExclusions } from './apps';
import { type EventSpec, type Job, Worker, cfnEvent, childEnv, median } from './harness';
import { type HandlerAsset, type ScenarioAssembly, logicalIdOf, propertiesOf } from './handlers';

export const LATENCY_MS = 50;

export interface ScenarioResult {
  readonly kind: 'preferences' | 'sharing';
  readonly variant: 'ours' | 'acr';
  readonly event: string;
  /** Lambda invocations the event costs (AwsCustomResource needs one per call). */
  readonly invocations: number;
  /** Calls to the managed API (Partner Central or WorkSpaces), by operation, from the last run. */
  readonly apiCalls: Record<string, number>;
  /** Calls to SSM (our state store), by operation. */
  readonly ssmCalls: Record<string, number>;
  readonly minCalls: number;
  readonly minDetail: string;
  /** Median wall time of the event's handler invocations, summed along the critical path. */
  readonly medianMs: number;
  readonly runsMs: number[];
  readonly outcome: string;
}

type Variant = ScenarioResult['variant'];

interface Scenario {
  readonly kind: ScenarioResult['kind'];
  readonly variant: Variant;
  readonly event: string;
  /** The minimum the APIs allow; `pages` is the number of DescribeConnectionAliasPermissions pages the API returned. */
  min(pages: number): { calls: number; detail: string };
  /** Seeds state and runs what precedes the event (no latency, not counted). */
  setup(run: Runner): Promise<void>;
  /** The measured event: returns its outcome. */
  measured(run: Runner): Promise<string>;
}

const PREFS_TYPE = 'Custom::PartnerConnectionPreferences';
const SHARING_TYPE = 'Custom::ConnectionAliasSharing';

/** Drives handlers in warm worker processes and keeps what one scenario run needs between its steps. */
class Runner {
  ms = 0;
  invocations = 0;
  physicalId = '';
  revision = '';
  private seq = 0;

  constructor(
    readonly emulator: Emulator,
    readonly assembly: ScenarioAssembly,
    private readonly worker: Worker,
  ) {}

  /** Invokes one of our handlers as the Provider framework does; returns its outcome. */
  async ours(handler: HandlerAsset, spec: Omit<EventSpec, 'stackName' | 'responseUrl'>): Promise<string> {
    const job: Job = { file: handler.file, exportName: handler.exportName, event: cfnEvent({ ...spec, stackName: SCENARIO_STACK.ours, responseUrl: 'https://unused.example/' }) };
    const r = await this.worker.run(job);
    this.ms += r.ms;
    this.invocations++;
    if (r.ok) this.physicalId = (r.result as { PhysicalResourceId: string }).PhysicalResourceId;
    return r.ok ? 'ok' : `FAILED: ${r.error!.name}: ${r.error!.message.slice(0, 160)}`;
  }

  /** Invokes the AwsCustomResource handler, which answers CloudFormation itself; returns the response it PUT. */
  async acr(spec: Omit<EventSpec, 'stackName' | 'responseUrl' | 'resourceType'>): Promise<CfnResponseBody> {
    const id = `acr-${++this.seq}-${Date.now()}`;
    const event = cfnEvent({ ...spec, resourceType: 'Custom::AWS', stackName: SCENARIO_STACK.acr, responseUrl: this.emulator.responseUrl(id) });
    const { awsCustomResource: h } = this.assembly;
    const r = await this.worker.run({ file: h.file, exportName: h.exportName, event });
    this.ms += r.ms;
    this.invocations++;
    const response = (await this.emulator.waitForCfnResponse(id, 10_000)).body!;
    if (response.Data?.Revision !== undefined) this.revision = String(response.Data.Revision);
    return response;
  }
}

const acrOutcome = (...responses: CfnResponseBody[]) => {
  const failed = responses.find((r) => r.Status !== 'SUCCESS');
  return failed ? `FAILED: ${String(failed.Reason).slice(0, 160)}` : 'ok';
};

function preferenceScenarios(a: ScenarioAssembly): Scenario[] {
  const id = logicalIdOf(a.ours, 'Prefs');
  const props = propertiesOf(a.ours, SCENARIO_STACK.ours, id);
  const denyAll = { ...props, AccessType: 'DENY_ALL' };
  const maxId = logicalIdOf(a.ours, 'PrefsMax');
  const maxProps = propertiesOf(a.ours, SCENARIO_STACK.ours, maxId);
  // Live preferences that already hold 100 other long exclusions: the snapshot to keep is ~10 KB, split in parts.
  const otherMax = maxExclusions().map((p) => p.replace(/^p/, 'q'));
  const seedMax = (run: Runner) => run.emulator.partnerCentral.seed('Sandbox', { AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIds: otherMax });
  const two = () => ({ calls: 2, detail: '1 Get + 1 Update' });
  const pc = a.partnerCentral;
  const create = (run: Runner) => run.ours(pc, { requestType: 'Create', logicalId: id, resourceType: PREFS_TYPE, properties: props });
  const restored = (run: Runner, catalog: string, accessType: string) => (run.emulator.partnerCentral.get(catalog)?.AccessType === accessType ? 'restored' : 'NOT restored');

  const ours: Scenario[] = [
    { kind: 'preferences', variant: 'ours', event: 'Create', min: two, setup: async () => {}, measured: create },
    {
      kind: 'preferences',
      variant: 'ours',
      event: 'Update, AccessType changed',
      min: two,
      setup: async (run) => void (await create(run)),
      measured: (run) => run.ours(pc, { requestType: 'Update', logicalId: id, resourceType: PREFS_TYPE, properties: denyAll, oldProperties: props, physicalResourceId: run.physicalId }),
    },
    {
      kind: 'preferences',
      variant: 'ours',
      event: 'Update, converged (live already as desired)',
      min: () => ({ calls: 1, detail: '1 Get, 0 writes' }),
      setup: async (run) => {
        await create(run);
        run.emulator.partnerCentral.externalWrite('AWS', { AccessType: 'DENY_ALL' });
      },
      measured: (run) => run.ours(pc, { requestType: 'Update', logicalId: id, resourceType: PREFS_TYPE, properties: denyAll, oldProperties: props, physicalResourceId: run.physicalId }),
    },
    {
      kind: 'preferences',
      variant: 'ours',
      event: 'Delete, restore',
      min: two,
      setup: async (run) => void (await create(run)),
      measured: async (run) => {
        const out = await run.ours(pc, { requestType: 'Delete', logicalId: id, resourceType: PREFS_TYPE, properties: props, physicalResourceId: run.physicalId });
        return out === 'ok' ? restored(run, 'AWS', 'ALLOW_ALL') : out;
      },
    },
    {
      kind: 'preferences',
      variant: 'ours',
      event: 'Create, 100 exclusions of 100 chars (10 KB snapshot)',
      min: two,
      setup: async (run) => void seedMax(run),
      measured: (run) => run.ours(pc, { requestType: 'Create', logicalId: maxId, resourceType: PREFS_TYPE, properties: maxProps }),
    },
    {
      kind: 'preferences',
      variant: 'ours',
      event: 'Delete, restore 10 KB snapshot',
      min: two,
      setup: async (run) => {
        seedMax(run);
        await run.ours(pc, { requestType: 'Create', logicalId: maxId, resourceType: PREFS_TYPE, properties: maxProps });
      },
      measured: async (run) => {
        const out = await run.ours(pc, { requestType: 'Delete', logicalId: maxId, resourceType: PREFS_TYPE, properties: maxProps, physicalResourceId: run.physicalId });
        return out === 'ok' ? (run.emulator.partnerCentral.get('Sandbox')?.ExcludedParticipantIds?.[0] === otherMax[0] ? 'restored' : 'NOT restored') : out;
      },
    },
  ];

  const getId = logicalIdOf(a.acr, 'PrefsGet');
  const updId = logicalIdOf(a.acr, 'PrefsUpdate');
  const getProps = propertiesOf(a.acr, SCENARIO_STACK.acr, getId);
  const updProps = (revision: string, accessType = 'ALLOW_BY_DEFAULT_DENY_SOME') => {
    const p = propertiesOf(a.acr, SCENARIO_STACK.acr, updId, { [`${getId}.Revision`]: revision });
    const swap = (s: unknown) => String(s).replace('"ALLOW_BY_DEFAULT_DENY_SOME"', JSON.stringify(accessType));
    return { ...p, Create: swap(p.Create), Update: swap(p.Update) };
  };
  // A new deploy-time nonce in the Get's physical id is what makes CloudFormation send the Get an Update event.
  const getPropsNextDeploy = Object.fromEntries(Object.entries(getProps).map(([k, v]) => [k, typeof v === 'string' ? v.replace(/-get-\d+/, '-get-1700000099999') : v]));
  const acrCreate = async (run: Runner) => {
    const g = await run.acr({ requestType: 'Create', logicalId: getId, properties: getProps });
    const u = await run.acr({ requestType: 'Create', logicalId: updId, properties: updProps(run.revision) });
    return { g, u };
  };
  const acrUpdate = async (run: Runner) => {
    const before = run.revision;
    const g = await run.acr({ requestType: 'Update', logicalId: getId, properties: getPropsNextDeploy, oldProperties: getProps, physicalResourceId: `AWS-get-${'1700000000000'}` });
    const u = await run.acr({ requestType: 'Update', logicalId: updId, properties: updProps(run.revision, 'DENY_ALL'), oldProperties: updProps(before), physicalResourceId: 'AWS-preferences' });
    return acrOutcome(g, u);
  };
  const acr: Scenario[] = [
    { kind: 'preferences', variant: 'acr', event: 'Create', min: two, setup: async () => {}, measured: async (run) => { const { g, u } = await acrCreate(run); return acrOutcome(g, u); } },
    { kind: 'preferences', variant: 'acr', event: 'Update, AccessType changed', min: two, setup: async (run) => void (await acrCreate(run)), measured: acrUpdate },
    {
      kind: 'preferences',
      variant: 'acr',
      event: 'Update, converged (live already as desired)',
      min: () => ({ calls: 1, detail: '1 Get, 0 writes' }),
      setup: async (run) => {
        await acrCreate(run);
        run.emulator.partnerCentral.externalWrite('AWS', { AccessType: 'DENY_ALL' });
      },
      measured: acrUpdate,
    },
    {
      kind: 'preferences',
      variant: 'acr',
      event: 'Delete, restore',
      min: two,
      setup: async (run) => {
        await acrCreate(run);
        // What the Update call would have left if it had succeeded (see the outcome of Create).
        run.emulator.partnerCentral.externalWrite('AWS', { AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIds: ['partner-blocked-1', 'partner-blocked-2'] });
      },
      measured: async (run) => {
        const u = await run.acr({ requestType: 'Delete', logicalId: updId, properties: updProps(run.revision), physicalResourceId: 'AWS-preferences' });
        const g = await run.acr({ requestType: 'Delete', logicalId: getId, properties: getProps, physicalResourceId: 'AWS-get-1700000000000' });
        const outcome = acrOutcome(u, g);
        return outcome === 'ok' ? `${restored(run, 'AWS', 'ALLOW_ALL')} (no onDelete possible)` : outcome;
      },
    },
  ];
  return [...ours, ...acr];
}

function sharingScenarios(a: ScenarioAssembly): Scenario[] {
  const id = logicalIdOf(a.ours, 'Sharing');
  const props = propertiesOf(a.ours, SCENARIO_STACK.ours, id);
  const propsB = { ...props, SharedAccountIds: [SHARED_B] };
  const propsRetain = { ...props, OnDelete: 'RETAIN' };
  const ws = a.workspaces;
  const seedAlias = (run: Runner) => run.emulator.workspaces.seedAlias({ AliasId: SCENARIO_ALIAS });
  const reads = (pages: number) => `1 DescribeConnectionAliases + ${pages} permission page(s)`;
  const min = (writes: number) => (pages: number) => ({ calls: 1 + pages + writes, detail: `${reads(pages)} + ${writes} write(s)` });
  const create = (run: Runner) => run.ours(ws, { requestType: 'Create', logicalId: id, resourceType: SHARING_TYPE, properties: props });
  const sharedWith = (run: Runner) => run.emulator.workspaces.permissions(SCENARIO_ALIAS).filter((p) => p.AllowAssociation).map((p) => p.SharedAccountId);

  const ours: Scenario[] = [
    { kind: 'sharing', variant: 'ours', event: 'Create, share 1 account', min: min(1), setup: async (run) => void seedAlias(run), measured: create },
    {
      kind: 'sharing',
      variant: 'ours',
      event: 'Update, swap account (k=2: unshare A, share B)',
      min: min(2),
      setup: async (run) => {
        seedAlias(run);
        await create(run);
      },
      measured: (run) => run.ours(ws, { requestType: 'Update', logicalId: id, resourceType: SHARING_TYPE, properties: propsB, oldProperties: props, physicalResourceId: run.physicalId }),
    },
    {
      kind: 'sharing',
      variant: 'ours',
      event: 'Update, converged (k=0, OnDelete changed)',
      min: min(0),
      setup: async (run) => {
        seedAlias(run);
        await create(run);
      },
      measured: (run) => run.ours(ws, { requestType: 'Update', logicalId: id, resourceType: SHARING_TYPE, properties: propsRetain, oldProperties: props, physicalResourceId: run.physicalId }),
    },
    {
      kind: 'sharing',
      variant: 'ours',
      event: 'Delete, restore (unshare A)',
      min: min(1),
      setup: async (run) => {
        seedAlias(run);
        await create(run);
      },
      measured: async (run) => {
        const out = await run.ours(ws, { requestType: 'Delete', logicalId: id, resourceType: SHARING_TYPE, properties: props, physicalResourceId: run.physicalId });
        return out === 'ok' ? (sharedWith(run).length === 0 ? 'restored' : 'NOT restored') : out;
      },
    },
  ];

  const shareId = logicalIdOf(a.acr, 'Share');
  const shareProps = propertiesOf(a.acr, SCENARIO_STACK.acr, shareId);
  const withAccount = (account: string) => Object.fromEntries(Object.entries(shareProps).map(([k, v]) => [k, typeof v === 'string' ? v.split(SHARED_A).join(account) : v]));
  const acrCreate = (run: Runner) => run.acr({ requestType: 'Create', logicalId: shareId, properties: shareProps });
  const acr: Scenario[] = [
    { kind: 'sharing', variant: 'acr', event: 'Create, share 1 account', min: min(1), setup: async (run) => void seedAlias(run), measured: async (run) => acrOutcome(await acrCreate(run)) },
    {
      kind: 'sharing',
      variant: 'acr',
      event: 'Update, swap account (k=2: unshare A, share B)',
      min: min(2),
      setup: async (run) => {
        seedAlias(run);
        await acrCreate(run);
      },
      // CloudFormation sends the new call first; the old account's Delete would only come at cleanup, after success.
      measured: async (run) =>
        acrOutcome(await run.acr({ requestType: 'Update', logicalId: shareId, properties: withAccount(SHARED_B), oldProperties: shareProps, physicalResourceId: `${SCENARIO_ALIAS}/${SHARED_A}` })),
    },
    {
      kind: 'sharing',
      variant: 'acr',
      event: 'Update, converged (k=0, OnDelete changed)',
      min: min(0),
      setup: async (run) => {
        seedAlias(run);
        await acrCreate(run);
      },
      measured: async (run) =>
        acrOutcome(await run.acr({ requestType: 'Update', logicalId: shareId, properties: { ...shareProps, Note: 'changed' }, oldProperties: shareProps, physicalResourceId: `${SCENARIO_ALIAS}/${SHARED_A}` })),
    },
    {
      kind: 'sharing',
      variant: 'acr',
      event: 'Delete, restore (unshare A)',
      min: min(1),
      setup: async (run) => {
        seedAlias(run);
        await acrCreate(run);
      },
      measured: async (run) => {
        const outcome = acrOutcome(await run.acr({ requestType: 'Delete', logicalId: shareId, properties: shareProps, physicalResourceId: `${SCENARIO_ALIAS}/${SHARED_A}` }));
        return outcome === 'ok' ? (sharedWith(run).length === 0 ? 'restored' : 'NOT restored') : outcome;
      },
    },
  ];
  return [...ours, ...acr];
}

function split(counts: Record<string, number>): { api: Record<string, number>; ssm: Record<string, number> } {
  const api: Record<string, number> = {};
  const ssm: Record<string, number> = {};
  for (const [op, n] of Object.entries(counts)) (op.startsWith('SSM.') ? ssm : api)[op.replace(/^[^.]+\./, '')] = n;
  return { api, ssm };
}

export async function runScenarios(emulator: Emulator, assembly: ScenarioAssembly, runs: number): Promise<ScenarioResult[]> {
  const worker = new Worker(childEnv(emulator));
  const results: ScenarioResult[] = [];
  try {
    const scenarios = [...preferenceScenarios(assembly), ...sharingScenarios(assembly)];
    // One unmeasured pass first: module loading and the SDK clients' lazy setup are the cold start's business.
    for (const s of scenarios) await once(s, emulator, assembly, worker);
    for (const s of scenarios) {
      const samples: Awaited<ReturnType<typeof once>>[] = [];
      for (let i = 0; i < runs; i++) samples.push(await once(s, emulator, assembly, worker));
      const last = samples[samples.length - 1];
      const pages = last.counts['WorkSpaces.DescribeConnectionAliasPermissions'] ?? 1;
      const { api, ssm } = split(last.counts);
      const m = s.min(s.kind === 'sharing' ? Math.max(1, pages) : 0);
      results.push({
        kind: s.kind,
        variant: s.variant,
        event: s.event,
        invocations: last.invocations,
        apiCalls: api,
        ssmCalls: ssm,
        minCalls: m.calls,
        minDetail: m.detail,
        medianMs: median(samples.map((x) => x.ms)),
        runsMs: samples.map((x) => Math.round(x.ms)),
        outcome: last.outcome,
      });
    }
  } finally {
    worker.close();
  }
  return results;
}

async function once(s: Scenario, emulator: Emulator, assembly: ScenarioAssembly, worker: Worker) {
  emulator.reset();
  const run = new Runner(emulator, assembly, worker);
  await s.setup(run);
  run.ms = 0;
  run.invocations = 0;
  emulator.log.reset();
  emulator.faults.latency(LATENCY_MS);
  const outcome = await s.measured(run);
  emulator.faults.clear();
  return { ms: run.ms, invocations: run.invocations, counts: emulator.log.countsByOperation(), outcome };
}

/** The wait for an alias still CREATING (one extra read), ours; AwsCustomResource does not wait. Measured once. */
export async function measureCreatingWait(emulator: Emulator, assembly: ScenarioAssembly): Promise<{ ours: { ms: number; outcome: string; reads: number }; acr: { ms: number; outcome: string } }> {
  const worker = new Worker(childEnv(emulator));
  try {
    const id = logicalIdOf(assembly.ours, 'Sharing');
    const props = propertiesOf(assembly.ours, SCENARIO_STACK.ours, id);
    const event = () => cfnEvent({ requestType: 'Create', logicalId: id, resourceType: SHARING_TYPE, properties: props, stackName: SCENARIO_STACK.ours, responseUrl: 'https://unused.example/' });
    const job = () => ({ file: assembly.workspaces.file, exportName: assembly.workspaces.exportName, event: event() });
    emulator.reset();
    emulator.workspaces.seedAlias({ AliasId: SCENARIO_ALIAS });
    await worker.run(job()); // warm
    emulator.reset();
    emulator.workspaces.seedAlias({ AliasId: SCENARIO_ALIAS });
    emulator.faults.aliasCreatingFor(SCENARIO_ALIAS, 1);
    const r = await worker.run(job());
    const reads = emulator.log.count('DescribeConnectionAliases');
    emulator.reset();
    emulator.workspaces.seedAlias({ AliasId: SCENARIO_ALIAS });
    emulator.faults.aliasCreatingFor(SCENARIO_ALIAS, 1);
    const run = new Runner(emulator, assembly, worker);
    const shareId = logicalIdOf(assembly.acr, 'Share');
    const response = await run.acr({ requestType: 'Create', logicalId: shareId, properties: propertiesOf(assembly.acr, SCENARIO_STACK.acr, shareId) });
    return {
      ours: { ms: r.ms, outcome: r.ok ? 'ok' : `FAILED: ${r.error!.message}`, reads },
      acr: { ms: run.ms, outcome: acrOutcome(response) },
    };
  } finally {
    worker.close();
  }
}
