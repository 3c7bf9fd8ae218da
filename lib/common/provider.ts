import * as path from 'path';
import * as fs from 'fs';
import { Aws, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { STACK_ID_ENV } from './handler-env';

/** Where `npm run bundle` writes each handler; the package ships this folder. */
const ASSETS_DIR = path.join(__dirname, '..', '..', 'assets');

/** How long the handlers' and the framework's log lines are kept. */
export const LOG_RETENTION = logs.RetentionDays.ONE_YEAR;

export interface HandlerProviderOptions {
  /** Construct id of the singleton under the stack: public contract, never rename. */
  readonly id: string;
  /** The handler's folder under assets/ (and lambda/). */
  readonly kind: string;
  readonly description: string;
  readonly timeout: Duration;
}

/**
 * One Provider framework per stack and kind, shared by every instance of that kind: the handler, its own role,
 * log group and one policy that each instance adds its least-privilege statements to.
 */
export class HandlerProvider extends Construct {
  /** Returns the stack's provider for this kind, creating it on first use. */
  public static getOrCreate(scope: Construct, options: HandlerProviderOptions): HandlerProvider {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(options.id);
    return existing instanceof HandlerProvider ? existing : new HandlerProvider(stack, options);
  }

  public readonly serviceToken: string;
  public readonly handler: lambda.Function;
  public readonly role: iam.Role;
  /** The single policy every instance adds its statements to; each custom resource depends on it. */
  public readonly policy: iam.Policy;

  private constructor(scope: Stack, options: HandlerProviderOptions) {
    super(scope, options.id);
    const assetDir = path.join(ASSETS_DIR, options.kind);
    if (!fs.existsSync(path.join(assetDir, 'index.js'))) {
      throw new Error(
        `cdk-connection-sharing: the ${options.kind} handler bundle is missing at ${assetDir}. ` +
          'If you work on this library, run `npm run bundle`; if you installed it, reinstall the package.',
      );
    }

    const logGroup = new logs.LogGroup(this, 'HandlerLogs', { retention: LOG_RETENTION });
    // A role of our own, with log permissions scoped to our log group, instead of the AWS managed
    // AWSLambdaBasicExecutionRole (cdk-nag IAM4) that would allow writing to any log group.
    this.role = new iam.Role(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${options.description} (handler)`,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    this.policy = new iam.Policy(this, 'HandlerPolicy', { roles: [this.role] });

    this.handler = new lambda.Function(this, 'Handler', {
      description: options.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(assetDir),
      timeout: options.timeout,
      memorySize: 256,
      role: this.role,
      logGroup,
      // Its own stack's id: the handler refuses events for any other stack (anyone allowed to invoke it, or the
      // framework, could otherwise send it events that use its account-wide grants).
      environment: { [STACK_ID_ENV]: Aws.STACK_ID },
    });
    this.handler.node.addDependency(this.role);

    const frameworkLogs = new logs.LogGroup(this, 'FrameworkLogs', { retention: LOG_RETENTION });
    const frameworkRole = new iam.Role(this, 'FrameworkRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${options.description} (provider framework)`,
    });
    frameworkRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [frameworkLogs.logGroupArn],
      }),
    );
    const provider = new Provider(this, 'Provider', {
      onEventHandler: this.handler,
      frameworkOnEventRole: frameworkRole,
      logGroup: frameworkLogs,
    });
    this.serviceToken = provider.serviceToken;

    // Findings we cannot fix, acknowledged one exact id at a time (core API: no dependency on cdk-nag).
    Validations.of(frameworkRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${stackLogicalId(this.handler)}.Arn>:*]`,
      reason: 'The Provider framework grants lambda:InvokeFunction on our handler and its versions (ARN:*).',
    });
  }
}

function stackLogicalId(fn: lambda.Function): string {
  return Stack.of(fn).getLogicalId(fn.node.defaultChild as lambda.CfnFunction);
}
