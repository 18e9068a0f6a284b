"""Typed facts of ``diagnose alb``: what the fetch step read about one Application Load Balancer (no judgement).

Target groups and target health are :mod:`popcornctl.diagnose.ecs`'s own facts (one conversion of the ELB API).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from popcornctl.diagnose.calls import Outcome
from popcornctl.diagnose.cloudwatch import MetricAlarm
from popcornctl.diagnose.ecs.facts import TargetGroup, TargetHealth
from popcornctl.diagnose.facts import Gap
from popcornctl.diagnose.services import EcsServices
from popcornctl.diagnose.window import Window

# metric series keys (see :func:`series_key`)
REQUESTS, ELB_5XX, TARGET_5XX, P99 = "requests", "elb-5xx", "target-5xx", "p99"
WAF_BLOCKED, WAF_ALLOWED = "waf-blocked", "waf-allowed"


def series_key(metric: str, target_group: str | None = None) -> str:
    """The key of a metric series: ``p99`` for the load balancer, ``p99@<target group ARN>`` for one group."""
    return f"{metric}@{target_group}" if target_group else metric


@dataclass(frozen=True)
class Action:
    """One listener or rule action."""

    type: str  # forward | redirect | fixed-response | authenticate-oidc | authenticate-cognito
    target_groups: tuple[str, ...] = ()
    redirect_protocol: str | None = None  # "HTTPS", "#{protocol}"
    redirect_port: str | None = None
    status_code: str | None = None  # HTTP_301 / HTTP_302 for redirects, "404" for fixed responses


@dataclass(frozen=True)
class Rule:
    """A listener rule (the default action is a rule with priority "default")."""

    priority: str
    conditions: tuple[str, ...]  # "host-header: api.example.com"
    actions: tuple[Action, ...]


@dataclass(frozen=True)
class Listener:
    """DescribeListeners, with the listener's rules and extra certificates."""

    arn: str
    port: int
    protocol: str  # HTTP | HTTPS
    ssl_policy: str | None = None
    certificates: tuple[str, ...] = ()  # the default first, then DescribeListenerCertificates
    default_actions: tuple[Action, ...] = ()
    rules: tuple[Rule, ...] = ()  # non-default rules, by priority

    @property
    def name(self) -> str:
        """'HTTPS:443'."""
        return f"{self.protocol}:{self.port}"

    @property
    def forwards_to(self) -> tuple[str, ...]:
        """Every target group the listener's actions forward to."""
        actions = self.default_actions + tuple(a for r in self.rules for a in r.actions)
        return tuple(dict.fromkeys(tg for a in actions for tg in a.target_groups))


@dataclass(frozen=True)
class Certificate:
    """ACM DescribeCertificate."""

    arn: str
    domain: str = ""
    status: str = ""  # ISSUED | PENDING_VALIDATION | EXPIRED | REVOKED | FAILED | INACTIVE | ...
    not_after: datetime | None = None
    type: str = ""  # AMAZON_ISSUED | IMPORTED | PRIVATE
    renewal_status: str | None = None  # RenewalSummary.RenewalStatus
    renewal_reason: str | None = None
    names: tuple[str, ...] = ()  # SubjectAlternativeNames


@dataclass(frozen=True)
class LoadBalancer:
    """DescribeLoadBalancers and DescribeLoadBalancerAttributes."""

    arn: str
    name: str
    dns: str = ""
    scheme: str = ""
    state: str = "?"  # active | provisioning | active_impaired | failed
    state_reason: str = ""
    vpc: str | None = None
    azs: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    access_logs: bool = False  # access_logs.s3.enabled
    access_logs_bucket: str | None = None
    access_logs_prefix: str = ""

    @property
    def arn_suffix(self) -> str:
        """'app/<name>/<id>': the LoadBalancer dimension of its metrics."""
        return self.arn.split(":loadbalancer/", 1)[-1]

    @property
    def account(self) -> str:
        """The account id in the ARN."""
        parts = self.arn.split(":")
        return parts[4] if len(parts) > 4 else ""


@dataclass(frozen=True)
class AccessLogs:
    """What the access-log bucket holds for the window (ListObjectsV2 under the day prefixes)."""

    bucket_exists: bool = True
    objects: int = 0  # delivered since the window's start
    newest: datetime | None = None
    prefixes: tuple[str, ...] = ()  # where it looked


@dataclass(frozen=True)
class Waf:
    """The web ACL on the load balancer (wafv2 GetWebACLForResource, GetWebACL)."""

    name: str
    arn: str
    rules: tuple[tuple[str, str], ...] = ()  # (rule name, its metric name)
    default_action: str = ""  # Allow | Block


@dataclass(frozen=True)
class Expected:
    """What the env stack's outputs say should be on (None: not known)."""

    waf: bool | None = None
    access_logs: bool | None = None


@dataclass(frozen=True)
class AlbFacts:
    """Everything one ``diagnose alb`` run read. The load balancer's checks take it as their subject."""

    lb: LoadBalancer
    window: Window
    region: str
    listeners: tuple[Listener, ...] = ()
    certificates: Mapping[str, Outcome[Certificate]] = field(default_factory=dict)
    target_groups: tuple[TargetGroup, ...] = ()
    target_health: Mapping[str, Outcome[tuple[TargetHealth, ...]]] = field(default_factory=dict)
    services: EcsServices = field(default_factory=EcsServices)
    metrics: Mapping[str, tuple[float, ...]] = field(default_factory=dict)  # by series_key
    period: int = 60  # seconds per datapoint
    alarms: tuple[MetricAlarm, ...] = ()  # every AWS/ApplicationELB and AWS/WAFV2 alarm (thresholds)
    waf: Waf | None = None
    access_logs: AccessLogs | None = None  # None when access logs are off
    expected: Expected = field(default_factory=Expected)
    gaps: Mapping[str, Gap] = field(default_factory=dict)

    def series(self, metric: str, target_group: str | None = None) -> tuple[float, ...]:
        """The datapoints of one series (empty when CloudWatch had none)."""
        return self.metrics.get(series_key(metric, target_group), ())


@dataclass(frozen=True)
class TargetGroupSubject:
    """One target group as its checks judge it: the group, its targets, and the run's facts."""

    facts: AlbFacts
    group: TargetGroup

    @property
    def health(self) -> tuple[TargetHealth, ...]:
        """Its targets (empty when unreadable: see gaps)."""
        return self.facts.target_health.get(self.group.arn, Outcome()).value or ()

    @property
    def gaps(self) -> Mapping[str, Gap]:
        """The run's gaps, plus this group's unreadable target health."""
        gaps = dict(self.facts.gaps)
        error = self.facts.target_health.get(self.group.arn, Outcome()).error
        if error:
            gaps["target_health"] = Gap(
                "target_health", "read the target health", "elasticloadbalancing:DescribeTargetHealth", error
            )
        return gaps

    @property
    def listeners(self) -> tuple[Listener, ...]:
        """The listeners that forward to the group."""
        return tuple(listener for listener in self.facts.listeners if self.group.arn in listener.forwards_to)
