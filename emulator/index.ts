// A local, stateful emulator of the AWS APIs this library touches, driven by the real SDK clients.
// See emulator/README.md for usage; the API-FACTS.md rules it follows are cited in each service module.
import { randomUUID } from 'crypto';
import { readFileSync } from 'fs';
import * as http from 'http';
import * as https from 'https';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { Faults, serverError, throttlingError } from './faults';
import { Iam, accessKeyIdOf } from './iam';
import { LambdaFunctions } from './lambda';
import { PartnerCentralState } from './partner-central';
import { AwsError, encodeError, type ErrorEncoding, type ServiceName } from './protocol';
import { RateLimits, type RateLimitOptions } from './rate-limits';
import { CloudFormationState } from './cloudformation-api';
import { parseQueryRequest } from './query-protocol';
import { StsState } from './sts';
import { RequestLog } from './request-log';
import { SsmState } from './ssm';
import { WorkSpacesState } from './workspaces';

export { AwsError } from './protocol';
export type { ServiceName } from './protocol';
export { Faults, throttlingError, serverError, type CallFilter, type FaultOptions } from './faults';
export { RateLimits, DEFAULT_RATES, FLEET_RATES, RATE_GROUPS, type RateLimitOptions, type Rates } from './rate-limits';
export { RequestLog, type LoggedCall } from './request-log';
export { PartnerCentralState, type ConnectionPreferences, type AccessType, type ExclusionsWithoutDenySome } from './partner-central';
export { WorkSpacesState, type Directory, type PendingDuration, type Caller, type ConnectionAlias, type AliasSeed, type Association, type Permission, type AliasState } from './workspaces';
export { SsmState, RECREATE_WINDOW_MS, type StoredParameter } from './ssm';
export { Iam, evaluate, type PolicyStatement, type Identity, type Denial, type Decision } from './iam';
export { LambdaFunctions, functionNameOf, type LambdaFunction, type EmulatedLambdaContext } from './lambda';
export { CloudFormationState, type DeployedStack, type DeployedResource } from './cloudformation-api';

/** The throwaway certificate the HTTPS listener serves (see emulator/certs/README.md). */
export const CA_CERT_FILE = path.join(__dirname, 'certs', 'cert.pem');
const KEY_FILE = path.join(__dirname, 'certs', 'key.pem');
/** `node -r` this file in a process whose HTTPS responses must reach the emulator (see README). */
export const HTTPS_ROUTE_PRELOAD = path.join(__dirname, 'preload', 'route-https.cjs');

export interface EmulatorOptions {
  /** The caller's account id: owner of seeded aliases, part of ARNs. Default `123456789012`. */
  accountId?: string;
  /** Region put in `env()` and SSM ARNs. Default `us-east-1`. */
  region?: string;
  /** HTTP port; default 0 (a free one). */
  port?: number;
  /** HTTPS port of the CloudFormation response receiver; default 0 (a free one). 443 works when permitted. */
  httpsPort?: number;
  /** Page size of the WorkSpaces Describe* operations when the request sets none. Default 1, so callers must page. */
  workspacesPageSize?: number;
  /** Catalogs that exist at start. Default `['AWS', 'Sandbox']`. */
  catalogs?: string[];
  /**
   * Reject Partner Central requests signed for another region than us-east-1, where the real service is the only
   * endpoint (a client in another region would not even resolve a host). Default true.
   */
  strictPartnerCentralRegion?: boolean;
  /**
   * Token buckets per account, region and operation (emulator/rate-limits.ts). Default: off, with Parameter Store's
   * rates configured for when a test calls `emulator.rateLimits.enable()`. `true` turns them on with the defaults.
   */
  rateLimits?: RateLimitOptions | boolean;
  /** Parameter Store's re-create window after a delete, ms (scaled by the rate limits' scale). Default 30 000; 0 = off. */
  recreateWindowMs?: number;
}

