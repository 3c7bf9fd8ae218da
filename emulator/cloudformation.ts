// A small local "CloudFormation" for custom resources: it reads a synthesized cloud assembly, delivers Create, Update
// and Delete events shaped the way CloudFormation delivers them, and runs them through the REAL artifacts in that
// assembly: the aws-cdk-lib Provider framework's onEvent code in a child process (one per event, like a Lambda
// invocation), which invokes the bundled user handler through the emulator's Lambda Invoke, which runs that handler
// in a warm "container" (a long-lived child process per function, emulator/lambda-container.cjs). The framework PUTs
// its answer to the event's ResponseURL, which the emulator receives. Nothing here reaches AWS.
//
// Used by the end-to-end tests, `npm run demo` and the benchmarks. Usage: see the LocalCloudFormation doc comment.
import { type ChildProcess, fork, spawn } from 'child_process';
import { createHash, randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { customResourceArtifacts, readTemplate, type Template } from './cloud-assembly';
import { recordEvent } from './cloudformation-api';
import type { PolicyStatement } from './iam';
import type { CfnResponse, CfnResponseBody, Emulator, LoggedCall } from './index';

const CONTAINER_SCRIPT = path.join(__dirname, 'lambda-container.cjs');
const FRAMEWORK_SCRIPT = path.join(__dirname, 'run-framework.cjs');
/** Where the framework's `require('@aws-sdk/client-lambda')` is found, standing in for the Lambda runtime's SDK. */
const DEFAULT_NODE_PATH = path.join(__dirname, '..', 'node_modules');

export type RequestType = 'Create' | 'Update' | 'Delete';
export type Properties = Record<string, unknown>;
/** A change to properties: keys set to `undefined` are removed; a function gets the current properties. */
export type PropertiesPatch = Properties | ((current: Properties) => Properties);

/** A CloudFormation custom resource event, exactly as it is delivered (and as the framework receives it). */
export interface CustomResourceEvent {
  RequestType: RequestType;
  ServiceToken: string;
  ResponseURL: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  ResourceType: string;
  ResourceProperties: Properties;
  OldResourceProperties?: Properties;
  PhysicalResourceId?: string;
}

/** What one delivered event produced. */
export interface EventResult {
  readonly event: CustomResourceEvent;
  /** The body the framework PUT to the ResponseURL: Status, Reason, PhysicalResourceId, Data, ... */
  readonly response: CfnResponseBody;
  readonly rawResponse: string;
  /** Size of the response body; CloudFormation rejects more than 4096 bytes. */
  readonly responseBytes: number;
  /** Every line the user handler wrote (stdout and stderr) during this event's invocations. */
  readonly handlerLogs: string[];
  /** Every line the framework process wrote (stdout and stderr). */
  readonly frameworkLogs: string[];
  /** Emulator request-log entries (API calls, Lambda Invoke included) made while the event ran. */
  readonly calls: LoggedCall[];
  /** How many times the user handler was invoked. */
  readonly invocations: number;
  readonly wallMs: number;
}

export interface LocalCloudFormationOptions {
  readonly emulator: Emulator;
  /** The cloud assembly folder (an App's outdir / cdk.out). */
  readonly assemblyDir: string;
  /** The stack's artifact id: its template is `<stack>.template.json`. */
  readonly stack: string;
  /**
   * Values of the stack's other resources. `{ Alias: 'wsca-abcdefgh12' }` answers `Ref Alias` and every
   * `Fn::GetAtt [Alias, *]`; `{ 'Alias.AliasId': '...' }` answers one attribute. Lambda functions need none.
   */
  readonly attributes?: Record<string, string>;
  /** The name the stack is deployed as (in StackId and AWS::StackName). Default: the artifact's stack name. */
  readonly stackName?: string;
  /** Default: the stack's environment in manifest.json, else the emulator's. */
  readonly accountId?: string;
  readonly region?: string;
  /** Bound on one event (framework + handler), after which everything it started is killed. Default 120 s. */
  readonly eventTimeoutMs?: number;
  /** Replaces the user functions' Timeout from the template (what getRemainingTimeInMillis counts down from). */
  readonly handlerTimeoutMs?: number;
  /** NODE_PATH of the framework process. Default: this project's node_modules. */
  readonly nodePath?: string;
  /** Called with every event's result, e.g. to print a walkthrough or to check all logs of a test file. */
  readonly onEvent?: (result: EventResult) => void;
  /**
   * Evaluate the handlers' API calls with IAM (emulator/iam.ts): each user function's container signs with
   * credentials of its own role, and the role's statements in this template are registered with `emulator.iam`
   * whenever an event is delivered. Default true; false: the handlers sign with the tests' unrestricted key.
   */
  readonly iam?: boolean;
  /** The StackId events carry. Default: a new one (a new GUID) for each instance. */
  readonly stackId?: string;
  /**
   * Which statements of a role are in force when an event is delivered. Default: the role's statements in this
   * template (`own()`). A stack update (emulator/stack.ts) puts the policy of another template version in force.
   */
  readonly policyInForce?: (roleLogicalId: string, own: () => PolicyStatement[]) => PolicyStatement[];
}

/** One custom resource of the stack, with the artifacts that implement it. */
export interface CustomResourceInfo {
  readonly logicalId: string;
  readonly resourceType: string;
  /** Properties as written in the template (intrinsics unresolved). */
  readonly templateProperties: Properties;
  readonly frameworkDir: string;
  readonly frameworkHandler: string;
  readonly frameworkEnv: Record<string, string>;
  readonly serviceToken: string;
  readonly userFunction: UserFunction;
}

export interface UserFunction {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly handlerFile: string;
  readonly handlerExport: string;
  readonly timeoutMs: number;
  readonly memoryMb: number;
  readonly env: Record<string, string>;
  /** The logical id of the function's execution role, when the template names one of its own (Fn::GetAtt Role.Arn). */
  readonly roleLogicalId?: string;
  /** The role session the function's calls are made as: `arn:aws:sts::<account>:assumed-role/<role>/<function>`. */
  readonly principalArn?: string;
  /** The access key id its container signs with, when IAM is on and the role is known; else the tests' own key. */
  readonly accessKeyId: string;
}

export interface SendOptions {
  readonly requestType: RequestType;
  /** Properties to deliver (resolved ones by default); scalars are turned into strings, ServiceToken is added. */
  readonly properties?: Properties;
  readonly oldProperties?: Properties;
  readonly physicalResourceId?: string;
  readonly requestId?: string;
}

/** What CloudFormation sent for one stack update of a resource. */
export interface UpdateOutcome {
  readonly update: EventResult;
  /** The rollback Update (properties swapped) CloudFormation sends after a FAILED update. */
  readonly rollback?: EventResult;
  /** The Delete of the old physical id CloudFormation sends after a replacing update (cleanup phase). */
  readonly cleanup?: EventResult;
}

const PSEUDO = new Set(['AWS::Region', 'AWS::AccountId', 'AWS::Partition', 'AWS::URLSuffix', 'AWS::StackName', 'AWS::StackId', 'AWS::NoValue']);
const NO_VALUE = Symbol('AWS::NoValue');

/**
 * ```ts
 * const cfn = await LocalCloudFormation.load({ emulator, assemblyDir: outdir, stack: 'ConnectionSharingExample', attributes: { Alias: aliasId } });
 * const prefs = cfn.resource('Custom::PartnerConnectionPreferences');
 * const created = await prefs.create();                  // created.response.Status, .PhysicalResourceId, .Data
 * await prefs.update({ AccessType: 'DENY_ALL' });         // Update with OldResourceProperties
 * await prefs.delete();
 * await cfn.close();                                      // kills the warm handler containers
 * ```
 */
export class LocalCloudFormation {
  /** Reads the assembly; no process is started until the first event. */
  static async load(options: LocalCloudFormationOptions): Promise<LocalCloudFormation> {
    return new LocalCloudFormation(options);
  }

  readonly stackName: string;
  readonly stackId: string;
  readonly accountId: string;
  readonly region: string;
  readonly template: Template;
  private readonly emulator: Emulator;
  private readonly resources: CustomResourceInfo[];
  private readonly pools = new Map<string, ContainerPool>();
  private readonly frameworks = new Set<ChildProcess>();
  /** Handler invocations in flight, by the ResponseURL of the event they serve (the framework passes it on). */
  private readonly collectors = new Map<string, Collector[]>();
  private closed = false;
  /** While policies are resolved: an unknown Ref/GetAtt becomes a placeholder instead of an error. */
  private lenient = false;

  constructor(private readonly options: LocalCloudFormationOptions) {
    this.emulator = options.emulator;
    this.template = readTemplate(options.assemblyDir, options.stack);
    const env = stackEnvironment(options.assemblyDir, options.stack);
    this.accountId = options.accountId ?? env.account ?? options.emulator.accountId;
    this.region = options.region ?? env.region ?? options.emulator.region;
    this.stackName = options.stackName ?? env.stackName ?? options.stack;
    this.stackId = options.stackId ?? newStackId(this.region, this.accountId, this.stackName);
    this.resources = this.findCustomResources();
  }

  /** Every custom resource of the stack (those served by a Provider framework). */
  customResources(): CustomResourceInfo[] {
    return [...this.resources];
  }

  /** The custom resource with this logical id, or the only one of this resource type. */
  info(logicalIdOrType: string): CustomResourceInfo {
    const byId = this.resources.find((r) => r.logicalId === logicalIdOrType);
    if (byId) return byId;
    const byType = this.resources.filter((r) => r.resourceType === logicalIdOrType);
    if (byType.length === 1) return byType[0];
    const known = this.resources.map((r) => `${r.logicalId} (${r.resourceType})`).join(', ');
    throw new Error(`LocalCloudFormation: ${byType.length ? 'several' : 'no'} custom resource(s) match ${logicalIdOrType}; the stack has ${known}`);
  }

  /** The properties CloudFormation would deliver for the resource: intrinsics resolved, every scalar a string. */
  resolveProperties(logicalIdOrType: string): Properties {
    return this.resolve(this.info(logicalIdOrType).templateProperties, `${logicalIdOrType}.Properties`) as Properties;
  }

  /** Resolves intrinsic functions and pseudo parameters in any template value, the way CloudFormation would. */
  resolve(value: unknown, where = 'value'): unknown {
    return deliverable(this.resolveRaw(value, where));
  }

  /** A handle that tracks the resource's physical id and properties across events, as a stack does. */
  resource(logicalIdOrType: string): StackResource {
    return new StackResource(this, this.info(logicalIdOrType));
  }

  /** Create, then each update in turn (followed by CloudFormation's rollback or cleanup), then Delete. */
  async lifecycle(logicalIdOrType: string, updates: PropertiesPatch[] = []): Promise<EventResult[]> {
    const resource = this.resource(logicalIdOrType);
    const results = [await resource.create()];
    for (const patch of updates) {
      const outcome = await resource.update(patch);
      results.push(...[outcome.update, outcome.rollback, outcome.cleanup].filter((r): r is EventResult => r !== undefined));
    }
    results.push(await resource.delete());
    return results;
  }

  /** Builds a fresh event (new RequestId and ResponseURL) and delivers it. */
  async send(logicalIdOrType: string, options: SendOptions): Promise<EventResult> {
    return this.deliver(this.buildEvent(logicalIdOrType, options));
  }

  buildEvent(logicalIdOrType: string, options: SendOptions): CustomResourceEvent {
    const info = this.info(logicalIdOrType);
    const requestId = options.requestId ?? randomUUID();
    const withToken = (p: Properties): Properties => ({ ...(deliverable(p) as Properties), ServiceToken: info.serviceToken });
    const event: CustomResourceEvent = {
      RequestType: options.requestType,
      ServiceToken: info.serviceToken,
      ResponseURL: this.emulator.responseUrl(`${info.logicalId}-${options.requestType}-${requestId}`),
      StackId: this.stackId,
      RequestId: requestId,
      LogicalResourceId: info.logicalId,
      ResourceType: info.resourceType,
      ResourceProperties: withToken(options.properties ?? this.resolveProperties(info.logicalId)),
    };
    if (options.requestType === 'Update') event.OldResourceProperties = withToken(options.oldProperties ?? event.ResourceProperties);
    if (options.requestType !== 'Create') {
      if (!options.physicalResourceId) throw new Error(`LocalCloudFormation: a ${options.requestType} event needs a physicalResourceId`);
      event.PhysicalResourceId = options.physicalResourceId;
    }
    return event;
  }

  /**
   * Delivers an event as it is: delivering the same event twice is CloudFormation's (or Lambda's) duplicate
   * delivery, answered on the same ResponseURL. `info` names the artifacts that serve it: by default those of the
   * event's logical id in this template; a resource no longer in the template is served by the framework and
   * handler of its ServiceToken (emulator/stack.ts passes them). With IAM on, the serving role's statements in this
   * template are put in force first.
   */
  async deliver(event: CustomResourceEvent, info: CustomResourceInfo = this.info(event.LogicalResourceId)): Promise<EventResult> {
    if (this.closed) throw new Error('LocalCloudFormation: closed');
    this.registerUserFunction(info.userFunction);
    this.registerIdentity(info.userFunction);
    const responseId = new URL(event.ResponseURL).pathname.split('/').pop()!;
    const earlier = new Set(this.emulator.cfnResponses.filter((r) => r.id === decodeURIComponent(responseId)));
    const collector: Collector = { lines: [], invocations: 0 };
    const list = this.collectors.get(event.ResponseURL) ?? [];
    list.push(collector);
    this.collectors.set(event.ResponseURL, list);
    const start = Date.now();
    let framework: { code: number | null; signal: NodeJS.Signals | null; output: string } | undefined;
    try {
      framework = await this.runFramework(info, event);
    } finally {
      list.splice(list.indexOf(collector), 1);
      if (list.length === 0) this.collectors.delete(event.ResponseURL);
    }
    const end = Date.now();
    const frameworkLogs = lines(framework.output);
    const handlerLogs = lines(collector.lines.join(''));
    const response: CfnResponse | undefined = this.emulator.cfnResponses.find((r) => r.id === decodeURIComponent(responseId) && !earlier.has(r));
    if (!response?.body) {
      throw new Error(
        `LocalCloudFormation: the framework for ${info.logicalId} (${event.RequestType}) ended (exit ${framework.code ?? framework.signal}) ` +
          `without a CloudFormation response.\n--- framework output (tail) ---\n${tail(frameworkLogs)}\n--- handler output (tail) ---\n${tail(handlerLogs)}`,
      );
    }
    const result: EventResult = {
      event,
      response: response.body,
      rawResponse: response.rawBody,
      responseBytes: Buffer.byteLength(response.rawBody),
      handlerLogs,
      frameworkLogs,
      calls: this.emulator.log.entries.filter((c) => c.time >= start && c.time <= end),
      invocations: collector.invocations,
      wallMs: end - start,
    };
    // The deployed-stack registry behind the emulated DescribeStackResources (emulator/cloudformation-api.ts).
    const stack = { stackId: this.stackId, stackName: this.stackName, region: this.region, template: this.template, attributes: this.options.attributes };
    recordEvent(this.emulator.cloudFormation, stack, event, response.body);
    this.options.onEvent?.(result);
    return result;
  }

  /**
   * Every statement of the role's identity-based policies in this template, intrinsics resolved: each
   * AWS::IAM::Policy / AWS::IAM::ManagedPolicy whose Roles reference it, each AWS::IAM::RolePolicy on it, its own
   * inline Policies and its ManagedPolicyArns that name a managed policy of this template. AWS managed policies
   * (literal ARNs) are not known to the emulator and add nothing. A value that cannot be resolved (a Ref or
   * Fn::GetAtt of a resource without a value in options.attributes) becomes `<unresolved X>`, which matches no
   * real ARN: an Allow on it allows nothing, a Deny on it denies nothing.
   */
  rolePolicyStatements(roleLogicalId: string): PolicyStatement[] {
    const role = this.template.Resources[roleLogicalId];
    if (role?.Type !== 'AWS::IAM::Role') throw new Error(`LocalCloudFormation: ${roleLogicalId} is not an AWS::IAM::Role of this template`);
    const isRole = (v: unknown) => (v as { Ref?: unknown } | undefined)?.Ref === roleLogicalId;
    const managedArns: unknown[] = Array.isArray(role.Properties?.ManagedPolicyArns) ? role.Properties.ManagedPolicyArns : [];
    const documents: [string, unknown][] = [];
    for (const [id, r] of Object.entries(this.template.Resources)) {
      const p = r.Properties ?? {};
      const attached =
        ((r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') && Array.isArray(p.Roles) && p.Roles.some(isRole)) ||
        (r.Type === 'AWS::IAM::RolePolicy' && isRole(p.RoleName)) ||
        (r.Type === 'AWS::IAM::ManagedPolicy' && managedArns.some((a) => (a as { Ref?: unknown } | undefined)?.Ref === id));
      if (attached) documents.push([`${id}.PolicyDocument`, p.PolicyDocument]);
    }
    for (const [i, inline] of ((role.Properties?.Policies ?? []) as { PolicyDocument?: unknown }[]).entries()) {
      documents.push([`${roleLogicalId}.Policies[${i}].PolicyDocument`, inline.PolicyDocument]);
    }
    this.lenient = true;
    try {
      return documents.flatMap(([where, doc]) => {
        const statement = (this.resolve(doc, where) as { Statement?: unknown } | undefined)?.Statement ?? [];
        return (Array.isArray(statement) ? statement : [statement]) as PolicyStatement[];
      });
    } finally {
      this.lenient = false;
    }
  }

  /**
   * Puts the policies in force (this template's, unless options.policyInForce says otherwise): registers every user
   * function's role with `emulator.iam`. Delivering an event does it for the function that serves it; a stack update
   * calls it to switch the policy before any event.
   */
  registerPolicies(): void {
    for (const fn of new Map(this.resources.map((r) => [r.userFunction.arn, r.userFunction])).values()) this.registerIdentity(fn);
  }

  /** The roles are gone (stack deleted): from now on their keys may do nothing. */
  removePolicies(): void {
    for (const { userFunction: fn } of this.resources) {
      if (fn.principalArn && this.options.iam !== false) this.emulator.iam.setIdentity(fn.accessKeyId, { principalArn: fn.principalArn, statements: [] });
    }
  }

  /** Ids of the child processes alive now (framework runs and handler containers), e.g. to check a cleanup. */
  processIds(): number[] {
    const children = [...this.frameworks, ...[...this.pools.values()].flatMap((p) => p.children())];
    return children.filter((c) => c.exitCode === null && c.signalCode === null && c.pid !== undefined).map((c) => c.pid!);
  }

  /** Kills the warm handler containers: the next invocation of each function is a cold start. */
  async coldStart(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close()));
  }

  /** Kills every process this instance started. Call it in afterAll (or a finally). */
  async close(): Promise<void> {
    this.closed = true;
    for (const child of this.frameworks) child.kill('SIGKILL');
    await Promise.all([...this.frameworks].map((c) => exited(c)));
    await this.coldStart();
  }

  private registerUserFunction(fn: UserFunction): void {
    // Every time: emulator.reset() forgets registrations, and tests reset between cases.
    this.emulator.lambda.register(
      fn.arn,
      async (payload) => {
        const url = (payload as { ResponseURL?: string } | null)?.ResponseURL;
        const collector = (url && this.collectors.get(url)?.[0]) || undefined;
        if (collector) collector.invocations++;
        const out = await this.pool(fn).invoke(payload, (text) => collector?.lines.push(text));
        if (out.ok) return out.result;
        const err = new Error(out.error.errorMessage);
        err.name = out.error.errorType;
        err.stack = (out.error.trace ?? []).join('\n');
        throw err;
      },
      { timeoutMs: fn.timeoutMs },
    );
  }

  private registerIdentity(fn: UserFunction): void {
    if (!fn.roleLogicalId || !fn.principalArn || this.options.iam === false) return;
    const role = fn.roleLogicalId;
    const own = () => this.rolePolicyStatements(role);
    const statements = this.options.policyInForce ? this.options.policyInForce(role, own) : own();
    this.emulator.iam.setIdentity(fn.accessKeyId, { principalArn: fn.principalArn, statements });
  }

  private pool(fn: UserFunction): ContainerPool {
    let pool = this.pools.get(fn.arn);
    if (!pool) {
      pool = new ContainerPool(fn, {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        ...this.emulator.env(),
        AWS_REGION: this.region,
        AWS_DEFAULT_REGION: this.region,
        AWS_LAMBDA_FUNCTION_NAME: fn.name,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
        LAMBDA_TASK_ROOT: path.dirname(fn.handlerFile),
        TZ: 'UTC',
        ...fn.env,
        // The role's temporary credentials, as Lambda gives them; the emulator knows the role by the key id.
        AWS_ACCESS_KEY_ID: fn.accessKeyId,
        ...(fn.principalArn ? { AWS_SESSION_TOKEN: `emulated-session-${fn.name}` } : {}),
      });
      this.pools.set(fn.arn, pool);
    }
    return pool;
  }

  private runFramework(info: CustomResourceInfo, event: CustomResourceEvent): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
    const timeoutMs = this.options.eventTimeoutMs ?? 120_000;
    // Async spawn only: a synchronous one would block the emulator (in this process) that the child talks to.
    const child = spawn(process.execPath, [FRAMEWORK_SCRIPT, info.frameworkDir, info.frameworkHandler], {
      cwd: info.frameworkDir,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        ...this.emulator.childEnv(),
        AWS_REGION: this.region,
        AWS_DEFAULT_REGION: this.region,
        AWS_LAMBDA_FUNCTION_NAME: functionNameFor(this.stackName, frameworkLogicalId(this.template, info.logicalId)),
        NODE_PATH: this.options.nodePath ?? DEFAULT_NODE_PATH,
        TZ: 'UTC',
        ...info.frameworkEnv,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.frameworks.add(child);
    const chunks: string[] = [];
    child.stdout!.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
    child.stderr!.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(JSON.stringify(event));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(
          new Error(
            `LocalCloudFormation: ${info.logicalId} ${event.RequestType} did not finish within ${timeoutMs} ms; killed the framework process.\n` +
              `--- framework output (tail) ---\n${tail(lines(chunks.join('')))}`,
          ),
        );
      }, timeoutMs);
      child.on('error', (err) => {
        clearTimeout(timer);
        this.frameworks.delete(child);
        reject(err);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        this.frameworks.delete(child);
        resolve({ code, signal, output: chunks.join('') });
      });
    });
  }

  private findCustomResources(): CustomResourceInfo[] {
    const { assemblyDir, stack } = this.options;
    const types = new Set(
      Object.values(this.template.Resources)
        .map((r) => r.Type)
        .filter((t) => t.startsWith('Custom::') || t === 'AWS::CloudFormation::CustomResource'),
    );
    const infos: CustomResourceInfo[] = [];
    for (const type of [...types].sort()) {
      for (const a of customResourceArtifacts(assemblyDir, stack, type)) {
        const frameworkId = frameworkLogicalId(this.template, a.logicalId);
        const framework = this.template.Resources[frameworkId];
        const frameworkEnv = stringMap(this.resolve(framework.Properties?.Environment?.Variables ?? {}, `${frameworkId}.Environment`));
        const userFnId = getAttTarget(framework.Properties?.Environment?.Variables?.USER_ON_EVENT_FUNCTION_ARN);
        const userFn = this.template.Resources[userFnId];
        const props = userFn.Properties ?? {};
        const roleLogicalId: string | undefined = (props.Role as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0];
        const name = functionNameFor(this.stackName, userFnId);
        const iamOn = this.options.iam !== false && roleLogicalId !== undefined && this.template.Resources[roleLogicalId]?.Type === 'AWS::IAM::Role';
        infos.push({
          logicalId: a.logicalId,
          resourceType: type,
          templateProperties: a.properties,
          frameworkDir: a.frameworkDir,
          frameworkHandler: a.frameworkHandler,
          frameworkEnv,
          serviceToken: this.lambdaArn(frameworkId),
          userFunction: {
            logicalId: userFnId,
            name,
            arn: this.lambdaArn(userFnId),
            handlerFile: a.handlerFile,
            handlerExport: a.handlerExport,
            // Lambda's default timeout is 3 s and memory 128 MB when the template sets none.
            timeoutMs: this.options.handlerTimeoutMs ?? Number(props.Timeout ?? 3) * 1000,
            memoryMb: Number(props.MemorySize ?? 128),
            env: stringMap(this.resolve(props.Environment?.Variables ?? {}, `${userFnId}.Environment`)),
            roleLogicalId,
            principalArn: iamOn ? `arn:aws:sts::${this.accountId}:assumed-role/${functionNameFor(this.stackName, roleLogicalId!)}/${name}` : undefined,
            accessKeyId: iamOn ? accessKeyIdFor(this.stackId, roleLogicalId!) : this.emulator.account(this.accountId).credentials.accessKeyId,
          },
        });
      }
    }
    return infos;
  }

  private lambdaArn(logicalId: string): string {
    return `arn:aws:lambda:${this.region}:${this.accountId}:function:${functionNameFor(this.stackName, logicalId)}`;
  }

  private resolveRaw(value: unknown, where: string): unknown {
    if (Array.isArray(value)) return value.map((v, i) => this.resolveRaw(v, `${where}[${i}]`)).filter((v) => v !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [fn, arg] = entries[0];
      switch (fn) {
        case 'Ref':
          return this.ref(String(arg), where);
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(arg) ? arg : String(arg).split(/\.(.*)/);
          return this.getAtt(String(id), String(attr), where);
        }
        case 'Fn::Join': {
          const [sep, items] = arg as [string, unknown[]];
          return (this.resolveRaw(items, where) as unknown[]).map(String).join(sep);
        }
        case 'Fn::Select': {
          const [index, items] = arg as [unknown, unknown];
          return (this.resolveRaw(items, where) as unknown[])[Number(this.resolveRaw(index, where))];
        }
        case 'Fn::Split': {
          const [sep, text] = arg as [string, unknown];
          return String(this.resolveRaw(text, where)).split(sep);
        }
        case 'Fn::Sub': {
          const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
          return text.replace(/\$\{([^}!][^}]*)\}/g, (_m, name: string) => {
            if (name in vars) return String(this.resolveRaw(vars[name], where));
            const [id, attr] = name.split(/\.(.*)/);
            return String(attr ? this.getAtt(id, attr, where) : this.ref(id, where));
          });
        }
        default:
          if (fn.startsWith('Fn::') || fn === 'Condition') throw new Error(`LocalCloudFormation: ${fn} in ${where} is not supported`);
      }
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      const resolved = this.resolveRaw(v, `${where}.${k}`);
      if (resolved !== NO_VALUE) out[k] = resolved;
    }
    return out;
  }

  private ref(id: string, where: string): unknown {
    if (PSEUDO.has(id)) {
      switch (id) {
        case 'AWS::Region':
          return this.region;
        case 'AWS::AccountId':
          return this.accountId;
        case 'AWS::Partition':
          return 'aws';
        case 'AWS::URLSuffix':
          return 'amazonaws.com';
        case 'AWS::StackName':
          return this.stackName;
        case 'AWS::StackId':
          return this.stackId;
        default:
          return NO_VALUE;
      }
    }
    const given = this.options.attributes?.[id];
    if (given !== undefined) return given;
    const type = this.template.Resources[id]?.Type;
    // Physical names CloudFormation makes up for resources the template does not name.
    if (type === 'AWS::Lambda::Function' || type === 'AWS::IAM::Role' || type === 'AWS::Logs::LogGroup') return functionNameFor(this.stackName, id);
    if (this.lenient) return `<unresolved Ref ${id}>`;
    throw new Error(`LocalCloudFormation: no value for Ref ${id} in ${where}: pass it in options.attributes`);
  }

  private getAtt(id: string, attr: string, where: string): unknown {
    const given = this.options.attributes?.[`${id}.${attr}`] ?? this.options.attributes?.[id];
    if (given !== undefined) return given;
    const type = this.template.Resources[id]?.Type;
    if (type === 'AWS::Lambda::Function' && attr === 'Arn') return this.lambdaArn(id);
    if (type === 'AWS::IAM::Role' && attr === 'Arn') return `arn:aws:iam::${this.accountId}:role/${functionNameFor(this.stackName, id)}`;
    if (type === 'AWS::Logs::LogGroup' && attr === 'Arn') return `arn:aws:logs:${this.region}:${this.accountId}:log-group:${functionNameFor(this.stackName, id)}:*`;
    if (this.lenient) return `<unresolved ${id}.${attr}>`;
    throw new Error(`LocalCloudFormation: no value for Fn::GetAtt ${id}.${attr} in ${where}: pass it in options.attributes`);
  }
}

