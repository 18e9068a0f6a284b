"""Where AWS rejects a request our stacks could get wrong, the sandbox rejects it the same way (code and message).

ecs.target_group_has_load_balancer: CreateService/UpdateService with a target group no listener or listener rule
forwards to fails with InvalidParameterException, "The target group with targetGroupArn ... does not have an
associated load balancer." (a first apply that creates the service before its listener rule; docs/AWS_NOTES.md,
"First-apply ordering"). Proven with boto3 and with the real provider on a minimal configuration.

ecs.strategy_providers_on_cluster: a capacity provider strategy naming a provider the cluster does not have
(a service created before aws_ecs_cluster_capacity_providers) fails with InvalidParameterException.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest
from test_extensions_ecs import create_service, fargate_cluster

from popcornctl.engine.base import RUNNING, TfResult
from tfhelpers import Tf

pytestmark = [pytest.mark.sandbox]

FIXTURE = Path(__file__).parent / "fixtures" / "ecs_behind_alb.tf.tmpl"
NOT_ATTACHED = "The target group with targetGroupArn {} does not have an associated load balancer."


def target_group(sandbox: Any, net: dict[str, Any], attach: str | None) -> str:
    """A target group; ``attach`` = "listener" (default action), "rule" (a listener rule) or None."""
    elb = sandbox.client("elbv2")
    lb = elb.create_load_balancer(Name="lb", Subnets=net["subnets"], SecurityGroups=[net["group"]], Scheme="internal")[
        "LoadBalancers"
    ][0]["LoadBalancerArn"]
    arn: str = elb.create_target_group(Name="tg", Protocol="HTTP", Port=8080, VpcId=net["vpc"], TargetType="ip")[
        "TargetGroups"
    ][0]["TargetGroupArn"]
    forward = [{"Type": "forward", "TargetGroupArn": arn}]
    fixed = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain"}}]
    listener = elb.create_listener(
        LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=forward if attach == "listener" else fixed
    )
    if attach == "rule":
        elb.create_rule(
            ListenerArn=listener["Listeners"][0]["ListenerArn"],
            Priority=10,
            Actions=forward,
            Conditions=[{"Field": "path-pattern", "Values": ["/api/*"]}],
        )
    return arn


def lb_entry(arn: str) -> list[dict[str, Any]]:
    return [{"targetGroupArn": arn, "containerName": "app", "containerPort": 8080}]


def test_ecs_target_group_has_load_balancer_rejects_create_service(sandbox: Any) -> None:
    """ecs.target_group_has_load_balancer"""
    net = fargate_cluster(sandbox)
    arn = target_group(sandbox, net, attach=None)
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        create_service(sandbox, net, loadBalancers=lb_entry(arn))
    assert raised.value.response["Error"]["Code"] == "InvalidParameterException"
    assert raised.value.response["Error"]["Message"] == NOT_ATTACHED.format(arn)
    assert sandbox.client("ecs").describe_services(cluster="c", services=["s"])["services"] == []


@pytest.mark.parametrize("attach", ["listener", "rule"])
def test_ecs_target_group_has_load_balancer_accepts_an_attached_group(sandbox: Any, attach: str) -> None:
    """ecs.target_group_has_load_balancer: a default action or a listener rule attaches the group."""
    net = fargate_cluster(sandbox)
    arn = target_group(sandbox, net, attach=attach)
    service = create_service(sandbox, net, loadBalancers=lb_entry(arn))
    assert service["loadBalancers"][0]["targetGroupArn"] == arn


def test_ecs_target_group_has_load_balancer_rejects_update_service(sandbox: Any) -> None:
    """ecs.target_group_has_load_balancer on UpdateService (the provider's change of load_balancer)."""
    net = fargate_cluster(sandbox)
    create_service(sandbox, net)
    arn = target_group(sandbox, net, attach=None)
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        sandbox.client("ecs").update_service(cluster="c", service="s", loadBalancers=lb_entry(arn))
    assert raised.value.response["Error"]["Code"] == "InvalidParameterException"
    assert raised.value.response["Error"]["Message"] == NOT_ATTACHED.format(arn)


def test_ecs_strategy_providers_on_cluster(sandbox: Any) -> None:
    """ecs.strategy_providers_on_cluster: before PutClusterCapacityProviders the strategy is rejected."""
    net = fargate_cluster(sandbox)
    sandbox.client("ecs").create_cluster(clusterName="bare")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        create_service(sandbox, net, cluster="bare")
    assert raised.value.response["Error"]["Code"] == "InvalidParameterException"
    assert raised.value.response["Error"]["Message"].startswith(
        "The specified capacity provider strategy cannot contain a capacity provider that is not associated with "
        "the cluster."
    )
    create_service(sandbox, net)  # the cluster with both Fargate providers accepts the same strategy


def _config(tmp_path: Path, service_waits_for_rule: bool) -> Path:
    work = tmp_path / ("ordered" if service_waits_for_rule else "unordered")
    work.mkdir()
    text = FIXTURE.read_text()
    rule, service = (
        ("", "depends_on = [aws_lb_listener_rule.this]")
        if service_waits_for_rule
        else ("depends_on = [aws_ecs_service.this]", "")
    )
    (work / "main.tf").write_text(text.replace("__RULE_DEPENDS_ON__", rule).replace("__SERVICE_DEPENDS_ON__", service))
    return work


@pytest.mark.terraform
@pytest.mark.slow
def test_ecs_target_group_has_load_balancer_with_the_real_provider(tf: Tf, sandbox: Any, tmp_path: Path) -> None:
    """ecs.target_group_has_load_balancer: a configuration whose service does not wait for its listener rule
    fails to apply with AWS's error; the same configuration with the edge applies, and plans 0 changes after."""
    unordered = _config(tmp_path, service_waits_for_rule=False)
    answer, result = _apply_until_create_service_is_refused(tf, sandbox, unordered, tmp_path / "provider.log")
    (group,) = sandbox.client("elbv2").describe_target_groups(Names=["strict-proof"])["TargetGroups"]
    assert NOT_ATTACHED.format(group["TargetGroupArn"]) in answer, answer
    assert not result.ok and result.interrupted, result.output
    assert sandbox.client("ecs").describe_services(cluster="strict-proof", services=["strict-proof"])["services"] == []

    sandbox.reset()
    ordered = _config(tmp_path, service_waits_for_rule=True)
    tf.apply(ordered, sandbox=sandbox)
    again = tf.plan_json(ordered, sandbox=sandbox)
    changed = [rc["address"] for rc in again["resource_changes"] if rc["change"]["actions"] != ["no-op"]]
    assert changed == [], f"the emulator reads the service back differently from what was applied: {changed}"


# The provider retries this refusal for 4 minutes (propagationTimeout + serviceCreateTimeout in its
# retryServiceCreate) before it reports it, as it does against AWS: the first refusal in its debug log is the proof,
# and the apply is then stopped the way a user's Ctrl-C stops it.
REFUSED = re.compile(r"InvalidParameterException[^\n]*does not have an associated load balancer")


def _apply_until_create_service_is_refused(
    tf: Tf, sandbox: Any, workdir: Path, log: Path, patience: float = 600
) -> tuple[str, TfResult]:
    tf.plan_json(workdir, sandbox=sandbox)
    plan_file = tf.data_dir(workdir, "sandbox") / "test.tfplan"
    env = {**tf.env(workdir, sandbox), "TF_LOG_PROVIDER": "DEBUG", "TF_LOG_PATH": str(log)}
    with ThreadPoolExecutor(max_workers=1) as pool:
        applying = pool.submit(tf.engine(sandbox).apply, workdir, plan_file, env=env)
        deadline = time.monotonic() + patience
        found = None
        while found is None and not applying.done() and time.monotonic() < deadline:
            time.sleep(1)
            found = REFUSED.search(log.read_text(errors="replace")) if log.exists() else None
        for running in RUNNING.snapshot():
            if running.workdir == workdir:
                running.interrupt()
        result = applying.result()
    assert found is not None, f"CreateService was not refused:\n{result.output[-3000:]}"
    return found.group(0), result


def test_elbv2_internet_facing_needs_gateway(sandbox: Any) -> None:
    """elbv2.internet_facing_needs_gateway: AWS refuses an internet-facing load balancer until the VPC has an
    internet gateway (modules/vpc's public subnet IDs wait for the gateway route; docs/AWS_NOTES.md)."""
    net = fargate_cluster(sandbox)
    elb, ec2 = sandbox.client("elbv2"), sandbox.client("ec2")
    request = {"Name": "public", "Subnets": net["subnets"], "SecurityGroups": [net["group"]], "Type": "application"}
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        elb.create_load_balancer(**request)  # Scheme defaults to internet-facing
    assert raised.value.response["Error"]["Code"] == "InvalidSubnet"
    assert raised.value.response["Error"]["Message"] == f"VPC {net['vpc']} has no internet gateway"
    elb.create_load_balancer(**{**request, "Name": "inside", "Scheme": "internal"})  # internal needs none
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    with pytest.raises(botocore.exceptions.ClientError):
        elb.create_load_balancer(**request)  # created but not attached
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=net["vpc"])
    assert elb.create_load_balancer(**request)["LoadBalancers"][0]["LoadBalancerName"] == "public"
