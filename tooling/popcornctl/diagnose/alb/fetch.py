"""The one fetch step of ``diagnose alb``: every AWS read about one load balancer, concurrent, no judgement.

Phase 1 reads the load balancer and its attributes (its absence ends the run with one line). Phase 2 reads,
concurrently: the listeners, the target groups (DescribeTargetGroups by load balancer, 400 a page), the
AWS/ApplicationELB and AWS/WAFV2 alarms (one listing), the web ACL, the access-log bucket, and the ECS services
(their container ports). Phase 3: every listener's rules and extra certificates, one DescribeTargetHealth per
target group (the API takes one group), one DescribeCertificate per distinct certificate, all concurrent, and
every metric series of the run in one GetMetricData call (500 series a call).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from popcornctl.diagnose.alb import convert
from popcornctl.diagnose.alb.facts import (
    ELB_5XX,
    P99,
    REQUESTS,
    TARGET_5XX,
    WAF_ALLOWED,
    WAF_BLOCKED,
    AccessLogs,
    AlbFacts,
    Expected,
    Listener,
    LoadBalancer,
    Waf,
    series_key,
)
from popcornctl.diagnose.calls import Outcome, attempt, paginate, unique
from popcornctl.diagnose.cloudwatch import Query, fetch_metric_alarms, fetch_metrics, period_for
from popcornctl.diagnose.ecs import convert as ecs_convert
from popcornctl.diagnose.ecs.facts import TargetGroup, TargetHealth
from popcornctl.diagnose.facts import collect, gap
from popcornctl.diagnose.failures import error_code, is_fatal, refused
from popcornctl.diagnose.pool import Pool
from popcornctl.diagnose.services import EcsServices, fetch_services, unread
from popcornctl.errors import PopcornError

if TYPE_CHECKING:
    from popcornctl.aws import Clients
    from popcornctl.diagnose.window import Window

CLIENTS = ("elbv2", "acm", "wafv2", "cloudwatch", "ecs", "s3")
ELB = "AWS/ApplicationELB"
WAF = "AWS/WAFV2"
LB_SERIES = ((REQUESTS, "RequestCount", "Sum"), (ELB_5XX, "HTTPCode_ELB_5XX_Count", "Sum"),
             (TARGET_5XX, "HTTPCode_Target_5XX_Count", "Sum"), (P99, "TargetResponseTime", "p99"))
TG_SERIES = ((REQUESTS, "RequestCount", "Sum"), (TARGET_5XX, "HTTPCode_Target_5XX_Count", "Sum"),
             (P99, "TargetResponseTime", "p99"))


class AlbFetch:
    """Reads one load balancer and what it routes to; calling it returns :class:`AlbFacts`."""

    def __init__(
        self,
        clients: Clients,
        load_balancer: str,
        window: Window,
        *,
        cluster: str | None = None,
        expected: Expected | None = None,
        where: str = "",
        max_workers: int = 16,
    ) -> None:
        self.c: dict[str, Any] = {name: clients.client(name) for name in CLIENTS}  # all before any thread
        self.region = clients.target.region
        self.name = load_balancer
        self.window = window
        self.cluster = cluster
        self.expected = expected or Expected()
        self.where = where
        self.max_workers = max_workers

    def __call__(self) -> AlbFacts:
        lb = self._load_balancer()
        with Pool(self.max_workers, "diagnose-alb") as pool:
            f_listeners = pool.submit(attempt, lambda: self._listeners(lb))
            f_groups = pool.submit(attempt, lambda: self._target_groups(lb))
            f_alarms = pool.submit(attempt, lambda: fetch_metric_alarms(self.c["cloudwatch"], (ELB, WAF)))
            f_waf = pool.submit(attempt, lambda: self._waf(lb))
            f_logs = pool.submit(attempt, lambda: self._access_logs(lb)) if lb.access_logs else None
            services = self._services(pool)
            raw_listeners: Outcome[list[dict[str, Any]]] = f_listeners.result()
            listeners = self._listener_details(pool, raw_listeners.value or [])
            groups: Outcome[list[TargetGroup]] = f_groups.result()
            health = {tg.arn: pool.submit(attempt, lambda arn=tg.arn: self._health(arn)) for tg in groups.value or []}
            arns = unique(c for listener in listeners.value or () for c in listener.certificates)
            certificates = {arn: pool.submit(attempt, lambda a=arn: self._certificate(a)) for arn in arns}
            waf: Outcome[Waf | None] = f_waf.result()
            f_metrics = pool.submit(attempt, lambda: self._metrics(lb, groups.value or [], waf.value))
            logs: Outcome[AccessLogs] | None = f_logs.result() if f_logs else None
            metrics, alarms = f_metrics.result(), f_alarms.result()
            return AlbFacts(
                lb=lb,
                window=self.window,
                region=self.region,
                listeners=listeners.value or (),
                certificates={arn: f.result() for arn, f in certificates.items()},
                target_groups=tuple(groups.value or ()),
                target_health={arn: f.result() for arn, f in health.items()},
                services=services,
                metrics=metrics.value or {},
                period=period_for(self.window),
                alarms=alarms.value or (),
                waf=waf.value,
                access_logs=logs.value if logs else None,
                expected=self.expected,
                gaps=collect(
                    gap(raw_listeners, "listeners", "describe the listeners", "elasticloadbalancing:DescribeListeners"),
                    gap(listeners, "listeners", "describe the listener rules", "elasticloadbalancing:DescribeRules"),
                    gap(groups, "target_groups", "describe the target groups",
                        "elasticloadbalancing:DescribeTargetGroups"),
                    gap(metrics, "metrics", "read CloudWatch metrics", "cloudwatch:GetMetricData"),
                    gap(alarms, "alarms", "list CloudWatch alarms", "cloudwatch:DescribeAlarms"),
                    gap(waf, "waf", "read the web ACL", "wafv2:GetWebACLForResource"),
                    gap(logs, "access_logs", "list the access-log bucket", "s3:ListBucket"),
                ),
            )

    # -- phase 1 ------------------------------------------------------------------------------------
    def _load_balancer(self) -> LoadBalancer:
        elbv2 = self.c["elbv2"]
        by = {"LoadBalancerArns": [self.name]} if self.name.startswith("arn:") else {"Names": [self.name]}
        try:
            found = elbv2.describe_load_balancers(**by)["LoadBalancers"]
        except Exception as exc:
            if is_fatal(exc):
                raise
            if error_code(exc) not in ("LoadBalancerNotFound", "ValidationError"):
                if error_code(exc):
                    raise refused("elasticloadbalancing:DescribeLoadBalancers", exc,
                                  "check the credentials' ELB read permissions") from None
                raise
            found = []
        if not found:
            known = [str(b["LoadBalancerName"]) for b in paginate(elbv2, "describe_load_balancers", "LoadBalancers")]
            raise PopcornError(
                f"load balancer {self.name!r} not found ({self.where})",
                f"pass --load-balancer NAME or check --env; load balancers here: {', '.join(sorted(known)) or 'none'}",
            )
        raw = found[0]
        attributes = elbv2.describe_load_balancer_attributes(LoadBalancerArn=raw["LoadBalancerArn"])["Attributes"]
        return convert.load_balancer(raw, attributes)

    # -- phase 2 ------------------------------------------------------------------------------------
    def _listeners(self, lb: LoadBalancer) -> list[dict[str, Any]]:
        return paginate(self.c["elbv2"], "describe_listeners", "Listeners", LoadBalancerArn=lb.arn)

    def _target_groups(self, lb: LoadBalancer) -> list[TargetGroup]:
        raw = paginate(self.c["elbv2"], "describe_target_groups", "TargetGroups", LoadBalancerArn=lb.arn)
        return sorted((ecs_convert.target_group(g) for g in raw), key=lambda g: g.name)

    def _services(self, pool: Pool) -> EcsServices:
        if not self.cluster:
            return EcsServices(note="no ECS cluster named: container ports not compared")
        cluster = self.cluster
        outcome = attempt(lambda: fetch_services(self.c["ecs"], cluster, pool))
        return outcome.value if outcome.value is not None else unread(cluster, outcome.error or "")

    def _waf(self, lb: LoadBalancer) -> Waf | None:
        try:
            acl = self.c["wafv2"].get_web_acl_for_resource(ResourceArn=lb.arn).get("WebACL")
        except Exception as exc:
            if error_code(exc) == "WAFNonexistentItemException":
                return None
            raise
        return convert.waf(acl) if acl else None

    def _access_logs(self, lb: LoadBalancer) -> AccessLogs:
        """Objects delivered since the window's start, per day prefix (keys sort by their end time)."""
        base = f"{lb.access_logs_prefix}/" if lb.access_logs_prefix else ""
        base += f"AWSLogs/{lb.account}/elasticloadbalancing/{self.region}/"
        resource = lb.arn_suffix.replace("/", ".")
        start, day, prefixes = self.window.start, self.window.start.date(), []
        newest, count = None, 0
        while day <= self.window.end.date():
            prefix = f"{base}{day:%Y/%m/%d}/"
            prefixes.append(prefix)
            after = f"{prefix}{lb.account}_elasticloadbalancing_{self.region}_{resource}_{start:%Y%m%dT%H%M}Z"
            try:
                objects = paginate(self.c["s3"], "list_objects_v2", "Contents", Bucket=lb.access_logs_bucket,
                                   Prefix=prefix, StartAfter=after)
            except Exception as exc:
                if error_code(exc) == "NoSuchBucket":
                    return AccessLogs(bucket_exists=False, prefixes=tuple(prefixes))
                raise
            count += len(objects)
            for obj in objects:
                if newest is None or obj["LastModified"] > newest:
                    newest = obj["LastModified"]
            day += timedelta(days=1)
        return AccessLogs(objects=count, newest=newest, prefixes=tuple(prefixes))

    # -- phase 3 ------------------------------------------------------------------------------------
    def _listener_details(self, pool: Pool, raw: list[dict[str, Any]]) -> Outcome[tuple[Listener, ...]]:
        elbv2 = self.c["elbv2"]

        def detail(listener: dict[str, Any]) -> Listener:
            arn = listener["ListenerArn"]
            rules = paginate(elbv2, "describe_rules", "Rules", ListenerArn=arn)
            extra: list[str] = []
            if listener.get("Protocol") == "HTTPS":
                certs = paginate(elbv2, "describe_listener_certificates", "Certificates", ListenerArn=arn)
                extra = [str(c["CertificateArn"]) for c in certs if not c.get("IsDefault")]
            return convert.listener(listener, rules, extra)

        def all_details() -> tuple[Listener, ...]:
            return tuple(sorted(pool.map(detail, raw), key=lambda item: item.port))

        return attempt(all_details)

    def _health(self, arn: str) -> tuple[TargetHealth, ...]:
        raw = self.c["elbv2"].describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
        return tuple(ecs_convert.target_health(t) for t in raw)

    def _certificate(self, arn: str) -> Any:
        return convert.certificate(self.c["acm"].describe_certificate(CertificateArn=arn)["Certificate"])

    def _metrics(self, lb: LoadBalancer, groups: list[TargetGroup], waf: Waf | None) -> dict[str, tuple[float, ...]]:
        lb_dim = ("LoadBalancer", lb.arn_suffix)
        queries = [Query(key, ELB, metric, stat, (lb_dim,)) for key, metric, stat in LB_SERIES]
        for tg in groups:
            tg_dim = ("TargetGroup", tg.arn.split(":", 5)[-1])
            queries += [
                Query(series_key(key, tg.arn), ELB, metric, stat, (tg_dim, lb_dim)) for key, metric, stat in TG_SERIES
            ]
        if waf is not None:
            dims = (("WebACL", waf.name), ("Region", self.region))
            queries += [
                Query(WAF_BLOCKED, WAF, "BlockedRequests", "Sum", (*dims, ("Rule", "ALL"))),
                Query(WAF_ALLOWED, WAF, "AllowedRequests", "Sum", (*dims, ("Rule", "ALL"))),
            ]
            queries += [
                Query(series_key(WAF_BLOCKED, f"rule:{name}"), WAF, "BlockedRequests", "Sum", (*dims, ("Rule", metric)))
                for name, metric in waf.rules
            ]
        return fetch_metrics(self.c["cloudwatch"], queries, self.window)
