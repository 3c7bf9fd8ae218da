// The read side of CloudFormation, over the real awsQuery protocol: a registry of deployed stacks (stack name ->
// stack id; logical id -> physical id; the template in force) that LocalCloudFormation and LocalStack fill as they
// deliver events, and the operations that read it. Used by the `plan` command: to resolve properties that refer to
// other resources of the stack, and to see what the next deploy deletes (API-FACTS.md, "Listing what a stack has
// deployed").
//
// Rules (AWS CloudFormation API reference):
// - DescribeStackResources: either StackName (a name or a stack id) or PhysicalResourceId, not both
//   (ValidationError); LogicalResourceId filters; only the first 100 resources are returned.
// - ListStackResources: StackName required; pages of StackResourceSummaries with NextToken (the page size is
//   CloudFormation's: 100 here, UNVERIFIED); a NextToken this stack did not give is a ValidationError (UNVERIFIED text).
// - GetTemplate: StackName; TemplateBody is the template in force as a JSON string, TemplateStage Original (default)
//   or Processed (the same here: the emulator runs no transforms), StagesAvailable both.
// - DescribeStacks: StackName gives that stack (Stacks with StackId, StackName, StackStatus, CreationTime).
// A stack that does not exist is a ValidationError "Stack with id <name> does not exist" (the message the CLI and SDK
// users see for it) in all four. UNVERIFIED: the messages for a missing logical or physical id.
import { AwsError } from './protocol';
import { type QueryService, type XmlValue, xmlResult } from './query-protocol';

/** DescribeStackResources returns at most this many resources (the rest: ListStackResources). */
export const DESCRIBE_STACK_RESOURCES_LIMIT = 100;
/** ListStackResources' page size (UNVERIFIED: CloudFormation does not document it; clients must follow NextToken). */
export const LIST_STACK_RESOURCES_PAGE = 100;

export interface DeployedResource {
  readonly logicalId: string;
  readonly physicalId: string;
  readonly resourceType: string;
  readonly status: 'CREATE_COMPLETE' | 'UPDATE_COMPLETE';
  readonly timestamp: string;
}

export interface DeployedStack {
  readonly stackId: string;
  readonly stackName: string;
  readonly region: string;
  /** In the order they were first deployed. */
  readonly resources: Map<string, DeployedResource>;
  /** The template in force (what GetTemplate returns), once a deploy recorded one. */
  template?: unknown;
  /** The stack's status as LocalStack last set it; otherwise told from its resources. */
  status?: string;
  readonly creationTime: string;
}

/** Names a stack as LocalCloudFormation (or a test) knows it. */
export interface StackRef {
  readonly stackId: string;
  readonly stackName: string;
  readonly region: string;
}

export class CloudFormationState {
  private readonly stacks = new Map<string, DeployedStack>();

  reset(): void {
    this.stacks.clear();
  }

  /**
   * Records a resource as deployed with this physical id. A stack seen for the first time, or under a new stack id
   * (deleted and created again under the same name), starts with no resources.
   */
  recordResource(stack: StackRef, resource: { logicalId: string; physicalId: string; resourceType: string }): void {
    const key = keyOf(stack.region, stack.stackName);
    let entry = this.stacks.get(key);
    if (!entry || entry.stackId !== stack.stackId) {
      entry = this.newStack(stack);
    }
    const before = entry.resources.get(resource.logicalId);
    const status = before ? 'UPDATE_COMPLETE' : 'CREATE_COMPLETE';
    if (before?.physicalId === resource.physicalId && before.resourceType === resource.resourceType) return;
    entry.resources.set(resource.logicalId, { ...resource, status, timestamp: new Date().toISOString() });
  }

  /** Puts `template` in force for the stack (a stack seen for the first time, or under a new id, starts empty). */
  recordTemplate(stack: StackRef, template: unknown, status?: string): void {
    let entry = this.stacks.get(keyOf(stack.region, stack.stackName));
    if (!entry || entry.stackId !== stack.stackId) entry = this.newStack(stack);
    // A copy: the caller's object may be edited later (a test patching its template), the one in force may not.
    entry.template = JSON.parse(JSON.stringify(template));
    if (status) entry.status = status;
  }

