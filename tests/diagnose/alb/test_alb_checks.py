"""The ``diagnose alb`` checks on typed facts: certificate boundaries, redirects, TLS policies, every target-health
reason code, health-check ports, thresholds read from alarms. The emulator scenarios are in test_alb_fetch.py."""

from __future__ import annotations

from dataclasses import replace

import pytest
from targetfacts import (
    CERT,
    LB_ARN,
    TG_ARN,
    alarm,
    alb_run,
    cert,
    ecs_services,
    found,
    listeners,
    statuses,
    target_group,
    targets,
)

from popcornctl.diagnose.alb.facts import ELB_5XX, P99, REQUESTS, Action, Expected, Waf, series_key
from popcornctl.diagnose.calls import Outcome
from popcornctl.diagnose.findings import Status
from popcornctl.diagnose.rules import TARGET_HEALTH_RULES

SUFFIX = LB_ARN.split(":loadbalancer/")[1]


def test_healthy_facts_give_only_ok() -> None:
    assert set(statuses(alb_run()).values()) == {Status.OK}


@pytest.mark.parametrize(("days", "status"), [(90, Status.OK), (31, Status.OK), (30, Status.WARN), (8, Status.WARN),
                                              (7, Status.FAIL), (0.5, Status.FAIL), (-3, Status.FAIL)])
def test_certificate_expiry_warns_within_30_days_and_fails_within_7(days: float, status: Status) -> None:
    assert found(alb_run(certificates={CERT: Outcome(cert(days))}), "alb.certificates").status is status


def test_a_certificate_that_is_not_issued_fails_and_a_stuck_renewal_is_evidence() -> None:
    pending = cert(20, renewal_status="PENDING_VALIDATION", renewal_reason="DOMAIN_VALIDATION_TIMED_OUT")
    warn = found(alb_run(certificates={CERT: Outcome(pending)}), "alb.certificates")
    assert warn.status is Status.WARN and "renewal PENDING_VALIDATION (DOMAIN_VALIDATION_TIMED_OUT)" in warn.evidence[0]
    assert "validation CNAME" in (warn.remediation or "")
    revoked = found(alb_run(certificates={CERT: Outcome(cert(200, status="REVOKED"))}), "alb.certificates")
    assert (revoked.status, revoked.title) == (Status.FAIL, "api.popcorn.example.com is REVOKED")


def test_an_unreadable_certificate_warns() -> None:
    unread = found(alb_run(certificates={CERT: Outcome(error="AccessDeniedException: no")}), "alb.certificates")
    assert unread.status is Status.WARN and "could not read it" in unread.evidence[0]


@pytest.mark.parametrize(("http", "status", "title"), [
    (Action("redirect", redirect_protocol="HTTPS", redirect_port="443", status_code="HTTP_302"), Status.WARN,
     "HTTP:80 redirects with HTTP_302 (temporary)"),
    (Action("fixed-response", status_code="200"), Status.WARN, "HTTP:80 does not redirect to HTTPS"),
    (Action("forward", (TG_ARN,)), Status.WARN, "HTTP:80 serves plain HTTP to goorm-popcorn-dev-api"),
])
def test_http_that_is_not_a_permanent_redirect_warns(http: Action, status: Status, title: str) -> None:
    finding = found(alb_run(listeners=listeners(http=http)), "alb.redirect")
    assert (finding.status, finding.title) == (status, title)


def test_no_listener_fails_and_marks_the_load_balancer_down() -> None:
    report = alb_run(listeners=())[0]
    assert found([report], "alb.listeners").status is Status.FAIL
    assert report.health.value == "down"


def test_no_https_listener_fails() -> None:
    only_http = (listeners()[0],)
    assert found(alb_run(listeners=only_http), "alb.listeners").title == "no HTTPS listener"


@pytest.mark.parametrize("rule", TARGET_HEALTH_RULES, ids=lambda r: r.id)
def test_every_reason_code_is_explained(rule: object) -> None:
    example = rule.examples[0]  # type: ignore[attr-defined]
    state = "draining" if example.code == "Target.DeregistrationInProgress" else (
        "initial" if example.code.startswith("Elb.") and "Initial" in example.code else "unhealthy")
    finding = found(alb_run(target_health={TG_ARN: Outcome(targets(state, example.code, example.message))}),
                    "alb.tg.targets")
    line = f"10.20.1.10:8080 {state} — {example.code}: {example.message}"
    assert line in finding.evidence
    if finding.status is not Status.OK:
        assert finding.rule == rule.id and finding.cause == rule.cause  # type: ignore[attr-defined]


