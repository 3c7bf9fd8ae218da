// Dependency-free (no aws-cdk-lib): the handler bundles import it too.

/**
 * The handler function's environment variable that holds its own stack's id (`AWS::StackId`), set by the construct.
 * The handler refuses every event whose `StackId` is not this one: nothing in Lambda checks where an event came from.
 */
export const STACK_ID_ENV = 'CDK_CONNECTION_SHARING_STACK_ID';
