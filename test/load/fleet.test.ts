// Load tests (issue 9): a stack of 100 ConnectionAliasSharing plus both catalogs' PartnerConnectionPreferences, every
// event of a wave started at the same moment, under AWS's rate limits: Parameter Store PutParameter and
// DeleteParameters 3/s, its reads 40/s, 5/s for each WorkSpaces and Partner Central operation, all per account and
// region (one region here, so both handlers share the Parameter Store buckets), and the 30-second re-create window.
//
// Scale: rates × k and time budgets ÷ k together (the Lambda timeout the handlers' context counts down from, and the
// re-create window), so that the run stays within a few minutes on a 2-core machine. k = FLEET_SCALE, default 2:
// PutParameter then refills at 6/s and the handlers have 150 s instead of 300 s. What does not scale: the SDK's own
// retry backoff and the handlers' own constants (wait intervals), which makes k > 1 harsher on time, not kinder.
//
// Each event runs in its own simulated Lambda container with its own SDK clients (test/support/fleet.ts). The
// Provider framework hop is skipped: the events are the framework's input as CloudFormation delivers it, and the
// framework's answer (marker id of a failed Create, its Delete answered without the handler) is reproduced.
import { AwsError, type Emulator, FLEET_RATES, startEmulator } from '../../emulator';
import { FLEET_REGION, type FleetAssemblies, FleetDeployment, aliasIdOf, describeWave, reportWave, synthFleetAssemblies, type WaveResult } from '../support/fleet';

const SCALE = Number(process.env.FLEET_SCALE ?? 2);
/** Per test: three waves of 100 + 2 events at 3 writes per second ÷ k, with room for the handlers' own waits. */
const TEST_TIMEOUT_MS = 600_000 / SCALE;

let emulator: Emulator;
/** The 100 + 2 stack, synthesized once for the first two tests. */
let fleetStack: FleetAssemblies;

beforeAll(async () => {
  emulator = await startEmulator({ region: FLEET_REGION, rateLimits: { enabled: true, rates: FLEET_RATES, scale: SCALE } });
  fleetStack = synthFleetAssemblies({}, emulator.accountId);
}, 120_000);
afterAll(() => emulator.close());
beforeEach(() => emulator.reset());

/** Prints the wave's numbers (the baseline the handler work is measured against) and returns its failures. */
function logWave(wave: WaveResult, label = ''): number {
  const report = reportWave(wave, emulator);
  console.log(`[fleet k=${SCALE}]${label} ${describeWave(report)}`);
  return report.failed;
}

test(
  '100 aliases + 2 catalogs: Create, Update and Delete each all at once, zero failed events, everything ends as found',
  async () => {
    const fleet = FleetDeployment.load({ emulator, assemblies: fleetStack });
    try {
      const asFound = fleet.seed();
      expect(fleet.resources).toHaveLength(102);
      // Waves go on after a failure (updating and deleting what was created), so that one run shows every wave's count.
      const failed = {
        Create: logWave(await fleet.create()),
        Update: logWave(await fleet.update()),
        Delete: logWave(await fleet.delete()),
      };
      // What a failed Create left, or a failed Delete kept, is cleaned up by the same Delete wave once more, so
      // that the leftover assertion below speaks of the handlers, not of the order of the waves.
      const leftovers = fleet.resources.filter((r) => r.physicalResourceId);
      if (leftovers.length > 0) logWave(await fleet.delete(leftovers), ' (second Delete of what the first left)');

      expect(failed).toEqual({ Create: 0, Update: 0, Delete: 0 });
      expect(fleet.state()).toEqual(asFound);
      expect(fleet.stateParameters()).toEqual([]);
    } finally {
      fleet.close();
    }
  },
  TEST_TIMEOUT_MS,
);

test(
  'one alias refuses its share in the middle of the Create wave: that Create fails alone, undoes itself, and the rollback Delete wave leaves nothing',
  async () => {
    const fleet = FleetDeployment.load({ emulator, assemblies: fleetStack });
    try {
      const asFound = fleet.seed();
      const refused = aliasIdOf(42);
      // An SCP, say: every share of this one alias is denied (unshares are not).
      emulator.faults.failNext('UpdateConnectionAliasPermission', Infinity, new AwsError(400, 'AccessDeniedException', `Not authorized to share ${refused}`), {
        where: (input) => input.AliasId === refused && (input.ConnectionAliasPermission as { AllowAssociation?: boolean } | undefined)?.AllowAssociation === true,
      });
      const create = await fleet.create();
      logWave(create);
      // What the failed Create left, before any Delete: it must have undone itself.
      const refusedAfterCreate = { permissions: emulator.workspaces.permissions(refused), state: emulator.ssm.names(`${fleet.resource(refused).statePath}/`) };
      // CloudFormation rolls the stack back: Delete of every resource (the failed one's marker id answered by the framework).
      const rollback = await fleet.delete(fleet.resources.filter((r) => r.physicalResourceId));
      logWave(rollback, ' (rollback)');

      expect(create.failed.map((f) => f.logicalId)).toEqual([fleet.resource(refused).logicalId]);
      expect(create.failed[0].reason).toContain(`Not authorized to share ${refused}`);
      expect(refusedAfterCreate).toEqual({ permissions: asFound.permissions[refused], state: [] });
      expect(rollback.failed).toEqual([]);
      expect(fleet.state()).toEqual(asFound);
      expect(fleet.stateParameters()).toEqual([]);
    } finally {
      fleet.close();
    }
  },
  TEST_TIMEOUT_MS,
);

test(
  "a stack deleted and created again at once: each Create waits out Parameter Store's re-create window instead of failing",
  async () => {
    // One alias and both catalogs; the window is 30 s ÷ k.
    const fleet = FleetDeployment.load({ emulator, spec: { aliases: 1 } });
    try {
      const asFound = fleet.seed();
      const first = await fleet.create();
      const deleted = await fleet.delete();
      const again = await fleet.create();
      const failed = { first: logWave(first, ' (re-create: first Create)'), delete: logWave(deleted, ' (re-create: Delete)'), again: logWave(again, ' (re-create: Create at once)') };
      const leftovers = fleet.resources.filter((r) => r.physicalResourceId);
      const cleanup = await fleet.delete(leftovers);
      expect({ ...failed, cleanup: logWave(cleanup, ' (re-create: final Delete)') }).toEqual({ first: 0, delete: 0, again: 0, cleanup: 0 });
      expect(emulator.log.list('PutParameter').some((c) => c.errorType === 'ParameterAlreadyExists')).toBe(true);
      expect(fleet.state()).toEqual(asFound);
      expect(fleet.stateParameters()).toEqual([]);
    } finally {
      fleet.close();
    }
  },
  TEST_TIMEOUT_MS,
);
