// Stack lifecycles as CloudFormation runs them (emulator/stack.ts), with IAM evaluated from the template version in
// force (emulator/iam.ts): the handler's policy is switched before the custom resources' Updates, replaced and
// removed resources are deleted in the cleanup phase under the NEW policy, rollbacks run under the failed update's
// policy, and a stack deleted with its resources retained can be created again under the same name (a new stack id).
// Every event runs the real Provider framework and the real bundled handler from the synthesized assembly.
//
// Each scenario asserts on the emulated account (settings restored or applied), on the state parameters left,
// and that no call was denied.
import { App, CfnParameter, CustomResource, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as fs from 'fs';
import { AwsError, type Emulator, startEmulator } from '../../emulator';
import { type EventResult, LocalCloudFormation } from '../../emulator/cloudformation';
import { LocalStack } from '../../emulator/stack';
import { AccessType, ConnectionAliasSharing, PartnerConnectionPreferences } from '../../lib';
import { tempDir } from '../support/cdk-cli';
import { ENV, STACK, clean, logLeaks, outcome, preferences, responseProblems, stateParameters, synthExample } from '../support/lifecycle';

const ALIAS = 'wsca-abcdefgh12';
const NEW_ALIAS = 'wsca-replacement01';
const SHARED = '210987654321';
const OTHER = '333333333333';
const NAME = 'ConnectionSharingLifecycle';
const PREFS = 'Custom::PartnerConnectionPreferences';
const SHARING = 'Custom::ConnectionAliasSharing';
const SEEDED = {
  Sandbox: { AccessType: 'DENY_ALL' as const, ExcludedParticipantIds: ['legacy-partner-1'] },
  AWS: { AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME' as const, ExcludedParticipantIds: ['prod-blocked-9'] },
};
const DECLARED = ['partner-blocked-1', 'partner-blocked-2'];
const aliasIds = (n: number) => Array.from({ length: n }, (_, i) => `wsca-lifecycle${String(i).padStart(2, '0')}`);
const statePath = (kind: 'partner-central' | 'workspaces', id: string) => `/cdk-connection-sharing/${kind}/${id}/`;

// ---------------------------------------------------------------------------------------------------------------
// Purpose-built stacks, synthesized once each (lazily, so that `-t` runs only what it needs)

interface Spec {
  /** Instances of PartnerConnectionPreferences: construct id -> catalog and access type ('param': a CfnParameter). */
  readonly prefs?: Record<string, { catalog: string; accessType?: AccessType | 'param' }>;
  /** Instances of ConnectionAliasSharing: construct id -> alias and accounts. */
  readonly shares?: Record<string, { aliasId: string; accounts?: string[] }>;
  /** RemovalPolicy.RETAIN on every custom resource. */
  readonly retain?: boolean;
  /**
   * A harmless extra statement in each handler policy, naming this marker: two versions whose grants are otherwise
   * identical then still have different policies, so that which one is in force can be observed.
   */
  readonly marker?: string;
}

const dirs = new Map<string, string>();
function synth(spec: Spec): string {
  const key = JSON.stringify(spec);
  let dir = dirs.get(key);
  if (!dir) {
    dir = tempDir('e2e-stack');
    const app = new App({ outdir: dir });
    const stack = new Stack(app, NAME, { env: ENV });
    const usesParam = Object.values(spec.prefs ?? {}).some((p) => p.accessType === 'param');
    const param = usesParam ? new CfnParameter(stack, 'AccessType', { type: 'String', default: AccessType.ALLOW_BY_DEFAULT_DENY_SOME }) : undefined;
    for (const [id, p] of Object.entries(spec.prefs ?? {})) {
      const accessType = p.accessType === 'param' ? (param!.valueAsString as AccessType) : (p.accessType ?? AccessType.ALLOW_BY_DEFAULT_DENY_SOME);
      // A token access type gets no exclusions: whatever it resolves to must be valid without them.
      const denySome = accessType === AccessType.ALLOW_BY_DEFAULT_DENY_SOME;
      new PartnerConnectionPreferences(stack, id, { catalog: p.catalog, accessType, excludedParticipantIds: denySome ? DECLARED : undefined });
    }
    for (const [id, s] of Object.entries(spec.shares ?? {})) new ConnectionAliasSharing(stack, id, { aliasId: s.aliasId, sharedAccountIds: s.accounts ?? [SHARED] });
    if (spec.marker) {
      for (const c of stack.node.findAll()) {
        if (c instanceof iam.Policy && c.node.id === 'HandlerPolicy') {
          c.addStatements(new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [`arn:aws:ssm:us-east-1:123456789012:parameter/marker/${spec.marker}`] }));
        }
      }
    }
    if (spec.retain) {
      for (const c of stack.node.findAll()) if (c instanceof CustomResource) c.applyRemovalPolicy(RemovalPolicy.RETAIN);
    }
    app.synth();
    dirs.set(key, dir);
  }
  return dir;
}

