// A fleet deployment in one process, for the load tests (test/load/) and the fleet benchmark (bench/fleet.ts):
// one stack of N ConnectionAliasSharing on N seeded aliases plus both catalogs' PartnerConnectionPreferences,
// synthesized with aws-cdk-lib, whose events are all started at the same moment, as CloudFormation starts every
// custom resource of a stack together once the provider policy they depend on exists.
//
// Each concurrent event runs in a simulated Lambda container of its own: the bundled handler from the synthesized
// cloud assembly's asset, evaluated afresh per container (vm.compileFunction once, called with a new `module` per
// container), so each container has its own module state and its own SDK clients, hence its own SDK retry quota,
// as in AWS. Idle containers are reused by later waves (warm), new ones are added when all are busy. The context's
// getRemainingTimeInMillis counts down from the function's timeout (from the template) divided by the scale k; a
// handler still running at its deadline is answered "Task timed out" and its container is discarded (it cannot be
// frozen in-process: its calls in flight still reach the emulator, where a real container's would stop).
//
// The environment (AWS_ENDPOINT_URL_*, region, dummy credentials) is per process, so every container shares it, as
// every container of one function shares its function's environment in Lambda.
//
// Skipped on purpose: the Provider framework hop (its onEvent Lambda and its Invoke of the handler). The events are
// the framework's input, exactly as CloudFormation delivers them (built by LocalCloudFormation.buildEvent from the
// synthesized template), passed through JSON as the framework's Invoke does; its answer is reproduced here: the
// handler's PhysicalResourceId (or the default), FAILED with the error message on a throw, the CREATE_FAILED marker
// as the id of a failed Create, and a Delete of that marker answered SUCCESS without calling the handler.
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import { createRequire } from 'module';
import * as os from 'os';
import * as path from 'path';
import { format } from 'util';
import * as vm from 'vm';
import { App, Stack } from 'aws-cdk-lib';
import { AccessType, ConnectionAliasSharing, OnDelete, PartnerConnectionPreferences } from '../../lib';
import { STACK_ID_ENV } from '../../lib/common/handler-env';
import { statePath as preferencesStatePath } from '../../lib/partner-central/contract';
import { statePath as sharingStatePath } from '../../lib/workspaces/contract';
import type { Emulator, LoggedCall } from '../../emulator';
import { type CustomResourceEvent, LocalCloudFormation, type Properties, type UserFunction } from '../../emulator/cloudformation';

const ROOT = path.join(__dirname, '..', '..');
export const FLEET_STACK = 'Fleet';
/** One region for everything, as in the issue: both handlers' Parameter Store calls draw from the same buckets. */
export const FLEET_REGION = 'us-east-1';
export const CATALOGS = ['AWS', 'Sandbox'] as const;
export const CREATE_FAILED_MARKER = 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED';
const SHARING_TYPE = 'Custom::ConnectionAliasSharing';
const PREFERENCES_TYPE = 'Custom::PartnerConnectionPreferences';

export type Kind = 'sharing' | 'preferences';
export type RequestType = 'Create' | 'Update' | 'Delete';

export const aliasIdOf = (i: number): string => `wsca-fleet${String(i).padStart(4, '0')}`;
/** The account alias i is shared with in template version 1 or 2 (12 digits, never the stack's account). */
export const sharedAccountOf = (version: 1 | 2, i: number): string => String((version === 1 ? 220_000_000_000 : 230_000_000_000) + i);
/** Version 1 and 2 of each catalog's access type: every Update changes it. */
export const accessTypeOf = (version: 1 | 2, catalog: string): AccessType =>
  (catalog === 'AWS') === (version === 1) ? AccessType.DENY_ALL : AccessType.ALLOW_ALL;
/** `n` unique participant ids of 100 characters: 100 of them are the API's maximum list, ~10 KB of text. */
export const liveExclusions = (catalog: string, n = 100): string[] =>
  Array.from({ length: n }, (_, i) => `${catalog.toLowerCase()}-${String(i).padStart(3, '0')}-`.padEnd(100, 'x'));