/** A response the Provider framework (or anyone) PUT to a ResponseURL minted by {@link Emulator.responseUrl}. */
export interface CfnResponse {
  /** The `<id>` of `/cfn-response/<id>`, or undefined for another path. */
  readonly id?: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly rawBody: string;
  /** `rawBody` parsed as JSON (Status, Reason, PhysicalResourceId, Data, ...), undefined when it is not JSON. */
  readonly body?: CfnResponseBody;
  readonly time: number;
}

export interface CfnResponseBody {
  Status: 'SUCCESS' | 'FAILED';
  Reason?: string;
  PhysicalResourceId?: string;
  StackId?: string;
  RequestId?: string;
  LogicalResourceId?: string;
  NoEcho?: boolean;
  Data?: Record<string, unknown>;
}

const TARGETS: Record<string, { service: ServiceName; contentType: string; encoding: ErrorEncoding }> = {
  PartnerCentralAccount: { service: 'PartnerCentralAccount', contentType: 'application/x-amz-json-1.0', encoding: { namespace: 'com.amazonaws.partnercentralaccount' } },
  WorkspacesService: { service: 'WorkSpaces', contentType: 'application/x-amz-json-1.1', encoding: { namespace: 'com.amazonaws.workspaces' } },
  AmazonSSM: { service: 'SSM', contentType: 'application/x-amz-json-1.1', encoding: { namespace: 'com.amazonaws.ssm', queryCompatible: true } },
};
const LAMBDA_ENCODING: ErrorEncoding = { namespace: 'com.amazonaws.lambda' };
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
const GET_FUNCTION_PATH = /^\/2015-03-31\/functions\/([^/]+)$/;

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}

