"""The Python binding as a Python user meets it: the example app synthesizes the TypeScript app's templates, and the
API reads as Python (enums, optional props, is_* static methods, attributes, errors)."""
import os
import pathlib
import re

import aws_cdk as cdk
import jsii
import pytest
from aws_cdk import assertions

from cdk_connection_sharing import (
    AccessType,
    ConnectionAliasSharing,
    OnDelete,
    PartnerConnectionPreferences,
)
from example_app import ExampleStack, build_app

STACK = "ConnectionSharingExample"
COMPARED = [f"{STACK}.template.json", f"{STACK}.assets.json"]


def test_synthesizes_the_typescript_apps_template_and_asset_manifest(tmp_path: pathlib.Path) -> None:
    reference = pathlib.Path(os.environ["CDK_REFERENCE_OUTDIR"])
    build_app(str(tmp_path)).synth()
    for name in COMPARED:
        assert (tmp_path / name).read_bytes() == (reference / name).read_bytes(), f"{name} differs from the TypeScript app's"
    # Each asset the manifest names was staged.
    for asset_dir in sorted(p.name for p in reference.iterdir() if p.name.startswith("asset.")):
        assert (tmp_path / asset_dir).is_dir(), f"{asset_dir} missing"


def env() -> cdk.Environment:
    return cdk.Environment(account="123456789012", region="eu-west-1")


def test_enum_members_are_python_enums() -> None:
    assert [m.name for m in AccessType] == ["ALLOW_ALL", "DENY_ALL", "ALLOW_BY_DEFAULT_DENY_SOME"]
    assert [m.name for m in OnDelete] == ["RESTORE", "RETAIN"]
    stack = ExampleStack(cdk.App(), "S", env=env(), access_type=AccessType.DENY_ALL)
    assertions.Template.from_stack(stack).has_resource_properties(
        "Custom::PartnerConnectionPreferences", {"AccessType": "DENY_ALL"}
    )


def test_optional_props_left_out_take_their_defaults() -> None:
    stack = cdk.Stack(cdk.App(), "S", env=env())
    prefs = PartnerConnectionPreferences(stack, "P", access_type=AccessType.ALLOW_ALL)
    ConnectionAliasSharing(stack, "A", alias_id="wsca-a1b2c3d4e5", shared_account_ids=["210987654321"])
    assert prefs.catalog == "AWS"
    template = assertions.Template.from_stack(stack)
    template.has_resource_properties(
        "Custom::PartnerConnectionPreferences",
        {"Catalog": "AWS", "AccessType": "ALLOW_ALL", "ExcludedParticipantIdentifiers": [], "OnDelete": "RESTORE"},
    )
    template.has_resource_properties("Custom::ConnectionAliasSharing", {"AliasId": "wsca-a1b2c3d4e5"})


def test_is_static_methods() -> None:
    stack = ExampleStack(cdk.App(), "S", env=env())
    assert PartnerConnectionPreferences.is_partner_connection_preferences(stack.preferences)
    assert not PartnerConnectionPreferences.is_partner_connection_preferences(stack.sharing)
    assert ConnectionAliasSharing.is_connection_alias_sharing(stack.sharing)
    assert not ConnectionAliasSharing.is_connection_alias_sharing(stack)


def test_attributes_are_tokens_of_the_custom_resource() -> None:
    stack = ExampleStack(cdk.App(), "S", env=env())
    for value in [stack.preferences.arn, stack.preferences.revision, stack.preferences.updated_at, stack.sharing.shared_account_ids_attr]:
        assert cdk.Token.is_unresolved(value)
    assert stack.preferences.catalog == "Sandbox"
    assert cdk.Token.is_unresolved(stack.sharing.alias_id)
    assert "Fn::GetAtt" in stack.resolve(stack.preferences.arn)


def test_an_invalid_prop_raises_a_python_exception_with_the_librarys_message() -> None:
    stack = cdk.Stack(cdk.App(), "S", env=env())
    with pytest.raises(RuntimeError, match=re.escape("sharedAccountIds has invalid account id(s) '12345': each must be 12 digits.")):
        ConnectionAliasSharing(stack, "A", alias_id="wsca-a1b2c3d4e5", shared_account_ids=["12345"])
    with pytest.raises(RuntimeError, match=re.escape("PartnerConnectionPreferences: catalog 'no spaces' is invalid")):
        PartnerConnectionPreferences(stack, "P", access_type=AccessType.ALLOW_ALL, catalog="no spaces")
    # A wrong type is refused by the binding's own type checks, before the library runs.
    with pytest.raises(TypeError):
        ConnectionAliasSharing(stack, "B", alias_id="wsca-a1b2c3d4e5", shared_account_ids=[210987654321])  # type: ignore[list-item]
    assert jsii.__version__
