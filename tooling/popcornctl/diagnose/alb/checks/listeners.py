"""The load balancer's front door: its state, its listeners and TLS policy, the HTTP→HTTPS redirect, and the
certificates' expiry."""

from __future__ import annotations

import re

from popcornctl.diagnose.alb.facts import Action, AlbFacts, Certificate, Listener
from popcornctl.diagnose.calls import Outcome
from popcornctl.diagnose.ecs.lines import tg_name
from popcornctl.diagnose.facts import arn_name
from popcornctl.diagnose.findings import Finding, Status, worst
from popcornctl.diagnose.registry import check

CERT_FAIL_DAYS, CERT_WARN_DAYS = 7, 30
MODERN_TLS = re.compile(r"^ELBSecurityPolicy-(TLS13-1-[23]-|FS-1-2-|TLS-1-2-)")  # refuse TLS 1.0/1.1
FIX_REDIRECT = (
    "Make the HTTP:80 listener's default action a redirect to HTTPS:443 with HTTP_301 (the alb module's "
    "aws_lb_listener.http), and keep forward rules on the HTTPS listener only."
)


@check(
    "alb.state",
    kind="alb-load-balancer",
    order=10,
    title="the load balancer's state",
    looks_at="DescribeLoadBalancers State.Code and State.Reason, scheme, Availability Zones",
    findings=("alb.state",),
    ok="`active`",
    warn="`provisioning`, or `active_impaired` (routing, but without the resources to scale)",
    fail="`failed`",
)
def alb_state(facts: AlbFacts) -> list[Finding]:
    """Is the load balancer up?"""
    lb = facts.lb
    evidence = [f"{lb.scheme} in {', '.join(lb.azs) or '?'}; DNS {lb.dns or '?'}"]
    if lb.state_reason:
        evidence.append(f"reason: {lb.state_reason}")
    if lb.state == "active":
        return [Finding("alb.state", Status.OK, f"active in {len(lb.azs)} Availability Zones", evidence=evidence)]
    if lb.state == "failed":
        return [
            Finding(
                "alb.state",
                Status.FAIL,
                "the load balancer failed",
                evidence=evidence,
                cause="ELB could not set the load balancer up (subnets without free addresses, a deleted "
                "security group, or an AWS-side failure); it serves nothing.",
                remediation="Read State.Reason; check the public subnets have free addresses, then re-apply or "
                "recreate the load balancer.",
                down=True,
            )
        ]
    return [
        Finding(
            "alb.state",
            Status.WARN,
            f"the load balancer is {lb.state}",
            evidence=evidence,
            cause="It is being created or changed (provisioning), or it routes traffic without the resources it "
            "needs to scale (active_impaired).",
            remediation="Wait a few minutes; if it stays impaired, check the subnets' free addresses.",
        )
    ]


def _action_line(action: Action) -> str:
    if action.type == "forward":
        return "forward to " + ", ".join(tg_name(tg) for tg in action.target_groups)
    if action.type == "redirect":
        return f"redirect to {action.redirect_protocol}:{action.redirect_port} ({action.status_code})"
    if action.type == "fixed-response":
        return f"fixed response {action.status_code}"
    return action.type


def listener_line(listener: Listener) -> str:
    """One listener as an evidence line."""
    policy = f" {listener.ssl_policy}" if listener.ssl_policy else ""
    default = "; ".join(_action_line(a) for a in listener.default_actions) or "none"
    rules = f", {len(listener.rules)} rule(s) forwarding to {len(listener.forwards_to)} target group(s)"
    return f"{listener.name}{policy}: default {default}{rules if listener.rules else ''}"


