"""First-apply ordering, read from the real configuration: `terraform graph` of every stack (bootstrap, global/*,
envs/dev, envs/prod), checked by the rules of graphrules.py for every node, and for every resource instance of the
environments' plans. A new service, role, subnet user or secret reader inherits the check without a test change.

The rules themselves are tested on small graphs with the defects this repository had (an ECS service reading its
target group before the listener rule, a task definition using roles before their policies).
"""

from __future__ import annotations

import shutil
from typing import Any

import pytest
from envsupport import ENVS, by_type, config_address, local_copy
from graphrules import (
    Graph,
    bucket_policy_first,
    capacity_providers_first,
    listener_before_service,
    role_policies_first,
    secret_values_first,
    subnets_routed_first,
    violations,
)

from tfhelpers import REPO, Tf

STACKS = ["bootstrap", *sorted(p.relative_to(REPO).as_posix() for p in REPO.glob("global/*") if p.is_dir()),
          *(f"envs/{e}" for e in ENVS)]


_GRAPHS: dict[str, Graph] = {}


@pytest.fixture
def graph_of(tf: Tf, tmp_path_factory: pytest.TempPathFactory) -> Any:
    def get(stack: str) -> Graph:
        if stack not in _GRAPHS:
            work = local_copy(stack, tmp_path_factory.mktemp(stack.replace("/", "-")))
            tf.init(work, backend=True)
            res = tf.run(work, "graph")
            _GRAPHS[stack] = Graph.parse(res.stdout)
            shutil.rmtree(work / ".terraform", ignore_errors=True)
        return _GRAPHS[stack]

    return get


pytestmark = [pytest.mark.terraform]


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_orders_what_aws_checks_at_create(graph_of: Any, stack: str) -> None:
    graph = graph_of(stack)
    assert len(graph.edges) >= 5, f"terraform graph of {stack} came back empty"
    broken = {rule: found for rule, found in violations(graph).items() if found}
    assert not broken, "\n".join(f"{rule}:\n  " + "\n  ".join(found) for rule, found in broken.items())


@pytest.mark.sandbox
@pytest.mark.parametrize("env", ENVS)
def test_every_planned_instance_waits_for_what_it_needs(graph_of: Any, env: str, request: pytest.FixtureRequest) -> None:
    """Instance by instance of the environment's plan: each is a node of the graph the rules passed, and the
    instances AWS checks at create have the edge their rule demands."""
    plan = request.getfixturevalue(f"{env}_plan")
    graph = graph_of(f"envs/{env}")
    instances = [rc for rc in plan["resource_changes"] if rc.get("mode") == "managed"]
    missing = sorted({config_address(rc["address"]) for rc in instances} - set(graph.edges))
    assert not missing, f"planned resources the graph does not show: {missing}"
    checked = 0
    for rc in instances:
        node = config_address(rc["address"])
        after = rc["change"].get("after") or {}
        reach = graph.reach(node)
        if rc["type"] == "aws_ecs_service":
            assert any(n.endswith("aws_ecs_cluster_capacity_providers.this") for n in reach), rc["address"]
            assert any(n.endswith(".aws_iam_role_policy.task_execution") for n in reach), rc["address"]
            assert any(n.endswith(".aws_iam_role_policy.task") for n in reach), rc["address"]
            assert any(n.endswith("aws_route.private_app_nat") for n in reach), rc["address"]
            if after.get("load_balancer"):
                assert any(n.endswith("aws_lb_listener_rule.this") for n in reach), rc["address"]
            checked += 1
        elif rc["type"] == "aws_instance":
            assert any(n.endswith("aws_iam_role_policy_attachment.kafka") for n in reach), rc["address"]
            assert any(n.endswith("aws_route.private_app_nat") for n in reach), rc["address"]
            checked += 1
        elif rc["type"] == "aws_db_instance":
            monitoring = {n for n in graph.edges if n.endswith("aws_iam_role_policy_attachment.rds_monitoring")}
            assert monitoring <= reach, rc["address"]
            # RDS creates the export log groups itself (unencrypted, no retention) if they do not exist yet, and
            # Terraform's create then fails on them.
            groups = [g for g in by_type(plan, "aws_cloudwatch_log_group")
                      if g["values"]["name"].startswith(f"/aws/rds/instance/{after['identifier']}/")]
            assert groups and all(config_address(g["address"]) in reach for g in groups), rc["address"]
            checked += 1
        elif rc["type"] == "aws_lb":
            assert any(n.endswith("aws_route.public_internet") for n in reach), rc["address"]
            checked += 1
        elif rc["type"] == "aws_flow_log":
            assert any(n.endswith("aws_iam_role_policy.flow_logs") for n in reach), rc["address"]
            checked += 1
    assert checked >= 8 + 1 + 1, "the plan holds the services, brokers, database, load balancer and flow log"


