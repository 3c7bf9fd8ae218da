// Command-line arguments of `cdk-connection-sharing`.

export const USAGE = `Usage: cdk-connection-sharing plan [--app DIR] [--stack NAME ...] [--json]

Shows what the next deploy would do to every Custom::PartnerConnectionPreferences and
Custom::ConnectionAliasSharing resource of a synthesized CDK app, reading the live account (read-only):
create, update (the exact writes, in order), none, blocked (the deploy would fail, and why) or unknown
(a property the command cannot resolve before the deploy), with drift and what a delete would do now.

Options:
  --app DIR       the cloud assembly to read, written by \`cdk synth\` (default: cdk.out)
  --stack NAME    only this stack (exact name; repeat for more). Default: every stack
  --json          print one JSON object: { "resources": [...], "summary": {...} }
  -h, --help      print this help

Credentials, Region and endpoints come from the standard AWS SDK chain and environment
(AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_*...). Each stack is read in its own Region when the assembly
knows it; Partner Central and its state always in us-east-1.

Exit status: 0 nothing would change; 2 changes pending (a create, an update, or an unknown);
3 the deploy would fail (a blocked resource; wins over 2); 1 the plan itself failed.`;

export interface PlanArgs {
  readonly command: 'plan';
  readonly app: string;
  /** Exact stack names; empty means every stack. */
  readonly stacks: string[];
  readonly json: boolean;
}

export type Args = PlanArgs | { readonly command: 'help' };

/** Bad arguments: exit 1 with the message and a pointer to --help. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parseArgs(argv: readonly string[]): Args {
  if (argv.length === 0) throw new UsageError('no command given: use `cdk-connection-sharing plan`');
  if (argv.includes('--help') || argv.includes('-h')) return { command: 'help' };
  const [command, ...rest] = argv;
  if (command === 'help') return { command: 'help' };
  if (command !== 'plan') throw new UsageError(`unknown command '${command}': the only command is \`plan\``);
  let app = 'cdk.out';
  const stacks: string[] = [];
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const eq = arg.indexOf('=');
    const [flag, inline] = arg.startsWith('--') && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? rest[++i];
      if (v === undefined || v === '' || (inline === undefined && v.startsWith('--'))) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--app':
        app = value();
        break;
      case '--stack':
        stacks.push(value());
        break;
      case '--json':
        if (inline !== undefined) throw new UsageError('--json takes no value');
        json = true;
        break;
      default:
        throw new UsageError(arg.startsWith('-') ? `unknown option ${flag}` : `unexpected argument '${arg}'`);
    }
  }
  return { command: 'plan', app, stacks, json };
}
