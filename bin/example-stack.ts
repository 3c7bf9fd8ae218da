// The example stack: the constructs declared as a user would declare them. bin/app.ts synthesizes it for
// `cdk synth`; the end-to-end tests, the demo and the benchmarks reuse it.
import { Stack, type StackProps } from 'aws-cdk-lib';
import * as workspaces from 'aws-cdk-lib/aws-workspaces';
import type { Construct } from 'constructs';
import { AccessType, ConnectionAliasSharing, OnDelete, PartnerConnectionPreferences } from '../lib';

export interface ExampleStackProps extends StackProps {
  /** Partner Central access type; the demo changes it to show an update. */
  readonly accessType?: AccessType;
  /** Participants excluded from connecting; the demo adds one to show an update. */
  readonly excludedParticipantIds?: string[];
  /** Accounts the new alias is shared with. */
  readonly sharedAccountIds?: string[];
}

export class ExampleStack extends Stack {
  constructor(scope: Construct, id: string, props: ExampleStackProps = {}) {
    super(scope, id, props);

    // Who may connect with this partner account: everyone but two participants.
    new PartnerConnectionPreferences(this, 'Preferences', {
      catalog: 'Sandbox',
      accessType: props.accessType ?? AccessType.ALLOW_BY_DEFAULT_DENY_SOME,
      excludedParticipantIds: props.excludedParticipantIds ?? ['partner-blocked-1', 'partner-blocked-2'],
      onDelete: OnDelete.RESTORE,
    });

    // A cross-Region redirection alias created in this stack and shared with another account.
    const alias = new workspaces.CfnConnectionAlias(this, 'Alias', { connectionString: 'desktop.example.com' });
    new ConnectionAliasSharing(this, 'AliasSharing', {
      aliasId: alias.attrAliasId,
      sharedAccountIds: props.sharedAccountIds ?? ['210987654321'],
    });
  }
}

