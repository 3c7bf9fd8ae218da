import { ArnFormat, Aws, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';

// Why the grants are per kind and never per instance.
//
// CloudFormation updates the handler's policy (which every custom resource depends on) BEFORE the custom
// resources, and deletes replaced or removed resources only in the cleanup phase, AFTER every update: an old
// resource's Delete runs under the NEW policy. On rollback, the custom resources are rolled back BEFORE the policy,
// so a rollback Update runs under the failed update's policy, and resources the failed update created are deleted
// in the rollback's cleanup under the OLD one. A grant computed from the current template's instances therefore
// denies the Delete of a replaced alias, of a removed instance or of a changed catalog, and a cleanup Delete that
// keeps failing is given up on silently. Only a policy that is the same before and after any change of instances
// is right in every order: the kind's whole state prefix (which holds only this library's state), the account's
// aliases in the stack's region, and the catalogs Partner Central documents. Only this stack's handler holds these
// grants, it acts only on the alias or catalog a CloudFormation event of this stack names, and it changes that only
// while the lock stored under the prefix names the very resource of the event.

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

export interface WildcardGrant {
  readonly actions: string[];
  /** Each resource here holds a wildcard; each gets its own exact cdk-nag acknowledgement. */
  readonly resources: string[];
  readonly conditions?: Record<string, unknown>;
  /** Why the wildcard is the narrowest correct grant (shown by cdk-nag beside the acknowledged finding). */
  readonly reason: string;
}

/**
 * Adds a statement whose resources hold a wildcard, and acknowledges cdk-nag's `AwsSolutions-IAM5` finding for
 * each of them under its exact granular id, computed from what renders (so a token account or region is named
 * as cdk-nag names it). A bare rule id would also hide findings we did not mean to accept.
 */
export function grantWithWildcard(policy: iam.Policy, grant: WildcardGrant): void {
  policy.addStatements(new iam.PolicyStatement({ actions: grant.actions, resources: grant.resources, conditions: grant.conditions }));
  const stack = Stack.of(policy);
  for (const resource of grant.resources) {
    Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flattenForNag(stack.resolve(resource))}]`, reason: grant.reason });
  }
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

/**
 * The state store's grant: read, write and delete under the kind's own prefix (`/cdk-connection-sharing/<kind>/*`).
 * `GetParametersByPath` is authorized against the path it is asked for (`<prefix>/<id>`), which `<prefix>/*`
 * matches; `GetParameter` is not granted, since the handlers never call it.
 */
export function grantStateStore(policy: iam.Policy, kindPrefix: string, region?: string): void {
  grantWithWildcard(policy, {
    actions: ['ssm:GetParametersByPath', 'ssm:PutParameter', 'ssm:DeleteParameters'],
    resources: [parameterArn(Stack.of(policy), `${kindPrefix}/*`, region)],
    reason:
      `The state store of every resource of this kind lives under ${kindPrefix}/, a prefix that holds only this library's state. ` +
      'The whole prefix, not one path per resource, so that a replaced or removed resource, deleted after the new policy is in place, ' +
      'and a rollback, run under the failed update\'s policy, can still read and remove their state; the handler checks the owner ' +
      'recorded there before it changes anything.',
  });
}