/** One custom resource as a stack sees it: the physical id and properties of its last successful event. */
export class StackResource {
  physicalResourceId?: string;
  properties?: Properties;
  /** The properties before the last successful in-place Update, for {@link rollbackLastUpdate}. */
  private previous?: Properties;

  constructor(
    private readonly cfn: LocalCloudFormation,
    readonly info: CustomResourceInfo,
  ) {}

  get logicalId(): string {
    return this.info.logicalId;
  }

  /**
   * Create with the template's properties (patched). The physical id is kept even when the Create FAILED (the
   * framework's marker), because that is the id CloudFormation's rollback Delete carries.
   */
  async create(patch?: PropertiesPatch): Promise<EventResult> {
    const properties = applyPatch(this.cfn.resolveProperties(this.logicalId), patch);
    const result = await this.cfn.send(this.logicalId, { requestType: 'Create', properties });
    this.physicalResourceId = result.response.PhysicalResourceId;
    this.properties = properties;
    this.previous = undefined;
    return result;
  }

  /**
   * One stack update of this resource. On FAILED, CloudFormation rolls back with an Update whose properties are
   * swapped (unless `rollback: false`); on SUCCESS with a new physical id, it later deletes the old one (unless
   * `cleanup: false`).
   */
  async update(patch: PropertiesPatch, options: { rollback?: boolean; cleanup?: boolean } = {}): Promise<UpdateOutcome> {
    const { physicalResourceId, properties: current } = this.mustExist();
    const next = applyPatch(current, patch);
    const update = await this.cfn.send(this.logicalId, { requestType: 'Update', properties: next, oldProperties: current, physicalResourceId });
    if (update.response.Status !== 'SUCCESS') {
      if (options.rollback === false) return { update };
      const rollback = await this.cfn.send(this.logicalId, { requestType: 'Update', properties: current, oldProperties: next, physicalResourceId });
      return { update, rollback };
    }
    const newId = update.response.PhysicalResourceId!;
    this.properties = next;
    this.physicalResourceId = newId;
    if (newId === physicalResourceId) {
      this.previous = current;
      return { update };
    }
    this.previous = undefined;
    if (options.cleanup === false) return { update };
    const cleanup = await this.cfn.send(this.logicalId, { requestType: 'Delete', properties: current, physicalResourceId });
    return { update, cleanup };
  }

