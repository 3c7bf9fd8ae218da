// A local CloudFormation *stack*: deploys successive versions of a synthesized template the way CloudFormation
// does, so that the custom resources see the events, in the order and under the IAM policy, that a real stack
// create, update, rollback and delete would give them. Each event runs through LocalCloudFormation (the real
// Provider framework and the real bundled handler, in warm containers); this module decides which events, when,
// and which template version's policy is in force (emulator/iam.ts evaluates every call against it).
//
// The orders followed (API-FACTS.md, "Order within one stack update"; AWS CloudFormation User Guide, stack status
// codes; UNVERIFIED details are marked where they are decided):
// - Create: the handler's policy is in force first (every custom resource depends on it), then every custom
//   resource's Create, dependencies first, independent ones concurrently. A failed Create rolls the stack back:
//   Delete for every resource created, dependents first, then the policy goes: ROLLBACK_COMPLETE (or
//   ROLLBACK_FAILED). Such a stack can only be deleted.
// - Update: (a) the policy is switched to the new template's before any custom resource event; (b) Update for each
//   custom resource whose resolved properties changed (old and new properties), Create for each new one, in
//   dependency order; (c) if all succeeded, UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: Delete of the old physical id of
//   each resource whose Update returned another one (a replacement) and of each resource removed from the template,
//   under the NEW policy. A cleanup Delete that fails is retried, then given up: the stack still ends
//   UPDATE_COMPLETE, and the failure is only in `failedCleanups` (CloudFormation only shows it in the events).
//   (d) if a Create or Update failed: UPDATE_ROLLBACK_IN_PROGRESS: an Update back (old properties as
//   ResourceProperties, the rejected ones as OldResourceProperties, the old physical id) for each resource that got
//   an Update, the failed one included, under the failed update's (new) policy, dependents first; THEN the policy
//   goes back to the old template's; then UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS, the status in which, per the
//   User Guide's stack status codes, the stack is already back in its previous working state while the new
//   resources the failed update created are still being deleted (paraphrased from memory; the page could not be
//   fetched here, so UNVERIFIED): Delete for each resource created by the failed update and for the new physical
//   id of each replacement, under the OLD policy (when the provider existed before; a provider new in the update is
//   deleted after its resources, so its new policy still applies). A failed rollback Update ends
//   UPDATE_ROLLBACK_FAILED.
//   A replacement undone by a rollback gets no request to its old id (which simply becomes current again), only the
//   Delete of the new id in that cleanup, under the old policy (API-FACTS.md: community evidence, Stack Overflow
//   50599602, aws-cdk #30012 and #17040). The resource whose own Update failed gets the Update back.
// - Delete: Delete for each custom resource, dependents first, except those in `retain` or with DeletionPolicy
//   Retain; then the policy goes. A failed Delete ends DELETE_FAILED. (CloudFormation accepts `--retain-resources`
//   only for a stack in DELETE_FAILED; the emulator accepts `retain` at any time.)
// - A stack created again under the same name after DELETE_COMPLETE gets a new stack id (a new GUID).
//
// Usage: see the LocalStack doc comment.
import { randomUUID } from 'crypto';
import type { Template } from './cloud-assembly';
import {
  type CustomResourceEvent,
  type CustomResourceInfo,
  type EventResult,
  LocalCloudFormation,
  type LocalCloudFormationOptions,
  type Properties,
  type RequestType,
} from './cloudformation';
import type { Denial, PolicyStatement } from './iam';
import type { Emulator } from './index';

export type StackStatus =
  | 'CREATE_COMPLETE'
  | 'ROLLBACK_COMPLETE'
  | 'ROLLBACK_FAILED'
  | 'UPDATE_COMPLETE'
  | 'UPDATE_ROLLBACK_COMPLETE'
  | 'UPDATE_ROLLBACK_FAILED'
  | 'DELETE_COMPLETE'
  | 'DELETE_FAILED';

