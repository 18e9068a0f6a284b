"""global/ecr: planned from a copy with a local backend: immutable, scanned, KMS-encrypted repositories and their
lifecycle policy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hclsupport import of_type, one, plan

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]


@pytest.fixture(scope="module")
def ecr_plan(tf_session: Any, moto_server: Any, stack_copies: dict[str, Path]) -> dict[str, Any]:
    return plan(tf_session, moto_server, stack_copies["global/ecr"])


def test_ecr_repositories(ecr_plan: dict[str, Any]) -> None:
    repos = {r["index"]: r["values"] for r in of_type(ecr_plan, "aws_ecr_repository")}
    assert set(repos) == {"api-gateway", "user", "store", "order", "payment", "payment-front", "checkin", "order-query"}
    for key, repo in repos.items():
        assert repo["name"] == f"goorm-popcorn/{key}"
        assert repo["image_tag_mutability"] == "IMMUTABLE"
        assert repo["image_scanning_configuration"] == [{"scan_on_push": True}]
        assert repo["encryption_configuration"][0]["encryption_type"] == "KMS"
    assert one(ecr_plan, "aws_kms_key")["enable_key_rotation"] is True


def test_ecr_lifecycle_policy(ecr_plan: dict[str, Any]) -> None:
    policies = of_type(ecr_plan, "aws_ecr_lifecycle_policy")
    assert len(policies) == 8
    rules = json.loads(policies[0]["values"]["policy"])["rules"]
    selections = {r["selection"]["tagStatus"]: r["selection"] for r in rules}
    assert selections["untagged"]["countType"] == "sinceImagePushed" and selections["untagged"]["countNumber"] == 7
    assert selections["tagged"]["countType"] == "imageCountMoreThan" and selections["tagged"]["countNumber"] == 30
