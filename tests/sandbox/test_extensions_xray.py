"""The X-Ray extensions, called the way provider 5.100 calls them (boto3 against the emulator), and the xray module's
example applied with the real provider: a second plan changes nothing and the destroy leaves nothing behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from roundtrip import Roundtrip, copy_example, managed

from tfhelpers import Tf

pytestmark = pytest.mark.sandbox

RULE = {
    "RuleName": "popcorn-dev-default",
    "ResourceARN": "*",
    "Priority": 9000,
    "FixedRate": 0.05,
    "ReservoirSize": 1,
    "ServiceName": "popcorn-dev-*",
    "ServiceType": "*",
    "Host": "*",
    "HTTPMethod": "*",
    "URLPath": "*",
    "Version": 1,
}


def _xray(sandbox: Any) -> Any:
    return sandbox.client("xray")


def _rule_named(xray: Any, name: str) -> dict[str, Any] | None:
    """The provider's read: page through GetSamplingRules for the rule of that name."""
    for page in xray.get_paginator("get_sampling_rules").paginate():
        for record in page["SamplingRuleRecords"]:
            if record["SamplingRule"]["RuleName"] == name:
                return dict(record["SamplingRule"])
    return None


def _code(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = err.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def test_sampling_rules_are_created_listed_updated_and_deleted(sandbox: Any) -> None:
    """`xray.sampling_rules`: aws_xray_sampling_rule's create, read (by listing), update and delete."""
    xray = _xray(sandbox)
    created = xray.create_sampling_rule(SamplingRule=RULE, Tags=[{"Key": "Environment", "Value": "dev"}])
    arn = created["SamplingRuleRecord"]["SamplingRule"]["RuleARN"]
    assert arn == "arn:aws:xray:ap-northeast-2:123456789012:sampling-rule/popcorn-dev-default"
    assert _rule_named(xray, "popcorn-dev-default") == {**RULE, "RuleARN": arn, "Attributes": {}}
    assert _rule_named(xray, "Default") is not None, "AWS's own catch-all rule is always listed"

    xray.update_sampling_rule(
        SamplingRuleUpdate={"RuleName": "popcorn-dev-default", "FixedRate": 0.2, "URLPath": "/api/*"}
    )
    updated = _rule_named(xray, "popcorn-dev-default")
    assert updated is not None and (updated["FixedRate"], updated["URLPath"], updated["Priority"]) == (
        0.2,
        "/api/*",
        9000,
    )

    with pytest.raises(ClientError) as err:
        xray.create_sampling_rule(SamplingRule=RULE)
    assert _code(err)[:2] == ("InvalidRequestException", 400)
    with pytest.raises(ClientError) as err:
        xray.create_sampling_rule(SamplingRule={**RULE, "RuleName": "other", "FixedRate": 1.5})
    assert _code(err)[:2] == ("InvalidRequestException", 400)

    xray.delete_sampling_rule(RuleName="popcorn-dev-default")
    assert _rule_named(xray, "popcorn-dev-default") is None
    with pytest.raises(ClientError) as err:
        xray.delete_sampling_rule(RuleName="Default")
    assert _code(err)[:2] == ("InvalidRequestException", 400)


def test_tags_of_rules_and_groups_are_listed_changed_and_dropped_with_them(sandbox: Any) -> None:
    """`xray.tags`: the provider's tag read (ListTagsForResource) and tag updates (TagResource, UntagResource)."""
    xray = _xray(sandbox)
    rule_arn = xray.create_sampling_rule(SamplingRule=RULE, Tags=[{"Key": "Environment", "Value": "dev"}])[
        "SamplingRuleRecord"
    ]["SamplingRule"]["RuleARN"]
    group_arn = xray.create_group(
        GroupName="popcorn-dev", FilterExpression='service("a")', Tags=[{"Key": "Service", "Value": "a"}]
    )["Group"]["GroupARN"]
    assert xray.list_tags_for_resource(ResourceARN=rule_arn)["Tags"] == [{"Key": "Environment", "Value": "dev"}]
    assert xray.list_tags_for_resource(ResourceARN=group_arn)["Tags"] == [{"Key": "Service", "Value": "a"}]

    xray.tag_resource(ResourceARN=rule_arn, Tags=[{"Key": "Owner", "Value": "sre"}])
    xray.untag_resource(ResourceARN=rule_arn, TagKeys=["Environment"])
    assert xray.list_tags_for_resource(ResourceARN=rule_arn)["Tags"] == [{"Key": "Owner", "Value": "sre"}]

    xray.delete_group(GroupARN=group_arn)
    with pytest.raises(ClientError) as err:
        xray.list_tags_for_resource(ResourceARN=group_arn)
    assert _code(err)[:2] == ("ResourceNotFoundException", 404)


def test_groups_are_created_read_by_arn_updated_and_deleted(sandbox: Any) -> None:
    """`xray.groups`: aws_xray_group's create, read (GetGroup by ARN), update and delete, Insights included."""
    xray = _xray(sandbox)
    group = xray.create_group(
        GroupName="popcorn-dev-api",
        FilterExpression='service("popcorn-dev-api")',
        InsightsConfiguration={"InsightsEnabled": False, "NotificationsEnabled": False},
    )["Group"]
    arn = group["GroupARN"]
    assert arn.startswith("arn:aws:xray:ap-northeast-2:123456789012:group/popcorn-dev-api/")
    assert xray.get_group(GroupARN=arn)["Group"] == {
        "GroupName": "popcorn-dev-api",
        "GroupARN": arn,
        "FilterExpression": 'service("popcorn-dev-api")',
        "InsightsConfiguration": {"InsightsEnabled": False, "NotificationsEnabled": False},
    }
    assert {g["GroupName"] for g in xray.get_groups()["Groups"]} == {"Default", "popcorn-dev-api"}

    xray.update_group(
        GroupARN=arn,
        FilterExpression='service("x")',
        InsightsConfiguration={"InsightsEnabled": True, "NotificationsEnabled": True},
    )
    read = xray.get_group(GroupARN=arn)["Group"]
    assert read["FilterExpression"] == 'service("x")'
    assert read["InsightsConfiguration"] == {"InsightsEnabled": True, "NotificationsEnabled": True}

    with pytest.raises(ClientError) as err:
        xray.create_group(
            GroupName="other", InsightsConfiguration={"InsightsEnabled": False, "NotificationsEnabled": True}
        )
    assert _code(err)[:2] == ("InvalidRequestException", 400)

    xray.delete_group(GroupARN=arn)
    with pytest.raises(ClientError) as err:
        xray.get_group(GroupARN=arn)
    # The provider recognises a deleted group by this code and message.
    code, status, message = _code(err)
    assert (code, status) == ("InvalidRequestException", 400) and "Group not found" in message


def test_encryption_config_is_set_to_a_key_and_back(sandbox: Any) -> None:
    """`xray.encryption_config`: aws_xray_encryption_config's put, wait for ACTIVE, and read."""
    xray = _xray(sandbox)
    assert xray.get_encryption_config()["EncryptionConfig"] == {"Type": "NONE", "Status": "ACTIVE"}
    key_arn = sandbox.client("kms").create_key()["KeyMetadata"]["Arn"]

    put = xray.put_encryption_config(Type="KMS", KeyId=key_arn)["EncryptionConfig"]
    assert put["Status"] == "UPDATING"
    assert xray.get_encryption_config()["EncryptionConfig"] == {"Type": "KMS", "KeyId": key_arn, "Status": "ACTIVE"}

    with pytest.raises(ClientError) as err:
        xray.put_encryption_config(Type="KMS", KeyId=key_arn.replace(key_arn[-6:], "000000"))
    assert _code(err)[:2] == ("InvalidRequestException", 400)

    xray.put_encryption_config(Type="NONE")
    assert xray.get_encryption_config()["EncryptionConfig"] == {"Type": "NONE", "Status": "ACTIVE"}


def test_a_reset_empties_the_x_ray_state(sandbox: Any) -> None:
    xray = _xray(sandbox)
    xray.create_sampling_rule(SamplingRule=RULE)
    sandbox.reset()
    assert _rule_named(xray, RULE["RuleName"]) is None


@pytest.mark.terraform
def test_the_xray_example_applies_plans_clean_and_destroys(sandbox: Any, tf: Tf, tmp_path: Path) -> None:
    """modules/xray/examples/basic with every feature on (rules, groups, encryption), as in the dev profile."""
    run = Roundtrip(tf, sandbox, copy_example("modules/xray/examples/basic", tmp_path / "xray"), {})
    run.apply()
    types = {r["type"] for r in managed(run.state())}
    assert {"aws_xray_sampling_rule", "aws_xray_group", "aws_xray_encryption_config"} <= types
    assert run.second_plan() == []
    xray = _xray(sandbox)
    assert xray.get_encryption_config()["EncryptionConfig"]["Type"] == "KMS"
    assert len(xray.get_groups()["Groups"]) == 5, "Default, the environment's and one per service"

    run.destroy()
    assert [r["SamplingRule"]["RuleName"] for r in xray.get_sampling_rules()["SamplingRuleRecords"]] == ["Default"]
    assert [g["GroupName"] for g in xray.get_groups()["Groups"]] == ["Default"]