/** The part of a stack operation an event belongs to. */
export type StackPhase = 'create' | 'update' | 'cleanup' | 'rollback' | 'rollback-cleanup' | 'delete';

/** One delivery of one event. */
export interface StackEvent {
  readonly phase: StackPhase;
  readonly logicalId: string;
  readonly requestType: RequestType;
  readonly result: EventResult;
  /** 1, or 2 for the second delivery of the same event (`deliverTwice`). */
  readonly delivery: number;
  /** 1, or the attempt number of a cleanup Delete retried after a failure. */
  readonly attempt: number;
  /** The statements of the serving handler's role that were in force while the event ran (IAM evaluated them). */
  readonly policy: PolicyStatement[];
}

/** A cleanup Delete CloudFormation gave up on, leaving the stack's status as if it had succeeded. */
export interface FailedCleanup {
  readonly phase: 'cleanup' | 'rollback-cleanup';
  readonly logicalId: string;
  readonly physicalResourceId: string;
  readonly reason: string;
  readonly attempts: number;
}

/** An event answered FAILED that decided the operation's outcome. */
export interface StackFailure {
  readonly phase: StackPhase;
  readonly logicalId: string;
  readonly requestType: RequestType;
  readonly reason: string;
}

export interface StackOperationResult {
  readonly operation: 'CREATE' | 'UPDATE' | 'DELETE';
  readonly status: StackStatus;
  readonly stackId: string;
  /** Every delivery, in the order the answers came. */
  readonly events: StackEvent[];
  /** The FAILED answers that made the operation roll back or fail (cleanup failures are in failedCleanups). */
  readonly failures: StackFailure[];
  readonly failedCleanups: FailedCleanup[];
  /** Logical ids deleted from the stack without a Delete (retain, DeletionPolicy/UpdateReplacePolicy Retain). */
  readonly retained: string[];
  /** Calls of this stack's handlers that IAM refused during the operation. */
  readonly denials: Denial[];
}

/** A custom resource as the stack records it after its last successful event. */
export interface DeployedResource {
  readonly logicalId: string;
  readonly resourceType: string;
  readonly physicalResourceId: string;
  /** The properties last delivered (resolved, every scalar a string, ServiceToken included). */
  readonly properties: Properties;
  readonly deletionPolicy?: string;
  readonly updateReplacePolicy?: string;
  /** Custom resources it depends on (directly or through other resources) in its template version. */
  readonly dependsOn: string[];
}

export interface LocalStackOptions
  extends Pick<LocalCloudFormationOptions, 'emulator' | 'stack' | 'stackName' | 'accountId' | 'region' | 'eventTimeoutMs' | 'handlerTimeoutMs' | 'nodePath' | 'onEvent' | 'iam'> {
  /** Attempts of a failing cleanup Delete before CloudFormation gives up on it. Default 3. */
  readonly cleanupAttempts?: number;
  /** Events in flight at once (CloudFormation has no such bound; a shared test machine may want one). Default: no bound. */
  readonly concurrency?: number;
}

export interface DeployOptions {
  /** Values of the stack's other resources and parameters, as in LocalCloudFormationOptions.attributes. */
  readonly attributes?: Record<string, string>;
  /** Deliver every event twice (the same event, the same ResponseURL), as Lambda or CloudFormation may. */
  readonly deliverTwice?: boolean;
  /** The Lambda timeout of this version's handlers (default: LocalStackOptions.handlerTimeoutMs, else the template's). */
  readonly handlerTimeoutMs?: number;
}

interface Version {
  readonly cfn: LocalCloudFormation;
  readonly template: Template;
  /** The handler roles of its custom resources, by logical id. */
  readonly roles: Set<string>;
}

