"""``diagnose all``: every target of an environment in one run, under one deadline.

Each part (ecs, rds, alb, cache, kafka, network) keeps its own fetch step and checks; the parts' fetches run
concurrently. A part whose subject cannot be found (or whose first read is refused, or that fails unexpectedly)
does not end the run: it becomes one finding (FAIL when the env stack's outputs name the subject, WARN when only
the naming convention does). Credential, endpoint and timeout errors still end the run, as for a single target.
The reports come back ordered by severity: FAIL first, then WARN, then OK (stable within a status).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from popcornctl.diagnose.failures import describe_error, is_fatal
from popcornctl.diagnose.findings import Finding, Status, TargetReport
from popcornctl.diagnose.pool import Pool
from popcornctl.diagnose.runner import DiagnoseTarget
from popcornctl.errors import PopcornError

if TYPE_CHECKING:
    from popcornctl.aws import Clients
    from popcornctl.diagnose.names import Resolved
    from popcornctl.diagnose.window import Window

UNAVAILABLE = "target.unavailable"  # the finding of a part that could not be diagnosed


@dataclass(frozen=True)
class Part:
    """One target of the environment: how to diagnose it, and what to call it when it cannot be."""

    target: DiagnoseTarget[Any]
    kind: str  # the report kind of its placeholder, e.g. "cache-replication-group"
    subject: str  # what it names, e.g. "goorm-popcorn-dev-valkey"
    named_by_outputs: bool = False  # the env stack says the subject exists


@dataclass(frozen=True)
class PartFacts:
    """A part's facts, or the one-line problem that kept it from being read."""

    part: Part
    facts: Any = None
    problem: PopcornError | None = None


class EnvironmentTarget:
    """``diagnose all`` for the runner: every part fetched concurrently, then judged."""

    name = "all"

    def __init__(self, parts: list[Part]) -> None:
        self.parts = parts

    def fetch(self) -> list[PartFacts]:
        """Every part's fetch step, concurrently. A part's own problem is kept for its report; errors that make
        the whole run meaningless (credentials, endpoint, timeouts) are raised."""

        def one(part: Part) -> PartFacts:
            try:
                return PartFacts(part, facts=part.target.fetch())
            except PopcornError as exc:
                return PartFacts(part, problem=exc)
            except Exception as exc:
                if is_fatal(exc):
                    raise
                fix = f"run popcornctl -v diagnose {part.target.name} and report the output"
                return PartFacts(part, problem=PopcornError(describe_error(exc), fix))

        with Pool(max(1, len(self.parts)), "diagnose-all") as pool:
            return pool.map(one, self.parts)

    def reports(self, facts: list[PartFacts]) -> list[TargetReport]:
        """Every part's reports (a placeholder for a part that could not be read), worst first."""
        reports: list[TargetReport] = []
        for item in facts:
            if item.problem is None:
                reports.extend(item.part.target.reports(item.facts))
            else:
                reports.append(unavailable(item.part, item.problem))
        return by_severity(reports)


def unavailable(part: Part, problem: PopcornError) -> TargetReport:
    """The report of a part that could not be diagnosed."""
    report = TargetReport(kind=part.kind, name=part.subject)
    report.add(
        Finding(
            UNAVAILABLE,
            Status.FAIL if part.named_by_outputs else Status.WARN,
            f"could not diagnose {part.target.name}: {problem.problem}",
            evidence=[f"popcornctl diagnose {part.target.name} answers the same; names from "
                      f"{'the env stack outputs' if part.named_by_outputs else 'the naming convention'}"],
            cause="The env stack's outputs name it, so it should exist." if part.named_by_outputs
            else "It may not exist in this environment (its name follows the naming convention only).",
            remediation=problem.fix,
        )
    )
    return report


def by_severity(reports: list[TargetReport]) -> list[TargetReport]:
    """FAIL reports first, then WARN, then OK; the order within a status is kept."""
    return sorted(reports, key=lambda r: -r.status.rank)


def environment_parts(
    clients: Clients, names: Resolved, window: Window, *, prod: bool, where: str
) -> list[Part]:
    """The environment's parts, in display order before sorting: ecs, rds, alb, cache, kafka, network.

    Targets the outputs switch off (``names.skipped``) are left out; the caller notes why.
    """
    from popcornctl.diagnose.alb import AlbTarget
    from popcornctl.diagnose.alb.facts import Expected
    from popcornctl.diagnose.alb.fetch import AlbFetch
    from popcornctl.diagnose.cache import CacheTarget
    from popcornctl.diagnose.cache.fetch import CacheFetch
    from popcornctl.diagnose.ecs import EcsTarget
    from popcornctl.diagnose.kafka import KafkaTarget
    from popcornctl.diagnose.kafka.convert import layout
    from popcornctl.diagnose.kafka.fetch import KafkaFetch
    from popcornctl.diagnose.network import NetworkTarget
    from popcornctl.diagnose.network.fetch import NetworkFetch
    from popcornctl.diagnose.rds import RdsTarget
    from popcornctl.diagnose.rds.fetch import RdsFetch

    cluster = str(names.cluster)
    groups = tuple(names.ecs_security_groups)
    by = names.sources.get

    parts = [
        Part(EcsTarget(clients, cluster, names.services, window, where=where), "ecs-cluster", cluster,
             by("cluster") == "outputs"),
        Part(RdsTarget(RdsFetch(clients, str(names.instance), window, prod=prod, prefix=names.prefix,
                                ecs_cluster=cluster, ecs_security_groups=list(groups),
                                ecs_subnets=names.ecs_subnets, where=where)),
             "rds-instance", str(names.instance), by("instance") == "outputs"),
        Part(AlbTarget(AlbFetch(clients, str(names.load_balancer), window, cluster=cluster,
                                expected=Expected(names.waf, names.access_logs), where=where)),
             "alb-load-balancer", str(names.load_balancer), by("load_balancer") == "outputs"),
    ]
    if "cache" not in names.skipped:
        parts.append(Part(CacheTarget(CacheFetch(clients, str(names.cache), window, prod=prod, cluster=cluster,
                                                 security_groups=groups, where=where)),
                          "cache-replication-group", str(names.cache), by("cache") == "outputs"))
    kafka_layout = layout(names.kafka_bootstrap, names.kafka_voters, names.prefix,
                          "outputs" if names.kafka_bootstrap else "convention")
    parts.append(Part(KafkaTarget(KafkaFetch(clients, window, kafka_layout, instance_ids=tuple(names.kafka_instances),
                                             prefix=names.prefix, cluster=cluster, security_groups=groups,
                                             where=where)),
                      "kafka-cluster", kafka_layout.zone, by("kafka") == "outputs"))
    parts.append(Part(NetworkTarget(NetworkFetch(clients, window, vpc=names.vpc, name=names.vpc_name,
                                                 flow_log_group=names.flow_log_group,
                                                 ecs_subnets=tuple(names.ecs_subnets), where=where)),
                      "network-vpc", str(names.vpc or names.vpc_name), by("vpc") == "outputs"))
    return parts