export interface FleetSpec {
  /** ConnectionAliasSharing instances, one per seeded alias. Default 100. */
  readonly aliases?: number;
  /** Live exclusions seeded per catalog before Create (their snapshot is what Delete restores). Default 100. */
  readonly exclusions?: number;
  /** Manage the two catalogs too. Default true. */
  readonly preferences?: boolean;
}

/** The feature flags of cdk.json, as `cdk synth` would apply them (`new App()` alone does not read them). */
function cdkJsonContext(): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context;
}

/** Synthesizes version 1 or 2 of the fleet stack into `outdir` (a cloud assembly), as a user's app would. */
export function synthFleet(outdir: string, version: 1 | 2, spec: FleetSpec, accountId: string): string {
  const app = new App({ outdir, context: cdkJsonContext() });
  const stack = new Stack(app, FLEET_STACK, { env: { account: accountId, region: FLEET_REGION } });
  for (let i = 0; i < (spec.aliases ?? 100); i++) {
    new ConnectionAliasSharing(stack, `Sharing${i}`, { aliasId: aliasIdOf(i), sharedAccountIds: [sharedAccountOf(version, i)], onDelete: OnDelete.RESTORE });
  }
  if (spec.preferences ?? true) {
    for (const catalog of CATALOGS) {
      new PartnerConnectionPreferences(stack, `Prefs${catalog}`, { catalog, accessType: accessTypeOf(version, catalog), onDelete: OnDelete.RESTORE });
    }
  }
  app.synth();
  return outdir;
}

// ---------------------------------------------------------------------------------------------------------------
// Simulated Lambda containers

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

export interface LambdaContext {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
}

interface Container {
  readonly id: number;
  readonly handler: Handler;
  /** Lines the handler wrote during the current invocation. */
  lines: string[];
  busy: boolean;
  dead: boolean;
  invocations: number;
}

const MAX_LINES = 200;

/** A console for one container: every line goes to that container's current invocation, nothing to the terminal. */
function containerConsole(container: () => Container | undefined): Console {
  const write = (...args: unknown[]) => {
    const c = container();
    if (c && c.lines.length < MAX_LINES) c.lines.push(format(...args));
  };
  return { log: write, info: write, warn: write, error: write, debug: write, trace: write, dir: write } as unknown as Console;
}

/** The containers of one Lambda function: its bundled handler, compiled once and evaluated per container. */
export class FunctionContainers {
  private readonly compiled: (...args: unknown[]) => void;
  private readonly containers: Container[] = [];
  private nextId = 0;
  coldStarts = 0;
  coldStartMs = 0;