/**
 * ```ts
 * const stack = new LocalStack({ emulator, stack: 'ConnectionSharingExample' });
 * await stack.deploy(v1Dir, { attributes: { Alias: 'wsca-abcdefgh12' } });    // CREATE_COMPLETE
 * const r = await stack.deploy(v1Dir, { attributes: { Alias: 'wsca-new0000001' } }); // the alias replaced
 * r.status; r.events; r.failedCleanups; r.denials;
 * await stack.deleteStack();                                                   // or { retain: ['LogicalId'] }
 * await stack.close();
 * ```
 */
export class LocalStack {
  status?: StackStatus;
  /** The current stack's id; a new one each time the stack is created. */
  stackId?: string;
  private readonly emulator: Emulator;
  private readonly records = new Map<string, DeployedResource>();
  /** The policy in force, per handler role: what emulator.iam evaluates that role's calls against. */
  private readonly inForce = new Map<string, PolicyStatement[]>();
  private current?: Version;
  /** Versions still holding processes, closed when an operation no longer needs them. */
  private readonly open = new Set<Version>();
  private busy = false;

  constructor(private readonly options: LocalStackOptions) {
    this.emulator = options.emulator;
  }

  /** The custom resources of the stack as it stands. */
  get resources(): ReadonlyMap<string, DeployedResource> {
    return new Map(this.records);
  }

  /** The template version in force (undefined before the first create and after a delete). */
  get cfn(): LocalCloudFormation | undefined {
    return this.current?.cfn;
  }

  /** The statements of a handler role in force now (what IAM evaluates its calls against). */
  policyInForce(roleLogicalId: string): PolicyStatement[] | undefined {
    return this.inForce.get(roleLogicalId);
  }

  /**
   * Deploys a synthesized template: a stack create when the stack does not exist (or was deleted), else a stack
   * update. Resolves with the outcome; a FAILED event is an outcome (a status), not a rejection.
   */
  async deploy(assemblyDir: string, options: DeployOptions = {}): Promise<StackOperationResult> {
    return this.exclusive(async () => {
      if (this.status === 'ROLLBACK_COMPLETE' || this.status === 'ROLLBACK_FAILED' || this.status === 'UPDATE_ROLLBACK_FAILED' || this.status === 'DELETE_FAILED') {
        throw new Error(`LocalStack: stack ${this.stackName} is in ${this.status} and cannot be updated: delete it first (deleteStack)`);
      }
      const creating = this.current === undefined;
      const cfn = await LocalCloudFormation.load({
        emulator: this.emulator,
        assemblyDir,
        stack: this.options.stack,
        stackName: this.options.stackName,
        accountId: this.options.accountId,
        region: this.options.region,
        eventTimeoutMs: this.options.eventTimeoutMs,
        handlerTimeoutMs: options.handlerTimeoutMs ?? this.options.handlerTimeoutMs,
        nodePath: this.options.nodePath,
        onEvent: this.options.onEvent,
        iam: this.options.iam,
        attributes: options.attributes,
        // A new stack gets a new id (a new GUID); an update keeps it.
        stackId: creating ? undefined : this.stackId,
        policyInForce: (role) => this.inForce.get(role) ?? [],
      });
      const version: Version = { cfn, template: cfn.template, roles: new Set(cfn.customResources().flatMap((r) => (r.userFunction.roleLogicalId ? [r.userFunction.roleLogicalId] : []))) };
      this.open.add(version);
      return creating ? this.create(version, options) : this.update(this.current!, version, options);
    });
  }

