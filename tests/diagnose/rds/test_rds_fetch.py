"""``diagnose rds`` against the emulator, seeded through the AWS API only (fixture ``aws``).

The VPC, subnets, internet gateway/route tables, security groups and rules, NACLs, DB subnet group, DB instance
(with an RDS-managed master secret, rotated through RotateSecret) and CloudWatch metrics/alarms all go through
boto3. moto does not persist Performance Insights, so on the emulator every instance reports it off (a WARN);
statuses, events, pending modifications and parameter-group states moto cannot produce are tested on facts in
test_rds_checks.py.
"""

from __future__ import annotations

from datetime import timedelta

import jsonschema
import pytest
from diagworld import CLUSTER, PREFIX, World

from popcornctl.diagnose import Window, diagnose_rds
from popcornctl.diagnose.findings import REPORT_SCHEMA, DiagnosisReport, Finding, Status
from popcornctl.diagnose.rds.fetch import RdsFetch
from popcornctl.errors import PopcornError

INSTANCE = f"{PREFIX}-postgres"


def run(world: World, *, prod: bool = False, ecs_cluster: str | None = CLUSTER,
        ecs_security_groups: list[str] | None = None) -> DiagnosisReport:
    report = diagnose_rds(
        world.clients, instance=INSTANCE, window=Window.ending_now(timedelta(hours=1)), prod=prod, prefix=PREFIX,
        ecs_cluster=ecs_cluster, ecs_security_groups=ecs_security_groups,
    )
    jsonschema.validate(report.to_dict(), REPORT_SCHEMA)
    return report


def finding(report: DiagnosisReport, check: str, status: Status | None = None) -> Finding:
    target = report.targets[0]
    found = [f for f in target.findings if f.check == check and (status is None or f.status is status)]
    assert found, f"no {check} {status or ''} in {[(f.check, f.status.value, f.title) for f in target.findings]}"
    return found[0]


def ecs_service(world: World) -> None:
    """The env's ECS service, so the database check can find the services' security group and subnets."""
    world.cluster(instances=0)
    world.service("api")


def test_fetch_turns_the_api_into_typed_facts(aws: World) -> None:
    ecs_service(aws)
    db = aws.db()
    net = aws.network()
    facts = RdsFetch(aws.clients, INSTANCE, Window.ending_now(timedelta(hours=1)), ecs_cluster=CLUSTER)()
    assert facts.instance.id == INSTANCE and facts.instance.port == 5432
    assert facts.instance.subnet_ids == db["subnets"]
    assert [g.id for g in facts.db_groups] == [db["sg"]]
    assert facts.ecs.security_groups == (net.ecs_sg,) and set(facts.ecs.subnets) == set(net.subnets)
    assert [g.id for g in facts.ecs_groups] == [net.ecs_sg]
    assert set(facts.routes) == set(db["subnets"]) and set(facts.db_nacls) == set(db["subnets"])
    assert min(facts.metrics.free_min) == 15.0 * 1024**3
    assert facts.secret is not None and facts.secret.rotation_enabled and facts.secret.rotation_days == 7
    assert facts.group_names[net.ecs_sg] == f"{PREFIX}-ecs"
    assert not facts.gaps


def test_healthy_private_database(aws: World) -> None:
    ecs_service(aws)
    aws.db()
    report = run(aws)
    problems = {f.check for f in report.targets[0].findings if f.status is not Status.OK}
    assert problems == set(), problems  # Performance Insights persists through the sandbox's extension
    access = finding(report, "rds.ecs-access", Status.OK)
    net = aws.network()
    assert access.evidence[0] == f"ECS security group(s) {net.ecs_sg} (from the services of {CLUSTER})"
    assert any(f"allows 5432 from {net.ecs_sg}" in line for line in access.evidence)
    assert "network ACLs allow the traffic both ways" in access.evidence
    assert finding(report, "rds.security-groups").title == f"5432 reachable only from: {net.ecs_sg} ({PREFIX}-ecs)"
    assert finding(report, "rds.storage").title == "storage 75% free (15.0 of 20 GiB)"
    assert finding(report, "rds.master-secret").title == "master password in Secrets Manager, rotated every 7 days"


def test_public_database_with_open_security_group(aws: World) -> None:
    ecs_service(aws)
    aws.db(public=True, public_subnets=True, open_sg=True)
    report = run(aws)
    exposure = finding(report, "rds.exposure", Status.FAIL)
    assert exposure.title == ("reachable from the internet: publicly accessible, internet-gateway route, 5432 open to "
                              "0.0.0.0/0")
    assert any("0.0.0.0/0 -> igw-" in line for line in exposure.evidence)
    assert "publicly_accessible = false" in (exposure.remediation or "")
    sg = finding(report, "rds.security-groups", Status.FAIL)
    assert sg.title == "5432 is open to 0.0.0.0/0"
    assert "including the internet" in (sg.cause or "")


def test_public_flag_without_internet_route_is_a_warning(aws: World) -> None:
    ecs_service(aws)
    aws.db(public=True)
    exposure = finding(run(aws), "rds.exposure", Status.WARN)
    assert exposure.title == "PubliclyAccessible is set but no subnet routes to an internet gateway"


def test_open_cidr_in_private_subnets_is_a_warning(aws: World) -> None:
    ecs_service(aws)
    aws.db(open_sg=True)
    report = run(aws)
    assert finding(report, "rds.exposure", Status.OK)
    assert finding(report, "rds.security-groups", Status.WARN).title == "5432 is open to 0.0.0.0/0"


