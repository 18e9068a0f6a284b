"""What the load balancer served over the window: 5xx responses and latency against the alarms' thresholds, what
WAF blocked, and whether the access logs arrive."""

from __future__ import annotations

from popcornctl.diagnose.alb.facts import ELB_5XX, P99, REQUESTS, TARGET_5XX, WAF_ALLOWED, WAF_BLOCKED, AlbFacts
from popcornctl.diagnose.cloudwatch import threshold
from popcornctl.diagnose.findings import Finding, Status, worst
from popcornctl.diagnose.levels import Level
from popcornctl.diagnose.registry import check
from popcornctl.diagnose.window import human_age

ELB = "AWS/ApplicationELB"
# the monitoring module's defaults, used when no alarm watches the metric
ELB_5XX_DEFAULT, TARGET_5XX_DEFAULT, P99_DEFAULT = 10.0, 20.0, 2.0
WAF_BLOCKED_WARN = 0.05  # share of requests blocked


def error_levels(facts: AlbFacts) -> list[Level]:
    """The load balancer's ELB-generated and target 5xx counts against their alarms."""
    lb = {"LoadBalancer": facts.lb.arn_suffix}
    return [
        Level("ELB-generated 5xx", facts.series(ELB_5XX),
              threshold(facts.alarms, ELB, "HTTPCode_ELB_5XX_Count", ELB_5XX_DEFAULT, lb), facts.period,
              summed=True),
        Level("target 5xx", facts.series(TARGET_5XX),
              threshold(facts.alarms, ELB, "HTTPCode_Target_5XX_Count", TARGET_5XX_DEFAULT, lb), facts.period,
              summed=True),
    ]


def latency_level(facts: AlbFacts, target_group: str | None = None) -> Level:
    """p99 TargetResponseTime against the load balancer's latency alarm."""
    line = threshold(facts.alarms, ELB, "TargetResponseTime", P99_DEFAULT, {"LoadBalancer": facts.lb.arn_suffix})
    return Level("p99 response time", facts.series(P99, target_group), line, facts.period, unit=" s")


@check(
    "alb.errors",
    kind="alb-load-balancer",
    order=50,
    title="5xx responses over the window",
    looks_at="CloudWatch RequestCount, HTTPCode_ELB_5XX_Count and HTTPCode_Target_5XX_Count (Sum per period) against "
    "the thresholds of the alarms on them (else the monitoring module's defaults: 10 and 20 per minute)",
    findings=("alb.errors",),
    reads=("metrics",),
    ok="5xx counts stayed under 90% of their thresholds",
    warn="a 5xx count crossed its threshold earlier in the window, or came within 90% of it",
    fail="the alarm is in ALARM, or the latest period is over the threshold",
)
def alb_errors(facts: AlbFacts) -> list[Finding]:
    """ELB 5xx (502/503/504 from the load balancer itself) and target 5xx (the apps')."""
    levels = error_levels(facts)
    requests = sum(facts.series(REQUESTS))
    errors = sum(sum(level.values) for level in levels)
    evidence = [f"{requests:.0f} requests in the last {human_age(facts.window.since)}, {errors:.0f} answered 5xx"]
    evidence += [level.describe() for level in levels]
    status = worst(level.status for level in levels)
    if status is Status.OK:
        return [Finding("alb.errors", Status.OK, f"{errors:.0f} 5xx of {requests:.0f} requests", evidence=evidence)]
    bad = [level for level in levels if level.status is not Status.OK]
    elb = any(level.label.startswith("ELB") for level in bad)
    return [
        Finding(
            "alb.errors",
            status,
            "; ".join(f"{level.label} peak {level.peak:.0f} per {facts.period}s (threshold {level.line:.0f})"
                      for level in bad),
            evidence=evidence,
            cause="ELB-generated 5xx mean the load balancer could not get an answer: 502 (the target closed or "
            "broke the connection), 503 (no healthy target), 504 (the target did not answer within the idle "
            "timeout)." if elb else "The applications answered with 5xx: their own errors or their dependencies'.",
            remediation="See the target groups' findings below (unhealthy targets, 5xx per group) and the "
            "services' logs; `popcornctl diagnose ecs` explains stopped and unhealthy tasks.",
        )
    ]


