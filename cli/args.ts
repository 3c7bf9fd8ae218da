// Command-line arguments of `cdk-connection-sharing`, parsed by Node's own `util.parseArgs` (strict: an unknown
// option, a missing value or a stray argument is an error).
import { parseArgs as nodeParseArgs } from 'util';

export const USAGE = `Usage: cdk-connection-sharing plan [--app DIR] [--stack NAME ...] [--json]

Shows what the next deploy would do to every Custom::PartnerConnectionPreferences,
Custom::ConnectionAliasSharing and Custom::ConnectionAliasAssociation resource of a synthesized CDK app,
reading the live account (read-only):
create, update (the exact writes, in order), none, blocked (the deploy would fail, and why) or unknown
(a property the command cannot resolve before the deploy), with drift and what a delete would do now; and
delete for each deployed resource the new template removes or replaces (the writes its cleanup Delete makes).

Options:
  --app DIR       the cloud assembly to read, written by \`cdk synth\` (default: cdk.out)
  --stack NAME    only this stack (exact name; repeat for more). Default: every stack
  --json          print one JSON object: { "resources": [...], "summary": {...} }
  -h, --help      print this help

Credentials, Region and endpoints come from the standard AWS SDK chain and environment
(AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_*...). Each stack is read in its own Region when the assembly
knows it; Partner Central and its state always in us-east-1. One run reads one account, the credentials':
a stack of another account (e.g. an association's, made in the directory's account) is shown unknown, saying
which account's credentials to plan it with.

Exit status: 0 nothing would change; 2 changes pending (a create, an update, a delete, or an unknown);
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
  let parsed: ReturnType<typeof parsePlan>;
  try {
    parsed = parsePlan(rest);
  } catch (err) {
    throw new UsageError(usageMessage(err, rest));
  }
  const { app, stack, json } = parsed.values;
  for (const [flag, value] of [['--app', app], ...(stack ?? []).map((v) => ['--stack', v])] as const) {
    // `--app --json` would take `--json` as the directory: parseArgs accepts it, the old parser did not.
    if (value !== undefined && (value === '' || (value.startsWith('--') && !rest.includes(`${flag}=${value}`)))) throw new UsageError(`${flag} needs a value`);
  }
  return { command: 'plan', app: app ?? 'cdk.out', stacks: stack ?? [], json: json ?? false };
}

function parsePlan(args: string[]) {
  return nodeParseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: { app: { type: 'string' }, stack: { type: 'string', multiple: true }, json: { type: 'boolean' } },
  });
}

/** parseArgs' errors (ERR_PARSE_ARGS_*), said as this command says them. */
function usageMessage(err: unknown, args: string[]): string {
  const code = (err as { code?: string }).code;
  const message = (err as Error).message;
  const option = /'(-{1,2}[^' ]+)/.exec(message)?.[1]?.replace(/=.*$/, '');
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option ?? message}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument '${/'([^']*)'/.exec(message)?.[1] ?? args.find((a) => !a.startsWith('-'))}'`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /--json/.test(message) ? '--json takes no value' : `${option ?? 'an option'} needs a value`;
    default:
      return message;
  }
}