  /** Deletes the stack: Delete for each custom resource not retained, dependents first; then the handler policy goes. */
  async deleteStack(options: { retain?: string[]; deliverTwice?: boolean } = {}): Promise<StackOperationResult> {
    return this.exclusive(async () => {
      const version = this.current;
      if (!version || !this.stackId) throw new Error(`LocalStack: stack ${this.stackName} does not exist`);
      const op = this.operation('DELETE');
      const retain = new Set(options.retain ?? []);
      for (const unknown of retain) if (!this.records.has(unknown)) throw new Error(`LocalStack: cannot retain ${unknown}: the stack has no such custom resource`);
      const order = reverseWaves([...this.records.values()]);
      let failed = false;
      for (const wave of order) {
        await this.parallel(wave, async (record) => {
          if (retain.has(record.logicalId) || record.deletionPolicy === 'Retain') {
            op.retained.push(record.logicalId);
            this.records.delete(record.logicalId);
            return;
          }
          // After a failed rollback the stack may still hold resources only an older version's provider serves.
          const versions = [version, ...[...this.open].filter((v) => v !== version)];
          const result = await this.send(op, 'delete', versions, record, 'Delete', { properties: record.properties, physicalResourceId: record.physicalResourceId }, options.deliverTwice);
          if (result.response.Status === 'SUCCESS') this.records.delete(record.logicalId);
          else {
            failed = true;
            op.failures.push(failure('delete', result));
          }
        });
        if (failed) break;
      }
      if (failed) return this.finish(op, 'DELETE_FAILED');
      this.revoke([...this.open].flatMap((v) => [...v.roles].map((role) => [v, role] as const)));
      // The deployed stack is gone from CloudFormation's answers too (DescribeStackResources, for `plan`).
      this.options.emulator.cloudFormation.deleteStack(version.cfn.region, version.cfn.stackName);
      this.current = undefined;
      await this.closeVersions([]);
      return this.finish(op, 'DELETE_COMPLETE');
    });
  }

  /** Kills every process the stack's template versions started. */
  async close(): Promise<void> {
    await this.closeVersions([]);
  }

  get stackName(): string {
    return this.current?.cfn.stackName ?? this.options.stackName ?? this.options.stack;
  }

  // -------------------------------------------------------------------------------------------------------------

  private async create(version: Version, options: DeployOptions): Promise<StackOperationResult> {
    const { cfn } = version;
    this.stackId = cfn.stackId;
    this.current = version;
    this.records.clear();
    this.inForce.clear();
    const op = this.operation('CREATE');
    // The policy first: every custom resource depends on it.
    this.putInForce(version);

    const created: DeployedResource[] = [];
    for (const wave of waves(customIds(version.template).map((id) => this.recordFor(version, id, '')))) {
      await this.parallel(wave, async (planned) => {
        const properties = cfn.resolveProperties(planned.logicalId);
        const result = await this.send(op, 'create', [version], planned, 'Create', { properties }, options.deliverTwice);
        const record = { ...planned, properties, physicalResourceId: result.response.PhysicalResourceId ?? '' };
        created.push(record);
        if (result.response.Status === 'SUCCESS') this.records.set(record.logicalId, record);
        else op.failures.push(failure('create', result));
      });
      if (op.failures.length > 0) break;
    }
    if (op.failures.length === 0) return this.finish(op, 'CREATE_COMPLETE');

    // ROLLBACK_IN_PROGRESS: every resource that got a Create is deleted (a failed one with the framework's marker id,
    // which the framework answers without calling the handler), dependents first, while the policy still exists.
    let rollbackFailed = false;
    for (const wave of reverseWaves(created)) {
      await this.parallel(wave, async (record) => {
        if (record.deletionPolicy === 'Retain') {
          op.retained.push(record.logicalId);
          return;
        }
        const result = await this.send(op, 'rollback', [version], record, 'Delete', { properties: record.properties, physicalResourceId: record.physicalResourceId }, options.deliverTwice);
        if (result.response.Status !== 'SUCCESS') rollbackFailed = true;
      });
    }
    if (rollbackFailed) return this.finish(op, 'ROLLBACK_FAILED');
    this.records.clear();
    this.revoke([...version.roles].map((role) => [version, role] as const));
    return this.finish(op, 'ROLLBACK_COMPLETE');
  }

