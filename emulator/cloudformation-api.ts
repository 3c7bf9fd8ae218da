// The read side of CloudFormation, over the real awsQuery protocol: a registry of deployed stacks (stack name ->
// stack id; logical id -> physical id) that LocalCloudFormation fills as it delivers events, and the operations that
// read it. Used by the `plan` command to resolve properties that refer to other resources of the stack.
//
// Rules (AWS CloudFormation API reference, DescribeStackResources): either StackName (a name or a stack id) or
// PhysicalResourceId, not both (ValidationError); LogicalResourceId filters; only the first 100 resources are
// returned. A stack that does not exist is a ValidationError "Stack with id <name> does not exist" (the message the
// CLI and SDK users see for it). UNVERIFIED: the messages for a missing logical or physical id.
import { AwsError } from './protocol';
import { type QueryService, type XmlValue, xmlResult } from './query-protocol';

/** DescribeStackResources returns at most this many resources (the rest: ListStackResources). */
export const DESCRIBE_STACK_RESOURCES_LIMIT = 100;

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
      entry = { stackId: stack.stackId, stackName: stack.stackName, region: stack.region, resources: new Map() };
      this.stacks.set(key, entry);
    }
    const before = entry.resources.get(resource.logicalId);
    const status = before ? 'UPDATE_COMPLETE' : 'CREATE_COMPLETE';
    if (before?.physicalId === resource.physicalId && before.resourceType === resource.resourceType) return;
    entry.resources.set(resource.logicalId, { ...resource, status, timestamp: new Date().toISOString() });
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
      default:
        throw new AwsError(400, 'InvalidAction', `Could not find operation ${action} for version ${api.version} (not emulated)`);
    }
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
  for (const [logicalId, physicalId] of Object.entries(stack.attributes ?? {})) {
    const type = stack.template.Resources[logicalId]?.Type;
    if (type && !logicalId.includes('.')) registry.recordResource(stack, { logicalId, physicalId, resourceType: type });
  }
  if (response.PhysicalResourceId) {
    registry.recordResource(stack, { logicalId: event.LogicalResourceId, physicalId: response.PhysicalResourceId, resourceType: event.ResourceType });
  }
}
