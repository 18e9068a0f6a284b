"""Account- and region-wide settings have exactly one owner: global/account, never an environment.

AWS keeps each of these resource types once per account and region (or, for a multi-region trail, once per account);
dev and prod share the account, so an environment that declared one would overwrite the other's value on every
apply, or pay twice. The test iterates over every resource type of the environments' real plans.
"""

from __future__ import annotations

from typing import Any

import pytest
from envsupport import by_type

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]

# Resource types whose object exists once per account and region (AWS provider 5.100 docs: each "manages the
# account's ..." setting, or a singleton per region): set here, not in a stack.
ACCOUNT_WIDE = frozenset({
    "aws_xray_encryption_config",
    "aws_ecs_account_setting_default",
    "aws_ebs_encryption_by_default",
    "aws_ebs_default_kms_key",
    "aws_ebs_snapshot_block_public_access",
    "aws_ec2_image_block_public_access",
    "aws_ec2_serial_console_access",
    "aws_cloudwatch_log_resource_policy",
    "aws_cloudwatch_log_account_policy",
    "aws_s3_account_public_access_block",
    "aws_iam_account_password_policy",
    "aws_iam_account_alias",
    "aws_iam_security_token_service_preferences",
    "aws_api_gateway_account",
    "aws_guardduty_detector",
    "aws_securityhub_account",
    "aws_macie2_account",
    "aws_inspector2_enabler",
    "aws_config_configuration_recorder",
    "aws_config_delivery_channel",
    "aws_accessanalyzer_analyzer",
    "aws_vpc_block_public_access_options",
    "aws_emr_block_public_access_configuration",
    "aws_ssm_service_setting",
    "aws_account_alternate_contact",
    "aws_account_primary_contact",
})


def _account_wide(plan: dict[str, Any]) -> list[str]:
    found = [rc["address"] for rc in plan["resource_changes"]
             if rc.get("mode") == "managed" and rc["type"] in ACCOUNT_WIDE]
    # A multi-region trail records every region and environment: one per account.
    found += [t["address"] for t in by_type(plan, "aws_cloudtrail") if t["values"].get("is_multi_region_trail")]
    return found


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_no_environment_declares_an_account_wide_setting(env: str, request: pytest.FixtureRequest) -> None:
    plan = request.getfixturevalue(f"{env}_plan")
    types = {rc["type"] for rc in plan["resource_changes"] if rc.get("mode") == "managed"}
    assert len(types) > 40, "the plan is the whole environment"
    assert not _account_wide(plan), f"envs/{env} declares account-wide settings: {_account_wide(plan)}"


def test_global_account_owns_each_of_them_once(account_plan: dict[str, Any]) -> None:
    owned = sorted(rc["type"] for rc in account_plan["resource_changes"]
                   if rc.get("mode") == "managed" and rc["type"] in ACCOUNT_WIDE | {"aws_cloudtrail"})
    assert owned == sorted({
        "aws_xray_encryption_config", "aws_ebs_encryption_by_default", "aws_cloudwatch_log_resource_policy",
        "aws_cloudtrail",
    }), owned
    (config,) = by_type(account_plan, "aws_xray_encryption_config")
    assert config["values"]["type"] == "KMS"
    (trail,) = by_type(account_plan, "aws_cloudtrail")
    values = trail["values"]
    assert values["is_multi_region_trail"] and values["include_global_service_events"]
    assert values["enable_log_file_validation"] is True and values["name"] == "goorm-popcorn"
    (sse,) = by_type(account_plan, "aws_s3_bucket_server_side_encryption_configuration")
    assert sse["values"]["rule"][0]["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "aws:kms"
    assert [e["values"]["enabled"] for e in by_type(account_plan, "aws_ebs_encryption_by_default")] == [True]