@check(
    "alb.listeners",
    kind="alb-load-balancer",
    order=20,
    title="listeners and their TLS policy",
    looks_at="DescribeListeners (port, protocol, SslPolicy, default actions), DescribeRules",
    findings=("alb.listeners",),
    reads=("listeners",),
    ok="an HTTPS listener with a TLS 1.2+ policy",
    warn="an HTTPS listener whose policy still accepts TLS 1.0/1.1",
    fail="no listener at all, or no HTTPS listener",
)
def alb_listeners(facts: AlbFacts) -> list[Finding]:
    """Listeners exist, HTTPS among them, with a modern TLS policy."""
    listeners = facts.listeners
    evidence = [listener_line(item) for item in listeners]
    https = [item for item in listeners if item.protocol == "HTTPS"]
    if not listeners:
        return [
            Finding(
                "alb.listeners",
                Status.FAIL,
                "no listeners: the load balancer accepts no connections",
                cause="Every connection to the load balancer is refused.",
                remediation="Re-apply the env stack (the alb module creates the HTTP:80 and HTTPS:443 listeners).",
                down=True,
            )
        ]
    if not https:
        return [
            Finding(
                "alb.listeners",
                Status.FAIL,
                "no HTTPS listener",
                evidence=evidence,
                cause="https:// requests are refused; whatever is served goes over plain HTTP.",
                remediation="Add an HTTPS:443 listener with the ACM certificate (the alb module's "
                "aws_lb_listener.https).",
            )
        ]
    weak = [item for item in https if not MODERN_TLS.match(item.ssl_policy or "")]
    if weak:
        return [
            Finding(
                "alb.listeners",
                Status.WARN,
                f"{', '.join(f'{w.name} ({w.ssl_policy})' for w in weak)} accepts TLS below 1.2",
                evidence=evidence,
                cause="The security policy still negotiates TLS 1.0/1.1 and their weak ciphers.",
                remediation="Set ssl_policy to ELBSecurityPolicy-TLS13-1-2-2021-06 (the alb module's default).",
            )
        ]
    return [Finding("alb.listeners", Status.OK, f"{len(listeners)} listener(s), HTTPS with a TLS 1.2+ policy",
                    evidence=evidence)]


def _redirects_to_https(listener: Listener) -> Action | None:
    return next(
        (a for a in listener.default_actions if a.type == "redirect" and a.redirect_protocol == "HTTPS"), None
    )


@check(
    "alb.redirect",
    kind="alb-load-balancer",
    order=30,
    title="HTTP is redirected to HTTPS",
    looks_at="the HTTP listeners' default actions and rules (DescribeListeners, DescribeRules)",
    findings=("alb.redirect",),
    reads=("listeners",),
    ok="HTTP:80 redirects to HTTPS with 301 and forwards nothing",
    warn="an HTTP listener that forwards to targets (plain HTTP served), a temporary (302) or non-HTTPS redirect, "
    "or no HTTP listener at all (http:// URLs fail)",
)
def alb_redirect(facts: AlbFacts) -> list[Finding]:
    """Plain HTTP is never served: it is redirected."""
    http = [item for item in facts.listeners if item.protocol == "HTTP"]
    if not facts.listeners:
        return []
    if not http:
        return [
            Finding(
                "alb.redirect",
                Status.WARN,
                "no HTTP listener: http:// URLs fail instead of being redirected",
                cause="Browsers and links that start with http:// get a connection refused.",
                remediation=FIX_REDIRECT,
            )
        ]
    evidence = [listener_line(item) for item in http]
    serving = [item for item in http if item.forwards_to]
    if serving:
        return [
            Finding(
                "alb.redirect",
                Status.WARN,
                f"{', '.join(s.name for s in serving)} serves plain HTTP to "
                f"{', '.join(tg_name(tg) for s in serving for tg in s.forwards_to)}",
                evidence=evidence,
                cause="Requests over plain HTTP reach the services: cookies and tokens travel unencrypted.",
                remediation=FIX_REDIRECT,
            )
        ]
    problems = []
    for item in http:
        redirect = _redirects_to_https(item)
        if redirect is None:
            problems.append(f"{item.name} does not redirect to HTTPS")
        elif redirect.status_code != "HTTP_301":
            problems.append(f"{item.name} redirects with {redirect.status_code} (temporary)")
    if problems:
        return [
            Finding(
                "alb.redirect",
                Status.WARN,
                "; ".join(problems),
                evidence=evidence,
                cause="Clients are not sent to HTTPS for good (a 302 is not cached; other actions keep HTTP).",
                remediation=FIX_REDIRECT,
            )
        ]
    return [Finding("alb.redirect", Status.OK, "HTTP redirects to HTTPS (301)", evidence=evidence)]