# --------------------------------------------------------------------------------------------- the rules


def test_a_service_reading_its_target_group_before_the_listener_rule_is_caught() -> None:
    before = Graph.of({
        "module.ecs.aws_ecs_service.this": {"module.alb.aws_lb_target_group.this"},
        "module.alb.aws_lb_listener_rule.this": {"module.alb.aws_lb_target_group.this", "module.alb.aws_lb_listener.https"},
    })
    assert listener_before_service(before)
    after = Graph.of({
        "module.ecs.aws_ecs_service.this": {"module.alb.aws_lb_listener_rule.this"},
        "module.alb.aws_lb_listener_rule.this": {"module.alb.aws_lb_target_group.this"},
    })
    assert not listener_before_service(after)


def test_roles_handed_out_before_their_policies_are_caught() -> None:
    before = Graph.of({
        "module.ecs.aws_ecs_task_definition.this": {"module.iam.aws_iam_role.task_execution"},
        "module.iam.aws_iam_role_policy.task_execution": {"module.iam.aws_iam_role.task_execution"},
        "module.kafka.aws_instance.broker": {"module.iam.aws_iam_instance_profile.kafka"},
        "module.iam.aws_iam_instance_profile.kafka": {"module.iam.aws_iam_role.kafka"},
        "module.iam.aws_iam_role_policy_attachment.kafka": {"module.iam.aws_iam_role.kafka"},
    })
    found = role_policies_first(before)
    assert len(found) == 2 and any("broker" in f for f in found)
    after = Graph.of({
        "module.ecs.aws_ecs_task_definition.this": {"module.iam.aws_iam_role_policy.task_execution"},
        "module.iam.aws_iam_role_policy.task_execution": {"module.iam.aws_iam_role.task_execution"},
        "module.kafka.aws_instance.broker": {"module.iam.aws_iam_instance_profile.kafka",
                                             "module.iam.aws_iam_role_policy_attachment.kafka"},
        "module.iam.aws_iam_instance_profile.kafka": {"module.iam.aws_iam_role.kafka"},
        "module.iam.aws_iam_role_policy_attachment.kafka": {"module.iam.aws_iam_role.kafka"},
    })
    assert not role_policies_first(after)


def test_subnet_users_before_routes_secret_readers_before_values_and_writers_before_bucket_policies() -> None:
    graph = Graph.of({
        "module.vpc.aws_route_table_association.public": {"module.vpc.aws_subnet.public", "module.vpc.aws_route_table.public"},
        "module.vpc.aws_route.public_internet": {"module.vpc.aws_route_table.public", "module.vpc.aws_internet_gateway.this"},
        "module.alb.aws_lb.this": {"module.vpc.aws_subnet.public", "module.alb.aws_s3_bucket.logs"},
        "module.alb.aws_s3_bucket_policy.logs": {"module.alb.aws_s3_bucket.logs"},
        "module.ecs.aws_ecs_task_definition.this": {"module.cache.aws_secretsmanager_secret.auth"},
        "module.cache.aws_secretsmanager_secret_version.auth": {"module.cache.aws_secretsmanager_secret.auth"},
        "module.ecs.aws_ecs_service.this": {"module.ecs.aws_ecs_cluster.this"},
        "module.ecs.aws_ecs_cluster_capacity_providers.this": {"module.ecs.aws_ecs_cluster.this"},
    })
    assert len(subnets_routed_first(graph)) == 1
    assert len(bucket_policy_first(graph)) == 1
    assert len(secret_values_first(graph)) == 1
    assert len(capacity_providers_first(graph)) == 1
