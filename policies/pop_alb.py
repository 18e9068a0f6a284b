"""The load balancer: modern TLS, HTTP redirected to HTTPS, hardened headers, logs and protection in prod."""

from __future__ import annotations

import re

from popcornctl.policy.api import UNKNOWN, Change, Context, Findings, fail, policy, unknown

LISTENER_TYPES = ("aws_lb_listener", "aws_alb_listener")
LB_TYPES = ("aws_lb", "aws_alb")
# ELB security policies that allow only TLS 1.2 and 1.3 (the AWS default, ELBSecurityPolicy-2016-08, allows 1.0).
_MODERN_TLS = re.compile(r"(TLS13-1-[23]|TLS-1-2|FS-1-2|TLS13-13)", re.IGNORECASE)


def _is_application(change: Change) -> bool:
    return change.get("load_balancer_type") in ("application", None, UNKNOWN)


@policy(
    id="POP-ALB-001",
    title="HTTPS listeners allow only TLS 1.2 or newer",
    severity="high",
    resource_types=LISTENER_TYPES,
    rationale="TLS 1.0/1.1 are broken and banned by PCI DSS; the AWS default policy still allows them.",
    remediation='Set ssl_policy = "ELBSecurityPolicy-TLS13-1-2-2021-06" (or another TLS13-1-2/1-3 policy).',
)
def alb_tls(change: Change, context: Context) -> Findings:
    protocol = change.get("protocol")
    if protocol is UNKNOWN:
        yield unknown("the listener protocol is known only after apply", attribute="protocol")
        return
    if protocol not in ("HTTPS", "TLS"):
        return
    policy_name = change.get("ssl_policy")
    if policy_name is UNKNOWN:
        if context.configured(change, "ssl_policy") is False:
            yield fail(
                "ssl_policy is not set: AWS uses ELBSecurityPolicy-2016-08, which allows TLS 1.0",
                attribute="ssl_policy",
            )
        else:
            yield unknown("ssl_policy is known only after apply", attribute="ssl_policy")
    elif not isinstance(policy_name, str) or not _MODERN_TLS.search(policy_name):
        yield fail(f"ssl_policy {policy_name!r} allows TLS older than 1.2", attribute="ssl_policy")


@policy(
    id="POP-ALB-002",
    title="HTTP listeners redirect to HTTPS",
    severity="high",
    resource_types=LISTENER_TYPES,
    rationale="A listener that forwards plain HTTP serves logins and tokens unencrypted; the only job of "
    "port 80 is a permanent redirect to 443.",
    remediation='Give the HTTP listener a default_action of type "redirect" with protocol = "HTTPS", '
    'port = "443", status_code = "HTTP_301".',
)
def alb_http_redirect(change: Change, context: Context) -> Findings:
    if change.get("protocol") != "HTTP":
        return
    actions = change.get("default_action")
    if actions is UNKNOWN:
        yield unknown("default_action is known only after apply", attribute="default_action")
        return
    for i, action in enumerate(actions or []):
        if not isinstance(action, dict):
            continue
        kind = action.get("type")
        if kind == "redirect":
            redirect = action.get("redirect") or []
            protocol = redirect[0].get("protocol") if redirect and isinstance(redirect[0], dict) else None
            if protocol is UNKNOWN:
                yield unknown("the redirect protocol is known only after apply", attribute=f"default_action.{i}")
            elif protocol != "HTTPS":
                yield fail(f"the HTTP listener redirects to {protocol!r}, not HTTPS", attribute=f"default_action.{i}")
            return
        if kind == "fixed-response":
            return
    yield fail("the HTTP listener forwards requests instead of redirecting to HTTPS", attribute="default_action")


@policy(
    id="POP-ALB-003",
    title="Prod load balancers write access logs",
    severity="medium",
    resource_types=LB_TYPES,
    environments=("prod",),
    rationale="Access logs are the record of every request (client, path, status, latency) needed to "
    "investigate abuse and 5xx spikes; CloudWatch metrics alone cannot say who or what.",
    remediation="Set access_logs { bucket = <logs bucket>, enabled = true } (the alb module's enable_access_logs).",
)
def alb_access_logs(change: Change, context: Context) -> Findings:
    logs = change.get("access_logs")
    if logs is UNKNOWN:
        yield unknown("access_logs is known only after apply", attribute="access_logs")
        return
    block = logs[0] if isinstance(logs, list) and logs else None
    if not isinstance(block, dict):
        yield fail("access logs are not configured in prod", attribute="access_logs")
        return
    enabled, bucket = block.get("enabled"), block.get("bucket")
    if enabled is False or bucket in (None, ""):
        yield fail("access logs are not enabled in prod", attribute="access_logs")
    elif enabled is UNKNOWN:
        yield unknown("access_logs.enabled is known only after apply", attribute="access_logs.enabled")


@policy(
    id="POP-ALB-004",
    title="Application load balancers drop invalid HTTP headers",
    severity="low",
    resource_types=LB_TYPES,
    rationale="Headers with invalid characters are a request-smuggling vector towards the services behind the ALB.",
    remediation="Set drop_invalid_header_fields = true.",
)
def alb_drop_headers(change: Change, context: Context) -> Findings:
    if not _is_application(change):
        return
    value = change.get("drop_invalid_header_fields")
    if value is UNKNOWN:
        yield unknown("drop_invalid_header_fields is known only after apply", attribute="drop_invalid_header_fields")
    elif value is not True:
        yield fail("drop_invalid_header_fields is not true", attribute="drop_invalid_header_fields")


@policy(
    id="POP-ALB-005",
    title="Prod load balancers have deletion protection",
    severity="medium",
    resource_types=LB_TYPES,
    environments=("prod",),
    rationale="Deleting the prod ALB changes its DNS name and drops every connection; protection makes a "
    "bad destroy fail instead.",
    remediation="Set enable_deletion_protection = true in prod.",
)
def alb_deletion_protection(change: Change, context: Context) -> Findings:
    value = change.get("enable_deletion_protection")
    if value is UNKNOWN:
        yield unknown("enable_deletion_protection is known only after apply", attribute="enable_deletion_protection")
    elif value is not True:
        yield fail("enable_deletion_protection is not true in prod", attribute="enable_deletion_protection")
