"""``diagnose alb``: the load balancer (state, listeners, TLS, redirect, certificates, 5xx, latency, WAF, access
logs), then every target group (targets with AWS's reason codes explained, health check vs. container, 5xx).

- :mod:`.fetch`: the one fetch step, returning :class:`.facts.AlbFacts`;
- :mod:`.checks`: the registered checks (pure);
- :class:`AlbTarget`: the two wired together for :func:`popcornctl.diagnose.runner.run`.
"""

from __future__ import annotations

from popcornctl.diagnose.alb.facts import AlbFacts, TargetGroupSubject
from popcornctl.diagnose.alb.fetch import AlbFetch
from popcornctl.diagnose.ecs.lines import tg_name
from popcornctl.diagnose.findings import TargetReport
from popcornctl.diagnose.runner import evaluate


class AlbTarget:
    """``diagnose alb`` for the runner."""

    name = "alb"

    def __init__(self, fetch: AlbFetch) -> None:
        self.fetch = fetch

    def reports(self, facts: AlbFacts) -> list[TargetReport]:
        """The load balancer first, then one report per target group."""
        return alb_reports(facts)


def alb_reports(facts: AlbFacts) -> list[TargetReport]:
    """Judge the load balancer and each target group (no AWS calls)."""
    lb = facts.lb
    report = TargetReport(kind="alb-load-balancer", name=lb.name, arn=lb.arn)
    report.facts = {
        "state": lb.state,
        "DNS name": lb.dns or "-",
        "scheme": lb.scheme or "-",
        "zones": ", ".join(lb.azs) or "-",
        "listeners": ", ".join(item.name for item in facts.listeners) or "none",
        "target groups": str(len(facts.target_groups)),
        "WAF": facts.waf.name if facts.waf else "off",
        "access logs": f"s3://{lb.access_logs_bucket}" if lb.access_logs else "off",
    }
    reports = [evaluate(report, facts)]
    for group in facts.target_groups:
        subject = TargetGroupSubject(facts, group)
        tg = TargetReport(kind="alb-target-group", name=group.name or tg_name(group.arn), arn=group.arn)
        tg.facts = {
            "traffic": f"{group.traffic_protocol or '?'}:{group.traffic_port or '?'} ({group.target_type or '?'})",
            "health check": f"{group.protocol or '?'} {group.path or ''} port {group.port or '?'}".strip(),
            "listeners": ", ".join(item.name for item in subject.listeners) or "none",
            "targets": f"{sum(1 for t in subject.health if t.state == 'healthy')} healthy of {len(subject.health)}",
        }
        reports.append(evaluate(tg, subject))
    return reports
