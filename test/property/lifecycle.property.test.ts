// The lifecycle property test (issue 14): fast-check generates sequences of what really happens to these resources
// (stack creates, updates that change, replace or remove them, rollbacks caused by a sibling's failure, deletes with
// resources retained and the stack created again under the same name, events delivered twice, console edits, an
// alias deleted, an association made and undone, a concurrent writer, throttling and 5xx bursts, a handler killed
// by its timeout part-way) and runs them against the emulator through LocalStack: the real Provider framework, the
// bundled handlers, IAM from the template in force. After every step the promises are checked (test/support/property.ts):
// the model's account, the state records, no denial, no failed rollback or given-up cleanup, no write to what no event
// named, every failure saying what to do, and, before each deploy it can plan, the bundled `plan` listing exactly the
// writes the deploy then made. A failure is shrunk to the shortest sequence that shows it and printed as steps that
// test/property/regressions.test.ts can replay by name.
//
// CI runs a fixed seed (PROPERTY_SEED, default below) and PROPERTY_RUNS sequences (default 25); locally, e.g.
// `PROPERTY_RUNS=200 PROPERTY_SEED=$RANDOM npx jest test/property/lifecycle.property.test.ts`.
import fc from 'fast-check';
import { type Access, type Catalog, type Model, type Real, type Spec, type Step, canRun, runStep } from '../support/property';
import { runSequence, usePropertyEmulator } from '../support/property-setup';

const SEED = Number(process.env.PROPERTY_SEED ?? 20261202);
const RUNS = Number(process.env.PROPERTY_RUNS ?? 25);
const MAX_STEPS = Number(process.env.PROPERTY_MAX_STEPS ?? 7);

const access = fc.constantFrom<Access>('ALLOW_ALL', 'DENY_ALL', 'SOME_A', 'SOME_B');
const catalog = fc.constantFrom<Catalog>('Sandbox', 'AWS');
const alias = fc.constantFrom<'A1' | 'A2'>('A1', 'A2');
const account = fc.constantFrom<'S1' | 'S2'>('S1', 'S2');
const onDelete = fc.constantFrom<'RESTORE' | 'RETAIN'>('RESTORE', 'RESTORE', 'RETAIN');

const spec: fc.Arbitrary<Spec> = fc.record(
  {
    prefs: fc.option(fc.record({ catalog, access, onDelete }), { nil: undefined, freq: 4 }),
    share: fc.option(fc.record({ alias, account, onDelete }), { nil: undefined, freq: 4 }),
    sibling: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  },
  { requiredKeys: [] },
);

const MANAGED_OPS = [
  'GetConnectionPreferences',
  'UpdateConnectionPreferences',
  'DescribeConnectionAliases',
  'DescribeConnectionAliasPermissions',
  'UpdateConnectionAliasPermission',
  'AssociateConnectionAlias',
  'DisassociateConnectionAlias',
];
const SSM_OPS = ['PutParameter', 'GetParametersByPath', 'DeleteParameters', 'GetParameters'];
const fault = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom<'throttle' | 'server'>('throttle', 'server'), op: fc.constantFrom(...MANAGED_OPS, ...SSM_OPS), times: fc.integer({ min: 1, max: 3 }) }) },
  // A call outliving the handler: not a WorkSpaces write, which cannot be fenced (README, "A call that hangs").
  { weight: 1, arbitrary: fc.record({ kind: fc.constant<'timeout'>('timeout'), op: fc.constantFrom('UpdateConnectionPreferences', 'GetConnectionPreferences', 'PutParameter', 'DeleteParameters', 'DescribeConnectionAliasPermissions') }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant<'writer'>('writer'), catalog, times: fc.constantFrom(1, 2, 6), access }) },
);

const assoc = fc.record({ alias, directory: fc.constantFrom<'D1' | 'D2'>('D1', 'D2'), onDelete });

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant<'deploy'>('deploy'), spec, twice: fc.boolean(), fault: fc.option(fault, { nil: undefined, freq: 2 }) }, { requiredKeys: ['op', 'spec'] }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant<'deleteStack'>('deleteStack'), retain: fc.subarray(['Prefs', 'Share'] as ('Prefs' | 'Share')[]), twice: fc.boolean() }, { requiredKeys: ['op'] }) },
  {
    weight: 4,
    arbitrary: fc.record(
      { op: fc.constant<'deployAssoc'>('deployAssoc'), assoc: fc.option(assoc, { nil: undefined, freq: 5 }), twice: fc.boolean(), fault: fc.option(fault, { nil: undefined, freq: 3 }) },
      { requiredKeys: ['op'] },
    ),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant<'deleteAssocStack'>('deleteAssocStack'), retain: fc.boolean() }, { requiredKeys: ['op'] }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant<'consoleEdit'>('consoleEdit'), catalog, access }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant<'deleteAlias'>('deleteAlias'), alias }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant<'associate'>('associate'), alias, account }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant<'disassociate'>('disassociate'), alias }) },
);

/** A step as a fast-check command: its data is what a shrunk counterexample prints. */
class StepCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly step: Step) {}
  check(model: Readonly<Model>): boolean {
    return canRun(model as Model, this.step);
  }
  async run(model: Model, real: Real): Promise<void> {
    await runStep(model, real, this.step);
  }
  toString(): string {
    return JSON.stringify(this.step);
  }
}

const emulator = usePropertyEmulator();
let sequences = 0;
let steps = 0;

afterAll(() => {
  console.log(`lifecycle property: ${sequences} sequences, ${steps} steps (seed ${SEED})`);
});

test(`lifecycle property: ${RUNS} random sequences of up to ${MAX_STEPS} steps keep every promise (seed ${SEED})`, async () => {
  await fc.assert(
    fc.asyncProperty(fc.commands([step.map((s) => new StepCommand(s))], { maxCommands: MAX_STEPS, size: '+1' }), async (cmds) => {
      sequences++;
      steps += await runSequence(emulator(), (model, real) => fc.asyncModelRun(() => ({ model, real }), cmds));
    }),
    { seed: SEED, numRuns: RUNS, endOnFailure: process.env.PROPERTY_SHRINK === '0', verbose: 1 },
  );
}, 3_600_000);
