// Cold start and peak memory: each sample is a fresh Node process that loads one handler module, taken from the
// synthesized cloud assembly, and serves one event against the emulator.
import type { Emulator } from '../emulator';
import { SCENARIO_ALIAS, SCENARIO_STACK, maxExclusions } from './apps';
import { type ColdResult, type Job, cfnEvent, childEnv, runCold } from './harness';
import { type HandlerAsset, type ScenarioAssembly, logicalIdOf, propertiesOf } from './handlers';

export interface ColdRow {
  readonly id: string;
  readonly handler: HandlerAsset;
  /** What the first event is, in words. */
  readonly event: string;
  readonly samples: ColdResult[];
  /** API calls the event made (last sample). */
  readonly calls: number;
  /** ok, or the failure (for AwsCustomResource: the response it PUT to CloudFormation). */
  readonly outcome: string;
}

interface ColdCase {
  readonly id: string;
  readonly handler: HandlerAsset;
  readonly event: string;
  /** Seeds the emulator and returns the job; `extraEnv` for the framework's USER_ON_EVENT_FUNCTION_ARN. */
  prepare(emulator: Emulator): { job: Job; extraEnv?: Record<string, string> };
}

const USER_FN_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:bench-user-handler';

function coldCases(a: ScenarioAssembly): ColdCase[] {
  const prefsId = logicalIdOf(a.ours, 'Prefs');
  const sharingId = logicalIdOf(a.ours, 'Sharing');
  const getId = logicalIdOf(a.acr, 'PrefsGet');
  const shareId = logicalIdOf(a.acr, 'Share');
  const ours = (logicalId: string, resourceType: string) =>
    cfnEvent({ requestType: 'Create', stackName: SCENARIO_STACK.ours, logicalId, resourceType, properties: propertiesOf(a.ours, SCENARIO_STACK.ours, logicalId), responseUrl: 'https://unused.example/' });
  const acr = (emulator: Emulator, logicalId: string) =>
    cfnEvent({ requestType: 'Create', stackName: SCENARIO_STACK.acr, logicalId, resourceType: 'Custom::AWS', properties: propertiesOf(a.acr, SCENARIO_STACK.acr, logicalId), responseUrl: emulator.responseUrl() });
  const job = (h: HandlerAsset, event: Record<string, unknown>): Job => ({ file: h.file, exportName: h.exportName, event });
  return [
    { id: 'ours-pc', handler: a.partnerCentral, event: 'Create', prepare: () => ({ job: job(a.partnerCentral, ours(prefsId, 'Custom::PartnerConnectionPreferences')) }) },
    { id: 'acr-pc', handler: a.awsCustomResource, event: 'Create of the Get call (its first invocation)', prepare: (e) => ({ job: job(a.awsCustomResource, acr(e, getId)) }) },
    {
      id: 'ours-ws',
      handler: a.workspaces,
      event: 'Create, share 1 account',
      prepare: (e) => {
        e.workspaces.seedAlias({ AliasId: SCENARIO_ALIAS });
        return { job: job(a.workspaces, ours(sharingId, 'Custom::ConnectionAliasSharing')) };
      },
    },
    {
      id: 'acr-ws',
      handler: a.awsCustomResource,
      event: 'Create, share 1 account',
      prepare: (e) => {
        e.workspaces.seedAlias({ AliasId: SCENARIO_ALIAS });
        return { job: job(a.awsCustomResource, acr(e, shareId)) };
      },
    },
    {
      id: 'ours-framework',
      handler: a.framework,
      event: 'Create, user handler answering at once (framework overhead only)',
      prepare: (e) => {
        e.lambda.register(USER_FN_ARN, async () => ({ PhysicalResourceId: 'bench' }));
        const event = cfnEvent({ requestType: 'Create', stackName: SCENARIO_STACK.ours, logicalId: prefsId, resourceType: 'Custom::PartnerConnectionPreferences', properties: {}, responseUrl: e.responseUrl() });
        return { job: job(a.framework, event), extraEnv: { USER_ON_EVENT_FUNCTION_ARN: USER_FN_ARN } };
      },
    },
  ];
}

