// STS GetCallerIdentity over awsQuery: the account the credentials belong to (the `plan` command's account for
// stacks whose environment is not known at synth). Needs no IAM permission in AWS; none here either.
import { AwsError } from './protocol';
import { type QueryService, xmlResult } from './query-protocol';

export class StsState {
  constructor(private readonly options: { accountId: string }) {}

  async handle(api: QueryService, action: string, caller: { accountId?: string; principalArn?: string } = {}): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    if (action !== 'GetCallerIdentity') throw new AwsError(400, 'InvalidAction', `Could not find operation ${action} for version ${api.version} (not emulated)`);
    // The caller's account: a registered identity's principal, an added account's own key, else the default.
    const account = caller.accountId ?? this.options.accountId;
    return xmlResult(api, action, { UserId: 'AIDAEMULATOREXAMPLE', Account: account, Arn: caller.principalArn ?? `arn:aws:iam::${account}:user/emulator` });
  }
}
