"""Typed facts for the pure check tests of alb, cache, kafka and network: healthy defaults, and ways to break them.

Checks are pure functions of facts, so boundaries (30 and 7 days, thresholds, quorum sizes) and what the emulator
cannot produce (impaired status checks, blackhole routes, failed endpoints, failovers) are tested here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from diagfacts import NOW, WINDOW, container, task_definition

from popcornctl.diagnose.alb import alb_reports
from popcornctl.diagnose.alb.facts import (
    Action,
    AlbFacts,
    Certificate,
    Listener,
    LoadBalancer,
    Rule,
)
from popcornctl.diagnose.cache import cache_report
from popcornctl.diagnose.cache.facts import CacheFacts, Endpoint, Member, Node, ReplicationGroup
from popcornctl.diagnose.calls import Outcome
from popcornctl.diagnose.cloudwatch import MetricAlarm
from popcornctl.diagnose.ecs.facts import LoadBalancer as ServiceLoadBalancer
from popcornctl.diagnose.ecs.facts import Network, Service, TargetGroup, TargetHealth
from popcornctl.diagnose.findings import Finding, Status, TargetReport
from popcornctl.diagnose.kafka import kafka_reports
from popcornctl.diagnose.kafka.facts import Broker, KafkaFacts, Layout, StatusCheck, Volume
from popcornctl.diagnose.network import network_report
from popcornctl.diagnose.network.facts import NatGateway, NetworkFacts, Route, RouteTable, Subnet
from popcornctl.diagnose.services import EcsServices
from popcornctl.diagnose.vpc.facts import Permission, SecurityGroup, Source

REGION, ACCOUNT, PREFIX = "ap-northeast-2", "123456789012", "goorm-popcorn-dev"
ECS_SG, CACHE_SG, KAFKA_SG = "sg-0ecs", "sg-0cache", "sg-0kafka"
LB_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/{PREFIX}-alb/50dc6c495c0c9188"
TG_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/{PREFIX}-api/6d0ecf831eec9f09"
CERT = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/0a1b2c3d"


def found(reports: list[TargetReport], check: str) -> Finding:
    """The first finding of ``check`` among the reports."""
    hits = [f for r in reports for f in r.findings if f.check == check]
    assert hits, f"no {check} in {[(f.check, f.status.value, f.title) for r in reports for f in r.findings]}"
    return hits[0]


def statuses(reports: list[TargetReport]) -> dict[str, Status]:
    """check id -> worst status among the reports."""
    out: dict[str, Status] = {}
    for report in reports:
        for f in report.findings:
            if f.check not in out or f.status.rank > out[f.check].rank:
                out[f.check] = f.status
    return out


def alarm(name: str, namespace: str, metric: str, threshold: float, dims: dict[str, str], *, state: str = "OK",
          statistic: str = "Average", period: int = 60) -> MetricAlarm:
    """A metric alarm as DescribeAlarms lists it."""
    return MetricAlarm(name, namespace, metric, threshold, "GreaterThanThreshold", statistic, period, state,
                       dimensions=tuple(dims.items()))


def ingress(port: int, *sources: str) -> Permission:
    """A TCP permission from security groups."""
    return Permission("tcp", port, port, tuple(Source("sg", s) for s in sources))


def everywhere() -> Permission:
    """All traffic to anywhere (AWS's default egress)."""
    return Permission("-1", None, None, (Source("cidr", "0.0.0.0/0"),))


def ecs_services(**overrides: Any) -> EcsServices:
    """One ECS service, api, registering container api:8080 into TG_ARN."""
    td = task_definition("api", containers=(container("api", ports=(8080,)),))
    svc = Service(name=f"{PREFIX}-api", arn=None, status="ACTIVE", desired=2, running=2, task_definition=td.arn,
                  load_balancers=(ServiceLoadBalancer(TG_ARN, "api", 8080),),
                  network=Network(("subnet-0a", "subnet-0b"), (ECS_SG,)))
    base = EcsServices(f"{PREFIX}-cluster", (svc,), {td.arn: td})
    return replace(base, **overrides)


# -- alb -------------------------------------------------------------------------------------------
def listeners(*, http: Action | None = None, policy: str = "ELBSecurityPolicy-TLS13-1-2-2021-06",
              certificates: tuple[str, ...] = (CERT,)) -> tuple[Listener, ...]:
    """HTTPS:443 forwarding to TG_ARN by host; HTTP:80 redirecting (or ``http``)."""
    forward = Rule("10", ("host-header: api.popcorn.example.com",), (Action("forward", (TG_ARN,)),))
    https = Listener(f"{LB_ARN}/https", 443, "HTTPS", policy, certificates, (Action("fixed-response",
                     status_code="404"),), (forward,))
    redirect = http or Action("redirect", redirect_protocol="HTTPS", redirect_port="443", status_code="HTTP_301")
    return (Listener(f"{LB_ARN}/http", 80, "HTTP", None, (), (redirect,)), https)


def cert(days: float, **overrides: Any) -> Certificate:
    """An ACM certificate expiring ``days`` after the window's end."""
    return replace(Certificate(CERT, "api.popcorn.example.com", "ISSUED", NOW + timedelta(days=days),
                               "AMAZON_ISSUED"), **overrides)


def target_group(**overrides: Any) -> TargetGroup:
    """The api target group (health checks on the traffic port)."""
    base = TargetGroup(TG_ARN, "HTTP", "/actuator/health", "traffic-port", "200", 30, 5, 3, 3, f"{PREFIX}-api",
                       "HTTP", 8080, "ip", (LB_ARN,))
    return replace(base, **overrides)


def targets(state: str = "healthy", reason: str | None = None, description: str = "", n: int = 2
            ) -> tuple[TargetHealth, ...]:
    """``n`` targets in ``state``."""
    return tuple(TargetHealth(f"10.20.{z}.10", 8080, state, reason, description) for z in range(1, n + 1))


def alb_facts(**overrides: Any) -> AlbFacts:
    """A healthy load balancer: active, redirecting, a certificate with 90 days left, two healthy targets."""
    lb = LoadBalancer(LB_ARN, f"{PREFIX}-alb", f"{PREFIX}-alb-1.{REGION}.elb.amazonaws.com", "internet-facing",
                      "active", azs=(f"{REGION}a", f"{REGION}b"))
    base = AlbFacts(
        lb=lb,
        window=WINDOW,
        region=REGION,
        listeners=listeners(),
        certificates={CERT: Outcome(cert(90))},
        target_groups=(target_group(),),
        target_health={TG_ARN: Outcome(targets())},
        services=ecs_services(),
    )
    return replace(base, **overrides)


def alb_run(**overrides: Any) -> list[TargetReport]:
    """The reports of ``diagnose alb`` on these facts."""
    return alb_reports(alb_facts(**overrides))


# -- cache -----------------------------------------------------------------------------------------
GROUP = f"{PREFIX}-valkey"
PRIMARY = f"master.{GROUP}.abc123.apn2.cache.amazonaws.com"


def cache_group(**overrides: Any) -> ReplicationGroup:
    """Two nodes across AZs, failover on, TLS required, AUTH token."""
    base = ReplicationGroup(
        id=GROUP, status="available", engine="valkey", node_type="cache.t4g.small", automatic_failover="enabled",
        multi_az="enabled", transit_encryption=True, transit_mode="required", at_rest_encryption=True,
        auth_token=True, primary=Endpoint(PRIMARY, 6379),
        reader=Endpoint(f"replica.{GROUP}.abc123.apn2.cache.amazonaws.com", 6379),
        members=(Member(f"{GROUP}-001", "primary", f"{REGION}a"), Member(f"{GROUP}-002", "replica", f"{REGION}b")),
        member_ids=(f"{GROUP}-001", f"{GROUP}-002"),
    )
    return replace(base, **overrides)


def cache_env(**env: str) -> dict[str, str]:
    """The composition's cache_environment, with ``env`` on top."""
    return {"SPRING_DATA_REDIS_HOST": PRIMARY, "SPRING_DATA_REDIS_PORT": "6379",
            "SPRING_DATA_REDIS_SSL_ENABLED": "true", **env}


def cache_services(env: dict[str, str] | None = None, password: bool = True) -> EcsServices:
    """The api service configured for the cache (password from the AUTH token secret)."""
    settings = cache_env() if env is None else env
    secret = (("SPRING_DATA_REDIS_PASSWORD", f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{GROUP}/auth"),)
    api = container("api", environment=tuple(settings.items()), secret_env=secret if password else ())
    td = task_definition("api", containers=(api,))
    svc = Service(name=f"{PREFIX}-api", arn=None, status="ACTIVE", task_definition=td.arn,
                  network=Network(("subnet-0a",), (ECS_SG,)))
    return EcsServices(f"{PREFIX}-cluster", (svc,), {td.arn: td})


def cache_facts(**overrides: Any) -> CacheFacts:
    """A healthy cache: available nodes, the api service configured right, 6379 open from the ECS group."""
    nodes = tuple(Node(m, "available", az, "8.0.1", (CACHE_SG,), parameter_status="in-sync",
                       node_statuses=("available",)) for m, az in ((f"{GROUP}-001", f"{REGION}a"),
                                                                    (f"{GROUP}-002", f"{REGION}b")))
    base = CacheFacts(
        group=cache_group(), window=WINDOW, nodes=nodes, services=cache_services(),
        cache_groups=(SecurityGroup(CACHE_SG, f"{PREFIX}-elasticache", "vpc-1", ingress=(ingress(6379, ECS_SG),)),),
        service_groups=(SecurityGroup(ECS_SG, f"{PREFIX}-ecs", "vpc-1", egress=(ingress(6379, CACHE_SG),)),),
        metrics={f"{key}@{node}": values for node in (f"{GROUP}-001", f"{GROUP}-002")
                 for key, values in (("cpu", (10.0, 12.0)), ("memory", (30.0, 31.0)), ("evictions", (0.0, 0.0)),
                                     ("connections", (40.0, 42.0)))},
    )
    return replace(base, **overrides)


def cache_run(**overrides: Any) -> list[TargetReport]:
    """The report of ``diagnose cache`` on these facts."""
    return [cache_report(cache_facts(**overrides))]


# -- kafka -----------------------------------------------------------------------------------------
ZONE = f"kafka.{PREFIX}.internal"


def brokers(n: int = 3, **overrides: Any) -> tuple[Broker, ...]:
    """``n`` running brokers, node ids 1..n."""
    return tuple(replace(Broker(f"i-000{i}", str(i), f"{PREFIX}-kafka-{i}", "running", "", f"10.20.1.{10 + i}",
                                f"{REGION}a", "subnet-0a", "t4g.medium", (KAFKA_SG,), "/dev/xvda"), **overrides)
                 for i in range(1, n + 1))


def kafka_facts(n: int = 3, **overrides: Any) -> KafkaFacts:
    """A healthy cluster: running brokers with ok checks, data volumes attached, DNS right, rules in place."""
    found = overrides.pop("brokers", None) or brokers(n)
    base = KafkaFacts(
        brokers=found,
        window=WINDOW,
        layout=Layout(ZONE),
        status={b.instance_id: StatusCheck("ok", "ok") for b in found},
        volumes=tuple(Volume(f"vol-{b.node_id}", "in-use", 50, b.node_id, f"{PREFIX}-kafka-{b.node_id}-data",
                             b.instance_id, "/dev/sdf", "attached") for b in found),
        zone_id="Z123",
        records={f"broker-{b.node_id}.{ZONE}": (str(b.private_ip),) for b in found},
        metrics={f"{m}@{b.instance_id}": (40.0, 41.0) for b in found for m in ("memory", "disk")},
        services=EcsServices(f"{PREFIX}-cluster", given_security_groups=(ECS_SG,)),
        kafka_groups=(SecurityGroup(KAFKA_SG, f"{PREFIX}-kafka", "vpc-1",
                                    ingress=(ingress(9092, ECS_SG, KAFKA_SG), ingress(9093, KAFKA_SG)),
                                    egress=(ingress(9092, KAFKA_SG), ingress(9093, KAFKA_SG))),),
        service_groups=(SecurityGroup(ECS_SG, f"{PREFIX}-ecs", "vpc-1", egress=(ingress(9092, KAFKA_SG),)),),
    )
    return replace(base, **overrides)


def kafka_run(n: int = 3, **overrides: Any) -> list[TargetReport]:
    """The reports of ``diagnose kafka`` on these facts."""
    return kafka_reports(kafka_facts(n, **overrides))


# -- network ---------------------------------------------------------------------------------------
def subnets() -> tuple[Subnet, ...]:
    """Public, app and data subnets in two AZs (/24: 251 usable)."""
    return tuple(
        Subnet(f"subnet-{tier}-{az}", f"{REGION}{az}", f"10.20.{third + i}.0/24", 200, tier,
               f"{PREFIX}-{tier}-{REGION}{az}")
        for tier, third in (("public", 0), ("private-app", 10), ("private-data", 20))
        for i, az in enumerate("ab")
    )


def tables(nats: tuple[str, str] = ("nat-a", "nat-b")) -> tuple[RouteTable, ...]:
    """The vpc module's tables: public to the IGW, app per AZ to its NAT, data isolated, the unused main."""
    local = Route("10.20.0.0/16", None)
    return (
        RouteTable("rtb-main", main=True, routes=(local,)),
        RouteTable("rtb-public", f"{PREFIX}-public", "public", subnets=("subnet-public-a", "subnet-public-b"),
                   routes=(local, Route("0.0.0.0/0", "igw-1"))),
        *(RouteTable(f"rtb-app-{az}", f"{PREFIX}-private-app-{REGION}{az}", "private-app",
                     subnets=(f"subnet-private-app-{az}",), routes=(local, Route("0.0.0.0/0", nat)))
          for az, nat in zip("ab", nats, strict=True)),
        RouteTable("rtb-data", f"{PREFIX}-private-data", "private-data",
                   subnets=("subnet-private-data-a", "subnet-private-data-b"), routes=(local,)),
    )


def network_facts(**overrides: Any) -> NetworkFacts:
    """A healthy VPC: a NAT gateway per AZ, each app table routing to its own."""
    base = NetworkFacts(
        vpc_id="vpc-1", cidrs=("10.20.0.0/16",), window=WINDOW, region=REGION, subnets=subnets(), tables=tables(),
        nats=(NatGateway("nat-a", "available", "subnet-public-a", f"{REGION}a"),
              NatGateway("nat-b", "available", "subnet-public-b", f"{REGION}b")),
        ecs_subnets=("subnet-private-app-a", "subnet-private-app-b"),
    )
    return replace(base, **overrides)


def network_run(**overrides: Any) -> list[TargetReport]:
    """The report of ``diagnose network`` on these facts."""
    return [network_report(network_facts(**overrides))]