  private async update(prev: Version, next: Version, options: DeployOptions): Promise<StackOperationResult> {
    const op = this.operation('UPDATE');
    const before = new Map(this.records);
    // (a) The handler policy is updated before the custom resources that depend on it.
    this.putInForce(next);

    // (b) Updates and Creates, dependencies first.
    const updated: { old: DeployedResource; next: DeployedResource }[] = [];
    const created: DeployedResource[] = [];
    for (const wave of waves(customIds(next.template).map((id) => this.recordFor(next, id, '')))) {
      await this.parallel(wave, async (planned) => {
        const properties = next.cfn.resolveProperties(planned.logicalId);
        const old = before.get(planned.logicalId);
        if (old && sameJson(old.properties, properties)) {
          // No change, no event; its policies may have changed with the template.
          this.records.set(planned.logicalId, { ...planned, properties, physicalResourceId: old.physicalResourceId });
          return;
        }
        if (old) {
          const result = await this.send(op, 'update', [next], planned, 'Update', { properties, oldProperties: old.properties, physicalResourceId: old.physicalResourceId }, options.deliverTwice);
          const record = { ...planned, properties, physicalResourceId: result.response.PhysicalResourceId ?? old.physicalResourceId };
          updated.push({ old, next: record });
          if (result.response.Status === 'SUCCESS') this.records.set(record.logicalId, record);
          else op.failures.push(failure('update', result));
        } else {
          const result = await this.send(op, 'create', [next], planned, 'Create', { properties }, options.deliverTwice);
          const record = { ...planned, properties, physicalResourceId: result.response.PhysicalResourceId ?? '' };
          created.push(record);
          if (result.response.Status === 'SUCCESS') this.records.set(record.logicalId, record);
          else op.failures.push(failure('create', result));
        }
      });
      if (op.failures.length > 0) break;
    }

    if (op.failures.length === 0) {
      // (c) UPDATE_COMPLETE_CLEANUP_IN_PROGRESS, under the new policy: replaced resources' old physical ids and
      // resources removed from the template, dependents first (in the old template's order).
      const replaced = updated.filter((u) => u.next.physicalResourceId !== u.old.physicalResourceId);
      const kept = new Set(customIds(next.template));
      const removed = [...before.values()].filter((r) => !kept.has(r.logicalId));
      for (const r of removed) this.records.delete(r.logicalId);
      const doomed = [...replaced.map((u) => ({ ...u.old, retain: u.next.updateReplacePolicy === 'Retain' })), ...removed.map((r) => ({ ...r, retain: r.deletionPolicy === 'Retain' }))];
      for (const wave of reverseWaves(doomed)) {
        await this.parallel(wave, async (record) => {
          if (record.retain) op.retained.push(record.logicalId);
          else await this.cleanupDelete(op, 'cleanup', [next, prev], record, options.deliverTwice);
        });
      }
      // Handler roles the new template no longer has are deleted after their resources.
      this.revoke([...prev.roles].filter((r) => !next.roles.has(r)).map((role) => [prev, role] as const));
      this.current = next;
      await this.closeVersions([next]);
      return this.finish(op, 'UPDATE_COMPLETE');
    }

    // (d) UPDATE_ROLLBACK_IN_PROGRESS, still under the failed update's policy: each resource that got an Update and
    // kept its physical id (the failed one included) gets its old properties back, dependents first. A replacement
    // gets nothing here: its old id becomes current again, and its new id is deleted in the cleanup below.
    const replacedIds = new Set(updated.filter((u) => isReplacement(u)).map((u) => u.old.logicalId));
    let rollbackFailed = false;
    for (const wave of reverseWaves(updated.map((u) => u.next).filter((r) => !replacedIds.has(r.logicalId)))) {
      await this.parallel(wave, async (record) => {
        const old = before.get(record.logicalId)!;
        const result = await this.send(
          op,
          'rollback',
          [next],
          record,
          'Update',
          { properties: old.properties, oldProperties: record.properties, physicalResourceId: old.physicalResourceId },
          options.deliverTwice,
        );
        if (result.response.Status === 'SUCCESS') this.records.set(old.logicalId, old);
        else {
          rollbackFailed = true;
          op.failures.push(failure('rollback', result));
        }
      });
    }
    if (rollbackFailed) {
      // Stuck: CloudFormation stops here; the policy (which the resources depend on) is not rolled back either.
      this.current = next;
      return this.finish(op, 'UPDATE_ROLLBACK_FAILED');
    }
    // The policy goes back to the old template's; the stack is usable again.
    this.putInForce(prev);
    // UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS: what the failed update created goes, served by the old
    // handler under the old policy where the provider existed before the update.
    const replaced = updated.filter((u) => isReplacement(u)).map((u) => u.next);
    for (const wave of reverseWaves([...created, ...replaced])) {
      await this.parallel(wave, async (record) => {
        await this.cleanupDelete(op, 'rollback-cleanup', [prev, next], record, options.deliverTwice);
      });
    }
    for (const record of created) this.records.delete(record.logicalId);
    for (const [id, record] of before) this.records.set(id, record);
    this.revoke([...next.roles].filter((r) => !prev.roles.has(r)).map((role) => [next, role] as const));
    this.current = prev;
    await this.closeVersions([prev]);
    return this.finish(op, 'UPDATE_ROLLBACK_COMPLETE');
  }