def test_database_unreachable_from_the_ecs_security_group(aws: World) -> None:
    ecs_service(aws)
    aws.db(allow_ecs=False)  # only an office VPN CIDR may connect
    report = run(aws)
    access = finding(report, "rds.ecs-access", Status.FAIL)
    net = aws.network()
    assert access.title == (
        f"the ECS services cannot reach the database: the RDS security group(s) do not allow 5432 from {net.ecs_sg} "
        "or from the ECS subnets 10.20.1.0/24, 10.20.2.0/24"
    )
    assert "referenced_security_group_id" in (access.remediation or "")
    assert finding(report, "rds.security-groups").title == "5432 reachable only from: 10.99.0.0/16"


def test_network_acl_blocking_the_database_port(aws: World) -> None:
    ecs_service(aws)
    db = aws.db()
    ec2 = aws.c("ec2")
    net = aws.network()
    acl = ec2.create_network_acl(VpcId=net.vpc)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="6", RuleAction="deny", Egress=False,
                                 CidrBlock="10.20.0.0/16", PortRange={"From": 5432, "To": 5432})
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=200, Protocol="-1", RuleAction="allow", Egress=False,
                                 CidrBlock="0.0.0.0/0")
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="-1", RuleAction="allow", Egress=True,
                                 CidrBlock="0.0.0.0/0")
    for subnet in db["subnets"]:
        assoc = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])
        assoc_id = next(a["NetworkAclAssociationId"] for a in assoc["NetworkAcls"][0]["Associations"]
                        if a["SubnetId"] == subnet)
        ec2.replace_network_acl_association(AssociationId=assoc_id, NetworkAclId=acl)
    access = finding(run(aws), "rds.ecs-access", Status.FAIL)
    assert f"network ACL of DB subnet {db['subnets'][0]} blocks 5432 from 10.20.1.0/24 ({acl} rule 100 deny" in (
        access.title
    )


def test_ecs_security_group_found_by_name_without_a_cluster(aws: World) -> None:
    aws.db()
    access = finding(run(aws, ecs_cluster=None), "rds.ecs-access", Status.OK)
    assert access.evidence[0].endswith(f"(from the security group named {PREFIX}-ecs)")


def test_no_ecs_security_group_known_is_a_warning(aws: World) -> None:
    aws.db()
    report = diagnose_rds(aws.clients, instance=INSTANCE, window=Window.ending_now(timedelta(hours=1)))
    assert finding(report, "rds.ecs-access", Status.WARN).title == "could not find the ECS services' security group"


def test_storage_nearly_full_without_autoscaling(aws: World) -> None:
    ecs_service(aws)
    aws.db(allocated=20, max_allocated=None, free_gib=1.2)
    storage = finding(run(aws), "rds.storage", Status.FAIL)
    assert storage.title == "storage nearly full: 6% free (1.2 of 20 GiB)"
    assert "allocated 20 GiB, no autoscaling" in storage.evidence
    assert "storage-full" in (storage.cause or "")


def test_storage_nearly_full_with_autoscaling_room_is_a_warning(aws: World) -> None:
    ecs_service(aws)
    aws.db(allocated=20, max_allocated=100, free_gib=1.2)
    storage = finding(run(aws), "rds.storage", Status.WARN)
    assert "autoscaling will add space" in (storage.cause or "").lower()


def test_storage_at_the_autoscaling_ceiling(aws: World) -> None:
    ecs_service(aws)
    aws.db(allocated=95, max_allocated=100, free_gib=5.0)
    storage = finding(run(aws), "rds.storage", Status.FAIL)
    assert "allocated storage is at 95% of the autoscaling ceiling" in storage.evidence


def test_saturated_metrics(aws: World) -> None:
    ecs_service(aws)
    aws.db(metrics=False)
    aws.db_metrics(INSTANCE, free_gib=15, cpu=93.0, connections=105, latency=0.12)
    metrics = finding(run(aws), "rds.metrics", Status.FAIL)
    assert metrics.title == "CPU averages 93%; connections at 105 of about 112; read latency 120 ms; write latency 120 ms"


def test_production_expects_multi_az_and_week_of_backups(aws: World) -> None:
    ecs_service(aws)
    aws.db(retention=3)
    report = run(aws, prod=True)
    assert finding(report, "rds.multi-az", Status.FAIL).title == "single-AZ in a production environment"
    assert finding(report, "rds.backups", Status.WARN).title == "retention 3 day(s) in production (expected 7+)"


def test_master_secret_deleted(aws: World) -> None:
    ecs_service(aws)
    db = aws.db()
    aws.c("secretsmanager").delete_secret(SecretId=db["secret"], ForceDeleteWithoutRecovery=True)
    assert finding(run(aws), "rds.master-secret", Status.FAIL).title == "the master user secret does not exist"


def test_master_secret_not_rotated(aws: World) -> None:
    ecs_service(aws)
    aws.db(rotation=False)
    assert finding(run(aws), "rds.master-secret", Status.WARN).title == "the master user secret is not rotated"


def test_database_alarm_in_alarm(aws: World) -> None:
    ecs_service(aws)
    aws.db()
    aws.alarm(f"{INSTANCE}-free-storage-low", [{"Name": "DBInstanceIdentifier", "Value": INSTANCE}],
              namespace="AWS/RDS")
    alarms = finding(run(aws), "alarms", Status.FAIL)
    assert alarms.evidence[0].startswith(f"{INSTANCE}-free-storage-low: Threshold Crossed")


def test_unknown_instance_is_a_usage_error(aws: World) -> None:
    with pytest.raises(PopcornError) as err:
        run(aws)
    assert err.value.line().startswith(f"DB instance '{INSTANCE}' not found")
    assert err.value.line().endswith("pass --instance ID or check --env; instances here: none")
