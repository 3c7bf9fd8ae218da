import { ArnFormat, Aspects, AspectPriority, Aws, Lazy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, type IConstruct } from 'constructs';

/**
 * How many instances of one kind a stack may hold before their grants widen from one ARN per instance to the
 * kind's prefix. IAM caps a role's inline policies at 10,240 characters in total; an instance's exact ARNs cost
 * about 200-300 characters, so a stack of ~36 aliases or ~50 catalogs would fail to deploy. 20 keeps the exact
 * form well inside the cap, and the widened form is constant in size.
 */
export const SCOPED_GRANTS_LIMIT = 20;

/** One statement whose resources are exact per instance up to the limit, then the given wide ones. */
export interface ScopedStatement {
  readonly actions: string[];
  /** The exact resources of one instance. */
  readonly exact: (instance: string) => string[];
  /** What replaces all exact resources past the limit. */
  readonly wide: string[];
  /** Why a wildcard in these resources is acceptable (for cdk-nag's AwsSolutions-IAM5), when one may appear. */
  readonly wildcardReason?: (resource: string) => string;
}

/**
 * The least-privilege statements a kind's instances add to their provider's policy. Which form renders (exact or
 * wide) is decided at synthesis, once every instance is known, and the cdk-nag acknowledgements follow that form,
 * so each acknowledgement names a finding that really occurs.
 */
export class ScopedGrants extends Construct {
  private readonly instances: string[] = [];

  constructor(
    scope: Construct,
    id: string,
    private readonly policy: iam.Policy,
    private readonly statements: ScopedStatement[],
  ) {
    super(scope, id);
    for (const s of statements) {
      policy.addStatements(new iam.PolicyStatement({ actions: s.actions, resources: Lazy.list({ produce: () => this.resourcesOf(s) }) }));
    }
    // Mutating priority: runs before the validation plugins (cdk-nag) read acknowledgements from the tree.
    Aspects.of(this).add({ visit: (node: IConstruct) => node === this && this.acknowledge() }, { priority: AspectPriority.MUTATING });
  }

  /** Adds an instance's exact resources (an instance already added is ignored). */
  public add(instance: string): void {
    if (!this.instances.includes(instance)) this.instances.push(instance);
  }

  /** True when the instances are too many for exact grants (see SCOPED_GRANTS_LIMIT). */
  public get wide(): boolean {
    return this.instances.length > SCOPED_GRANTS_LIMIT;
  }

  private resourcesOf(s: ScopedStatement): string[] {
    return this.wide ? s.wide : [...new Set(this.instances.flatMap((i) => s.exact(i)))];
  }

  private acknowledge(): void {
    const stack = Stack.of(this);
    for (const s of this.statements) {
      if (!s.wildcardReason) continue;
      for (const resource of this.resourcesOf(s)) {
        const named = flattenForNag(stack.resolve(resource));
        if (!named.includes('*')) continue;
        Validations.of(this.policy).acknowledge({ id: `AwsSolutions-IAM5[Resource::${named}]`, reason: s.wildcardReason(named) });
      }
    }
  }
}

/**
 * A resource as cdk-nag names it in a finding id: CloudFormation functions flattened, references in angle
 * brackets. Mirrors cdk-nag's own flattening, so that an acknowledgement matches token ARNs too.
 */
export function flattenForNag(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const obj = node as Record<string, unknown>;
  if (obj['Fn::Join']) {
    const [delimiter, items] = obj['Fn::Join'] as [string, unknown[]];
    return items.map(flattenForNag).join(delimiter);
  }
  if (obj['Fn::Sub']) return flattenForNag(obj['Fn::Sub']);
  if (obj['Fn::GetAtt']) {
    const [resource, attribute] = obj['Fn::GetAtt'] as [unknown, unknown];
    return `<${flattenForNag(resource)}.${flattenForNag(attribute)}>`;
  }
  if (obj['Fn::ImportValue']) return flattenForNag(obj['Fn::ImportValue']);
  if (obj.Ref) return `<${flattenForNag(obj.Ref)}>`;
  return JSON.stringify(node);
}

/** The ARN of an SSM parameter (or path) in the stack's account and partition. */
export function parameterArn(stack: Stack, name: string, region?: string): string {
  return stack.formatArn({
    service: 'ssm',
    region,
    partition: Aws.PARTITION,
    resource: 'parameter',
    // Parameter ARNs carry the name without its leading slash.
    resourceName: name.replace(/^\//, ''),
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

/** The state store's statements: read a setting's path, write and delete under it; widened to the kind's prefix. */
export function stateStoreStatements(stack: Stack, kindPrefix: string, pathOf: (instance: string) => string, region?: string): ScopedStatement[] {
  const everything = [parameterArn(stack, `${kindPrefix}/*`, region)];
  return [
    {
      actions: ['ssm:GetParametersByPath'],
      exact: (i) => [parameterArn(stack, pathOf(i), region)],
      wide: everything,
      wildcardReason: () => `More than ${SCOPED_GRANTS_LIMIT} instances in this stack: their state is read under the library's prefix ${kindPrefix}, to keep the role's policy under IAM's size limit.`,
    },
    {
      actions: ['ssm:PutParameter', 'ssm:DeleteParameters'],
      exact: (i) => [parameterArn(stack, `${pathOf(i)}/*`, region)],
      wide: everything,
      wildcardReason: (r) => `The state store writes a header and numbered parts, named at run time, under its own prefix (${r}).`,
    },
  ];
}
