"""bootstrap: planned from a copy with a local backend (its committed S3 backend is left alone): state bucket, lock
table, key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hclsupport import of_type, one, plan, statements

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]


@pytest.fixture(scope="module")
def bootstrap_plan(tf_session: Any, moto_server: Any, stack_copies: dict[str, Path]) -> dict[str, Any]:
    return plan(tf_session, moto_server, stack_copies["bootstrap"])


def test_bootstrap_state_bucket(bootstrap_plan: dict[str, Any]) -> None:
    assert one(bootstrap_plan, "aws_s3_bucket")["bucket"] == "goorm-popcorn-tfstate"
    assert one(bootstrap_plan, "aws_s3_bucket_versioning")["versioning_configuration"][0]["status"] == "Enabled"
    sse = one(bootstrap_plan, "aws_s3_bucket_server_side_encryption_configuration")["rule"][0]
    assert sse["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "aws:kms"
    assert sse["bucket_key_enabled"] is True
    pab = one(bootstrap_plan, "aws_s3_bucket_public_access_block")
    assert all(
        pab[k] for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    assert (
        one(bootstrap_plan, "aws_s3_bucket_ownership_controls")["rule"][0]["object_ownership"] == "BucketOwnerEnforced"
    )
    rule = one(bootstrap_plan, "aws_s3_bucket_lifecycle_configuration")["rule"][0]
    assert rule["noncurrent_version_expiration"][0]["noncurrent_days"] == 90
    policy = statements(one(bootstrap_plan, "aws_s3_bucket_policy")["policy"])
    assert {st["Sid"] for st in policy if st["Effect"] == "Deny"} == {"DenyInsecureTransport", "DenyOutdatedTls"}


def test_bootstrap_lock_table(bootstrap_plan: dict[str, Any]) -> None:
    table = one(bootstrap_plan, "aws_dynamodb_table")
    assert table["name"] == "goorm-popcorn-tf-locks"
    assert table["hash_key"] == "LockID" and table["attribute"] == [{"name": "LockID", "type": "S"}]
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert table["point_in_time_recovery"][0]["enabled"] is True
    assert table["server_side_encryption"][0]["enabled"] is True
    assert table["deletion_protection_enabled"] is True


def test_bootstrap_kms_key(bootstrap_plan: dict[str, Any]) -> None:
    key = one(bootstrap_plan, "aws_kms_key")
    assert key["enable_key_rotation"] is True
    assert one(bootstrap_plan, "aws_kms_alias")["name"] == "alias/goorm-popcorn-tfstate"


def test_bootstrap_sandbox_profile(tf_session: Any, moto_server: Any, stack_copies: dict[str, Path]) -> None:
    """sandbox.tfvars only relaxes what the emulator or a throw-away teardown needs."""
    folder = stack_copies["bootstrap"]
    planned = plan(tf_session, moto_server, folder, var_files=(folder / "sandbox.tfvars",))
    assert not of_type(planned, "aws_s3_bucket_policy")
    assert one(planned, "aws_dynamodb_table")["deletion_protection_enabled"] is False
    assert one(planned, "aws_s3_bucket")["force_destroy"] is True
    assert one(planned, "aws_s3_bucket_server_side_encryption_configuration")  # encryption stays on