  /** A cleanup Delete: retried when it fails, then given up on without failing the stack. */
  private async cleanupDelete(op: Operation, phase: 'cleanup' | 'rollback-cleanup', versions: Version[], record: DeployedResource, twice?: boolean): Promise<void> {
    const attempts = this.options.cleanupAttempts ?? 3;
    let reason = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const result = await this.send(op, phase, versions, record, 'Delete', { properties: record.properties, physicalResourceId: record.physicalResourceId }, twice, attempt);
      if (result.response.Status === 'SUCCESS') return;
      reason = result.response.Reason ?? '';
    }
    op.failedCleanups.push({ phase, logicalId: record.logicalId, physicalResourceId: record.physicalResourceId, reason, attempts });
  }

  /**
   * Builds and delivers one event to the resource's provider. `versions` in order of preference: the first whose
   * template serves the resource's ServiceToken runs it (its framework and handler code; the policy is the one in
   * force, whichever version delivers).
   */
  private async send(
    op: Operation,
    phase: StackPhase,
    versions: Version[],
    record: DeployedResource,
    requestType: RequestType,
    body: { properties: Properties; oldProperties?: Properties; physicalResourceId?: string },
    twice = false,
    attempt = 1,
  ): Promise<EventResult> {
    const serviceToken = String(body.properties.ServiceToken ?? record.properties.ServiceToken);
    const [cfn, info] = serving(versions, record, serviceToken);
    const requestId = randomUUID();
    const event: CustomResourceEvent = {
      RequestType: requestType,
      ServiceToken: serviceToken,
      ResponseURL: this.emulator.responseUrl(`${record.logicalId}-${requestType}-${requestId}`),
      StackId: this.stackId!,
      RequestId: requestId,
      LogicalResourceId: record.logicalId,
      ResourceType: record.resourceType,
      ResourceProperties: body.properties,
    };
    if (requestType === 'Update') event.OldResourceProperties = body.oldProperties;
    if (requestType !== 'Create') event.PhysicalResourceId = body.physicalResourceId;
    op.keys.add(info.userFunction.accessKeyId);
    const policy = this.inForce.get(info.userFunction.roleLogicalId ?? '') ?? [];
    const first = await cfn.deliver(event, info);
    op.events.push({ phase, logicalId: record.logicalId, requestType, result: first, delivery: 1, attempt, policy });
    if (twice) {
      const second = await cfn.deliver(event, info);
      op.events.push({ phase, logicalId: record.logicalId, requestType, result: second, delivery: 2, attempt, policy });
    }
    return first;
  }

  /** The record of a resource as `version`'s template declares it. */
  private recordFor(version: Version, logicalId: string, physicalResourceId: string): DeployedResource {
    const resource = version.template.Resources[logicalId] as Template['Resources'][string] & { DeletionPolicy?: string; UpdateReplacePolicy?: string };
    return {
      logicalId,
      resourceType: resource.Type,
      physicalResourceId,
      properties: version.cfn.resolveProperties(logicalId),
      deletionPolicy: resource.DeletionPolicy,
      updateReplacePolicy: resource.UpdateReplacePolicy,
      dependsOn: [...customDependencies(version.template, logicalId)],
    };
  }

  /** Puts the statements of every handler role of `version` in force. */
  private putInForce(version: Version): void {
    for (const role of version.roles) this.inForce.set(role, version.cfn.rolePolicyStatements(role));
    version.cfn.registerPolicies();
  }

  /** The roles were deleted with their stack (or template): their keys may do nothing any more. */
  private revoke(roles: (readonly [Version, string])[]): void {
    for (const [version, role] of roles) {
      this.inForce.delete(role);
      for (const r of version.cfn.customResources()) {
        const fn = r.userFunction;
        if (fn.roleLogicalId === role && fn.principalArn && this.options.iam !== false) this.emulator.iam.setIdentity(fn.accessKeyId, { principalArn: fn.principalArn, statements: [] });
      }
    }
  }

  private operation(operation: StackOperationResult['operation']): Operation {
    return { operation, start: Date.now(), events: [], failures: [], failedCleanups: [], retained: [], keys: new Set() };
  }

  private finish(op: Operation, status: StackStatus): StackOperationResult {
    this.status = status;
    // The template in force once the operation ended (GetTemplate, for `plan`): after a rollback the old one again.
    if (this.current && status !== 'DELETE_COMPLETE') {
      const cfn = this.current.cfn;
      const ref = { stackId: this.stackId!, stackName: cfn.stackName, region: cfn.region };
      this.emulator.cloudFormation.recordTemplate(ref, this.current.template, status);
      const custom = [...this.records.values()].filter((r) => r.resourceType.startsWith('Custom::') && r.physicalResourceId);
      this.emulator.cloudFormation.setCustomResources(ref, custom.map((r) => ({ logicalId: r.logicalId, physicalId: r.physicalResourceId, resourceType: r.resourceType })));
    }
    const denials = this.emulator.iam.denials.filter((d) => d.time >= op.start && op.keys.has(d.accessKeyId));
    return { operation: op.operation, status, stackId: this.stackId!, events: op.events, failures: op.failures, failedCleanups: op.failedCleanups, retained: op.retained, denials };
  }

  private async closeVersions(keep: Version[]): Promise<void> {
    const closing = [...this.open].filter((v) => !keep.includes(v));
    for (const v of closing) this.open.delete(v);
    await Promise.all(closing.map((v) => v.cfn.close()));
  }

  private async parallel<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
    const limit = Math.max(1, this.options.concurrency ?? Number.POSITIVE_INFINITY);
    let next = 0;
    const worker = async () => {
      while (next < items.length) await fn(items[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  }

  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.busy) throw new Error(`LocalStack: an operation on stack ${this.stackName} is already in progress`);
    this.busy = true;
    try {
      return await fn();
    } finally {
      this.busy = false;
    }
  }
}

