"""The brokers together: the KRaft controller quorum, and the network paths clients and controllers use."""

from __future__ import annotations

from popcornctl.diagnose.findings import Finding, Status
from popcornctl.diagnose.kafka.facts import ClusterSubject
from popcornctl.diagnose.registry import check
from popcornctl.diagnose.vpc.access import access


@check(
    "kafka.quorum",
    kind="kafka-cluster",
    order=10,
    title="the KRaft controller quorum: size and voters up",
    looks_at="controller.quorum.voters (the env stack's `kafka_controller_quorum_voters` output, else every broker "
    "found: the module runs combined broker/controller nodes); each voter's instance state and status checks",
    findings=("kafka.quorum",),
    ok="an odd number of voters, all up",
    warn="an even number of voters; a voter down while a majority is up",
    fail="a majority of the voters down (no quorum: no leader elections, no metadata changes), or a voter with no "
    "instance",
)
def kafka_quorum(subject: ClusterSubject) -> list[Finding]:
    """Majority up, odd size."""
    facts = subject.facts
    voters = facts.voter_ids
    brokers = {b.node_id: b for b in facts.brokers}
    missing = [v for v in voters if v not in brokers]
    down = [v for v in voters if v in subject.down or v in missing]
    majority = len(voters) // 2 + 1
    up = len(voters) - len(down)
    evidence = [f"{len(voters)} voter(s) ({facts.layout.source}): "
                + ", ".join(f"{v} ({'no instance' if v in missing else 'down' if v in down else 'up'})"
                            for v in voters),
                f"a majority is {majority}: the quorum survives {len(voters) - majority} voter(s) down"]
    if up < majority or missing:
        return [
            Finding(
                "kafka.quorum",
                Status.FAIL,
                f"{up} of {len(voters)} controllers up: the quorum is lost" if up < majority
                else f"voter(s) {', '.join(missing)} have no instance",
                evidence=evidence,
                cause="Without a majority of controllers no leader can be elected for the metadata log: partitions "
                "whose leader is lost stay offline and topics cannot be created or changed.",
                remediation="Bring the down brokers back (their findings below say why they are down); a voter with "
                "no instance needs `terraform apply` (it recreates the broker with its node id and data volume).",
                down=up < majority,
            )
        ]
    problems = []
    if down:
        problems.append(f"{len(down)} of {len(voters)} controllers down ({', '.join(down)})")
    if len(voters) % 2 == 0:
        problems.append(f"{len(voters)} voters: an even quorum tolerates no more failures than {len(voters) - 1}")
    if problems:
        return [Finding("kafka.quorum", Status.WARN, "; ".join(problems), evidence=evidence,
                        cause="One more failure may lose the quorum." if down else
                        "An even number of voters costs a node without adding tolerance.",
                        remediation="Run an odd number of brokers (kafka.broker_count 3 or 5); bring down brokers "
                        "back.")]
    return [Finding("kafka.quorum", Status.OK, f"{len(voters)} controller(s), all up", evidence=evidence)]


@check(
    "kafka.reachability",
    kind="kafka-cluster",
    order=20,
    title="the services reach the client port; the brokers reach each other",
    looks_at="the brokers' security groups (DescribeSecurityGroups) on the client listener port from the ECS "
    "services' groups (and their egress), and on both listener ports from the brokers' own groups",
    findings=("kafka.reachability",),
    reads=("security_groups",),
    ok="the services reach the client port; brokers reach each other on the client and controller ports",
    warn="the services' security group could not be found",
    fail="the services cannot reach the client port, or the brokers cannot reach each other's listeners",
)
def kafka_reachability(subject: ClusterSubject) -> list[Finding]:
    """Security groups for clients and for the quorum."""
    facts = subject.facts
    layout = facts.layout
    broker_ids = tuple(g.id for g in facts.kafka_groups)
    if not broker_ids:
        return [Finding("kafka.reachability", Status.WARN, "the brokers list no readable security group",
                        evidence=[f"{b.instance_id}: {', '.join(b.security_groups) or 'none'}"
                                  for b in facts.brokers],
                        remediation="Check the instances' security groups (the ec2-kafka module's "
                        "security_group_ids).")]
    problems: list[str] = []
    evidence: list[str] = []
    for port in (layout.client_port, layout.controller_port):
        inner = access(facts.kafka_groups, port, facts.kafka_groups, broker_ids)
        evidence += inner.evidence
        problems += [f"between brokers: {p}" for p in inner.problems]
    sources = facts.services.security_groups
    if sources:
        cidrs = tuple(dict.fromkeys(r.cidr for r in facts.service_routes.values() if r.cidr))
        clients = access(facts.kafka_groups, layout.client_port, facts.service_groups, sources, cidrs)
        evidence += clients.evidence
        problems = [f"from the services: {p}" for p in clients.problems] + problems
    if problems:
        return [
            Finding(
                "kafka.reachability",
                Status.FAIL,
                problems[0],
                evidence=problems[1:] + evidence,
                cause="Producers and consumers time out connecting to the bootstrap servers, or the controllers "
                "cannot replicate the metadata log and elect a leader.",
                remediation=f"Allow tcp {layout.client_port} on the Kafka security group from the ECS security group, "
                f"and {layout.client_port}/{layout.controller_port} from the Kafka security group itself (the "
                "security-groups module's kafka rules).",
            )
        ]
    if not sources:
        return [Finding("kafka.reachability", Status.WARN, "could not find the ECS services' security group",
                        evidence=evidence + ([facts.services.note] if facts.services.note else []),
                        remediation="Pass --ecs-security-group sg-... (or --env with an applied env stack).")]
    return [Finding("kafka.reachability", Status.OK,
                    f"the services reach {layout.client_port}; brokers reach {layout.client_port} and "
                    f"{layout.controller_port}", evidence=evidence)]
