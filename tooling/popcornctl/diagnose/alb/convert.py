"""ELBv2, ACM and WAFv2 API responses as typed facts (pure)."""

from __future__ import annotations

from typing import Any

from popcornctl.diagnose.alb.facts import Action, Certificate, Listener, LoadBalancer, Rule, Waf


def load_balancer(raw: dict[str, Any], attributes: list[dict[str, Any]]) -> LoadBalancer:
    """DescribeLoadBalancers ``LoadBalancers[]`` with DescribeLoadBalancerAttributes ``Attributes``."""
    attrs = {str(a.get("Key")): str(a.get("Value", "")) for a in attributes}
    state = raw.get("State") or {}
    return LoadBalancer(
        arn=str(raw["LoadBalancerArn"]),
        name=str(raw.get("LoadBalancerName", "")),
        dns=str(raw.get("DNSName", "")),
        scheme=str(raw.get("Scheme", "")),
        state=str(state.get("Code", "?")),
        state_reason=str(state.get("Reason", "")),
        vpc=raw.get("VpcId"),
        azs=tuple(str(z.get("ZoneName")) for z in raw.get("AvailabilityZones", [])),
        security_groups=tuple(str(g) for g in raw.get("SecurityGroups", [])),
        access_logs=attrs.get("access_logs.s3.enabled") == "true",
        access_logs_bucket=attrs.get("access_logs.s3.bucket") or None,
        access_logs_prefix=attrs.get("access_logs.s3.prefix", "").strip("/"),
    )


def action(raw: dict[str, Any]) -> Action:
    """A listener or rule action."""
    groups = [str(raw["TargetGroupArn"])] if raw.get("TargetGroupArn") else []
    groups += [str(g["TargetGroupArn"]) for g in (raw.get("ForwardConfig") or {}).get("TargetGroups", [])]
    redirect = raw.get("RedirectConfig") or {}
    fixed = raw.get("FixedResponseConfig") or {}
    return Action(
        type=str(raw.get("Type", "")),
        target_groups=tuple(dict.fromkeys(groups)),
        redirect_protocol=redirect.get("Protocol"),
        redirect_port=redirect.get("Port"),
        status_code=redirect.get("StatusCode") or fixed.get("StatusCode"),
    )


def _condition(raw: dict[str, Any]) -> str:
    field = str(raw.get("Field", ""))
    values = list(raw.get("Values") or [])
    for key in ("HostHeaderConfig", "PathPatternConfig", "HttpRequestMethodConfig", "SourceIpConfig"):
        values += list((raw.get(key) or {}).get("Values") or [])
    return f"{field}: {', '.join(dict.fromkeys(str(v) for v in values))}"


def rule(raw: dict[str, Any]) -> Rule:
    """DescribeRules ``Rules[]``."""
    return Rule(
        priority=str(raw.get("Priority", "")),
        conditions=tuple(_condition(c) for c in raw.get("Conditions", [])),
        actions=tuple(action(a) for a in raw.get("Actions", [])),
    )


def listener(raw: dict[str, Any], rules: list[dict[str, Any]], extra_certificates: list[str]) -> Listener:
    """DescribeListeners ``Listeners[]`` with its rules (DescribeRules) and extra certificates."""
    default = [str(c["CertificateArn"]) for c in raw.get("Certificates", []) if c.get("CertificateArn")]
    return Listener(
        arn=str(raw["ListenerArn"]),
        port=int(raw.get("Port") or 0),
        protocol=str(raw.get("Protocol", "")),
        ssl_policy=raw.get("SslPolicy"),
        certificates=tuple(dict.fromkeys(default + extra_certificates)),
        default_actions=tuple(action(a) for a in raw.get("DefaultActions", [])),
        rules=tuple(rule(r) for r in rules if not r.get("IsDefault")),
    )


def certificate(raw: dict[str, Any]) -> Certificate:
    """ACM DescribeCertificate ``Certificate``."""
    renewal = raw.get("RenewalSummary") or {}
    return Certificate(
        arn=str(raw.get("CertificateArn", "")),
        domain=str(raw.get("DomainName", "")),
        status=str(raw.get("Status", "")),
        not_after=raw.get("NotAfter"),
        type=str(raw.get("Type", "")),
        renewal_status=renewal.get("RenewalStatus"),
        renewal_reason=renewal.get("RenewalStatusReason"),
        names=tuple(str(n) for n in raw.get("SubjectAlternativeNames", [])),
    )


def waf(raw: dict[str, Any]) -> Waf:
    """wafv2 GetWebACL ``WebACL``."""
    default = raw.get("DefaultAction") or {}
    return Waf(
        name=str(raw.get("Name", "")),
        arn=str(raw.get("ARN", "")),
        rules=tuple(
            (str(r.get("Name", "")), str((r.get("VisibilityConfig") or {}).get("MetricName") or r.get("Name", "")))
            for r in raw.get("Rules", [])
        ),
        default_action="Block" if "Block" in default else "Allow",
    )