interface Operation {
  readonly operation: StackOperationResult['operation'];
  readonly start: number;
  readonly events: StackEvent[];
  readonly failures: StackFailure[];
  readonly failedCleanups: FailedCleanup[];
  readonly retained: string[];
  /** The access keys of the handlers that served its events. */
  readonly keys: Set<string>;
}

function failure(phase: StackPhase, result: EventResult): StackFailure {
  return { phase, logicalId: result.event.LogicalResourceId, requestType: result.event.RequestType, reason: result.response.Reason ?? '' };
}

/**
 * The version (and artifacts) that serve an event: the resource's own entry in the first version that has it with
 * this ServiceToken, else the framework and handler of that ServiceToken in the first version that has one (a
 * resource removed from the template is still served by its provider).
 */
function serving(versions: Version[], record: DeployedResource, serviceToken: string): [LocalCloudFormation, CustomResourceInfo] {
  for (const v of versions) {
    const own = v.cfn.customResources().find((r) => r.logicalId === record.logicalId && r.serviceToken === serviceToken);
    if (own) return [v.cfn, own];
  }
  for (const v of versions) {
    const sibling = v.cfn.customResources().find((r) => r.serviceToken === serviceToken);
    if (sibling) return [v.cfn, { ...sibling, logicalId: record.logicalId, resourceType: record.resourceType, templateProperties: record.properties }];
  }
  throw new Error(`LocalStack: no template version serves ${record.logicalId}'s ServiceToken ${serviceToken}`);
}

