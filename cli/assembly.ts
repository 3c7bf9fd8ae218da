// Reads a synthesized app with the CDK's own cloud-assembly reader (aws-cdk-lib/cx-api, the user's copy: a peer
// dependency, so the version that wrote the assembly reads it) and finds this library's resources in it.
import * as fs from 'fs';
import * as path from 'path';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { RESOURCE_TYPE as PREFERENCES_TYPE } from '../lib/partner-central/contract';
import { RESOURCE_TYPE as SHARING_TYPE } from '../lib/workspaces/contract';
import { RESOURCE_TYPE as ASSOCIATION_TYPE } from '../lib/workspaces-association/contract';
import { UsageError } from './args';
import type { Template } from './resolve';

export const RESOURCE_TYPES: readonly string[] = [PREFERENCES_TYPE, SHARING_TYPE, ASSOCIATION_TYPE];

export interface FoundResource {
  readonly logicalId: string;
  readonly resourceType: string;
  /** The construct path (`aws:cdk:path` metadata), or the logical id when the app turned path metadata off. */
  readonly path: string;
  /** As written in the template: intrinsics unresolved. */
  readonly properties: Record<string, unknown>;
  /** The resource's `Condition`, if any: whether it exists at all is then decided at deploy time. */
  readonly condition?: string;
}

export interface AssemblyStack {
  /** The CloudFormation stack name. */
  readonly stackName: string;
  /** How the CDK names it (`Stage/Stack` for a stack in a stage). */
  readonly displayName: string;
  /** Undefined when the stack is environment-agnostic. */
  readonly account?: string;
  readonly region?: string;
  readonly template: Template;
  readonly resources: FoundResource[];
  /** Nested stacks (AWS::CloudFormation::Stack) in this stack: their resources are not planned. */
  readonly nestedStacks: string[];
}

const UNKNOWN = /^unknown-/;

export function readAssembly(dir: string): AssemblyStack[] {
  const manifest = path.join(dir, 'manifest.json');
  if (!fs.existsSync(manifest)) {
    throw new UsageError(`no cloud assembly in ${path.resolve(dir)} (no manifest.json): run \`cdk synth\` first, or pass --app <the cdk.out directory>`);
  }
  let assembly: CloudAssembly;
  try {
    assembly = new CloudAssembly(dir);
  } catch (err) {
    throw new UsageError(`cannot read the cloud assembly in ${path.resolve(dir)}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return assembly.stacksRecursively.map((stack) => {
    const template = stack.template as Template;
    const resources: FoundResource[] = [];
    const nestedStacks: string[] = [];
    for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
      if (resource.Type === 'AWS::CloudFormation::Stack') nestedStacks.push(logicalId);
      if (!RESOURCE_TYPES.includes(resource.Type)) continue;
      const cdkPath = (resource.Metadata as Record<string, unknown> | undefined)?.['aws:cdk:path'];
      resources.push({
        logicalId,
        resourceType: resource.Type,
        path: typeof cdkPath === 'string' ? cdkPath : logicalId,
        properties: (resource.Properties ?? {}) as Record<string, unknown>,
        condition: typeof resource.Condition === 'string' ? resource.Condition : undefined,
      });
    }
    const known = (v: string | undefined) => (v && !UNKNOWN.test(v) ? v : undefined);
    return {
      stackName: stack.stackName,
      displayName: stack.displayName,
      account: known(stack.environment.account),
      region: known(stack.environment.region),
      template,
      resources,
      nestedStacks,
    };
  });
}

/** The stacks `names` selects (exact stack names, or the CDK's display names); an unknown name is a usage error. */
export function selectStacks(stacks: AssemblyStack[], names: readonly string[]): AssemblyStack[] {
  if (names.length === 0) return stacks;
  const missing = names.filter((n) => !stacks.some((s) => s.stackName === n || s.displayName === n));
  if (missing.length > 0) {
    const known = stacks.map((s) => s.stackName).join(', ') || '(none)';
    throw new UsageError(`no stack named ${missing.join(', ')} in the assembly; its stacks are: ${known}`);
  }
  return stacks.filter((s) => names.includes(s.stackName) || names.includes(s.displayName));
}
