"""``diagnose alb`` against the emulator, seeded through the AWS API only (fixture ``aws``, targetworld).

The load balancer, listeners, rules, target groups and targets, the imported certificates, the ECS services that
register into the groups, the alarms, metrics, access-log bucket and web ACL all go through boto3. moto reports
every registered target healthy, so the unhealthy reason codes come from a DescribeTargetHealth answered with
``stubcall.OneCall`` (the one call moto cannot answer); every other call still reaches moto.
"""

from __future__ import annotations

from datetime import timedelta

import jsonschema
import pytest
from diagworld import CLUSTER, PREFIX, World
from stubcall import OneCall
from targetworld import access_logs, alb, alb_alarms, healthy_targets, metric, waf

from popcornctl.diagnose import Window, diagnose_alb
from popcornctl.diagnose.alb.facts import Expected
from popcornctl.diagnose.findings import REPORT_SCHEMA, DiagnosisReport, Finding, Status
from popcornctl.errors import PopcornError

ELB = "AWS/ApplicationELB"


def run(world: World, *, expected: Expected | None = None) -> DiagnosisReport:
    report = diagnose_alb(world.clients, load_balancer=f"{PREFIX}-alb", window=Window.ending_now(timedelta(hours=1)),
                          cluster=CLUSTER, expected=expected)
    jsonschema.validate(report.to_dict(), REPORT_SCHEMA)
    return report


def finding(report: DiagnosisReport, check: str, status: Status | None = None, name: str | None = None) -> Finding:
    found = [f for t in report.targets if name is None or t.name == name for f in t.findings
             if f.check == check and (status is None or f.status is status)]
    problems = [(t.name, f.check, f.status.value, f.title) for t in report.targets for f in t.findings]
    assert found, f"no {check} {status or ''} in {problems}"
    return found[0]


def traffic(world: World, suffix: str, *, elb_5xx: list[float] | None = None) -> None:
    dims = {"LoadBalancer": suffix}
    metric(world, ELB, "RequestCount", dims, [600.0] * 5)
    metric(world, ELB, "HTTPCode_ELB_5XX_Count", dims, elb_5xx or [0.0] * 5)
    metric(world, ELB, "HTTPCode_Target_5XX_Count", dims, [1.0] * 5)


def test_healthy_load_balancer_has_only_ok_findings(aws: World) -> None:
    lb = alb(aws, services=("api", "payment-front"))
    alb_alarms(aws, lb)
    traffic(aws, lb.suffix)
    report = run(aws)
    problems = [(t.name, f.check, f.title) for t in report.targets for f in t.findings if f.status is not Status.OK]
    assert problems == []
    assert report.exit_code == 0
    assert [t.kind for t in report.targets] == ["alb-load-balancer", "alb-target-group", "alb-target-group"]
    assert finding(report, "alb.redirect").title == "HTTP redirects to HTTPS (301)"
    assert finding(report, "alb.certificates").title == "1 certificate(s) valid for 30+ days"
    errors = finding(report, "alb.errors")
    assert errors.title == "5 5xx of 3000 requests"
    assert any(f"alarm {PREFIX}-alb-elb-5xx" in line for line in errors.evidence)  # the threshold is the alarm's
    checks = finding(report, "alb.tg.health-check", name=f"{PREFIX}-api")
    assert checks.title == f"health checks match the container ({PREFIX}-api)"
    assert f"{PREFIX}-api: container api maps 8080 port(s); the service registers 8080" in checks.evidence


def test_certificate_expiring_in_days_and_health_checks_on_another_port_fail(aws: World) -> None:
    alb(aws, cert_days=5, health_port="9090")
    report = run(aws)
    cert = finding(report, "alb.certificates", Status.FAIL)
    assert cert.title == "api.popcorn.example.com expires in 5 day(s)"
    assert "IMPORTED" in cert.evidence[0] and "Import the renewed certificate" in (cert.remediation or "")
    port = finding(report, "alb.tg.health-check", Status.FAIL)
    assert port.title == "health checks probe port 9090, but api listens on 8080"
    assert "Target.Timeout" in (port.cause or "")
    assert report.exit_code == 1


def test_certificate_within_a_month_and_plain_http_warn(aws: World) -> None:
    alb(aws, cert_days=20, http="forward")
    report = run(aws)
    assert finding(report, "alb.certificates", Status.WARN).title == "api.popcorn.example.com expires in 20 day(s)"
    redirect = finding(report, "alb.redirect", Status.WARN)
    assert redirect.title == f"HTTP:80 serves plain HTTP to {PREFIX}-api"
    assert "unencrypted" in (redirect.cause or "")