def test_no_target_while_the_service_wants_tasks_fails_and_no_listener_warns() -> None:
    empty = found(alb_run(target_health={TG_ARN: Outcome(())}), "alb.tg.targets")
    assert empty.status is Status.FAIL and "want 2 task(s)" in (empty.cause or "")
    orphan = alb_run(listeners=(*listeners()[:1], replace(listeners()[1], rules=())))
    warn = found(orphan, "alb.tg.targets")
    assert warn.status is Status.WARN and "no listener forwards to it" in warn.title


def test_health_check_port_and_container_port_mismatches_fail() -> None:
    probe = found(alb_run(target_groups=(target_group(port="9090"),)), "alb.tg.health-check")
    assert probe.status is Status.FAIL and probe.title == "health checks probe port 9090, but api listens on 8080"
    services = ecs_services()
    svc = services.services[0]
    wrong = replace(svc, load_balancers=(replace(svc.load_balancers[0], container_port=80),))
    mapped = found(alb_run(services=replace(services, services=(wrong,))), "alb.tg.health-check")
    assert mapped.title == "goorm-popcorn-dev-api registers port 80, but api maps 8080"


def test_disabled_health_checks_and_https_checks_on_http_targets_warn() -> None:
    off = found(alb_run(target_groups=(target_group(enabled=False),)), "alb.tg.health-check")
    assert off.status is Status.WARN and off.title.startswith("health checks are disabled")
    tls = found(alb_run(target_groups=(target_group(protocol="HTTPS"),)), "alb.tg.health-check")
    assert tls.status is Status.WARN and tls.title == "health checks use HTTPS against an HTTP target"


def test_thresholds_come_from_the_alarms_and_sums_scale_with_the_period() -> None:
    alarms = (alarm("elb-5xx", "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", 5, {"LoadBalancer": SUFFIX},
                    statistic="Sum", period=60),)
    below = found(alb_run(alarms=alarms, metrics={ELB_5XX: (0, 3, 0), REQUESTS: (100, 100, 100)}), "alb.errors")
    assert (below.status, below.title) == (Status.OK, "3 5xx of 300 requests")
    assert "threshold 5 per 60s, from alarm elb-5xx (OK)" in below.evidence[1]
    earlier = found(alb_run(alarms=alarms, metrics={ELB_5XX: (0, 9, 0)}), "alb.errors")
    assert earlier.status is Status.WARN  # over 5 earlier in the window, not now
    # a 5-minute series: the alarm's 5 per minute is 25 per datapoint
    scaled = found(alb_run(alarms=alarms, period=300, metrics={ELB_5XX: (0, 20)}), "alb.errors")
    assert scaled.status is Status.OK and "threshold 25 per 300s" in scaled.evidence[1]  # 20 per 5 minutes is fine
    assert found(alb_run(alarms=alarms, period=300, metrics={ELB_5XX: (30, 0)}), "alb.errors").status is Status.WARN
    in_alarm = (replace(alarms[0], state="ALARM"),)
    assert found(alb_run(alarms=in_alarm, metrics={ELB_5XX: (0, 0)}), "alb.errors").status is Status.FAIL


def test_latency_over_the_default_threshold_now_fails() -> None:
    slow = found(alb_run(metrics={P99: (0.4, 0.5, 2.6)}), "alb.latency")
    assert (slow.status, slow.title) == (Status.FAIL, "p99 response time reached 2.60 s (threshold 2 s)")
    assert "the monitoring module's default" in slow.evidence[0]
    per_group = found(alb_run(metrics={series_key(P99, TG_ARN): (3.0,)}), "alb.tg.errors")
    assert per_group.status is Status.FAIL


def test_waf_blocking_everything_fails() -> None:
    acl = Waf("acl", "arn:acl", (("KnownBad", "m-known"),))
    blocked = found(alb_run(waf=acl, metrics={"waf-blocked": (50.0,)}), "alb.waf")
    assert (blocked.status, blocked.title) == (Status.FAIL, "WAF blocked every request (50)")
    assert found(alb_run(waf=None, expected=Expected(waf=False)), "alb.waf").status is Status.OK


def test_access_logs_expected_but_off_fails() -> None:
    off = found(alb_run(expected=Expected(access_logs=True)), "alb.access-logs")
    assert (off.status, off.title) == (Status.FAIL, "access logs are off, though the environment enables them")
