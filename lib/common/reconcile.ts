// The reconcile context key: `cdk deploy -c cdk-connection-sharing:reconcile=<new value>` adds the value to the
// properties of every resource of this library in scope, so that this one deploy sends each of them an Update (which
// converges a drifted setting; CloudFormation sends a custom resource nothing when its properties are unchanged).
// Absent, it adds nothing: the template is the same as without this feature. Dependency-free (the `plan` command's
// bundle imports the key too): `import type` only.
import type { IConstruct } from 'constructs';

/** The context key, read with `node.tryGetContext`: set on the app (`-c`) or on a scope with `node.setContext`. */
export const RECONCILE_CONTEXT_KEY = 'cdk-connection-sharing:reconcile';

/**
 * The reconcile value in force at `scope` (the nearest scope that sets the key, up to the app), as the template
 * gets it, or undefined when it is not set. Throws naming the key and the value when it cannot be a property value.
 */
export function reconcileValue(scope: IConstruct): string | undefined {
  const value: unknown = scope.node.tryGetContext(RECONCILE_CONTEXT_KEY);
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string' || value.trim() === '') {
    throw new Error(
      `${scope.node.path}: context ${RECONCILE_CONTEXT_KEY} is ${JSON.stringify(value)}: give it a new non-empty value on each reconciling deploy, ` +
        `e.g. \`cdk deploy -c ${RECONCILE_CONTEXT_KEY}=$(date -u +%Y%m%dT%H%M%SZ)\`, or leave it unset.`,
    );
  }
  return value;
}

/** `{ [key]: value }` when the reconcile key is set at `scope`, else `{}` (nothing added to the template). */
export function reconcileProperty(scope: IConstruct, key: string): Record<string, string> {
  const value = reconcileValue(scope);
  return value === undefined ? {} : { [key]: value };
}
