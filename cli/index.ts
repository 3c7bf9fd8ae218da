// `cdk-connection-sharing`: the package's command (bundled into assets/cli/index.js, the package's `bin`). It runs
// in a user's app where only aws-cdk-lib and constructs are installed: the SDK clients are bundled in; aws-cdk-lib
// (the cloud-assembly reader) is the app's own.
import { USAGE, UsageError, parseArgs } from './args';
import { styleFor, toJson, toText } from './format';
import { PlanError, exitCode, runPlan } from './plan';

export async function main(argv: readonly string[], io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream } = process): Promise<number> {
  let args;
  try {
    args = parseArgs(argv);
  } catch (err) {
    io.stderr.write(`cdk-connection-sharing: ${(err as Error).message}\n\n${USAGE}\n`);
    return 1;
  }
  if (args.command === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // The SDK clients are bundled and pinned: the SDK's notice that its FUTURE versions need Node 22 concerns this
  // package's maintainers, not its users, and would only clutter the review.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // stdout carries the plan alone (one JSON object with --json): anything else that writes to the console goes to stderr.
  console.log = console.error;
  console.info = console.error;
  try {
    const report = await runPlan({ app: args.app, stacks: args.stacks });
    io.stdout.write(args.json ? toJson(report) : toText(report, styleFor(io.stdout)));
    if (args.json) for (const w of report.warnings) io.stderr.write(`cdk-connection-sharing: warning: ${w}\n`);
    return exitCode(report.summary);
  } catch (err) {
    const known = err instanceof UsageError || err instanceof PlanError;
    io.stderr.write(`cdk-connection-sharing: plan failed: ${known ? (err as Error).message : (err as Error)?.stack ?? String(err)}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`cdk-connection-sharing: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
