"""The one fetch step of ``diagnose network``: every AWS read about one VPC, concurrent, no judgement.

Phase 1 reads the VPC (by id, else by its Name tag; its absence ends the run with one line). Phase 2 reads,
concurrently and each in one (paginated) call filtered by the VPC: subnets, route tables, NAT gateways, VPC
endpoints, flow logs, and the alarms (one listing). Phase 3: the NAT gateways' metrics and the flow-log rejects
series (one GetMetricData call), and the top REJECTed flows over the window from the flow-log group (CloudWatch
Logs Insights: one StartQuery, then GetQueryResults until it completes).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from popcornctl.diagnose.calls import Outcome, attempt, paginate
from popcornctl.diagnose.cloudwatch import MetricAlarm, Query, fetch_metric_alarms, fetch_metrics, period_for
from popcornctl.diagnose.facts import collect, gap
from popcornctl.diagnose.failures import error_code, is_fatal, refused
from popcornctl.diagnose.network import convert
from popcornctl.diagnose.network.facts import NAT_METRICS, REJECTS, FlowLog, NatGateway, NetworkFacts, Rejects
from popcornctl.diagnose.pool import Pool
from popcornctl.errors import PopcornError

if TYPE_CHECKING:
    from popcornctl.aws import Clients
    from popcornctl.diagnose.window import Window

CLIENTS = ("ec2", "cloudwatch", "logs")
NAT = "AWS/NATGateway"
TOP_FLOWS = 10
QUERY = (
    'filter action = "REJECT" | stats count(*) as flows by srcAddr, dstAddr, dstPort | sort flows desc '
    f"| limit {TOP_FLOWS}"
)
POLL_SECONDS, MAX_POLLS = 1.0, 45  # Logs Insights over an hour of flow logs usually answers in seconds
DONE = ("Complete", "Failed", "Cancelled", "Timeout", "Unknown")


class NetworkFetch:
    """Reads one VPC; calling it returns :class:`NetworkFacts`."""

    def __init__(
        self,
        clients: Clients,
        window: Window,
        *,
        vpc: str | None = None,
        name: str | None = None,
        flow_log_group: str | None = None,
        ecs_subnets: tuple[str, ...] = (),
        where: str = "",
        max_workers: int = 8,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.c: dict[str, Any] = {svc: clients.client(svc) for svc in CLIENTS}  # all before any thread
        self.region = clients.target.region
        self.window = window
        self.vpc = vpc
        self.name = name
        self.flow_log_group = flow_log_group
        self.ecs_subnets = ecs_subnets
        self.where = where
        self.max_workers = max_workers
        self.poll_seconds = poll_seconds

    def __call__(self) -> NetworkFacts:
        vpc_id, cidrs = self._vpc()
        ec2 = self.c["ec2"]
        by_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
        with Pool(self.max_workers, "diagnose-network") as pool:
            f_subnets = pool.submit(attempt, lambda: paginate(ec2, "describe_subnets", "Subnets", Filters=by_vpc))
            f_tables = pool.submit(attempt, lambda: paginate(ec2, "describe_route_tables", "RouteTables",
                                                             Filters=by_vpc))
            f_nats = pool.submit(attempt, lambda: paginate(ec2, "describe_nat_gateways", "NatGateways",
                                                           Filter=by_vpc))
            f_endpoints = pool.submit(attempt, lambda: paginate(ec2, "describe_vpc_endpoints", "VpcEndpoints",
                                                                Filters=by_vpc))
            f_flow_logs = pool.submit(attempt, lambda: self._flow_logs(vpc_id))
            f_alarms = pool.submit(attempt, self._alarms)
            subnets = f_subnets.result()
            azs = {str(s["SubnetId"]): str(s.get("AvailabilityZone", "")) for s in subnets.value or []}
            raw_nats: Outcome[list[dict[str, Any]]] = f_nats.result()
            nats = tuple(convert.nat_gateway(n, azs) for n in raw_nats.value or [] if n.get("State") != "deleted")
            alarms: Outcome[tuple[MetricAlarm, ...]] = f_alarms.result()
            flow_logs: Outcome[tuple[FlowLog, ...]] = f_flow_logs.result()
            f_metrics = pool.submit(attempt, lambda: self._metrics(nats, alarms.value or ()))
            group = self.flow_log_group or next(
                (f.log_group for f in flow_logs.value or () if f.destination == "cloud-watch-logs" and f.log_group),
                None,
            )
            f_rejects = pool.submit(attempt, lambda: self._rejects(group)) if group else None
            tables, endpoints = f_tables.result(), f_endpoints.result()
            metrics = f_metrics.result()
            rejects: Outcome[Rejects] | None = f_rejects.result() if f_rejects else None
            return NetworkFacts(
                vpc_id=vpc_id,
                cidrs=cidrs,
                window=self.window,
                region=self.region,
                subnets=tuple(sorted((convert.subnet(s) for s in subnets.value or []), key=lambda s: (s.az, s.cidr))),
                tables=tuple(convert.route_table(t) for t in tables.value or []),
                nats=nats,
                endpoints=tuple(convert.endpoint(e) for e in endpoints.value or []),
                flow_logs=flow_logs.value or (),
                rejects=rejects.value if rejects else None,
                metrics=metrics.value or {},
                period=period_for(self.window),
                alarms=alarms.value or (),
                ecs_subnets=self.ecs_subnets,
                gaps=collect(
                    gap(subnets, "subnets", "describe the subnets", "ec2:DescribeSubnets"),
                    gap(tables, "routes", "describe the route tables", "ec2:DescribeRouteTables"),
                    gap(raw_nats, "nats", "describe the NAT gateways", "ec2:DescribeNatGateways"),
                    gap(endpoints, "endpoints", "describe the VPC endpoints", "ec2:DescribeVpcEndpoints"),
                    gap(flow_logs, "flow_logs", "describe the flow logs", "ec2:DescribeFlowLogs"),
                    gap(metrics, "metrics", "read CloudWatch metrics", "cloudwatch:GetMetricData"),
                    gap(alarms, "alarms", "list CloudWatch alarms", "cloudwatch:DescribeAlarms"),
                    gap(rejects, "rejects", "query the flow logs", "logs:StartQuery, logs:GetQueryResults"),
                ),
            )

    # -- phase 1 ------------------------------------------------------------------------------------
    def _vpc(self) -> tuple[str, tuple[str, ...]]:
        ec2 = self.c["ec2"]
        if self.vpc:
            kwargs: dict[str, Any] = {"VpcIds": [self.vpc]}
        elif self.name:
            kwargs = {"Filters": [{"Name": "tag:Name", "Values": [self.name]}]}
        else:
            raise PopcornError("no VPC to diagnose", "pass --env or --vpc vpc-...")
        try:
            found = ec2.describe_vpcs(**kwargs)["Vpcs"]
        except Exception as exc:
            if is_fatal(exc):
                raise
            if error_code(exc) != "InvalidVpcID.NotFound":
                if error_code(exc):
                    raise refused("ec2:DescribeVpcs", exc, "check the credentials' EC2 read permissions") from None
                raise
            found = []
        if not found:
            known = [f"{v['VpcId']} ({_name(v)})" for v in ec2.describe_vpcs().get("Vpcs", [])]
            raise PopcornError(
                f"VPC {self.vpc or self.name!r} not found ({self.where})",
                f"pass --vpc vpc-... or check --env; VPCs here: {', '.join(known) or 'none'}",
            )
        vpc = found[0]
        cidrs = [vpc.get("CidrBlock")] + [a.get("CidrBlock") for a in vpc.get("CidrBlockAssociationSet") or []]
        return str(vpc["VpcId"]), tuple(dict.fromkeys(str(c) for c in cidrs if c))

    # -- phase 2 ------------------------------------------------------------------------------------
    def _flow_logs(self, vpc_id: str) -> tuple[FlowLog, ...]:
        raw = paginate(self.c["ec2"], "describe_flow_logs", "FlowLogs",
                       Filters=[{"Name": "resource-id", "Values": [vpc_id]}])
        return tuple(convert.flow_log(f) for f in raw)

    def _alarms(self) -> tuple[MetricAlarm, ...]:
        alarms = fetch_metric_alarms(self.c["cloudwatch"], None)
        return tuple(a for a in alarms if a.namespace == NAT or a.metric.endswith(REJECTS))

    # -- phase 3 ------------------------------------------------------------------------------------
    def _metrics(self, nats: tuple[NatGateway, ...], alarms: tuple[MetricAlarm, ...]) -> dict[str, tuple[float, ...]]:
        queries = [
            Query(f"{key}@{nat.id}", NAT, metric, stat, (("NatGatewayId", nat.id),))
            for nat in nats
            for key, (metric, stat) in NAT_METRICS.items()
        ]
        rejects = next((a for a in alarms if a.metric.endswith(REJECTS)), None)
        if rejects is not None:
            queries.append(Query(REJECTS, rejects.namespace, rejects.metric, "Sum", rejects.dimensions))
        return fetch_metrics(self.c["cloudwatch"], queries, self.window) if queries else {}

    def _rejects(self, group: str) -> Rejects:
        logs = self.c["logs"]
        query = logs.start_query(
            logGroupName=group,
            startTime=int(self.window.start.timestamp()),
            endTime=int(self.window.end.timestamp()),
            queryString=QUERY,
            limit=TOP_FLOWS,
        )["queryId"]
        for _ in range(MAX_POLLS):
            answer = logs.get_query_results(queryId=query)
            status = str(answer.get("status", "Unknown"))
            if status in DONE:
                return Rejects(group, status, convert.flows(answer.get("results") or []))
            time.sleep(self.poll_seconds)
        try:
            logs.stop_query(queryId=query)
        except Exception as exc:
            if is_fatal(exc):
                raise
        return Rejects(group, "Timeout")


def _name(vpc: dict[str, Any]) -> str:
    return next((str(t["Value"]) for t in vpc.get("Tags") or [] if t.get("Key") == "Name"), "unnamed")
