package com.example;

import io.github.cdkconnectionsharing.AccessType;
import io.github.cdkconnectionsharing.ConnectionAliasSharing;
import io.github.cdkconnectionsharing.OnDelete;
import io.github.cdkconnectionsharing.PartnerConnectionPreferences;
import java.util.List;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.services.workspaces.CfnConnectionAlias;
import software.constructs.Construct;

/** bin/example-stack.ts in Java: both constructs, the alias shared through its CfnConnectionAlias token. */
public class ExampleStack extends Stack {
    private final PartnerConnectionPreferences preferences;
    private final ConnectionAliasSharing sharing;

    public ExampleStack(final Construct scope, final String id, final StackProps props) {
        this(scope, id, props, AccessType.ALLOW_BY_DEFAULT_DENY_SOME);
    }

    public ExampleStack(final Construct scope, final String id, final StackProps props, final AccessType accessType) {
        super(scope, id, props);

        // Who may connect with this partner account: everyone but two participants.
        preferences = PartnerConnectionPreferences.Builder.create(this, "Preferences")
                .catalog("Sandbox")
                .accessType(accessType)
                .excludedParticipantIds(List.of("partner-blocked-1", "partner-blocked-2"))
                .onDelete(OnDelete.RESTORE)
                .build();

        // A cross-Region redirection alias created in this stack and shared with another account.
        CfnConnectionAlias alias = CfnConnectionAlias.Builder.create(this, "Alias")
                .connectionString("desktop.example.com")
                .build();
        sharing = ConnectionAliasSharing.Builder.create(this, "AliasSharing")
                .aliasId(alias.getAttrAliasId())
                .sharedAccountIds(List.of("210987654321"))
                .build();
    }

    public PartnerConnectionPreferences getPreferences() {
        return preferences;
    }

    public ConnectionAliasSharing getSharing() {
        return sharing;
    }
}