def _days_left(facts: AlbFacts, cert: Certificate) -> int | None:
    if cert.not_after is None:
        return None
    return int((cert.not_after - facts.window.end).total_seconds() // 86400)


def _certificate(facts: AlbFacts, arn: str, outcome: Outcome[Certificate]) -> tuple[Status, str, str]:
    """(status, evidence line, problem) of one certificate."""
    if arn.startswith("arn:aws:iam::") or ":server-certificate/" in arn:
        return Status.OK, f"{arn_name(arn)}: an IAM server certificate (expiry not read)", ""
    cert = outcome.value
    if cert is None:
        return Status.WARN, f"{arn_name(arn)}: could not read it ({outcome.error})", "unreadable certificate"
    days = _days_left(facts, cert)
    line = f"{cert.domain} ({cert.type or '?'}, {cert.status})"
    line += f": expires {cert.not_after:%Y-%m-%d}, in {days} day(s)" if cert.not_after and days is not None else ""
    if cert.renewal_status:
        line += f"; renewal {cert.renewal_status}" + (f" ({cert.renewal_reason})" if cert.renewal_reason else "")
    if cert.status != "ISSUED":
        return Status.FAIL, line, f"{cert.domain} is {cert.status}"
    if days is not None and days <= CERT_FAIL_DAYS:
        return Status.FAIL, line, f"{cert.domain} expires in {max(days, 0)} day(s)"
    if days is not None and days <= CERT_WARN_DAYS:
        return Status.WARN, line, f"{cert.domain} expires in {days} day(s)"
    return Status.OK, line, ""


@check(
    "alb.certificates",
    kind="alb-load-balancer",
    order=40,
    title="the HTTPS listeners' certificates: status and expiry",
    looks_at="each HTTPS listener's certificates (default and DescribeListenerCertificates), ACM "
    "DescribeCertificate Status, NotAfter, Type, RenewalSummary",
    findings=("alb.certificates",),
    reads=("listeners",),
    ok="every certificate issued and valid for more than 30 days",
    warn="a certificate expires within 30 days, or could not be read",
    fail="a certificate expires within 7 days, has expired, or is not ISSUED (revoked, failed, pending validation)",
)
def alb_certificates(facts: AlbFacts) -> list[Finding]:
    """The worst certificate decides; every one is evidence."""
    arns = list(dict.fromkeys(c for item in facts.listeners if item.protocol == "HTTPS" for c in item.certificates))
    if not arns:
        return []
    judged = [_certificate(facts, arn, facts.certificates.get(arn, Outcome())) for arn in arns]
    status = worst(s for s, _, _ in judged)
    evidence = [line for _, line, _ in judged]
    if status is Status.OK:
        return [Finding("alb.certificates", Status.OK, f"{len(arns)} certificate(s) valid for 30+ days",
                        evidence=evidence)]
    problems = [p for s, _, p in judged if s is status and p]
    imported = any(
        (c := facts.certificates.get(a, Outcome()).value) is not None and c.type == "IMPORTED" for a in arns
    )
    cause = (
        "ACM renews its own (DNS-validated) certificates from 60 days before expiry; one this close to expiry "
        "means the renewal is stuck (the validation CNAME is missing from the zone) or the certificate is "
        "imported, which ACM never renews."
    )
    return [
        Finding(
            "alb.certificates",
            status,
            "; ".join(problems),
            evidence=evidence,
            cause=cause,
            remediation="Import the renewed certificate (and re-apply)"
            if imported
            else "Restore the ACM validation CNAME records in the zone (global/route53-acm) so ACM can renew, or "
            "request a new certificate and point the listener at it.",
        )
    ]