@check(
    "alb.latency",
    kind="alb-load-balancer",
    order=55,
    title="p99 response time over the window",
    looks_at="CloudWatch TargetResponseTime p99 per period against the latency alarm's threshold (else 2 s)",
    findings=("alb.latency",),
    reads=("metrics",),
    ok="p99 under 90% of the threshold",
    warn="p99 crossed the threshold earlier in the window, or came within 90% of it",
    fail="the alarm is in ALARM, or the latest p99 is over the threshold",
)
def alb_latency(facts: AlbFacts) -> list[Finding]:
    """The slowest 1% of requests."""
    level = latency_level(facts)
    if not level.has_data:
        return [Finding("alb.latency", Status.OK, "no requests reached a target in the window",
                        evidence=[level.describe()])]
    if level.status is Status.OK:
        return [Finding("alb.latency", Status.OK, f"p99 response time up to {level.peak:.2f} s",
                        evidence=[level.describe()])]
    return [
        Finding(
            "alb.latency",
            level.status,
            f"p99 response time reached {level.peak:.2f} s (threshold {level.line:g} s)",
            evidence=[level.describe()],
            cause="The targets answer slowly: saturated tasks (CPU/memory), slow queries, or a slow dependency.",
            remediation="Find the slow target group (findings below); check its service's CPU/memory and the "
            "database (`popcornctl diagnose rds`).",
        )
    ]


@check(
    "alb.waf",
    kind="alb-load-balancer",
    order=60,
    title="the web ACL and what it blocked",
    looks_at="wafv2 GetWebACLForResource (rules, default action); CloudWatch AWS/WAFV2 BlockedRequests and "
    "AllowedRequests (Rule ALL and per rule) over the window; the env stack's `waf_web_acl_arn` output",
    findings=("alb.waf",),
    reads=("waf",),
    ok="no web ACL where none is expected, or one blocking under 5% of requests",
    warn="5% or more of the requests blocked (a managed rule may block real users)",
    fail="no web ACL though the environment enables WAF; or every request blocked",
)
def alb_waf(facts: AlbFacts) -> list[Finding]:
    """WAF where it is on: blocked share, and the rules that block most."""
    waf = facts.waf
    if waf is None:
        if facts.expected.waf:
            return [
                Finding(
                    "alb.waf",
                    Status.FAIL,
                    "no web ACL on the load balancer, though the environment enables WAF",
                    cause="The association was removed (or never applied): requests reach the services unfiltered.",
                    remediation="Re-apply the env stack (enable_waf = true creates aws_wafv2_web_acl_association).",
                )
            ]
        return [Finding("alb.waf", Status.OK, "no web ACL on the load balancer (WAF is off)")]
    blocked, allowed = sum(facts.series(WAF_BLOCKED)), sum(facts.series(WAF_ALLOWED))
    per_rule = sorted(
        ((name, sum(facts.series(WAF_BLOCKED, f"rule:{name}"))) for name, _ in waf.rules), key=lambda p: -p[1]
    )
    evidence = [f"web ACL {waf.name}: {blocked:.0f} blocked, {allowed:.0f} allowed in the last "
                f"{human_age(facts.window.since)} (default action {waf.default_action})"]
    evidence += [f"rule {name} blocked {count:.0f}" for name, count in per_rule if count]
    share = blocked / (blocked + allowed) if blocked + allowed else 0.0
    if blocked and not allowed:
        return [
            Finding(
                "alb.waf",
                Status.FAIL,
                f"WAF blocked every request ({blocked:.0f})",
                evidence=evidence,
                cause="A rule (or the default action) blocks all traffic: nobody reaches the services.",
                remediation="Find the rule in the evidence; switch it to count mode (override_action count) "
                "while you fix it.",
                down=True,
            )
        ]
    if share >= WAF_BLOCKED_WARN:
        return [
            Finding(
                "alb.waf",
                Status.WARN,
                f"WAF blocked {share:.0%} of requests",
                evidence=evidence,
                cause="An attack, or a managed rule that matches real users' requests (a false positive).",
                remediation="Look at the blocked requests (wafv2 GetSampledRequests or the WAF log group); set a "
                "rule that blocks real users to count mode.",
            )
        ]
    return [Finding("alb.waf", Status.OK, f"web ACL {waf.name}: {blocked:.0f} request(s) blocked ({share:.1%})",
                    evidence=evidence)]


