"""modules/alb: its example planned: HTTPS with TLS 1.3 policy, HTTP redirect, target groups and rules, SSE-S3 access
log bucket, WAF."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hclsupport import of_type, one, plan, statements

from tfhelpers import REPO

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox]


ALB_EXAMPLE = REPO / "modules/alb/examples/basic"


@pytest.fixture(scope="module")
def alb_plan(tf_session: Any, moto_server: Any) -> dict[str, Any]:
    return plan(tf_session, moto_server, ALB_EXAMPLE)


def _listener(planned: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r["values"] for r in of_type(planned, "aws_lb_listener") if r["name"] == name)


def test_alb_load_balancer(alb_plan: dict[str, Any]) -> None:
    lb = one(alb_plan, "aws_lb")
    assert lb["internal"] is False and lb["load_balancer_type"] == "application"
    assert lb["drop_invalid_header_fields"] is True
    assert lb["access_logs"][0]["enabled"] is True


def test_alb_http_redirects_to_https(alb_plan: dict[str, Any]) -> None:
    http = _listener(alb_plan, "http")
    assert (http["port"], http["protocol"]) == (80, "HTTP")
    action = http["default_action"][0]
    assert action["type"] == "redirect"
    assert {k: action["redirect"][0][k] for k in ("protocol", "port", "status_code")} == {
        "protocol": "HTTPS",
        "port": "443",
        "status_code": "HTTP_301",
    }


def test_alb_https_uses_tls13_policy(alb_plan: dict[str, Any]) -> None:
    https = _listener(alb_plan, "https")
    assert (https["port"], https["protocol"]) == (443, "HTTPS")
    assert https["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert https["routing_http_response_strict_transport_security_header_value"].startswith("max-age=")
    assert https["default_action"][0]["type"] == "fixed-response"


def test_alb_target_groups_and_rules(alb_plan: dict[str, Any]) -> None:
    tgs = {r["index"]: r["values"] for r in of_type(alb_plan, "aws_lb_target_group")}
    assert set(tgs) == {"api-gateway", "payment-front"}
    assert all(tg["target_type"] == "ip" and tg["health_check"][0]["enabled"] for tg in tgs.values())
    assert tgs["api-gateway"]["health_check"][0]["path"] == "/actuator/health"
    rules = {r["index"]: r["values"] for r in of_type(alb_plan, "aws_lb_listener_rule")}
    assert {k: v["priority"] for k, v in rules.items()} == {"api-gateway": 100, "payment-front": 200}


def test_alb_access_log_bucket(alb_plan: dict[str, Any]) -> None:
    lifecycle = one(alb_plan, "aws_s3_bucket_lifecycle_configuration")["rule"][0]
    assert lifecycle["status"] == "Enabled" and lifecycle["expiration"][0]["days"] == 30
    assert lifecycle["filter"][0]["prefix"] == ""
    sse = one(alb_plan, "aws_s3_bucket_server_side_encryption_configuration")["rule"][0]
    assert sse["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "AES256"
    pab = one(alb_plan, "aws_s3_bucket_public_access_block")
    assert all(
        pab[k] for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    policy = statements(one(alb_plan, "aws_s3_bucket_policy")["policy"])
    principals = json.dumps([st["Principal"] for st in policy if st["Effect"] == "Allow"])
    assert "arn:aws:iam::600734575887:root" in principals, "the ap-northeast-2 ELB account must be allowed"
    assert "logdelivery.elasticloadbalancing.amazonaws.com" in principals
    assert any(st["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(st["Condition"]) for st in policy)


def test_alb_waf(alb_plan: dict[str, Any]) -> None:
    acl = one(alb_plan, "aws_wafv2_web_acl")
    assert acl["scope"] == "REGIONAL"
    groups = {
        r["statement"][0]["managed_rule_group_statement"][0]["name"]
        for r in acl["rule"]
        if r["statement"][0]["managed_rule_group_statement"]
    }
    assert {
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAnonymousIpList",
        "AWSManagedRulesCommonRuleSet",
    } <= groups
    assert any(r["statement"][0]["rate_based_statement"] for r in acl["rule"])
    assert len(of_type(alb_plan, "aws_wafv2_web_acl_association")) == 1
    logging = one(alb_plan, "aws_wafv2_web_acl_logging_configuration")
    assert "authorization" in json.dumps(logging["redacted_fields"])
    assert one(alb_plan, "aws_cloudwatch_log_group")["name"].startswith("aws-waf-logs-")
