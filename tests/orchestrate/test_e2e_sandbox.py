"""The README's main-job command on the real tree: `popcornctl up dev --sandbox` from an empty sandbox, twice.

The two runs are the run's shared applied environment (tests/devsandbox.py: the real command line, a sandbox of
its own on 127.0.0.1; this test is its last user, and reads both runs' reports as they were written). `up` applies
bootstrap (local state, then migrated into the bucket it created), the global stacks and envs/dev with the
sandbox profile (``sandbox.tfvars``: what the emulator cannot create is switched off by variables, never by
editing HCL). The second `up --auto-approve`, as a user re-runs it, must find every stack up to date with 0
changes: the emulator reads back what it was given (popcornctl/sandbox/extensions), whatever the profile switches
on. `diagnose ecs` then describes the services as Fargate capacity-provider services; `down dev --sandbox`
destroys envs/dev, and listing the emulator (not trusting the destroy) finds nothing of envs/dev left; the run
leaves nothing new in the tree.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from devsandbox import AppliedDev, run_on_repo, untracked_under_stacks
from popcornctl.orchestrate.run_report import SCHEMA

pytestmark = [pytest.mark.terraform, pytest.mark.sandbox, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


def _composed() -> bool:
    return (REPO / "envs/dev").is_dir() and any((REPO / "envs/dev").glob("*.tf"))


def _report(path: Path) -> dict[str, Any]:
    return _valid(json.loads(path.read_text()))


def _valid(report: dict[str, Any]) -> dict[str, Any]:
    jsonschema.validate(report, SCHEMA)
    return report


def _left_in_the_emulator(clients: Any, prefix: str) -> list[str]:
    """Every resource of the environment still in the emulator: by its Environment tag, and by name in the
    services the tagging API does not cover in moto (or whose names are the only link, like IAM and logs)."""
    left: list[str] = []
    tagging = clients.client("resourcegroupstaggingapi")
    for page in tagging.get_paginator("get_resources").paginate(TagFilters=[{"Key": "Environment", "Values": ["dev"]}]):
        left += [f"tagged {r['ResourceARN']}" for r in page["ResourceTagMappingList"]
                 if not _scheduled_for_deletion(clients, r["ResourceARN"])]

    ecs, ec2, rds, elb = (clients.client(s) for s in ("ecs", "ec2", "rds", "elbv2"))
    for arn in ecs.list_clusters()["clusterArns"]:
        (cluster,) = ecs.describe_clusters(clusters=[arn])["clusters"]
        if prefix in arn and cluster["status"] == "ACTIVE":
            left.append(f"ecs cluster {arn}")
    left += [f"ecs task definition family {f}" for f in ecs.list_task_definition_families(status="ACTIVE")["families"]
             if prefix in f]
    live = ("pending", "running", "stopping", "stopped")
    for reservation in ec2.describe_instances(Filters=[{"Name": "instance-state-name", "Values": list(live)}])[
            "Reservations"]:
        for instance in reservation["Instances"]:
            names = {t["Value"] for t in instance.get("Tags", []) if t["Key"] == "Name"}
            if any(prefix in n for n in names):
                left.append(f"ec2 instance {instance['InstanceId']} {names}")
    for kind, items, name_of in (
        ("vpc", ec2.describe_vpcs()["Vpcs"], _name),
        ("security group", ec2.describe_security_groups()["SecurityGroups"], lambda g: g["GroupName"] + _name(g)),
        ("volume", ec2.describe_volumes()["Volumes"], _name),
        ("db instance", rds.describe_db_instances()["DBInstances"], lambda d: d["DBInstanceIdentifier"]),
        ("db subnet group", rds.describe_db_subnet_groups()["DBSubnetGroups"], lambda d: d["DBSubnetGroupName"]),
        ("db parameter group", rds.describe_db_parameter_groups()["DBParameterGroups"],
         lambda d: d["DBParameterGroupName"]),
        ("load balancer", elb.describe_load_balancers()["LoadBalancers"], lambda lb: lb["LoadBalancerName"]),
        ("target group", elb.describe_target_groups()["TargetGroups"], lambda tg: tg["TargetGroupName"]),
    ):
        left += [f"{kind} {name_of(i)}" for i in items if prefix in name_of(i)]
    left += [f"hosted zone {z['Name']}" for z in clients.client("route53").list_hosted_zones()["HostedZones"]
             if prefix in z["Name"]]
    cloudmap = clients.client("servicediscovery")
    left += [f"cloud map namespace {n['Name']}" for n in cloudmap.list_namespaces()["Namespaces"] if prefix in n["Name"]]
    logs = clients.client("logs")
    for page in logs.get_paginator("describe_log_groups").paginate():
        left += [f"log group {g['logGroupName']}" for g in page["logGroups"] if prefix in g["logGroupName"]]
    iam = clients.client("iam")
    for page in iam.get_paginator("list_roles").paginate():
        left += [f"iam role {r['RoleName']}" for r in page["Roles"] if prefix in r["RoleName"]]
    for page in iam.get_paginator("list_policies").paginate(Scope="Local"):
        left += [f"iam policy {p['PolicyName']}" for p in page["Policies"] if prefix in p["PolicyName"]]
    return left


def _scheduled_for_deletion(clients: Any, arn: str) -> bool:
    """Deleted as far as a destroy can delete it, though AWS still shows it for a while: a KMS key or secret in its
    waiting period, a terminated instance, a deleted NAT gateway, an inactive ECS cluster, service or task
    definition revision."""
    if ":kms:" in arn and ":key/" in arn:
        return bool(clients.client("kms").describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "PendingDeletion")
    if ":secretsmanager:" in arn:
        return "DeletedDate" in clients.client("secretsmanager").describe_secret(SecretId=arn)
    if ":ec2:" in arn and ":instance/" in arn:
        (reservation,) = clients.client("ec2").describe_instances(InstanceIds=[arn.rsplit("/", 1)[1]])["Reservations"]
        return bool(reservation["Instances"][0]["State"]["Name"] in ("shutting-down", "terminated"))
    if ":ecs:" in arn and ":task-definition/" in arn:
        described = clients.client("ecs").describe_task_definition(taskDefinition=arn)["taskDefinition"]
        return bool(described["status"] != "ACTIVE")
    if ":ec2:" in arn and ":natgateway/" in arn:
        (gateway,) = clients.client("ec2").describe_nat_gateways(NatGatewayIds=[arn.rsplit("/", 1)[1]])["NatGateways"]
        return bool(gateway["State"] in ("deleting", "deleted"))
    if ":ecs:" in arn and ":cluster/" in arn:
        (cluster,) = clients.client("ecs").describe_clusters(clusters=[arn])["clusters"]
        return bool(cluster["status"] != "ACTIVE")
    if ":ecs:" in arn and ":service/" in arn:
        cluster = arn.split(":service/", 1)[1].split("/", 1)[0]
        services = clients.client("ecs").describe_services(cluster=cluster, services=[arn])["services"]
        return all(s["status"] != "ACTIVE" for s in services)
    return False


def _name(resource: dict[str, Any]) -> str:
    return next((t["Value"] for t in resource.get("Tags", []) if t["Key"] == "Name"), "")


@pytest.mark.skipif(not _composed(), reason="envs/dev has no .tf files: nothing to apply end to end")
@pytest.mark.timeout(3600)
def test_up_dev_sandbox_end_to_end(dev_on_sandbox: AppliedDev, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from popcornctl.config import load_config
    from popcornctl.sandbox import Sandbox

    applied = dev_on_sandbox
    for name, value in applied.env.items():
        monkeypatch.setenv(name, value)
    sandbox = Sandbox(applied.state_dir)
    prefix = f"{load_config(REPO).name}-dev"
    timings: dict[str, float] = {run: applied.seconds[run] for run in ("first up", "second up")}
    try:
        report = _valid(applied.up_report)
        stacks = {s["stack"]: s for s in report["stacks"]}
        assert list(stacks) == ["bootstrap", "global/account", "global/ecr", "global/route53-acm", "envs/dev"]
        assert {s["result"] for s in stacks.values()} == {"applied"}
        assert any("state migrated from local to s3://" in n for n in stacks["bootstrap"]["notes"])
        assert {s["policy"]["status"] for s in stacks.values()} == {"passed"}
        assert report["policy_override"] is None
        # Every state object, bootstrap's migrated one included, is encrypted with bootstrap's customer key
        # (popcorn.toml [backend] kms_key_id), not SSE-S3.
        from popcornctl.aws import Clients
        from popcornctl.target import Target

        info = sandbox.require()
        clients = Clients(Target("ap-northeast-2", info.endpoint))
        s3, kms = clients.client("s3"), clients.client("kms")
        key_arn = kms.describe_key(KeyId="alias/goorm-popcorn-tfstate")["KeyMetadata"]["Arn"]
        for stack in stacks:
            head = s3.head_object(Bucket="goorm-popcorn-tfstate", Key=f"{stack}/terraform.tfstate")
            assert head["ServerSideEncryption"] == "aws:kms", stack
            assert head["SSEKMSKeyId"] in ("alias/goorm-popcorn-tfstate", key_arn), (stack, head["SSEKMSKeyId"])

        # The second `up`, as a user re-runs the README's command: every stack converged, nothing to apply.
        again = _valid(applied.second_up_report)["stacks"]
        assert [s["stack"] for s in again] == list(stacks)
        not_converged = {s["stack"]: (s["result"], s["adds"], s["changes"], s["destroys"], s["plan_json"])
                         for s in again if s["result"] != "up_to_date" or (s["adds"], s["changes"], s["destroys"])
                         not in ((0, 0, 0), (None, None, None))}
        assert not_converged == {}, f"a second up must plan 0 changes in every stack: {not_converged}"

        # The services as the emulator now reads them back: Fargate capacity-provider services, no EC2 launch.
        code, out, err = run_on_repo("diagnose", "ecs", "--env", "dev", "--sandbox", "--output", "json")
        assert code in (0, 1), err  # the emulator runs no tasks: services may be reported down, never misread
        doc = json.loads(out)
        services = [t for t in doc["targets"] if t["kind"] == "ecs-service"]
        assert len(services) == 8, [t["name"] for t in services]
        launches = {t["name"]: t["facts"]["launch"] for t in services}
        assert all(v.startswith("capacity providers FARGATE") for v in launches.values()), launches
        findings = [f["rule"] for t in doc["targets"] for f in t["findings"] if f["status"] == "FAIL"]
        assert "cluster.capacity" not in findings, findings

        started = time.monotonic()
        down = tmp_path / "down.json"
        code, out, err = run_on_repo("down", "dev", "--sandbox", "--auto-approve", "--report", str(down))
        timings["down"] = round(time.monotonic() - started, 1)
        assert code == 0, out + err
        assert [(s["stack"], s["result"]) for s in _report(down)["stacks"]] == [("envs/dev", "destroyed")]
        left = _left_in_the_emulator(clients, prefix)
        assert left == [], "down dev --sandbox left envs/dev resources behind:\n" + "\n".join(left)
        assert untracked_under_stacks() == applied.tree_before, "the sandbox runs wrote into the tree"
        print(json.dumps({"seconds": timings}))
    finally:
        sandbox.stop()