@check(
    "alb.access-logs",
    kind="alb-load-balancer",
    order=70,
    title="access logs reach their bucket",
    looks_at="DescribeLoadBalancerAttributes access_logs.s3.*; S3 ListObjectsV2 under "
    "`<prefix>/AWSLogs/<account>/elasticloadbalancing/<region>/<yyyy/mm/dd>/` since the window's start; "
    "RequestCount; the env stack's `alb_access_logs_bucket` output",
    findings=("alb.access-logs",),
    reads=("access_logs",),
    ok="off where none are expected; or log files delivered in the window (or nothing to log)",
    warn="requests served but no log file delivered in the window",
    fail="access logs off though the environment enables them; the bucket does not exist",
)
def alb_access_logs(facts: AlbFacts) -> list[Finding]:
    """Enabled where expected, and delivered."""
    lb, logs = facts.lb, facts.access_logs
    if not lb.access_logs or logs is None:
        if facts.expected.access_logs:
            return [
                Finding(
                    "alb.access-logs",
                    Status.FAIL,
                    "access logs are off, though the environment enables them",
                    cause="access_logs.s3.enabled is false on the load balancer: requests are not recorded.",
                    remediation="Re-apply the env stack (enable_alb_access_logs = true).",
                )
            ]
        return [Finding("alb.access-logs", Status.OK, "access logs are off")]
    where = f"s3://{lb.access_logs_bucket}/{logs.prefixes[0] if logs.prefixes else ''}"
    if not logs.bucket_exists:
        return [
            Finding(
                "alb.access-logs",
                Status.FAIL,
                f"the access-log bucket {lb.access_logs_bucket} does not exist",
                evidence=[f"access_logs.s3.bucket = {lb.access_logs_bucket}"],
                cause="The bucket was deleted after logging was enabled: every log file is dropped.",
                remediation="Re-apply the env stack (it creates the bucket and its policy).",
            )
        ]
    requests = sum(facts.series(REQUESTS))
    evidence = [f"looked under {where}", f"{requests:.0f} requests in the last {human_age(facts.window.since)}"]
    if logs.objects:
        age = f", newest {human_age(facts.window.end - logs.newest)} ago" if logs.newest else ""
        return [Finding("alb.access-logs", Status.OK, f"{logs.objects} log file(s) delivered in the window{age}",
                        evidence=evidence)]
    if requests:
        return [
            Finding(
                "alb.access-logs",
                Status.WARN,
                f"no log file delivered in the last {human_age(facts.window.since)} though "
                f"{requests:.0f} requests were served",
                evidence=evidence,
                cause="ELB cannot write to the bucket: its policy does not allow the regional ELB account or "
                "logdelivery.elasticloadbalancing.amazonaws.com to PutObject under the prefix, or the bucket "
                "uses SSE-KMS (access logs need SSE-S3). Files arrive every 5 minutes.",
                remediation="Compare the bucket policy with the alb module's (aws_s3_bucket_policy.access_logs) and "
                "keep SSE-S3 (AES256) on the bucket.",
            )
        ]
    return [Finding("alb.access-logs", Status.OK, "no requests in the window, so no log file yet",
                    evidence=evidence)]