function sharesOf(ids: string[], accounts?: (aliasId: string) => string[]): Spec['shares'] {
  return Object.fromEntries(ids.map((aliasId, i) => [`Share${i}`, { aliasId, accounts: accounts?.(aliasId) }]));
}

// ---------------------------------------------------------------------------------------------------------------

let emulator: Emulator;
let example: string;
const stacks: LocalStack[] = [];
const results: EventResult[] = [];

function newStack(stack = NAME, options: { concurrency?: number } = {}): LocalStack {
  const s = new LocalStack({ emulator, stack, onEvent: (r) => results.push(r), ...options });
  stacks.push(s);
  return s;
}

beforeAll(async () => {
  example = synthExample();
  emulator = await startEmulator();
}, 120_000);

afterAll(async () => {
  await Promise.all(stacks.map((s) => s.close()));
  await emulator?.close();
  for (const d of [example, ...dirs.values()]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

beforeEach(() => {
  emulator.reset();
  results.length = 0;
  emulator.partnerCentral.seed('Sandbox', SEEDED.Sandbox);
  emulator.partnerCentral.seed('AWS', SEEDED.AWS);
  for (const id of [ALIAS, NEW_ALIAS]) emulator.workspaces.seedAlias({ AliasId: id });
});

afterEach(async () => {
  // Whatever the scenario: nothing secret in the logs, every response one CloudFormation accepts.
  expect(results.flatMap(logLeaks)).toEqual([]);
  expect(results.flatMap(responseProblems)).toEqual([]);
  await Promise.all(stacks.splice(0).map((s) => s.close()));
});

const shared = (aliasId: string) => emulator.workspaces.permissions(aliasId);
const SHARED_WITH = (account: string) => [{ SharedAccountId: account, AllowAssociation: true }];

// ---------------------------------------------------------------------------------------------------------------

describe('replaced and removed resources are deleted in the cleanup phase, under the new policy', () => {
  test('the README example with its CfnConnectionAlias replaced: the old alias ends unshared and its state is gone', async () => {
    const stack = newStack(STACK);
    expect(outcome(await stack.deploy(example, { attributes: { Alias: ALIAS } }))).toEqual(clean('CREATE_COMPLETE'));
    expect(shared(ALIAS)).toEqual(SHARED_WITH(SHARED));

    // The same template, a new alias: the sharing resource's AliasId changes, the handler policy too.
    const replaced = await stack.deploy(example, { attributes: { Alias: NEW_ALIAS } });
    expect(outcome(replaced)).toEqual(clean('UPDATE_COMPLETE'));
    expect(replaced.events.filter((e) => e.attempt === 1).map((e) => `${e.phase} ${e.requestType} ${e.result.event.PhysicalResourceId ?? ''}`.trim())).toEqual([
      `update Update ${ALIAS}`,
      `cleanup Delete ${ALIAS}`,
    ]);
    expect(shared(ALIAS)).toEqual([]);
    expect(shared(NEW_ALIAS)).toEqual(SHARED_WITH(SHARED));
    expect(emulator.ssm.names(statePath('workspaces', ALIAS))).toEqual([]);
    expect(emulator.ssm.names(statePath('workspaces', NEW_ALIAS)).length).toBeGreaterThan(0);

    expect(outcome(await stack.deleteStack())).toEqual(clean('DELETE_COMPLETE'));
    expect(shared(NEW_ALIAS)).toEqual([]);
    expect(preferences(emulator, 'Sandbox')).toEqual(SEEDED.Sandbox);
    expect(stateParameters(emulator)).toEqual([]);
  });

  test('a catalog change Sandbox -> AWS: Sandbox is restored and its state removed', async () => {
    const stack = newStack();
    expect(outcome(await stack.deploy(synth({ prefs: { Prefs: { catalog: 'Sandbox' } } })))).toEqual(clean('CREATE_COMPLETE'));
    expect(preferences(emulator, 'Sandbox')).toEqual({ AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIds: DECLARED });

    const changed = await stack.deploy(synth({ prefs: { Prefs: { catalog: 'AWS' } } }));
    expect(outcome(changed)).toEqual(clean('UPDATE_COMPLETE'));
    expect(changed.events.filter((e) => e.attempt === 1).map((e) => `${e.phase} ${e.requestType}`)).toEqual(['update Update', 'cleanup Delete']);
    expect(preferences(emulator, 'Sandbox')).toEqual(SEEDED.Sandbox);
    expect(preferences(emulator, 'AWS')).toEqual({ AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIds: DECLARED });
    expect(emulator.ssm.names(statePath('partner-central', 'Sandbox'))).toEqual([]);

    expect(outcome(await stack.deleteStack())).toEqual(clean('DELETE_COMPLETE'));
    expect({ Sandbox: preferences(emulator, 'Sandbox'), AWS: preferences(emulator, 'AWS') }).toEqual(SEEDED);
    expect(stateParameters(emulator)).toEqual([]);
  });

  test('one of three sharings removed from the stack: its alias is unshared, its state removed, the others untouched', async () => {
    const [a, b, c] = aliasIds(3);
    for (const id of [a, b, c]) emulator.workspaces.seedAlias({ AliasId: id });
    const stack = newStack();
    expect(outcome(await stack.deploy(synth({ shares: sharesOf([a, b, c]) })))).toEqual(clean('CREATE_COMPLETE'));

    const removed = await stack.deploy(synth({ shares: sharesOf([a, b]) }));
    expect(outcome(removed)).toEqual(clean('UPDATE_COMPLETE'));
    expect(removed.events.filter((e) => e.attempt === 1).map((e) => `${e.phase} ${e.requestType} ${e.logicalId}`)).toEqual([expect.stringMatching(/^cleanup Delete Share2/)]);
    expect([shared(a), shared(b), shared(c)]).toEqual([SHARED_WITH(SHARED), SHARED_WITH(SHARED), []]);
    expect(emulator.ssm.names(statePath('workspaces', c))).toEqual([]);

    expect(outcome(await stack.deleteStack())).toEqual(clean('DELETE_COMPLETE'));
    expect(stateParameters(emulator)).toEqual([]);
  });

  test('one of two preferences removed from the stack: its catalog is restored, its state removed', async () => {
    const stack = newStack();
    expect(outcome(await stack.deploy(synth({ prefs: { PrefsSandbox: { catalog: 'Sandbox' }, PrefsAws: { catalog: 'AWS', accessType: AccessType.DENY_ALL } } })))).toEqual(
      clean('CREATE_COMPLETE'),
    );
    const removed = await stack.deploy(synth({ prefs: { PrefsAws: { catalog: 'AWS', accessType: AccessType.DENY_ALL } } }));
    expect(outcome(removed)).toEqual(clean('UPDATE_COMPLETE'));
    expect(removed.events.filter((e) => e.attempt === 1).map((e) => `${e.phase} ${e.requestType} ${e.logicalId}`)).toEqual([expect.stringMatching(/^cleanup Delete PrefsSandbox/)]);
    expect(preferences(emulator, 'Sandbox')).toEqual(SEEDED.Sandbox);
    expect(preferences(emulator, 'AWS')?.AccessType).toBe('DENY_ALL');
    expect(emulator.ssm.names(statePath('partner-central', 'Sandbox'))).toEqual([]);

    expect(outcome(await stack.deleteStack())).toEqual(clean('DELETE_COMPLETE'));
    expect({ Sandbox: preferences(emulator, 'Sandbox'), AWS: preferences(emulator, 'AWS') }).toEqual(SEEDED);
    expect(stateParameters(emulator)).toEqual([]);
  });

  test('21 sharings -> 20 (the grants narrow from the prefix to exact ARNs): the removed alias is unshared, its state removed', async () => {
    const ids = aliasIds(21);
    for (const id of ids) emulator.workspaces.seedAlias({ AliasId: id });
    // A bound on concurrent events: 21 framework processes and containers at once would swamp a shared machine.
    const stack = newStack(NAME, { concurrency: 4 });
    expect(outcome(await stack.deploy(synth({ shares: sharesOf(ids) })))).toEqual(clean('CREATE_COMPLETE'));
    expect(ids.every((id) => shared(id).length === 1)).toBe(true);

    const narrowed = await stack.deploy(synth({ shares: sharesOf(ids.slice(0, 20)) }));
    expect(outcome(narrowed)).toEqual(clean('UPDATE_COMPLETE'));
    expect(narrowed.events.filter((e) => e.attempt === 1).map((e) => `${e.phase} ${e.requestType} ${e.logicalId}`)).toEqual([expect.stringMatching(/^cleanup Delete Share20/)]);
    expect(shared(ids[20])).toEqual([]);
    expect(emulator.ssm.names(statePath('workspaces', ids[20]))).toEqual([]);
    expect(ids.slice(0, 20).every((id) => shared(id).length === 1)).toBe(true);

    expect(outcome(await stack.deleteStack())).toEqual(clean('DELETE_COMPLETE'));
    expect(ids.every((id) => shared(id).length === 0)).toBe(true);
    expect(stateParameters(emulator)).toEqual([]);
  }, 600_000);
});

describe('a failed update rolls back to where it was, and the rollback cannot get stuck', () => {
  test('an invalid token-resolved accessType fails the Update of a template that also adds a catalog: UPDATE_ROLLBACK_COMPLETE, settings as before', async () => {
    const stack = newStack();
    const v1 = synth({ prefs: { PrefsSandbox: { catalog: 'Sandbox', accessType: 'param' } } });
    expect(outcome(await stack.deploy(v1, { attributes: { AccessType: AccessType.ALLOW_BY_DEFAULT_DENY_SOME } }))).toEqual(clean('CREATE_COMPLETE'));
    const afterV1 = { Sandbox: preferences(emulator, 'Sandbox'), AWS: preferences(emulator, 'AWS') };
    const sandboxState = emulator.ssm.snapshot(statePath('partner-central', 'Sandbox'));

    // The CfnParameter resolves to a value the handler must reject; the same template adds the AWS catalog (and so
    // changes the handler's policy).
    const v2 = synth({ prefs: { PrefsSandbox: { catalog: 'Sandbox', accessType: 'param' }, PrefsAws: { catalog: 'AWS', accessType: AccessType.DENY_ALL } } });
    const failed = await stack.deploy(v2, { attributes: { AccessType: 'allow_all' } });
    // Only the Update fails; its rollback (carrying allow_all as OldResourceProperties) and the cleanup do not.
    expect(outcome(failed)).toEqual({ ...clean('UPDATE_ROLLBACK_COMPLETE'), failures: [expect.stringMatching(/^update Update PrefsSandbox\w+: .*allow_all/s)] });
    const rollback = failed.events.find((e) => e.phase === 'rollback')!;
    expect(rollback.result.event.ResourceProperties).toMatchObject({ AccessType: AccessType.ALLOW_BY_DEFAULT_DENY_SOME });
    expect(rollback.result.event.OldResourceProperties).toMatchObject({ AccessType: 'allow_all' });
    expect(failed.events.map((e) => `${e.phase} ${e.requestType} ${e.logicalId.replace(/[0-9A-F]{8}$/, '')} ${e.result.response.Status}`).sort()).toEqual([
      'create Create PrefsAws SUCCESS',
      'rollback Update PrefsSandbox SUCCESS',
      'rollback-cleanup Delete PrefsAws SUCCESS',
      'update Update PrefsSandbox FAILED',
    ]);
    expect({ Sandbox: preferences(emulator, 'Sandbox'), AWS: preferences(emulator, 'AWS') }).toEqual(afterV1);
    expect(emulator.ssm.names(statePath('partner-central', 'AWS'))).toEqual([]);
    expect(Object.keys(emulator.ssm.snapshot(statePath('partner-central', 'Sandbox')))).toEqual(Object.keys(sandboxState));

    expect(outcome(await stack.deleteStack())).toEqual(clean('DELETE_COMPLETE'));
    expect({ Sandbox: preferences(emulator, 'Sandbox'), AWS: preferences(emulator, 'AWS') }).toEqual(SEEDED);
    expect(stateParameters(emulator)).toEqual([]);
  });

  test('the alias deleted outside the stack: the sharing Update fails, its rollback succeeds with nothing to do', async () => {
    const [a] = aliasIds(1);
    emulator.workspaces.seedAlias({ AliasId: a });
    const stack = newStack();
    expect(outcome(await stack.deploy(synth({ shares: sharesOf([a]) })))).toEqual(clean('CREATE_COMPLETE'));
    emulator.workspaces.deleteAlias(a);

    const failed = await stack.deploy(synth({ shares: sharesOf([a], () => [OTHER]) }));
    expect(outcome(failed)).toEqual({ ...clean('UPDATE_ROLLBACK_COMPLETE'), failures: [expect.stringMatching(/^update Update Share0\w+: .*wsca-lifecycle00/s)] });
    expect(failed.events.map((e) => `${e.phase} ${e.requestType} ${e.result.response.Status}`)).toEqual(['update Update FAILED', 'rollback Update SUCCESS']);

    expect(outcome(await stack.deleteStack())).toEqual(clean('DELETE_COMPLETE'));
    expect(stateParameters(emulator)).toEqual([]);
  });
});

describe('stack deletion', () => {
  test('deleting the stack restores everything and leaves no state parameter', async () => {
    const stack = newStack(STACK);
    expect(outcome(await stack.deploy(example, { attributes: { Alias: ALIAS } }))).toEqual(clean('CREATE_COMPLETE'));
    expect(preferences(emulator, 'Sandbox')).toEqual({ AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIds: DECLARED });
    const deleted = await stack.deleteStack();
    expect(deleted.events.map((e) => `${e.phase} ${e.requestType}`).sort()).toEqual(['delete Delete', 'delete Delete']);
    expect(outcome(deleted)).toEqual(clean('DELETE_COMPLETE'));
    expect(preferences(emulator, 'Sandbox')).toEqual(SEEDED.Sandbox);
    expect(shared(ALIAS)).toEqual([]);
    expect(stateParameters(emulator)).toEqual([]);
  });

  test.each([
    ['delete-stack --retain-resources', false],
    ['RemovalPolicy.RETAIN', true],
  ])('a stack deleted with its resources retained (%s) and created again under the same name takes its stale claims over, for both kinds', async (_how, removalPolicy) => {
    const [a] = aliasIds(1);
    emulator.workspaces.seedAlias({ AliasId: a });
    const dir = synth({ prefs: { Prefs: { catalog: 'Sandbox' } }, shares: sharesOf([a]), retain: removalPolicy });
    const stack = newStack();
    const first = await stack.deploy(dir);
    expect(outcome(first)).toEqual(clean('CREATE_COMPLETE'));
    const retainIds = [...stack.resources.keys()];
    expect(retainIds).toHaveLength(2);

    const deleted = await stack.deleteStack(removalPolicy ? {} : { retain: retainIds });
    expect({ ...outcome(deleted), events: deleted.events.length, retained: deleted.retained.sort() }).toEqual({ ...clean('DELETE_COMPLETE'), events: 0, retained: retainIds.sort() });
    // The retained resources' claims and settings outlive the stack.
    const claims = stateParameters(emulator);
    expect(claims.length).toBeGreaterThan(0);
    expect(shared(a)).toEqual(SHARED_WITH(SHARED));

    // The same stack name again: a new stack id, the same logical ids and region.
    const again = await stack.deploy(dir);
    expect(again.stackId).not.toBe(first.stackId);
    expect(again.stackId).toMatch(new RegExp(`^arn:aws:cloudformation:eu-west-1:123456789012:stack/${NAME}/[0-9a-f-]{36}$`));
    expect(outcome(again)).toEqual(clean('CREATE_COMPLETE'));
    const state = Object.values(emulator.ssm.snapshot('/cdk-connection-sharing')).join('\n');
    expect(state).toContain(again.stackId);
    expect(state).not.toContain(first.stackId);

    // The new stack now owns them: deleting it (without retaining) restores what the first stack found.
    const last = await stack.deleteStack({ retain: removalPolicy ? [] : undefined });
    if (!removalPolicy) {
      expect(outcome(last)).toEqual(clean('DELETE_COMPLETE'));
      expect(preferences(emulator, 'Sandbox')).toEqual(SEEDED.Sandbox);
      expect(shared(a)).toEqual([]);
      expect(stateParameters(emulator)).toEqual([]);
    }
  });
});

describe('LocalStack itself', () => {
  test('a create delivers independent resources concurrently with the policy in force, deliverTwice delivers each event twice, a delete revokes the roles', async () => {
    const stack = newStack(STACK);
    const created = await stack.deploy(example, { attributes: { Alias: ALIAS }, deliverTwice: true });
    expect(created.status).toBe('CREATE_COMPLETE');
    expect(created.events.map((e) => `${e.requestType} ${e.result.event.ResourceType} ${e.delivery}`).sort()).toEqual([
      `Create ${SHARING} 1`,
      `Create ${SHARING} 2`,
      `Create ${PREFS} 1`,
      `Create ${PREFS} 2`,
    ]);
    for (const type of [PREFS, SHARING]) {
      const [first, second] = created.events.filter((e) => e.result.event.ResourceType === type);
      expect(second.result.event).toBe(first.result.event);
      expect(second.result.response).toEqual(first.result.response);
    }
    // Both first deliveries were in flight at the same time.
    const [x, y] = created.events.filter((e) => e.delivery === 1).map((e) => e.result.calls.map((c) => c.time));
    expect(Math.min(...x) <= Math.max(...y) && Math.min(...y) <= Math.max(...x)).toBe(true);
    // Each handler signs with its role's key; IAM evaluates its calls against that role's statements in the template.
    const functions = stack.cfn!.customResources().map((r) => r.userFunction);
    for (const fn of functions) {
      expect(fn.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
      expect(fn.principalArn).toMatch(/^arn:aws:sts::123456789012:assumed-role\/ConnectionSharingExa-CdkConnectionSharing[^/]+\/ConnectionSharingExa-CdkConnectionSharing/);
      const statements = stack.cfn!.rolePolicyStatements(fn.roleLogicalId!);
      expect(statements.length).toBeGreaterThan(0);
      expect(emulator.iam.identity(fn.accessKeyId)).toEqual({ principalArn: fn.principalArn, statements });
    }
    expect(created.events.every((e) => e.policy.length > 0)).toBe(true);
    expect(emulator.log.entries.filter((c) => c.operation !== 'Invoke').length).toBeGreaterThan(0);

    await stack.deleteStack();
    for (const fn of functions) expect(emulator.iam.identity(fn.accessKeyId)?.statements).toEqual([]);
  });

  test('a failed update: rollback Updates under the failed update\'s policy, then the policy rolls back, then what the update created is deleted under the old one', async () => {
    const stack = newStack(NAME, { concurrency: 1 });
    const v1 = synth({ prefs: { PrefsSandbox: { catalog: 'Sandbox', accessType: 'param' } } });
    const v2 = synth({ prefs: { PrefsSandbox: { catalog: 'Sandbox', accessType: 'param' }, PrefsAws: { catalog: 'AWS', accessType: AccessType.DENY_ALL } }, marker: 'v2' });
    expect((await stack.deploy(v1, { attributes: { AccessType: AccessType.ALLOW_BY_DEFAULT_DENY_SOME } })).status).toBe('CREATE_COMPLETE');
    const role = stack.cfn!.customResources()[0].userFunction.roleLogicalId!;
    const oldPolicy = stack.policyInForce(role);
    const afterV1 = preferences(emulator, 'Sandbox');

    // With one event at a time, the new PrefsAws is created first (its Create is made to fail), then PrefsSandbox updated.
    emulator.faults.failNext('UpdateConnectionPreferences', 1, new AwsError(400, 'ValidationException', 'injected', { Reason: 'BUSINESS_VALIDATION_FAILED' }, 'Message'));
    const failed = await stack.deploy(v2, { attributes: { AccessType: AccessType.DENY_ALL } });
    const newPolicy = policyOf(v2, role);
    expect(newPolicy).not.toEqual(oldPolicy);
    expect(failed.events.map((e) => `${e.phase} ${e.requestType} ${e.logicalId.replace(/[0-9A-F]{8}$/, '')} ${e.result.response.Status}`)).toEqual([
      'create Create PrefsAws FAILED',
      'update Update PrefsSandbox SUCCESS',
      'rollback Update PrefsSandbox SUCCESS',
      'rollback-cleanup Delete PrefsAws SUCCESS',
    ]);
    expect(failed.events.map((e) => e.policy)).toEqual([newPolicy, newPolicy, newPolicy, oldPolicy]);
    expect(failed.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(stack.policyInForce(role)).toEqual(oldPolicy);
    expect(preferences(emulator, 'Sandbox')).toEqual(afterV1);
    expect(preferences(emulator, 'AWS')).toEqual(SEEDED.AWS);
    await stack.deleteStack();
  });

  test('the cleanup runs under the new policy; a cleanup Delete that keeps failing is retried, given up, and the stack still ends UPDATE_COMPLETE', async () => {
    const [a, b] = aliasIds(2);
    for (const id of [a, b]) emulator.workspaces.seedAlias({ AliasId: id });
    const stack = newStack();
    expect((await stack.deploy(synth({ shares: sharesOf([a, b]) }))).status).toBe('CREATE_COMPLETE');
    // Whatever the Delete calls first fails, without retries.
    const denied = () => new AwsError(400, 'AccessDeniedException', 'injected');
    for (const op of ['GetParametersByPath', 'DescribeConnectionAliases', 'DescribeConnectionAliasPermissions', 'UpdateConnectionAliasPermission', 'PutParameter', 'DeleteParameters']) {
      emulator.faults.failNext(op, 100, denied());
    }
    const role = stack.cfn!.customResources()[0].userFunction.roleLogicalId!;
    const oldPolicy = stack.policyInForce(role);
    const removed = await stack.deploy(synth({ shares: sharesOf([a]), marker: 'v2' }));
    emulator.faults.clear();
    expect(stack.policyInForce(role)).not.toEqual(oldPolicy);
    expect(removed.events.map((e) => `${e.phase} ${e.requestType} ${e.logicalId.replace(/[0-9A-F]{8}$/, '')} ${e.attempt} ${e.result.response.Status}`)).toEqual([
      'cleanup Delete Share1 1 FAILED',
      'cleanup Delete Share1 2 FAILED',
      'cleanup Delete Share1 3 FAILED',
    ]);
    expect(removed.events.every((e) => JSON.stringify(e.policy) === JSON.stringify(stack.policyInForce(role)))).toBe(true);
    expect(removed.status).toBe('UPDATE_COMPLETE');
    expect(removed.failedCleanups).toEqual([expect.objectContaining({ phase: 'cleanup', logicalId: expect.stringMatching(/^Share1/), physicalResourceId: b, attempts: 3 })]);
    expect([...stack.resources.keys()]).toEqual([expect.stringMatching(/^Share0/)]);
    await stack.deleteStack();
  });
});

/** The statements of a handler role in a synthesized template, as LocalCloudFormation resolves them. */
function policyOf(assemblyDir: string, role: string) {
  const cfn = new LocalCloudFormation({ emulator, assemblyDir, stack: NAME, attributes: { AccessType: 'x' } });
  return cfn.rolePolicyStatements(role);
}
