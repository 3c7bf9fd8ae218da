"""The example app of bin/app.ts and bin/example-stack.ts, written in Python as a Python user would write it."""
from typing import Optional, Sequence

import aws_cdk as cdk
from aws_cdk import aws_workspaces as workspaces
from constructs import Construct

from cdk_connection_sharing import (
    AccessType,
    ConnectionAliasSharing,
    OnDelete,
    PartnerConnectionPreferences,
)


class ExampleStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        env: cdk.Environment,
        access_type: Optional[AccessType] = None,
        excluded_participant_ids: Optional[Sequence[str]] = None,
        shared_account_ids: Optional[Sequence[str]] = None,
    ) -> None:
        super().__init__(scope, construct_id, env=env)

        # Who may connect with this partner account: everyone but two participants.
        self.preferences = PartnerConnectionPreferences(
            self,
            "Preferences",
            catalog="Sandbox",
            access_type=access_type or AccessType.ALLOW_BY_DEFAULT_DENY_SOME,
            excluded_participant_ids=list(excluded_participant_ids or ["partner-blocked-1", "partner-blocked-2"]),
            on_delete=OnDelete.RESTORE,
        )

        # A cross-Region redirection alias created in this stack and shared with another account.
        alias = workspaces.CfnConnectionAlias(self, "Alias", connection_string="desktop.example.com")
        self.sharing = ConnectionAliasSharing(
            self,
            "AliasSharing",
            alias_id=alias.attr_alias_id,
            shared_account_ids=list(shared_account_ids or ["210987654321"]),
        )


def build_app(outdir: Optional[str] = None) -> cdk.App:
    """bin/app.ts's app: the same stack id, account and region (context from CDK_CONTEXT_JSON, as `cdk synth` passes it)."""
    app = cdk.App(outdir=outdir)
    ExampleStack(
        app,
        "ConnectionSharingExample",
        env=cdk.Environment(
            account=app.node.try_get_context("account") or "123456789012",
            region=app.node.try_get_context("region") or "eu-west-1",
        ),
    )
    return app


if __name__ == "__main__":
    build_app().synth()