function customIds(template: Template): string[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type.startsWith('Custom::') || r.Type === 'AWS::CloudFormation::CustomResource')
    .map(([id]) => id)
    .sort();
}

/** Logical ids a template value refers to: Ref, Fn::GetAtt, and ${X} / ${X.Attr} in Fn::Sub. */
function references(value: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => references(v, into));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (k === 'Ref' && typeof v === 'string' && !v.startsWith('AWS::')) into.add(v);
      else if (k === 'Fn::GetAtt') into.add(Array.isArray(v) ? String(v[0]) : String(v).split('.')[0]);
      else if (k === 'Fn::Sub') {
        const text = Array.isArray(v) ? String(v[0]) : String(v);
        for (const m of text.matchAll(/\$\{([^}!.]+)(?:\.[^}]*)?\}/g)) if (!m[1].startsWith('AWS::')) into.add(m[1]);
        if (Array.isArray(v)) references(v[1], into);
      } else references(v, into);
    }
  }
  return into;
}

/** The custom resources `logicalId` depends on, directly or through any other resource of the template. */
function customDependencies(template: Template, logicalId: string): Set<string> {
  const custom = new Set(customIds(template));
  const found = new Set<string>();
  const seen = new Set<string>([logicalId]);
  const stack = [logicalId];
  while (stack.length > 0) {
    const id = stack.pop()!;
    const r = template.Resources[id];
    if (!r) continue;
    const direct = references(r.Properties ?? {}, new Set<string>());
    for (const d of [r.DependsOn ?? []].flat()) direct.add(String(d));
    for (const d of direct) {
      if (seen.has(d) || !template.Resources[d]) continue;
      seen.add(d);
      if (custom.has(d)) found.add(d);
      stack.push(d);
    }
  }
  return found;
}

/** Dependencies first: each wave holds the resources whose dependencies (among `records`) are all in earlier waves. */
function waves<T extends { logicalId: string; dependsOn: string[] }>(records: T[]): T[][] {
  const ids = new Set(records.map((r) => r.logicalId));
  const done = new Set<string>();
  let left = [...records];
  const out: T[][] = [];
  while (left.length > 0) {
    const wave = left.filter((r) => r.dependsOn.every((d) => !ids.has(d) || done.has(d)));
    if (wave.length === 0) throw new Error(`LocalStack: circular dependency among ${left.map((r) => r.logicalId).join(', ')}`);
    wave.forEach((r) => done.add(r.logicalId));
    left = left.filter((r) => !done.has(r.logicalId));
    out.push(wave);
  }
  return out;
}

/** Dependents first (deletes and rollbacks). */
function reverseWaves<T extends { logicalId: string; dependsOn: string[] }>(records: T[]): T[][] {
  return waves(records).reverse();
}

/** Equal as JSON values, whatever the order of object keys. */
function sameJson(a: unknown, b: unknown): boolean {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canonical) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])])) : v;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** A successful Update that returned another physical id: CloudFormation replaced the resource. */
function isReplacement(u: { old: DeployedResource; next: DeployedResource }): boolean {
  return u.next.physicalResourceId !== u.old.physicalResourceId;
}
