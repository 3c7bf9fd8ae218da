// Child processes that run handlers against the emulator, and the CloudFormation events they are given.
import { type ChildProcess, fork, spawn } from 'child_process';
import { randomUUID } from 'crypto';
import * as path from 'path';
import { performance } from 'perf_hooks';
import type { Emulator } from '../emulator';
import { STACK_ID_ENV } from '../lib/common/handler-env';
import { ACCOUNT, REGION, SCENARIO_STACK } from './apps';

const ROOT = path.join(__dirname, '..');
const CHILD = path.join(__dirname, 'child.cjs');

export interface Job {
  readonly file: string;
  readonly exportName: string;
  readonly event: Record<string, unknown>;
}

export interface ColdResult {
  /** Node's own bootstrap, before the handler module is required. */
  readonly bootMs: number;
  readonly loadMs: number;
  readonly serveMs: number;
  /** From before require() to the handler's promise settling. */
  readonly firstEventMs: number;
  /** Spawn to exit, seen from the parent. */
  readonly processMs: number;
  /** ru_maxrss as Node reports it; inflated by the parent's peak on Linux (see child.cjs), kept for the record. */
  readonly maxRssKb: number;
  /** VmHWM: the peak resident set of this process image. */
  readonly peakRssKb: number;
  readonly loadedFiles: number;
  readonly loadedBytes: number;
  readonly ok: boolean;
  readonly error?: { name: string; message: string };
  readonly result?: unknown;
}

/** Lines the SDK prints on Node 20 to every child; noise here, and the Lambda runtime is Node 24. */
const IGNORED_STDERR = /NodeVersionSupportWarning|node --trace-warnings|support for Node\.js|will no longer support|upgrade to|^\s*$|^\(node:\d+\)|\bsupported\b.*\bNode\b/i;

export function filterStderr(text: string): string {
  return text
    .split('\n')
    .filter((line) => !IGNORED_STDERR.test(line))
    .join('\n');
}

/**
 * The child's whole environment: the emulator's endpoints, credentials, HTTPS routing preload (AwsCustomResource's
 * handler PUTs its own CloudFormation response), and NODE_PATH so that a handler whose asset has no SDK finds it in
 * node_modules, as it finds the runtime's SDK in Lambda. Nothing else of this shell leaks in.
 */
export function childEnv(emulator: Emulator, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    NODE_PATH: path.join(ROOT, 'node_modules'),
    ...emulator.childEnv(),
    // What the construct gives the handler (AWS::StackId): the scenario stack's handlers serve only that stack.
    [STACK_ID_ENV]: STACK_ID(SCENARIO_STACK.ours),
    ...extra,
  };
}

const RESULT_MARK = '@@BENCH_RESULT@@';

/** A fresh Node process that loads the handler and serves one event (asynchronous: the emulator runs in this process). */
export function runCold(job: Job, env: Record<string, string>): Promise<ColdResult> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, [CHILD, 'cold', JSON.stringify(job)], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const processMs = performance.now() - start;
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARK));
      if (!line) return reject(new Error(`cold child exited ${code} without a result:\n${filterStderr(stderr)}\n${stdout.slice(-2000)}`));
      resolve({ ...JSON.parse(line.slice(RESULT_MARK.length)), processMs });
    });
  });
}

export interface WarmResult {
  readonly ok: boolean;
  readonly ms: number;
  readonly result?: unknown;
  readonly error?: { name: string; message: string };
}

/** A long-lived process that keeps handler modules loaded: warm invocations, as Lambda reuses a container. */
export class Worker {
  private readonly child: ChildProcess;
  private readonly pending = new Map<string, (r: WarmResult) => void>();
  private readonly ready: Promise<void>;
  stderr = '';

  constructor(env: Record<string, string>) {
    // execArgv empty: this process runs under tsx, whose loader must not be inherited by the handler's process.
    this.child = fork(CHILD, ['serve'], { cwd: ROOT, env, execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-20_000)));
    this.ready = new Promise((resolve) => {
      this.child.on('message', (msg: { ready?: boolean; id?: string } & WarmResult) => {
        if (msg.ready) return resolve();
        const done = this.pending.get(msg.id!);
        this.pending.delete(msg.id!);
        done?.(msg);
      });
    });
  }

  async run(job: Job): Promise<WarmResult> {
    await this.ready;
    const id = randomUUID();
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.send({ id, job });
    });
  }

  close(): void {
    this.child.send('exit');
  }
}

export const STACK_ID = (stackName: string) => `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${stackName}/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b`;

export interface EventSpec {
  readonly requestType: 'Create' | 'Update' | 'Delete';
  readonly stackName: string;
  readonly logicalId: string;
  readonly resourceType: string;
  readonly properties: Record<string, unknown>;
  readonly oldProperties?: Record<string, unknown>;
  readonly physicalResourceId?: string;
  readonly responseUrl: string;
}

/** A CloudFormation custom resource event as the handler receives it. */
export function cfnEvent(spec: EventSpec): Record<string, unknown> {
  const serviceToken = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${spec.stackName}-provider`;
  return {
    RequestType: spec.requestType,
    ServiceToken: serviceToken,
    ResponseURL: spec.responseUrl,
    StackId: STACK_ID(spec.stackName),
    RequestId: randomUUID(),
    LogicalResourceId: spec.logicalId,
    ResourceType: spec.resourceType,
    ResourceProperties: { ...spec.properties, ServiceToken: serviceToken },
    ...(spec.oldProperties ? { OldResourceProperties: { ...spec.oldProperties, ServiceToken: serviceToken } } : {}),
    ...(spec.physicalResourceId ? { PhysicalResourceId: spec.physicalResourceId } : {}),
  };
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