  private newStack(stack: StackRef): DeployedStack {
    const entry: DeployedStack = { stackId: stack.stackId, stackName: stack.stackName, region: stack.region, resources: new Map(), creationTime: new Date().toISOString() };
    this.stacks.set(keyOf(stack.region, stack.stackName), entry);
    return entry;
  }

  /**
   * The stack's custom resources are exactly these (LocalStack, once an operation ended: after a rollback, a replaced
   * resource's old physical id is current again though no event named it); other resources are left as recorded.
   */
  setCustomResources(stack: StackRef, resources: { logicalId: string; physicalId: string; resourceType: string }[]): void {
    const entry = this.stacks.get(keyOf(stack.region, stack.stackName));
    if (!entry || entry.stackId !== stack.stackId) return;
    for (const [logicalId, r] of entry.resources) if (r.resourceType.startsWith('Custom::')) entry.resources.delete(logicalId);
    for (const r of resources) this.recordResource(stack, r);
  }

  /** The resource was deleted (only when it still has this physical id: a replaced resource's cleanup keeps the new one). */
  removeResource(stack: StackRef, logicalId: string, physicalId?: string): void {
    const entry = this.stacks.get(keyOf(stack.region, stack.stackName));
    if (!entry || entry.stackId !== stack.stackId) return;
    const found = entry.resources.get(logicalId);
    if (found && (physicalId === undefined || found.physicalId === physicalId)) entry.resources.delete(logicalId);
  }

  deleteStack(region: string, stackName: string): void {
    this.stacks.delete(keyOf(region, stackName));
  }

  /** The live stack of this name or id in `region`. */
  stack(region: string, nameOrId: string): DeployedStack | undefined {
    const byName = this.stacks.get(keyOf(region, nameOrId));
    if (byName) return byName;
    return [...this.stacks.values()].find((s) => s.region === region && s.stackId === nameOrId);
  }

  async handle(api: QueryService, action: string, params: Record<string, string>, region: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    switch (action) {
      case 'DescribeStackResources':
        return xmlResult(api, action, { StackResources: this.describeStackResources(params, region) });
      case 'ListStackResources':
        return xmlResult(api, action, this.listStackResources(params, region));
      case 'GetTemplate': {
        const stack = this.existing(region, params.StackName);
        const stage = params.TemplateStage ?? 'Original';
        if (stage !== 'Original' && stage !== 'Processed') throw new AwsError(400, 'ValidationError', `1 validation error detected: Value '${stage}' at 'templateStage' failed to satisfy constraint: Member must satisfy enum value set: [Original, Processed]`);
        return xmlResult(api, action, { TemplateBody: JSON.stringify(stack.template ?? { Resources: {} }), StagesAvailable: ['Original', 'Processed'] });
      }
      case 'DescribeStacks': {
        // Without StackName CloudFormation lists every stack; the plan always names one.
        const stacks = params.StackName ? [this.existing(region, params.StackName)] : [...this.stacks.values()].filter((s) => s.region === region);
        const status = (s: DeployedStack) => s.status ?? ([...s.resources.values()].some((r) => r.status === 'UPDATE_COMPLETE') ? 'UPDATE_COMPLETE' : 'CREATE_COMPLETE');
        return xmlResult(api, action, { Stacks: stacks.map((s) => ({ StackId: s.stackId, StackName: s.stackName, CreationTime: s.creationTime, StackStatus: status(s) })) });
      }
      default:
        throw new AwsError(400, 'InvalidAction', `Could not find operation ${action} for version ${api.version} (not emulated)`);
    }
  }

  private existing(region: string, nameOrId: string | undefined): DeployedStack {
    if (!nameOrId) throw new AwsError(400, 'ValidationError', "1 validation error detected: Value null at 'stackName' failed to satisfy constraint: Member must not be null");
    const stack = this.stack(region, nameOrId);
    if (!stack) throw new AwsError(400, 'ValidationError', `Stack with id ${nameOrId} does not exist`);
    return stack;
  }

