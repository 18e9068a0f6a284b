"""global/route53-acm: planned from a copy with a local backend: zone, CAA records, DNS-validated certificate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hclsupport import of_type, one, plan

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]


@pytest.fixture(scope="module")
def dns_plan(tf_session: Any, moto_server: Any, stack_copies: dict[str, Path]) -> dict[str, Any]:
    return plan(tf_session, moto_server, stack_copies["global/route53-acm"])


def test_route53_acm(dns_plan: dict[str, Any]) -> None:
    assert one(dns_plan, "aws_route53_zone")["name"] == "goormpopcorn.shop"
    cert = one(dns_plan, "aws_acm_certificate")
    assert cert["domain_name"] == "goormpopcorn.shop" and cert["validation_method"] == "DNS"
    assert set(cert["subject_alternative_names"]) == {"goormpopcorn.shop", "*.goormpopcorn.shop"}  # AWS adds the apex
    records = of_type(dns_plan, "aws_route53_record")
    validation = [r for r in records if r["name"] == "validation"]
    assert [r["index"] for r in validation] == ["goormpopcorn.shop"], "apex and wildcard share one validation record"
    assert len(of_type(dns_plan, "aws_acm_certificate_validation")) == 1
    caa = next(r["values"] for r in records if r["name"] == "caa")
    assert caa["type"] == "CAA" and '0 issue "amazon.com"' in caa["records"]
