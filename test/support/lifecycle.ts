// Shared by the end-to-end lifecycle tests: synthesizes the example app as a user would, and states what
// "nothing left behind" and "nothing leaked into the logs" mean.
import { App } from 'aws-cdk-lib';
import * as fs from 'fs';
import * as path from 'path';
import { ExampleStack, type ExampleStackProps } from '../../bin/example-stack';
import type { Emulator } from '../../emulator';
import type { EventResult } from '../../emulator/cloudformation';
import type { StackOperationResult } from '../../emulator/stack';
import { ROOT, tempDir } from './cdk-cli';

export const STACK = 'ConnectionSharingExample';
export const ENV = { account: '123456789012', region: 'eu-west-1' } as const;
export const STATE_PREFIX = '/cdk-connection-sharing';
export const MARKER = 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED';

/**
 * Synthesizes one variant of the example app into a fresh temp dir and returns that cloud assembly dir; `context` as
 * `cdk synth -c key=value` gives it (e.g. the reconcile key).
 */
export function synthExample(props: Omit<ExampleStackProps, 'env'> = {}, context: Record<string, string> = {}): string {
  for (const kind of ['partner-central', 'workspaces']) {
    if (!fs.existsSync(path.join(ROOT, 'assets', kind, 'index.js'))) throw new Error('run `node scripts/bundle.mjs` (npm test does) before the e2e tests');
  }
  const outdir = tempDir('e2e-synth');
  const app = new App({ outdir, context });
  new ExampleStack(app, STACK, { ...props, env: ENV });
  app.synth();
  return outdir;
}

/** The preferences of a catalog without the bookkeeping that every write changes (Revision, UpdatedAt). */
export function preferences(emulator: Emulator, catalog: string): { AccessType: string; ExcludedParticipantIds: string[] } | undefined {
  const p = emulator.partnerCentral.get(catalog);
  return p && { AccessType: p.AccessType, ExcludedParticipantIds: p.ExcludedParticipantIds };
}

export function stateParameters(emulator: Emulator): string[] {
  return emulator.ssm.names(STATE_PREFIX);
}

/** Calls that changed something (a refused write changes nothing); a truly idempotent repeated delivery makes none. */
export const WRITE_OPERATIONS = new Set(['UpdateConnectionPreferences', 'UpdateConnectionAliasPermission', 'PutParameter', 'DeleteParameter', 'DeleteParameters']);

export function writes(result: EventResult): string[] {
  return result.calls.filter((c) => WRITE_OPERATIONS.has(c.operation) && c.status < 300).map((c) => c.operation);
}

/**
 * What must never appear in logs: the pre-signed ResponseURL or any part that authorizes it (its query, the
 * signature), and the raw event (its full properties, its ServiceToken). The handler logs only fields it picks; the
 * framework logs the event without the URL and the URL as host+path, by design, so only the secret parts apply to it.
 */
export function logLeaks(result: EventResult): string[] {
  const url = new URL(result.event.ResponseURL);
  const signature = url.searchParams.get('X-Amz-Signature') ?? '';
  const secret: [string, string][] = [
    ['the ResponseURL', result.event.ResponseURL],
    ['the ResponseURL query', url.search.slice(1)],
    ['the signature value', signature],
    ['X-Amz-Signature', 'X-Amz-Signature'],
    ['X-Amz-Algorithm', 'X-Amz-Algorithm'],
  ];
  const raw: [string, string][] = [
    ['the ResponseURL path', url.pathname],
    ['the ResponseURL key', 'ResponseURL'],
    ['the raw event', JSON.stringify(result.event)],
    ['the raw ResourceProperties', JSON.stringify(result.event.ResourceProperties)],
    ['the raw OldResourceProperties', result.event.OldResourceProperties ? JSON.stringify(result.event.OldResourceProperties) : ''],
    ['the ServiceToken', result.event.ServiceToken],
  ];
  const leaks: string[] = [];
  const handler = result.handlerLogs.join('\n');
  const framework = result.frameworkLogs.join('\n');
  for (const [what, text] of [...secret, ...raw]) {
    if (text && handler.includes(text)) leaks.push(`handler log of ${result.event.LogicalResourceId} ${result.event.RequestType} contains ${what}`);
  }
  for (const [what, text] of secret) {
    if (text && framework.includes(text)) leaks.push(`framework log of ${result.event.LogicalResourceId} ${result.event.RequestType} contains ${what}`);
  }
  return leaks;
}

/** What every response must satisfy, whatever the scenario. */
export function responseProblems(result: EventResult): string[] {
  const problems: string[] = [];
  const r = result.response;
  if (result.responseBytes >= 4096) problems.push(`response of ${result.event.LogicalResourceId} ${result.event.RequestType} is ${result.responseBytes} bytes`);
  if (r.RequestId !== result.event.RequestId || r.StackId !== result.event.StackId || r.LogicalResourceId !== result.event.LogicalResourceId) {
    problems.push(`response of ${result.event.LogicalResourceId} ${result.event.RequestType} does not answer its event`);
  }
  if (!r.PhysicalResourceId || Buffer.byteLength(r.PhysicalResourceId) > 1024) problems.push(`bad PhysicalResourceId ${r.PhysicalResourceId}`);
  if (result.event.RequestType === 'Delete' && r.Status === 'SUCCESS' && r.PhysicalResourceId !== result.event.PhysicalResourceId) {
    problems.push(`Delete answered with another physical id (${r.PhysicalResourceId})`);
  }
  return problems;
}

/** What a test reports when a stack operation did not end as it should: the denials and failed events, readable. */
export function outcome(r: StackOperationResult): { status: string; denied: string[]; failures: string[]; failedCleanups: string[] } {
  return {
    status: r.status,
    denied: r.denials.map((d) => `${d.operation} denied ${d.action} on ${d.resource}`),
    failures: r.failures.map((f) => `${f.phase} ${f.requestType} ${f.logicalId}: ${f.reason}`),
    failedCleanups: r.failedCleanups.map((f) => `${f.phase} Delete ${f.logicalId} (${f.physicalResourceId}) after ${f.attempts} attempts: ${f.reason}`),
  };
}

/** The outcome of an operation that ended in `status` with nothing denied or failed. */
export const clean = (status: string) => ({ status, denied: [], failures: [], failedCleanups: [] });