  private listStackResources(params: Record<string, string>, region: string): { StackResourceSummaries: XmlValue[]; NextToken?: string } {
    const stack = this.existing(region, params.StackName);
    const all = [...stack.resources.values()];
    let start = 0;
    if (params.NextToken) {
      const m = /^page:(.+):(\d+)$/.exec(params.NextToken);
      if (!m || m[1] !== stack.stackId) throw new AwsError(400, 'ValidationError', 'Invalid NextToken');
      start = Number(m[2]);
    }
    const page = all.slice(start, start + LIST_STACK_RESOURCES_PAGE);
    const next = start + LIST_STACK_RESOURCES_PAGE;
    return {
      StackResourceSummaries: page.map((r) => ({
        LogicalResourceId: r.logicalId,
        PhysicalResourceId: r.physicalId,
        ResourceType: r.resourceType,
        LastUpdatedTimestamp: r.timestamp,
        ResourceStatus: r.status,
      })),
      NextToken: next < all.length ? `page:${stack.stackId}:${next}` : undefined,
    };
  }

  private describeStackResources(params: Record<string, string>, region: string): XmlValue[] {
    const { StackName, LogicalResourceId, PhysicalResourceId } = params;
    if (StackName && PhysicalResourceId) throw new AwsError(400, 'ValidationError', 'Cannot specify both StackName and PhysicalResourceId');
    if (!StackName && !PhysicalResourceId) throw new AwsError(400, 'ValidationError', 'Either StackName or PhysicalResourceId must be specified');
    let stack: DeployedStack | undefined;
    if (StackName) {
      stack = this.stack(region, StackName);
      if (!stack) throw new AwsError(400, 'ValidationError', `Stack with id ${StackName} does not exist`);
    } else {
      stack = [...this.stacks.values()].find((s) => s.region === region && [...s.resources.values()].some((r) => r.physicalId === PhysicalResourceId));
      if (!stack) throw new AwsError(400, 'ValidationError', `Stack for ${PhysicalResourceId} does not exist`);
    }
    let resources = [...stack.resources.values()];
    if (LogicalResourceId) {
      resources = resources.filter((r) => r.logicalId === LogicalResourceId);
      if (resources.length === 0) throw new AwsError(400, 'ValidationError', `Resource ${LogicalResourceId} does not exist for stack ${stack.stackName}`);
    }
    return resources.slice(0, DESCRIBE_STACK_RESOURCES_LIMIT).map((r) => ({
      StackName: stack.stackName,
      StackId: stack.stackId,
      LogicalResourceId: r.logicalId,
      PhysicalResourceId: r.physicalId,
      ResourceType: r.resourceType,
      Timestamp: r.timestamp,
      ResourceStatus: r.status,
    }));
  }
}

function keyOf(region: string, stackName: string): string {
  return `${region}/${stackName}`;
}

/** What LocalCloudFormation knows of the stack whose event it delivered. */
export interface DeliveringStack extends StackRef {
  readonly template: { Resources: Record<string, { Type: string }> };
  /** LocalCloudFormation's `attributes`: the physical ids of the stack's other resources (`{ Alias: 'wsca-...' }`). */
  readonly attributes?: Record<string, string>;
}

/**
 * The hook LocalCloudFormation calls after each delivered event. A successful Create or Update means the stack
 * exists, with the resources it depends on (the ones given as attributes) and this resource's physical id; a
 * successful Delete removes the resource if it still has that physical id.
 */
export function recordEvent(
  registry: CloudFormationState,
  stack: DeliveringStack,
  event: { RequestType: string; LogicalResourceId: string; ResourceType: string; PhysicalResourceId?: string },
  response: { Status: string; PhysicalResourceId?: string },
): void {
  if (response.Status !== 'SUCCESS') return;
  if (event.RequestType === 'Delete') {
    registry.removeResource(stack, event.LogicalResourceId, event.PhysicalResourceId);
    return;
  }
  // The delivering template is the one in force once its Create or Update succeeded (LocalStack, which knows the
  // outcome of the whole stack operation, records the template in force again when the operation ends).
  registry.recordTemplate(stack, stack.template);
  for (const [logicalId, physicalId] of Object.entries(stack.attributes ?? {})) {
    const type = stack.template.Resources[logicalId]?.Type;
    if (type && !logicalId.includes('.')) registry.recordResource(stack, { logicalId, physicalId, resourceType: type });
  }
  if (response.PhysicalResourceId) {
    registry.recordResource(stack, { logicalId: event.LogicalResourceId, physicalId: response.PhysicalResourceId, resourceType: event.ResourceType });
  }
}