  constructor(
    readonly fn: UserFunction,
    private readonly scale: number,
  ) {
    const source = fs.readFileSync(fn.handlerFile, 'utf8');
    // `process` is a parameter too: under jest, the test's `process` (whose env this harness sets) is not the one
    // the main context's free `process` would name.
    this.compiled = vm.compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname', 'console', 'process'], {
      filename: fn.handlerFile,
      // The SDK imports node:http and node:async_hooks lazily with import().
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    }) as (
      ...args: unknown[]
    ) => void;
  }

  /** Containers alive now (idle or busy). */
  get size(): number {
    return this.containers.filter((c) => !c.dead).length;
  }

  /** Starts containers until `n` are idle: cold starts done before a wave, as AWS would do them side by side. */
  prewarm(n: number): void {
    while (this.containers.filter((c) => !c.dead && !c.busy).length < n) this.start();
  }

  /** One invocation: an idle container (warm) or a new one (cold). */
  async invoke(event: CustomResourceEvent): Promise<{ ok: true; result: unknown } | { ok: false; errorType: string; errorMessage: string; lines: string[]; container: number; cold: boolean }> {
    let container = this.containers.find((c) => !c.dead && !c.busy);
    const cold = !container;
    if (!container) container = this.start();
    container.busy = true;
    container.lines = [];
    container.invocations++;
    const timeoutMs = this.fn.timeoutMs / this.scale;
    const deadline = Date.now() + timeoutMs;
    const context: LambdaContext = {
      functionName: this.fn.name,
      functionVersion: '$LATEST',
      invokedFunctionArn: this.fn.arn,
      memoryLimitInMB: String(this.fn.memoryMb),
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${this.fn.name}`,
      logStreamName: `fleet/${container.id}`,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    // The framework's Invoke carries the event as JSON.
    const payload = JSON.parse(JSON.stringify(event));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    try {
      const outcome = await Promise.race([container.handler(payload, context).then((result) => ({ result })), timedOut]);
      if (outcome === 'timeout') {
        container.dead = true;
        return { ok: false, errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`, lines: container.lines, container: container.id, cold };
      }
      return { ok: true, result: JSON.parse(JSON.stringify(outcome.result ?? null)) };
    } catch (err) {
      const e = err as { name?: string; message?: string };
      return { ok: false, errorType: e?.name ?? 'Error', errorMessage: e?.message ?? String(err), lines: container.lines, container: container.id, cold };
    } finally {
      clearTimeout(timer);
      container.busy = false;
    }
  }

  private start(): Container {
    const started = performance.now();
    const id = this.nextId++;
    const holder: { self?: Container } = {};
    const module = { exports: {} as Record<string, unknown> };
    const nodeRequire = createRequire(this.fn.handlerFile);
    const requireFn = Object.assign((id: string) => (id === 'process' || id === 'node:process' ? process : nodeRequire(id)), nodeRequire);
    this.compiled(module.exports, requireFn, module, this.fn.handlerFile, path.dirname(this.fn.handlerFile), containerConsole(() => holder.self), process);
    const handler = module.exports[this.fn.handlerExport];
    if (typeof handler !== 'function') throw new Error(`${this.fn.handlerFile} exports no function ${this.fn.handlerExport}`);
    const self: Container = { id, handler: handler as Handler, lines: [], busy: false, dead: false, invocations: 0 };
    holder.self = self;
    this.containers.push(self);
    this.coldStarts++;
    this.coldStartMs += performance.now() - started;
    return self;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The deployment

export interface EventOutcome {
  readonly logicalId: string;
  readonly kind: Kind;
  readonly requestType: RequestType;
  /** The state path of the managed setting (every SSM call of this resource is under it). */
  readonly statePath: string;
  readonly status: 'SUCCESS' | 'FAILED';
  readonly physicalResourceId?: string;
  readonly data?: Record<string, unknown>;
  readonly reason?: string;
  /** False when the framework answered without calling the handler (Delete of a failed Create). */
  readonly invoked: boolean;
  readonly cold?: boolean;
  readonly ms: number;
  /** The handler's log lines, kept for failures only. */
  readonly lines?: string[];
}

export interface Resource {
  readonly logicalId: string;
  readonly kind: Kind;
  readonly statePath: string;
  /** Alias id or catalog. */
  readonly target: string;
  physicalResourceId?: string;
  properties?: Properties;
}

export interface WaveResult {
  readonly requestType: RequestType;
  readonly outcomes: EventOutcome[];
  readonly failed: EventOutcome[];
  /** From the moment every event was started to the last answer. */
  readonly wallMs: number;
  /** Every emulator call made during the wave, retries and throttled attempts included. */
  readonly calls: LoggedCall[];
  readonly scale: number;
  readonly coldStarts: number;
}

export interface FleetOptions {
  readonly emulator: Emulator;
  readonly spec?: FleetSpec;
  /** Rates × k, time budgets (Lambda timeout, re-create window) ÷ k. Default: the emulator's rateLimits.scale. */
  readonly scale?: number;
  /** Where the two cloud assemblies go. Default: a fresh temp dir. */
  readonly workDir?: string;
  /** Cloud assemblies already synthesized by {@link synthFleetAssemblies} with the same spec (synthesis takes seconds). */
  readonly assemblies?: FleetAssemblies;
}

/** The two template versions of one fleet stack: Create deploys v1, Update deploys v2. */
export interface FleetAssemblies {
  readonly v1: string;
  readonly v2: string;
}

/** Synthesizes both template versions (into a fresh temp dir unless `workDir`). */
export function synthFleetAssemblies(spec: FleetSpec, accountId: string, workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ccs-fleet-'))): FleetAssemblies {
  return { v1: synthFleet(path.join(workDir, 'v1'), 1, spec, accountId), v2: synthFleet(path.join(workDir, 'v2'), 2, spec, accountId) };
}

/** What the test compares before and after: every managed alias's permissions and both catalogs' preferences. */
export interface FleetState {
  readonly permissions: Record<string, { SharedAccountId: string; AllowAssociation: boolean }[]>;
  readonly catalogs: Record<string, { AccessType: string; ExcludedParticipantIds: string[] } | undefined>;
}

export class FleetDeployment {
  /** Synthesizes both template versions and reads them; starts nothing until the first wave. */
  static load(options: FleetOptions): FleetDeployment {
    const { v1, v2 } = options.assemblies ?? synthFleetAssemblies(options.spec ?? {}, options.emulator.accountId, options.workDir);
    return new FleetDeployment(options, v1, v2);
  }

  readonly emulator: Emulator;
  readonly scale: number;
  readonly resources: Resource[];
  readonly aliasCount: number;
  private readonly v1: LocalCloudFormation;
  private readonly v2: LocalCloudFormation;
  private readonly functions = new Map<string, FunctionContainers>();
  private readonly savedEnv: Record<string, string | undefined> = {};
  private asFoundState?: FleetState;

  private constructor(
    options: FleetOptions,
    readonly v1Dir: string,
    readonly v2Dir: string,
  ) {
    this.emulator = options.emulator;
    this.scale = options.scale ?? options.emulator.rateLimits.scale;
    this.aliasCount = options.spec?.aliases ?? 100;
    // One stack id for both versions: the second template is an update of the same stack.
    this.v1 = new LocalCloudFormation({ emulator: this.emulator, assemblyDir: v1Dir, stack: FLEET_STACK });
    this.v2 = new LocalCloudFormation({ emulator: this.emulator, assemblyDir: v2Dir, stack: FLEET_STACK });
    this.resources = this.v1.customResources().map((info) => {
      const props = this.v1.resolveProperties(info.logicalId);
      const kind: Kind = info.resourceType === SHARING_TYPE ? 'sharing' : 'preferences';
      if (kind === 'preferences' && info.resourceType !== PREFERENCES_TYPE) throw new Error(`unexpected custom resource type ${info.resourceType}`);
      const target = String(kind === 'sharing' ? props.AliasId : props.Catalog);
      return { logicalId: info.logicalId, kind, target, statePath: kind === 'sharing' ? sharingStatePath(target) : preferencesStatePath(target) };
    });
  }

  /**
   * Seeds what the fleet finds: every alias CREATED and shared with nobody, each catalog with
   * `ALLOW_BY_DEFAULT_DENY_SOME` and `exclusions` live exclusions of 100 characters (a ~10 KB snapshot).
   */
  seed(exclusions = 100): FleetState {
    for (let i = 0; i < this.aliasCount; i++) this.emulator.workspaces.seedAlias({ AliasId: aliasIdOf(i) });
    for (const catalog of CATALOGS) {
      this.emulator.partnerCentral.seed(catalog, { AccessType: 'ALLOW_BY_DEFAULT_DENY_SOME', ExcludedParticipantIds: liveExclusions(catalog, exclusions) });
    }
    this.asFoundState = this.state();
    return this.asFoundState;
  }

  /** The state seen by seed(). */
  get asFound(): FleetState {
    if (!this.asFoundState) throw new Error('FleetDeployment: seed() first');
    return this.asFoundState;
  }

  /** The managed aliases' permissions and both catalogs' preferences now (Revision and UpdatedAt left out). */
  state(): FleetState {
    const permissions: FleetState['permissions'] = {};
    for (let i = 0; i < this.aliasCount; i++) permissions[aliasIdOf(i)] = this.emulator.workspaces.permissions(aliasIdOf(i));
    const catalogs: FleetState['catalogs'] = {};
    for (const c of CATALOGS) {
      const p = this.emulator.partnerCentral.get(c);
      catalogs[c] = p && { AccessType: p.AccessType, ExcludedParticipantIds: p.ExcludedParticipantIds };
    }
    return { permissions, catalogs };
  }

  /** State parameters left under /cdk-connection-sharing. */
  stateParameters(): string[] {
    return this.emulator.ssm.names('/cdk-connection-sharing/');
  }

  resource(target: string): Resource {
    const r = this.resources.find((x) => x.target === target || x.logicalId === target);
    if (!r) throw new Error(`FleetDeployment: no resource ${target}`);
    return r;
  }

  /** Creates every resource (or the given ones) at once, with the version 1 properties. */
  create(only?: Resource[]): Promise<WaveResult> {
    return this.wave('Create', only ?? this.resources);
  }

  /** Updates every created resource (not the failed Creates) at once to the version 2 properties (new account, other access type). */
  update(only?: Resource[]): Promise<WaveResult> {
    return this.wave('Update', only ?? this.resources.filter((r) => r.physicalResourceId && r.physicalResourceId !== CREATE_FAILED_MARKER));
  }

  /** Deletes every resource that has a physical id at once (a stack delete, or the rollback of a failed Create). */
  delete(only?: Resource[]): Promise<WaveResult> {
    return this.wave('Delete', only ?? this.resources.filter((r) => r.physicalResourceId));
  }

  /** Restores the environment this fleet changed. Containers are garbage once unreferenced. */
  close(): void {
    for (const [k, v] of Object.entries(this.savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    this.functions.clear();
  }

  /** Cold starts (containers started) so far, over every function. */
  get containers(): number {
    return [...this.functions.values()].reduce((n, f) => n + f.size, 0);
  }

  private async wave(requestType: RequestType, targets: Resource[]): Promise<WaveResult> {
    this.useEmulatorEnv();
    const events = targets.map((r) => ({ r, event: this.eventFor(r, requestType) }));
    // Cold starts happen before the clock starts: in AWS they run side by side on separate machines.
    const perFunction = new Map<FunctionContainers, number>();
    for (const { r, event } of events) {
      if (event === undefined) continue;
      const f = this.containersFor(r);
      perFunction.set(f, (perFunction.get(f) ?? 0) + 1);
    }
    const coldBefore = this.coldStarts();
    for (const [f, n] of perFunction) f.prewarm(n);
    const coldStarts = this.coldStarts() - coldBefore;

    const logStart = this.emulator.log.entries.length;
    const start = performance.now();
    const outcomes = await Promise.all(events.map(({ r, event }) => this.run(r, requestType, event, start)));
    const wallMs = performance.now() - start;
    const calls = this.emulator.log.entries.slice(logStart);
    return { requestType, outcomes, failed: outcomes.filter((o) => o.status === 'FAILED'), wallMs, calls, scale: this.scale, coldStarts };
  }

  private coldStarts(): number {
    return [...this.functions.values()].reduce((n, f) => n + f.coldStarts, 0);
  }

  private eventFor(r: Resource, requestType: RequestType): CustomResourceEvent | undefined {
    if (requestType === 'Create') {
      const properties = this.v1.resolveProperties(r.logicalId);
      r.properties = properties;
      return this.v1.buildEvent(r.logicalId, { requestType, properties });
    }
    if (!r.physicalResourceId || !r.properties) throw new Error(`FleetDeployment: ${r.logicalId} was not created`);
    if (requestType === 'Update') {
      return this.v1.buildEvent(r.logicalId, {
        requestType,
        properties: this.v2.resolveProperties(r.logicalId),
        oldProperties: r.properties,
        physicalResourceId: r.physicalResourceId,
      });
    }
    // The framework answers the Delete of a failed Create itself.
    if (r.physicalResourceId === CREATE_FAILED_MARKER) return undefined;
    return this.v1.buildEvent(r.logicalId, { requestType, properties: r.properties, physicalResourceId: r.physicalResourceId });
  }

  private async run(r: Resource, requestType: RequestType, event: CustomResourceEvent | undefined, start: number): Promise<EventOutcome> {
    const base = { logicalId: r.logicalId, kind: r.kind, requestType, statePath: r.statePath };
    if (!event) {
      r.physicalResourceId = undefined;
      r.properties = undefined;
      return { ...base, status: 'SUCCESS', physicalResourceId: CREATE_FAILED_MARKER, invoked: false, ms: 0 };
    }
    const out = await this.containersFor(r).invoke(event);
    const ms = performance.now() - start;
    if (!out.ok) {
      // The framework: FAILED with the handler's message; a failed Create gets the marker id.
      const physicalResourceId = requestType === 'Create' ? CREATE_FAILED_MARKER : event.PhysicalResourceId;
      if (requestType === 'Create') r.physicalResourceId = physicalResourceId;
      return { ...base, status: 'FAILED', physicalResourceId, reason: `${out.errorType}: ${out.errorMessage}`, invoked: true, cold: out.cold, ms, lines: out.lines };
    }
    const result = (out.result ?? {}) as { PhysicalResourceId?: string; Data?: Record<string, unknown> };
    const physicalResourceId = result.PhysicalResourceId || (requestType === 'Create' ? event.RequestId : event.PhysicalResourceId!);
    if (requestType === 'Delete' && physicalResourceId !== event.PhysicalResourceId) {
      return { ...base, status: 'FAILED', physicalResourceId, reason: `DELETE: cannot change the physical resource ID from "${event.PhysicalResourceId}" to "${physicalResourceId}" during deletion`, invoked: true, ms };
    }
    if (requestType === 'Delete') {
      r.physicalResourceId = undefined;
      r.properties = undefined;
    } else {
      r.physicalResourceId = physicalResourceId;
      if (requestType === 'Update') r.properties = event.ResourceProperties;
    }
    return { ...base, status: 'SUCCESS', physicalResourceId, data: result.Data, invoked: true, ms };
  }

  private containersFor(r: Resource): FunctionContainers {
    const fn = this.v1.info(r.logicalId).userFunction;
    let f = this.functions.get(fn.arn);
    if (!f) {
      f = new FunctionContainers(fn, this.scale);
      this.functions.set(fn.arn, f);
    }
    return f;
  }

  private useEmulatorEnv(): void {
    const env = {
      ...this.emulator.env(),
      AWS_REGION: FLEET_REGION,
      AWS_DEFAULT_REGION: FLEET_REGION,
      TZ: 'UTC',
      // What the construct gives the handlers (AWS::StackId): every event is built by v1, so carries its stack id.
      [STACK_ID_ENV]: this.v1.stackId,
      // Every container's SDK would warn once that Node 20 support ends (Lambda runs Node 24): hundreds of lines.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    for (const [k, v] of Object.entries(env)) {
      if (!(k in this.savedEnv)) this.savedEnv[k] = process.env[k];
      process.env[k] = v;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// What a wave cost, against what the rate limits allow

/** The fewest calls one event can make, per kind and wave, by bucket (`Service.Operation`): the floor's input. */
export const MIN_CALLS: Record<Kind, Record<RequestType, Record<string, number>>> = {
  sharing: {
    Create: { 'WorkSpaces.DescribeConnectionAliases': 1, 'WorkSpaces.DescribeConnectionAliasPermissions': 1, 'WorkSpaces.UpdateConnectionAliasPermission': 1, 'SSM.PutParameter': 1 },
    // Swap the account: unshare the old, share the new; read the state; save it once.
    Update: {
      'WorkSpaces.DescribeConnectionAliases': 1,
      'WorkSpaces.DescribeConnectionAliasPermissions': 1,
      'WorkSpaces.UpdateConnectionAliasPermission': 2,
      'SSM.GetParametersByPath': 1,
      'SSM.PutParameter': 1,
    },
    Delete: {
      'WorkSpaces.DescribeConnectionAliases': 1,
      'WorkSpaces.DescribeConnectionAliasPermissions': 1,
      'WorkSpaces.UpdateConnectionAliasPermission': 1,
      'SSM.GetParametersByPath': 1,
      'SSM.DeleteParameters': 1,
    },
  },
  preferences: {
    Create: { 'PartnerCentralAccount.GetConnectionPreferences': 1, 'PartnerCentralAccount.UpdateConnectionPreferences': 1, 'SSM.PutParameter': 1 },
    Update: { 'PartnerCentralAccount.GetConnectionPreferences': 1, 'PartnerCentralAccount.UpdateConnectionPreferences': 1, 'SSM.GetParametersByPath': 1, 'SSM.PutParameter': 1 },
    Delete: { 'PartnerCentralAccount.GetConnectionPreferences': 1, 'PartnerCentralAccount.UpdateConnectionPreferences': 1, 'SSM.GetParametersByPath': 1, 'SSM.DeleteParameters': 1 },
  },
};

const SSM_WRITES = new Set(['PutParameter', 'DeleteParameters', 'DeleteParameter']);
const SSM_READS = new Set(['GetParametersByPath', 'GetParameter', 'GetParameters']);

export interface BucketFloor {
  readonly bucket: string;
  readonly calls: number;
  readonly perSecond: number;
  readonly burst: number;
  /** Seconds the bucket needs to let `calls` through: (calls - burst) / (rate × k), at least 0. */
  readonly seconds: number;
}

export interface PerEventCalls {
  readonly kind: Kind;
  readonly events: number;
  /** Accepted calls per event (throttled attempts excluded): max and mean over the wave's invoked events. */
  readonly puts: { max: number; mean: number };
  readonly deletes: { max: number; mean: number };
  readonly reads: { max: number; mean: number };
  /** Every SSM attempt of this kind, throttled ones included, per event (mean). */
  readonly attemptsMean: number;
}

export interface WaveReport {
  readonly requestType: RequestType;
  readonly events: number;
  readonly invoked: number;
  readonly failed: number;
  readonly failureReasons: Record<string, number>;
  readonly wallS: number;
  /** The binding floor: the slowest bucket at the minimum calls. */
  readonly floorS: number;
  readonly floorBucket: string;
  /** Parameter Store writes needed ÷ their rate, the issue's floor. */
  readonly ssmFloorS: number;
  readonly ratio: number;
  readonly ssmRatio: number;
  readonly buckets: BucketFloor[];
  readonly throttled: number;
  readonly throttledByOperation: Record<string, number>;
  readonly callsByOperation: Record<string, number>;
  readonly ssmWritesAccepted: number;
  readonly ssmWritesNeeded: number;
  readonly perEvent: PerEventCalls[];
  readonly coldStarts: number;
}

function namesOf(call: LoggedCall): string[] {
  const input = (call.input ?? {}) as { Name?: unknown; Names?: unknown; Path?: unknown };
  if (Array.isArray(input.Names)) return input.Names.map(String);
  if (typeof input.Name === 'string') return [input.Name];
  if (typeof input.Path === 'string') return [input.Path];
  return [];
}

/** The resource (by state path) an SSM call belongs to. */
function ownerPath(call: LoggedCall, paths: string[]): string | undefined {
  const names = namesOf(call);
  return paths.find((p) => names.some((n) => n === p || n.startsWith(`${p}/`)));
}

const summarize = (values: number[]) => ({ max: values.length ? Math.max(...values) : 0, mean: values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0 });

/** Wall time against the floor the emulator's rate limits allow, throttled calls, and SSM calls per event. */
export function reportWave(wave: WaveResult, emulator: Emulator): WaveReport {
  const invoked = wave.outcomes.filter((o) => o.invoked);
  const needed = new Map<string, number>();
  for (const o of invoked) {
    for (const [op, n] of Object.entries(MIN_CALLS[o.kind][o.requestType])) needed.set(op, (needed.get(op) ?? 0) + n);
  }
  const byBucket = new Map<string, BucketFloor>();
  for (const [op, n] of needed) {
    const [service, operation] = op.split('.') as [Parameters<Emulator['rateLimits']['limitOf']>[0], string];
    const limit = emulator.rateLimits.enabled ? emulator.rateLimits.limitOf(service, operation) : undefined;
    if (!limit) continue;
    const calls = (byBucket.get(limit.bucket)?.calls ?? 0) + n;
    byBucket.set(limit.bucket, { bucket: limit.bucket, calls, perSecond: limit.perSecond, burst: limit.burst, seconds: Math.max(0, calls - limit.burst) / (limit.perSecond * wave.scale) });
  }
  const buckets = [...byBucket.values()].sort((a, b) => b.seconds - a.seconds);
  const floor = buckets[0];
  const ssmWriteBuckets = buckets.filter((b) => /^SSM\.(PutParameter|DeleteParameters?)$/.test(b.bucket));
  const ssmFloorS = Math.max(0, ...ssmWriteBuckets.map((b) => b.seconds));

  const throttledByOperation: Record<string, number> = {};
  const callsByOperation: Record<string, number> = {};
  for (const c of wave.calls) {
    const key = `${c.service}.${c.operation}`;
    callsByOperation[key] = (callsByOperation[key] ?? 0) + 1;
    if (c.throttled) throttledByOperation[key] = (throttledByOperation[key] ?? 0) + 1;
  }
  const ssmCalls = wave.calls.filter((c) => c.service === 'SSM');
  const paths = invoked.map((o) => o.statePath);
  const perPath = new Map<string, { puts: number; deletes: number; reads: number; attempts: number }>(paths.map((p) => [p, { puts: 0, deletes: 0, reads: 0, attempts: 0 }]));
  for (const c of ssmCalls) {
    const p = ownerPath(c, paths);
    if (!p) continue;
    const counts = perPath.get(p)!;
    counts.attempts++;
    if (c.status >= 300) continue;
    if (c.operation === 'PutParameter') counts.puts++;
    else if (c.operation === 'DeleteParameters' || c.operation === 'DeleteParameter') counts.deletes++;
    else if (SSM_READS.has(c.operation)) counts.reads++;
  }
  const perEvent: PerEventCalls[] = (['sharing', 'preferences'] as const)
    .map((kind) => {
      const mine = invoked.filter((o) => o.kind === kind).map((o) => perPath.get(o.statePath)!);
      return {
        kind,
        events: mine.length,
        puts: summarize(mine.map((m) => m.puts)),
        deletes: summarize(mine.map((m) => m.deletes)),
        reads: summarize(mine.map((m) => m.reads)),
        attemptsMean: summarize(mine.map((m) => m.attempts)).mean,
      };
    })
    .filter((p) => p.events > 0);
  const failureReasons: Record<string, number> = {};
  for (const f of wave.failed) {
    const reason = (f.reason ?? '').slice(0, 160);
    failureReasons[reason] = (failureReasons[reason] ?? 0) + 1;
  }
  const wallS = wave.wallMs / 1000;
  return {
    requestType: wave.requestType,
    events: wave.outcomes.length,
    invoked: invoked.length,
    failed: wave.failed.length,
    failureReasons,
    wallS,
    floorS: floor?.seconds ?? 0,
    floorBucket: floor?.bucket ?? 'none',
    ssmFloorS,
    ratio: floor && floor.seconds > 0 ? wallS / floor.seconds : Number.NaN,
    ssmRatio: ssmFloorS > 0 ? wallS / ssmFloorS : Number.NaN,
    buckets,
    throttled: wave.calls.filter((c) => c.throttled).length,
    throttledByOperation,
    callsByOperation,
    ssmWritesAccepted: ssmCalls.filter((c) => SSM_WRITES.has(c.operation) && c.status < 300).length,
    ssmWritesNeeded: ssmWriteBuckets.reduce((n, b) => n + b.calls, 0),
    perEvent,
    coldStarts: wave.coldStarts,
  };
}

const times = (ratio: number) => (Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a (within the burst)');

/** One line per wave for a test's output or a log. */
export function describeWave(r: WaveReport): string {
  const reasons = Object.entries(r.failureReasons)
    .map(([reason, n]) => `${n}× ${reason}`)
    .join('; ');
  const per = r.perEvent
    .map((p) => `${p.kind}: puts max ${p.puts.max} mean ${p.puts.mean.toFixed(2)}, deletes max ${p.deletes.max}, reads max ${p.reads.max}`)
    .join(' | ');
  return (
    `${r.requestType}: ${r.failed}/${r.events} failed; ${r.wallS.toFixed(1)} s vs floor ${r.floorS.toFixed(1)} s (${r.floorBucket}) = ${times(r.ratio)}, ` +
    `SSM-write floor ${r.ssmFloorS.toFixed(1)} s = ${times(r.ssmRatio)}; ${r.throttled} throttled calls absorbed; ` +
    `SSM writes ${r.ssmWritesAccepted} (minimum ${r.ssmWritesNeeded}); ${per}${reasons ? `; failures: ${reasons}` : ''}`
  );
}