  /**
   * The Update CloudFormation sends when a stack update fails AFTER this resource's in-place update succeeded:
   * the previous properties again, with the just-applied ones as OldResourceProperties.
   */
  async rollbackLastUpdate(): Promise<EventResult> {
    const { physicalResourceId, properties } = this.mustExist();
    if (!this.previous) throw new Error(`StackResource ${this.logicalId}: no in-place update to roll back`);
    const result = await this.cfn.send(this.logicalId, { requestType: 'Update', properties: this.previous, oldProperties: properties, physicalResourceId });
    if (result.response.Status === 'SUCCESS') {
      this.properties = this.previous;
      this.previous = undefined;
    }
    return result;
  }

  async delete(): Promise<EventResult> {
    const { physicalResourceId, properties } = this.mustExist();
    const result = await this.cfn.send(this.logicalId, { requestType: 'Delete', properties, physicalResourceId });
    if (result.response.Status === 'SUCCESS') {
      this.physicalResourceId = undefined;
      this.properties = undefined;
    }
    return result;
  }

  private mustExist(): { physicalResourceId: string; properties: Properties } {
    if (!this.physicalResourceId || !this.properties) throw new Error(`StackResource ${this.logicalId}: not created`);
    return { physicalResourceId: this.physicalResourceId, properties: this.properties };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Warm handler containers

interface Collector {
  lines: string[];
  invocations: number;
}

type InvokeOutcome = { ok: true; result: unknown } | { ok: false; error: { errorType: string; errorMessage: string; trace?: string[] } };

interface Pending {
  readonly id: string;
  readonly onLog: (text: string) => void;
  readonly resolve: (outcome: InvokeOutcome) => void;
  readonly timer: NodeJS.Timeout;
}

/** The containers of one function: a busy container never takes a second event, so concurrent events scale out. */
class ContainerPool {
  private readonly idle: Container[] = [];
  private readonly all = new Set<Container>();

  constructor(
    private readonly fn: UserFunction,
    private readonly env: Record<string, string>,
  ) {}

  async invoke(event: unknown, onLog: (text: string) => void): Promise<InvokeOutcome> {
    let container = this.idle.pop();
    while (container && !container.alive) container = this.idle.pop();
    if (!container) {
      container = new Container(this.fn, this.env);
      this.all.add(container);
    }
    try {
      return await container.invoke(event, onLog);
    } finally {
      if (container.alive) this.idle.push(container);
      else this.all.delete(container);
    }
  }

  children(): ChildProcess[] {
    return [...this.all].map((c) => c.process);
  }

  async close(): Promise<void> {
    await Promise.all([...this.all].map((c) => c.kill()));
    this.all.clear();
    this.idle.length = 0;
  }
}

class Container {
  alive = true;
  private pending?: Pending;
  private readonly child: ChildProcess;

  get process(): ChildProcess {
    return this.child;
  }

  constructor(
    private readonly fn: UserFunction,
    env: Record<string, string>,
  ) {
    this.child = fork(CONTAINER_SCRIPT, [fn.handlerFile, fn.handlerExport], {
      cwd: path.dirname(fn.handlerFile),
      env,
      // Not the parent's flags (jest's, tsx's): a Lambda container runs plain node.
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    // Only output that bypassed the container's console capture (e.g. a fatal error printed by node itself).
    const raw = (c: Buffer) => this.pending?.onLog(c.toString('utf8'));
    this.child.stdout!.on('data', raw);
    this.child.stderr!.on('data', raw);
    this.child.on('message', (m: { type: string; id?: string; text?: string; ok?: boolean; result?: unknown; error?: { errorType: string; errorMessage: string; trace?: string[] } }) => {
      const p = this.pending;
      if (!p) return;
      if (m.type === 'log') {
        p.onLog(m.text ?? '');
      } else if (m.type === 'result' && (m.id === p.id || m.id === undefined)) {
        this.settle(m.ok ? { ok: true, result: m.result } : { ok: false, error: m.error! });
      }
    });
    this.child.on('exit', (code, signal) => {
      this.alive = false;
      // Let any result already on the IPC channel arrive first.
      setImmediate(() => {
        if (!this.pending) return;
        this.settle({
          ok: false,
          error: { errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${this.pending.id} Error: Runtime exited with ${signal ? `signal: ${signal}` : `error: exit status ${code}`}` },
        });
      });
    });
    this.child.on('error', () => {
      this.alive = false;
    });
  }

  invoke(event: unknown, onLog: (text: string) => void): Promise<InvokeOutcome> {
    if (this.pending) throw new Error('LocalCloudFormation: a container got a second event while busy');
    const id = randomUUID();
    const deadline = Date.now() + this.fn.timeoutMs;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const seconds = (this.fn.timeoutMs / 1000).toFixed(2);
        // Lambda ends the sandbox of a timed-out invocation: the next one is a cold start.
        this.settle({ ok: false, error: { errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${id} Error: Task timed out after ${seconds} seconds` } });
        void this.kill();
      }, this.fn.timeoutMs);
      this.pending = { id, onLog, resolve, timer };
      this.child.send({
        type: 'invoke',
        id,
        event,
        deadline,
        requestId: id,
        functionName: this.fn.name,
        functionArn: this.fn.arn,
        memoryMb: this.fn.memoryMb,
      });
    });
  }

  async kill(): Promise<void> {
    this.alive = false;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await exited(this.child);
    }
  }

  private settle(outcome: InvokeOutcome): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    p.resolve(outcome);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** CloudFormation hands every scalar to a custom resource as a string; arrays and objects keep their shape. */
function deliverable(value: unknown): unknown {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(deliverable);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deliverable(v)]));
  return value;
}

function applyPatch(current: Properties, patch: PropertiesPatch | undefined): Properties {
  if (!patch) return { ...current };
  const next = typeof patch === 'function' ? patch({ ...current }) : { ...current, ...patch };
  return Object.fromEntries(Object.entries(next).filter(([, v]) => v !== undefined));
}

function stringMap(value: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries((value ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

function getAttTarget(value: unknown): string {
  const att = (value as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
  if (!att) throw new Error(`LocalCloudFormation: expected a Fn::GetAtt, got ${JSON.stringify(value)}`);
  return att[0];
}

function frameworkLogicalId(template: Template, customResourceId: string): string {
  return getAttTarget(template.Resources[customResourceId].Properties?.ServiceToken);
}

/** A stack id as CloudFormation makes one: a new GUID each time a stack of this name is created. */
export function newStackId(region: string, accountId: string, stackName: string): string {
  return `arn:aws:cloudformation:${region}:${accountId}:stack/${stackName}/${randomUUID()}`;
}

/** The access key id (`ASIA` + 16 characters, like Lambda's temporary credentials) of a role of one stack. */
export function accessKeyIdFor(stackId: string, roleLogicalId: string): string {
  const digest = createHash('sha256').update(`${stackId}|${roleLogicalId}`).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return `ASIA${[...digest.subarray(0, 16)].map((b) => alphabet[b % 32]).join('')}`;
}

/** A stable physical name shaped like the `<stack>-<logical id>-<suffix>` names CloudFormation gives functions. */
function functionNameFor(stackName: string, logicalId: string): string {
  // The suffix keeps two long logical ids with the same prefix apart after truncation, as CloudFormation's does.
  const suffix = createHash('sha256').update(`${stackName}/${logicalId}`).digest('hex').slice(0, 12);
  return `${stackName.slice(0, 20)}-${logicalId.slice(0, 30)}-${suffix}`;
}

function stackEnvironment(assemblyDir: string, stack: string): { account?: string; region?: string; stackName?: string } {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(assemblyDir, 'manifest.json'), 'utf8'));
    const artifact = manifest.artifacts?.[stack];
    const m = /^aws:\/\/([^/]+)\/([^/]+)$/.exec(String(artifact?.environment ?? ''));
    const known = (v?: string) => (v && !v.startsWith('unknown-') ? v : undefined);
    return { account: known(m?.[1]), region: known(m?.[2]), stackName: artifact?.properties?.stackName };
  } catch {
    return {};
  }
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0);
}

function tail(all: string[], n = 30): string {
  return all.slice(-n).join('\n') || '(none)';
}
