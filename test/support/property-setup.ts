// The account every lifecycle property sequence (and every replayed counterexample) starts from.
import * as fs from 'fs';
import { type Emulator, startEmulator } from '../../emulator';
import { ACCOUNTS, ALIASES, type Catalog, DIRECTORIES, Model, type Real, newReal, removeSynthesized, teardown } from './property';
import { ENV, synthExample } from './lifecycle';

export const INITIAL: Record<Catalog, { AccessType: 'ALLOW_ALL' | 'DENY_ALL' | 'ALLOW_BY_DEFAULT_DENY_SOME'; ExcludedParticipantIds: string[] }> = {
  Sandbox: { AccessType: 'DENY_ALL', ExcludedParticipantIds: [] },
  AWS: { AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIds: ['legacy-9'] },
};

/** Lambda timeout of a version deployed with a `timeout` fault, and how long the slowed call takes (longer). */
export const TIMEOUT_MS = 8_000;
export const SLOW_MS = 10_000;

export async function setupSequence(emulator: Emulator): Promise<{ model: Model; real: Real }> {
  emulator.reset();
  for (const c of Object.keys(INITIAL) as Catalog[]) emulator.partnerCentral.seed(c, INITIAL[c]);
  for (const a of Object.values(ALIASES)) emulator.workspaces.seedAlias({ AliasId: a });
  // The association stack's directories, in the account the aliases may be shared with.
  for (const d of Object.values(DIRECTORIES)) emulator.account(ACCOUNTS.S1).workspaces.seedDirectory({ DirectoryId: d, Region: ENV.region });
  const real = await newReal(emulator, { timeoutMs: TIMEOUT_MS, slowMs: SLOW_MS });
  const model = new Model({ Sandbox: { ...INITIAL.Sandbox }, AWS: { ...INITIAL.AWS } });
  return { model, real };
}

/**
 * One sequence from the starting account: `steps` runs the steps, then the teardown checks that everything can be
 * deleted and nothing is left; the stacks' processes are closed whatever happened. Returns how many steps ran.
 */
export async function runSequence(emulator: Emulator, steps: (model: Model, real: Real) => Promise<void>): Promise<number> {
  const { model, real } = await setupSequence(emulator);
  try {
    await steps(model, real);
    const ran = real.trace.length;
    await teardown(model, real);
    return ran;
  } finally {
    emulator.faults.clear();
    await real.stack.close();
    await real.assocStack.close();
  }
}

/**
 * The emulator of a property suite, started in beforeAll and closed in afterAll (with the synthesized versions).
 * Parameter Store's refusal to re-create a name deleted moments ago is kept, but 2 s instead of 30: sequences replace
 * and re-add resources often, and the handler's wait for the window is tested elsewhere at full length.
 */
export function usePropertyEmulator(): () => Emulator {
  let emulator: Emulator | undefined;
  let example: string | undefined;
  beforeAll(async () => {
    // Fails at once, naming the command, when the bundled handlers and `plan` are missing (npm test bundles first).
    example = synthExample();
    emulator = await startEmulator({ recreateWindowMs: 2_000 });
  }, 120_000);
  afterAll(async () => {
    await emulator?.close();
    removeSynthesized();
    if (example) fs.rmSync(example, { recursive: true, force: true });
  });
  return () => emulator!;
}