function memoryCases(a: ScenarioAssembly): ColdCase[] {
  const maxId = logicalIdOf(a.ours, 'PrefsMax');
  const getId = logicalIdOf(a.acr, 'PrefsMaxGet');
  const updId = logicalIdOf(a.acr, 'PrefsMaxUpdate');
  // The live list already holds 100 other long ids, so ours also stores a maximal snapshot.
  const seed = (e: Emulator) => e.partnerCentral.seed('Sandbox', { AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIds: maxExclusions().map((p) => p.replace(/^p/, 'q')), Revision: 1 });
  return [
    {
      id: 'mem-ours-pc',
      handler: a.partnerCentral,
      event: 'Create, 100 exclusions x 100 chars, over 100 others',
      prepare: (e) => {
        seed(e);
        const event = cfnEvent({ requestType: 'Create', stackName: SCENARIO_STACK.ours, logicalId: maxId, resourceType: 'Custom::PartnerConnectionPreferences', properties: propertiesOf(a.ours, SCENARIO_STACK.ours, maxId), responseUrl: 'https://unused.example/' });
        return { job: { file: a.partnerCentral.file, exportName: a.partnerCentral.exportName, event } };
      },
    },
    {
      id: 'mem-acr-pc',
      handler: a.awsCustomResource,
      event: 'Create of the Update call, 100 exclusions x 100 chars',
      prepare: (e) => {
        seed(e);
        const properties = propertiesOf(a.acr, SCENARIO_STACK.acr, updId, { [`${getId}.Revision`]: '1' });
        const event = cfnEvent({ requestType: 'Create', stackName: SCENARIO_STACK.acr, logicalId: updId, resourceType: 'Custom::AWS', properties, responseUrl: e.responseUrl() });
        return { job: { file: a.awsCustomResource.file, exportName: a.awsCustomResource.exportName, event } };
      },
    },
  ];
}

async function sample(cases: ColdCase[], emulator: Emulator, runs: number): Promise<ColdRow[]> {
  const samples = new Map<string, ColdResult[]>(cases.map((c) => [c.id, []]));
  const calls = new Map<string, number>();
  const outcomes = new Map<string, string>();
  // Interleaved, so that a slow moment of the machine spreads over every row instead of skewing one. Round 0 is
  // discarded: it fills the OS file cache, which a real cold start (code already on the host) does not pay either.
  for (let i = -1; i < runs; i++) {
    for (const c of cases) {
      emulator.reset();
      const { job, extraEnv } = c.prepare(emulator);
      const result = await runCold(job, childEnv(emulator, extraEnv));
      if (!result.ok) throw new Error(`${c.id}: ${result.error?.name}: ${result.error?.message}`);
      if (i >= 0) samples.get(c.id)!.push(result);
      calls.set(c.id, emulator.log.entries.filter((x) => x.service !== 'Lambda').length);
      const response = emulator.cfnResponses[0]?.body;
      outcomes.set(c.id, response && response.Status !== 'SUCCESS' ? `FAILED: ${String(response.Reason).slice(0, 160)}` : 'ok');
    }
  }
  return cases.map((c) => ({ id: c.id, handler: c.handler, event: c.event, samples: samples.get(c.id)!, calls: calls.get(c.id)!, outcome: outcomes.get(c.id)! }));
}

export function measureColdStarts(emulator: Emulator, assembly: ScenarioAssembly, runs: number): Promise<ColdRow[]> {
  return sample(coldCases(assembly), emulator, runs);
}

export function measureMemory(emulator: Emulator, assembly: ScenarioAssembly, runs: number): Promise<ColdRow[]> {
  return sample(memoryCases(assembly), emulator, runs);
}