function listen(server: http.Server | https.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** The SigV4 credential scope's region (`Credential=AKID/20240101/<region>/<service>/aws4_request`). */
function signedRegion(req: http.IncomingMessage): string | undefined {
  return /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
}

/** Another emulated account: its own credentials, IAM identities, SSM and view of WorkSpaces. */
export interface EmulatedAccount {
  readonly accountId: string;
  /** Unrestricted credentials of the account (like `AKIDEMULATOR` for the default one). */
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  readonly ssm: SsmState;
  readonly workspaces: WorkSpacesState;
  /** `{ endpoint, region, credentials }` for an SDK client signing as this account. */
  clientConfig(region?: string): { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  /** `emulator.env()` with this account's credentials. */
  env(): Record<string, string>;
}

export class Emulator {
  readonly accountId: string;
  readonly region: string;
  readonly log = new RequestLog();
  readonly workspaces: WorkSpacesState;
  readonly faults: Faults;
  readonly partnerCentral: PartnerCentralState;
  readonly ssm: SsmState;
  readonly lambda = new LambdaFunctions();
  /** Deployed stacks (filled by LocalCloudFormation), read by CloudFormation DescribeStackResources. */
  readonly cloudFormation = new CloudFormationState();
  readonly sts: StsState;
  /** Request-rate limits (off by default): `emulator.rateLimits.enable({ rates, scale })`. */
  readonly rateLimits: RateLimits;
  /** Identity-based policies by access key; requests signed with a registered key are evaluated (emulator/iam.ts). */
  readonly iam: Iam;
  /** CloudFormation responses received so far, oldest first. */
  readonly cfnResponses: CfnResponse[] = [];
  /** PEM of the certificate the HTTPS listener serves; pass it as `ca` to trust it in this process. */
  readonly caCert: string = readFileSync(CA_CERT_FILE, 'utf8');
  readonly caCertFile = CA_CERT_FILE;
  private readonly waiters: { id?: string; resolve: (r: CfnResponse) => void }[] = [];
  private readonly httpServer: http.Server;
  private readonly httpsServer: https.Server;
  private httpPort = 0;
  private tlsPort = 0;
  private readonly accounts = new Map<string, EmulatedAccount>();
  private readonly accountKeys = new Map<string, string>();

  constructor(private readonly options: EmulatorOptions = {}) {
    this.accountId = options.accountId ?? '123456789012';
    this.region = options.region ?? 'us-east-1';
    this.workspaces = new WorkSpacesState({ accountId: this.accountId, defaultPageSize: options.workspacesPageSize ?? 1 });
    this.faults = new Faults({ holdAliasCreating: (id, reads) => this.workspaces.holdAliasCreating(id, reads) });
    this.partnerCentral = new PartnerCentralState({ accountId: this.accountId, catalogs: options.catalogs }, this.faults);
    this.sts = new StsState({ accountId: this.accountId });
    const limits = options.rateLimits;
    this.rateLimits = new RateLimits(typeof limits === 'boolean' ? { enabled: limits } : limits);
    this.ssm = new SsmState({ accountId: this.accountId, region: this.region, recreateWindowMs: options.recreateWindowMs, timeScale: () => this.rateLimits.scale });
    this.iam = new Iam({ accountId: this.accountId, aliasOwner: (id) => this.workspaces.ownerOf(id) });
    this.httpServer = http.createServer((req, res) => void this.onApiRequest(req, res));
    // Node closes an idle keep-alive socket after 5 s, which races with an SDK client reusing it after a retry's
    // backoff ("socket hang up"); AWS endpoints keep idle connections open longer than that.
    this.httpServer.keepAliveTimeout = 60_000;
    this.httpsServer = https.createServer({ cert: this.caCert, key: readFileSync(KEY_FILE, 'utf8') }, (req, res) => void this.onCfnResponse(req, res));
  }

  /**
   * Adds (or returns) an account: its own unrestricted key `AKIDEMU<account>`, its own SSM, its own view of WorkSpaces
   * (aliases it owns or that are shared with it, directories it registered). IAM identities registered with a
   * principal of this account (LocalCloudFormation/LocalStack with `accountId`) act as this account too.
   */
  account(accountId: string = this.accountId): EmulatedAccount {
    const found = this.accounts.get(accountId);
    if (found) return found;
    if (!/^\d{12}$/.test(accountId)) throw new Error(`emulator: account id ${accountId} is not 12 digits`);
    const isDefault = accountId === this.accountId;
    const credentials = isDefault ? this.clientConfig().credentials : { accessKeyId: `AKIDEMU${accountId}`, secretAccessKey: 'emulator-secret' };
    const ssm = isDefault ? this.ssm : new SsmState({ accountId, region: this.region, recreateWindowMs: this.options.recreateWindowMs, timeScale: () => this.rateLimits.scale });
    const account: EmulatedAccount = {
      accountId,
      credentials,
      ssm,
      workspaces: isDefault ? this.workspaces : this.workspaces.forAccount(accountId),
      clientConfig: (region = this.region) => ({ endpoint: this.url, region, credentials: { ...credentials } }),
      env: () => ({ ...this.env(), AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey }),
    };
    this.accounts.set(accountId, account);
    this.accountKeys.set(credentials.accessKeyId, accountId);
    return account;
  }

  /**
   * The account a request's credentials belong to: a registered IAM identity's (its principal's account), an
   * {@link account}'s own key, else the default account (every other key, as before accounts existed).
   */
  accountOf(authorization: string | undefined): string {
    const key = accessKeyIdOf(authorization);
    if (key === undefined) return this.accountId;
    const principal = this.iam.identity(key)?.principalArn;
    const fromPrincipal = principal && /^arn:[^:]+:(?:sts|iam)::(\d{12}):/.exec(principal)?.[1];
    return fromPrincipal || this.accountKeys.get(key) || this.accountId;
  }

  /** Starts both listeners on 127.0.0.1. */
  async start(): Promise<this> {
    this.httpPort = await listen(this.httpServer, this.options.port ?? 0);
    this.tlsPort = await listen(this.httpsServer, this.options.httpsPort ?? 0);
    return this;
  }

  /** `http://127.0.0.1:<port>`: the endpoint of every emulated API. */
  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get port(): number {
    return this.httpPort;
  }

  /** `https://127.0.0.1:<port>`: the CloudFormation response receiver. */
  get httpsUrl(): string {
    return `https://127.0.0.1:${this.tlsPort}`;
  }

  get httpsPort(): number {
    return this.tlsPort;
  }

  /** Config for an SDK client in a test: `new SSMClient({ ...emulator.clientConfig(), maxAttempts: 3 })`. */
  clientConfig(region = this.region): { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } } {
    return { endpoint: this.url, region, credentials: { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' } };
  }

  /**
   * Environment that sends unmodified SDK clients (no `endpoint` in their config) to the emulator: the
   * per-service `AWS_ENDPOINT_URL_<SERVICE ID>` variables (service ids `PartnerCentral Account`, `WorkSpaces`, `SSM`,
   * `Lambda`, upper-cased with `_` for spaces), the generic `AWS_ENDPOINT_URL` as a catch-all, dummy credentials
   * and a region.
   */
  env(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_PARTNERCENTRAL_ACCOUNT: this.url,
      AWS_ENDPOINT_URL_WORKSPACES: this.url,
      AWS_ENDPOINT_URL_SSM: this.url,
      AWS_ENDPOINT_URL_LAMBDA: this.url,
      AWS_ENDPOINT_URL_CLOUDFORMATION: this.url,
      AWS_ENDPOINT_URL_STS: this.url,
      AWS_ENDPOINT_URL: this.url,
      AWS_ACCESS_KEY_ID: 'AKIDEMULATOR',
      AWS_SECRET_ACCESS_KEY: 'emulator-secret',
      AWS_REGION: this.region,
      AWS_DEFAULT_REGION: this.region,
      AWS_EC2_METADATA_DISABLED: 'true',
    };
  }

  /**
   * `env()` plus what a child process running the Provider framework needs for its CloudFormation response to
   * reach this emulator: the HTTPS routing preload (via NODE_OPTIONS), the routes and the certificate.
   * `responseHosts` are the ResponseURL host names to route (127.0.0.1, which {@link responseUrl} uses, always is).
   */
  childEnv(responseHosts: string[] = []): Record<string, string> {
    return {
      ...this.env(),
      ...this.httpsRoutingEnv(responseHosts),
      NODE_OPTIONS: `--require ${HTTPS_ROUTE_PRELOAD}`,
      NODE_EXTRA_CA_CERTS: CA_CERT_FILE,
    };
  }

  /** Only the variables read by emulator/preload/route-https.cjs (for callers that pass `-r` themselves). */
  httpsRoutingEnv(responseHosts: string[] = []): Record<string, string> {
    const hosts = ['127.0.0.1', 'localhost', ...responseHosts];
    return { EMULATOR_HTTPS_ROUTES: hosts.map((h) => `${h}=${this.tlsPort}`).join(','), EMULATOR_CA_FILE: CA_CERT_FILE };
  }

  /**
   * Routes this process's HTTPS requests for 127.0.0.1/localhost (and `responseHosts`) without a port to the
   * receiver, for tests that run the Provider framework in-process. Returns the undo function: call it in afterAll.
   */
  routeHttpsInProcess(responseHosts: string[] = []): () => void {
    const preload = require(HTTPS_ROUTE_PRELOAD) as { install(routes: Map<string, number>, ca?: string): () => void };
    const routes = new Map(['127.0.0.1', 'localhost', ...responseHosts].map((h) => [h, this.tlsPort] as const));
    return preload.install(routes, this.caCert);
  }

  /**
   * A pre-signed-looking ResponseURL that lands in {@link cfnResponses} with this `id`. It carries the port, but the
   * Provider framework drops ports: run it with {@link childEnv} / {@link routeHttpsInProcess}.
   */
  responseUrl(id: string = randomUUID()): string {
    return `${this.httpsUrl}/cfn-response/${encodeURIComponent(id)}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=${randomUUID().replace(/-/g, '')}`;
  }

  /** Resolves with the first response for `id` (or any response when no id), already received or yet to come. */
  waitForCfnResponse(id?: string, timeoutMs = 30_000): Promise<CfnResponse> {
    const found = this.cfnResponses.find((r) => id === undefined || r.id === id);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`emulator: no CloudFormation response${id ? ` for ${id}` : ''} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        id,
        resolve: (r: CfnResponse) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Forgets all state, faults, registered functions and IAM identities, responses and the log; rate limits return to the options. */
  reset(): void {
    this.partnerCentral.reset();
    this.workspaces.reset();
    this.ssm.reset();
    for (const a of this.accounts.values()) if (a.ssm !== this.ssm) a.ssm.reset();
    this.rateLimits.reset();
    this.lambda.reset();
    this.cloudFormation.reset();
    this.iam.reset();
    this.faults.clear();
    this.log.reset();
    this.cfnResponses.length = 0;
  }

  async close(): Promise<void> {
    for (const server of [this.httpServer, this.httpsServer]) {
      server.closeAllConnections();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  private async onApiRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const time = Date.now();
    const body = await readBody(req).catch(() => '');
    const url = new URL(req.url ?? '/', 'http://emulator');
    const target = String(req.headers['x-amz-target'] ?? '');
    const [prefix, operation = ''] = target.split('.');
    const rpc = TARGETS[prefix];
    const invoke = INVOKE_PATH.exec(url.pathname);
    const getFunction = GET_FUNCTION_PATH.exec(url.pathname);
    const query = rpc ? undefined : parseQueryRequest(req, body);
    const caller = this.accountOf(req.headers.authorization);

    let service: ServiceName;
    let op: string;
    let input: unknown;
    let encoding: ErrorEncoding;
    let run: () => Promise<{ status: number; headers: Record<string, string>; body: string }>;
    if (rpc && req.method === 'POST') {
      service = rpc.service;
      op = operation;
      encoding = rpc.encoding;
      input = safeJson(body);
      run = async () => {
        if (!String(req.headers['content-type'] ?? '').startsWith(rpc.contentType)) {
          throw new AwsError(400, 'SerializationException', `Expected Content-Type ${rpc.contentType}`);
        }
        if (input === undefined) throw new AwsError(400, 'SerializationException', 'The request body is not valid JSON');
        if (service === 'PartnerCentralAccount' && this.options.strictPartnerCentralRegion !== false) {
          const region = signedRegion(req);
          if (region !== 'us-east-1') {
            throw new AwsError(400, 'EmulatorWrongRegion', `Partner Central Account is served only in us-east-1; this request was signed for ${region}.`);
          }
        }
        this.iam.authorize({ service, operation: op, input, authorization: req.headers.authorization, region: signedRegion(req), accountId: caller });
        const out = await this.serviceFor(service, caller).handle(op, input, { accountId: caller, region: signedRegion(req) });
        return { status: 200, headers: { 'content-type': rpc.contentType }, body: JSON.stringify(out) };
      };
    } else if (query) {
      // awsQuery (CloudFormation, STS): emulator/query-protocol.ts; errors are XML too (query.encoding).
      service = query.api.service;
      op = query.action;
      encoding = query.encoding;
      input = query.params;
      run = async () => {
        if (query.api.service === 'STS') return this.sts.handle(query.api, op, { accountId: caller, principalArn: this.iam.identity(accessKeyIdOf(req.headers.authorization) ?? '')?.principalArn });
        this.iam.authorize({ service, operation: op, input, authorization: req.headers.authorization, region: signedRegion(req), accountId: caller });
        return this.cloudFormation.handle(query.api, op, query.params, signedRegion(req) ?? this.region);
      };
    } else if (invoke && req.method === 'POST') {
      service = 'Lambda';
      op = 'Invoke';
      encoding = LAMBDA_ENCODING;
      const name = decodeURIComponent(invoke[1]);
      input = { FunctionName: name, Payload: safeJson(body) ?? body };
      run = () => this.lambda.invoke(name, body, req.headers['x-amz-invocation-type'] as string | undefined);
    } else if (getFunction && req.method === 'GET') {
      service = 'Lambda';
      op = 'GetFunction';
      encoding = LAMBDA_ENCODING;
      const name = decodeURIComponent(getFunction[1]);
      input = { FunctionName: name };
      run = async () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(this.lambda.getFunction(name)) });
    } else {
      const err = new AwsError(400, 'UnknownOperationException', `Not emulated: ${req.method} ${url.pathname} ${target}`);
      return this.send(res, encodeError(err, { namespace: 'emulator' }));
    }

    await sleep(this.faults.takeLatency(service, op));
    let out: { status: number; headers: Record<string, string>; body: string };
    let errorType: string | undefined;
    let injected = false;
    let throttled = false;
    if (!req.headers.authorization) {
      out = encodeError(new AwsError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token'), encoding);
      errorType = 'MissingAuthenticationTokenException';
    } else if (!this.rateLimits.take(service, op, caller, signedRegion(req) ?? this.region).allowed) {
      // Before any fault: a call refused at the door consumes no injected failure.
      throttled = true;
      const e = throttlingError(service);
      out = encodeError(e, encoding);
      errorType = e.type;
    } else {
      const fault = this.faults.takeFailure(service, op, input);
      try {
        if (fault) {
          injected = true;
          throw fault;
        }
        out = await run();
        if (out.headers['x-amz-function-error']) errorType = 'FunctionError';
      } catch (err) {
        const e = err instanceof AwsError ? err : (console.error('emulator: internal error', err), serverError(service));
        out = encodeError(e, encoding);
        errorType = e.type;
      }
    }
    this.log.record({ service, operation: op, input, status: out.status, errorType, injected: injected || undefined, throttled: throttled || undefined, time, durationMs: Date.now() - time });
    this.send(res, out);
  }

  private serviceFor(service: ServiceName, caller: string): { handle(op: string, input: unknown, who?: { accountId?: string; region?: string }): Promise<unknown> } {
    // UNVERIFIED for other accounts: Partner Central is emulated for the default account only.
    if (service === 'PartnerCentralAccount') return this.partnerCentral;
    if (service === 'WorkSpaces') return this.workspaces;
    return caller === this.accountId ? this.ssm : this.account(caller).ssm;
  }

  private send(res: http.ServerResponse, out: { status: number; headers: Record<string, string>; body: string }): void {
    res.writeHead(out.status, {
      'content-type': 'application/json',
      'x-amzn-requestid': randomUUID(),
      ...out.headers,
      'content-length': Buffer.byteLength(out.body),
    });
    res.end(out.body);
  }

  private async onCfnResponse(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const rawBody = await readBody(req).catch(() => '');
    if (req.method !== 'PUT') {
      res.writeHead(405).end();
      return;
    }
    const failStatus = this.faults.takeCfnResponseFailure();
    if (failStatus !== undefined) {
      res.writeHead(failStatus).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'https://emulator');
    const m = /^\/cfn-response\/([^/]+)$/.exec(url.pathname);
    const response: CfnResponse = {
      id: m ? decodeURIComponent(m[1]) : undefined,
      path: url.pathname,
      headers: req.headers,
      rawBody,
      body: safeJson(rawBody) as CfnResponseBody | undefined,
      time: Date.now(),
    };
    this.cfnResponses.push(response);
    // S3 answers a pre-signed PUT with 200 and an empty body.
    res.writeHead(200, { 'content-length': 0 }).end();
    for (const w of [...this.waiters]) {
      if (w.id === undefined || w.id === response.id) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(response);
      }
    }
  }
}

function safeJson(text: string): unknown {
  if (text === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Creates and starts an emulator. Always `await emulator.close()` (e.g. in afterAll). */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  return new Emulator(options).start();
}