def test_weak_tls_policy_and_missing_http_listener_warn(aws: World) -> None:
    alb(aws, http="none", policy="ELBSecurityPolicy-2016-08")
    report = run(aws)
    assert finding(report, "alb.listeners", Status.WARN).title == (
        "HTTPS:443 (ELBSecurityPolicy-2016-08) accepts TLS below 1.2")
    assert finding(report, "alb.redirect", Status.WARN).title.startswith("no HTTP listener")


def test_5xx_over_the_alarm_threshold_now_fails(aws: World) -> None:
    lb = alb(aws)
    alb_alarms(aws, lb)
    traffic(aws, lb.suffix, elb_5xx=[0, 0, 2, 15, 40])
    errors = finding(run(aws), "alb.errors", Status.FAIL)
    assert errors.title == "ELB-generated 5xx peak 40 per 60s (threshold 10)"
    assert "503 (no healthy target)" in (errors.cause or "")


def test_access_logs_bucket_missing_fails_and_undelivered_warns(aws: World) -> None:
    lb = alb(aws)
    access_logs(aws, lb, bucket=False)
    assert finding(run(aws), "alb.access-logs", Status.FAIL).title == (
        f"the access-log bucket {PREFIX}-alb-logs-123456789012 does not exist")


def test_access_logs_not_delivered_while_serving_warns(aws: World) -> None:
    lb = alb(aws)
    access_logs(aws, lb, delivered=False)
    traffic(aws, lb.suffix)
    warn = finding(run(aws), "alb.access-logs", Status.WARN)
    assert warn.title == "no log file delivered in the last 1h00m though 3000 requests were served"
    assert "SSE-S3" in (warn.cause or "")


def test_access_logs_delivered_are_ok(aws: World) -> None:
    lb = alb(aws)
    access_logs(aws, lb)
    assert finding(run(aws), "alb.access-logs", Status.OK).title.startswith("1 log file(s) delivered in the window")


def test_waf_expected_but_missing_fails_and_heavy_blocking_warns(aws: World) -> None:
    lb = alb(aws)
    assert finding(run(aws, expected=Expected(waf=True)), "alb.waf", Status.FAIL).title == (
        "no web ACL on the load balancer, though the environment enables WAF")
    name = waf(aws, lb)
    dims = {"WebACL": name, "Region": "ap-northeast-2"}
    metric(aws, "AWS/WAFV2", "BlockedRequests", {**dims, "Rule": "ALL"}, [30.0] * 5)
    metric(aws, "AWS/WAFV2", "AllowedRequests", {**dims, "Rule": "ALL"}, [270.0] * 5)
    metric(aws, "AWS/WAFV2", "BlockedRequests", {**dims, "Rule": f"{PREFIX}-AWSManagedRulesAnonymousIpList"},
           [30.0] * 5)
    blocked = finding(run(aws, expected=Expected(waf=True)), "alb.waf", Status.WARN)
    assert blocked.title == "WAF blocked 10% of requests"
    assert "rule AWSManagedRulesAnonymousIpList blocked 150" in blocked.evidence


def test_unhealthy_targets_are_explained_by_their_reason_code(aws: World) -> None:
    """OneCall on DescribeTargetHealth: moto reports every registered target healthy."""
    lb = alb(aws)
    answer = lambda p: healthy_targets(p, "Target.ResponseCodeMismatch", "Health checks failed with these codes: [404]")  # noqa: E731
    with OneCall(aws.clients.client("elbv2"), "DescribeTargetHealth", answer) as stub:
        report = run(aws)
    assert [c["TargetGroupArn"] for c in stub.calls] == [lb.groups["api"]]
    targets = finding(report, "alb.tg.targets", Status.FAIL)
    assert targets.title == f"target group {PREFIX}-api: 0 of 2 targets healthy"
    assert targets.rule == "tg.response-code-mismatch"
    assert ("10.20.1.10:8080 unhealthy — Target.ResponseCodeMismatch: Health checks failed with these codes: [404]"
            in targets.evidence)
    assert "wrong path" in (targets.cause or "")
    assert report.targets[0].kind == "alb-load-balancer"
    assert next(t for t in report.targets if t.kind == "alb-target-group").health.value == "down"


def test_the_containers_own_health_check_on_another_path_warns(aws: World) -> None:
    alb(aws, health_command="curl -fs http://localhost:8080/health/ready || exit 1")
    warn = finding(run(aws), "alb.tg.health-check", Status.WARN)
    assert warn.title == "health checks probe /actuator/health, but api's own health check probes /health/ready"


def test_unknown_load_balancer_is_a_usage_error(aws: World) -> None:
    alb(aws)
    with pytest.raises(PopcornError) as err:
        diagnose_alb(aws.clients, load_balancer="nope", window=Window.ending_now(timedelta(hours=1)))
    assert err.value.line() == (f"load balancer 'nope' not found (AWS account ? in ap-northeast-2) — pass "
                                f"--load-balancer NAME or check --env; load balancers here: {PREFIX}-alb")
